//! The index file, read directly: its entries and its cache tree, which is
//! all a pre-commit hook needs to know what is staged. libgit2's
//! tree-to-index diff reads the whole index (checksum included) and every
//! tree of HEAD; with the cache tree, as `git diff --cached` does, only the
//! trees along the changed paths are read.
//!
//! Versions 2 to 4 are read, and split indexes (`core.splitIndex`, which
//! libgit2 refuses). What this reader does not follow (a sparse index,
//! unmerged entries, another hash) gives `None`, and the caller asks
//! libgit2 instead.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use git2::{ObjectType, Oid, Repository};

use super::files::FileBytes;

/// Bytes of an object id (SHA-1).
const OID: usize = 20;
/// The fixed part of an entry: stat data, mode, sizes, id, flags.
const ENTRY_FIXED: usize = 62;
/// Larger index files are not a pre-commit hook's: libgit2 reads them.
const MAX_INDEX_BYTES: usize = 1 << 30;

/// One stage-0 entry: a blob (or link, or submodule) at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where its path sits in [`Index::paths`] (an index is at most
    /// [`MAX_INDEX_BYTES`]).
    path: Range<u32>,
    pub mode: u32,
    pub id: Oid,
    /// `git add -N`: the path is known, its content not staged.
    pub intent_to_add: bool,
}

/// One node of the cache tree: a directory whose entries are known to hash
/// to `id` (when `Some`; `None` once a change under it invalidated it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct CacheNode {
    name: Vec<u8>,
    id: Option<Oid>,
    children: Vec<CacheNode>,
}

pub struct Index {
    entries: Vec<Entry>,
    paths: Paths,
    cache: Option<CacheNode>,
    /// A split index's link to the shared index it amends.
    link: Option<Link>,
}

/// Where the entries' paths are: in the index file itself, where versions
/// 2 and 3 write them whole (a hook then copies none of them), or rebuilt
/// one after another (version 4's compressed paths, a split index merged).
enum Paths {
    InFile(FileBytes),
    Rebuilt(Vec<u8>),
}

impl std::ops::Deref for Paths {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Paths::InFile(bytes) => bytes,
            Paths::Rebuilt(bytes) => bytes,
        }
    }
}

/// The `link` extension: the shared index, the entries of it this file
/// deletes, and those it replaces (by its own first entries, in order).
struct Link {
    shared: Oid,
    delete: Bits,
    replace: Bits,
}

/// A bitmap's set bits as ascending runs: a run of a billion set bits
/// costs one range, whatever the file claims.
#[derive(Default)]
struct Bits {
    runs: Vec<Range<usize>>,
    /// For [`Bits::take`]: the first run not yet passed.
    at: usize,
}

impl Bits {
    /// Whether bit `i` is set; asked with ascending `i`.
    fn take(&mut self, i: usize) -> bool {
        while self.runs.get(self.at).is_some_and(|r| r.end <= i) {
            self.at += 1;
        }
        self.runs.get(self.at).is_some_and(|r| r.contains(&i))
    }

    /// How many set bits lie at or after `i`.
    fn left_from(&self, i: usize) -> usize {
        self.runs.iter().map(|r| r.end.saturating_sub(r.start.max(i))).sum()
    }

    fn push(&mut self, run: Range<usize>) {
        match self.runs.last_mut() {
            Some(last) if last.end == run.start => last.end = run.end,
            _ if run.is_empty() => {}
            _ => self.runs.push(run),
        }
    }
}

/// A path staged with content that HEAD does not have there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub path: Vec<u8>,
    pub new: Oid,
    /// The blob HEAD has at that path, if any.
    pub old: Option<Oid>,
}

/// What the index stages against HEAD.
pub struct StagedDiff {
    pub staged: Vec<Staged>,
    /// Some path of HEAD is gone or changed and a new file is not an
    /// identical copy of one: it may be a rename or copy that only a
    /// similarity search can tell.
    pub may_pair: bool,
}

/// Blobs of HEAD read to pair identical renames, at most: a deleted tree
/// larger than this leaves its new files to the similarity search.
const GONE_LIMIT: usize = 100_000;

impl Index {
    /// Reads the index at `path`, with the shared index a split index
    /// amends (in the first of `git_dirs` that has it: a linked worktree's
    /// own git directory, then the common one); `None` for anything this
    /// reader does not follow.
    pub fn read(git_dirs: &[&std::path::Path], path: &std::path::Path) -> Option<Index> {
        let index = Index::parse(FileBytes::read(path).ok()?)?;
        match &index.link {
            None => Some(index),
            Some(link) if link.shared.is_zero() => Some(index),
            Some(link) => {
                let name = format!("sharedindex.{}", link.shared);
                let bytes = git_dirs.iter().find_map(|dir| FileBytes::read(&dir.join(&name)).ok())?;
                let shared = Index::parse(bytes)?;
                if shared.link.is_some() {
                    return None;
                }
                index.amend(shared)
            }
        }
    }

    /// A split index applied to its shared index: the entries it deletes
    /// dropped, those it replaces taken from it (a replacing entry may leave
    /// its path out), its other entries added, all in path order.
    fn amend(mut self, shared: Index) -> Option<Index> {
        let mut link = self.link.take()?;
        let mut paths = Vec::with_capacity(shared.paths.len() + self.paths.len());
        let mut entries = Vec::with_capacity(shared.entries.len() + self.entries.len());
        let mut own = 0..self.entries.len();
        for (i, entry) in shared.entries.iter().enumerate() {
            let (entry, mut path) = if link.replace.take(i) {
                let j = own.next()?;
                (&self.entries[j], self.path(j))
            } else {
                (entry, shared.path(i))
            };
            if link.delete.take(i) {
                continue;
            }
            if path.is_empty() {
                path = shared.path(i);
            }
            entries.push(Entry { path: append(&mut paths, path)?, ..entry.clone() });
        }
        if link.replace.left_from(shared.entries.len()) > 0 {
            return None;
        }
        for j in own {
            entries.push(Entry { path: append(&mut paths, self.path(j))?, ..self.entries[j].clone() });
        }
        entries.sort_by(|a, b| paths[span(&a.path)].cmp(&paths[span(&b.path)]));
        Some(Index { entries, paths: Paths::Rebuilt(paths), cache: self.cache, link: None })
    }

    /// Parses an index file; `None` for anything this reader does not
    /// follow, or bytes that are not a well-formed index.
    pub fn parse(file: FileBytes) -> Option<Index> {
        let bytes: &[u8] = &file;
        if bytes.len() > MAX_INDEX_BYTES || bytes.len() < 12 + OID || &bytes[..4] != b"DIRC" {
            return None;
        }
        let version = be32(bytes, 4)?;
        if !(2..=4).contains(&version) {
            return None;
        }
        let count = be32(bytes, 8)? as usize;
        let body = &bytes[..bytes.len() - OID];
        // The count comes from the file: it sizes nothing beyond the file.
        let mut entries = Vec::with_capacity(count.min(body.len() / ENTRY_FIXED));
        let mut rebuilt = Vec::new();
        let mut at = 12;
        let mut previous = 0..0;
        for _ in 0..count {
            let fixed = body.get(at..at + ENTRY_FIXED)?;
            let mode = be32(fixed, 24)?;
            let id = Oid::from_bytes(&fixed[40..60]).ok()?;
            let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
            let stage = (flags >> 12) & 0b11;
            let mut next = at + ENTRY_FIXED;
            let mut intent_to_add = false;
            if flags & 0x4000 != 0 {
                let extended = body.get(next..next + 2)?;
                let extended = u16::from_be_bytes([extended[0], extended[1]]);
                intent_to_add = extended & 0x2000 != 0;
                next += 2;
            }
            let path = if version == 4 {
                let (strip, used) = varint(body.get(next..)?)?;
                next += used;
                let suffix = nul_terminated(body, next)?;
                let kept = previous.len().checked_sub(strip)?;
                let start = rebuilt.len();
                rebuilt.extend_from_within(previous.start..previous.start + kept);
                rebuilt.extend_from_slice(&body[suffix.clone()]);
                next = suffix.end + 1;
                start..rebuilt.len()
            } else {
                let name = nul_terminated(body, next)?;
                // Entries are padded with NULs to a multiple of 8 bytes.
                next = at + (name.end - at + 8) / 8 * 8;
                name
            };
            if stage != 0 || mode == 0o040000 {
                // Unmerged entries, or a sparse index's directory entries.
                return None;
            }
            previous = path.clone();
            entries.push(Entry { path: narrow(path)?, mode, id, intent_to_add });
            at = next;
        }
        let mut cache = None;
        let mut link = None;
        while at + 8 <= body.len() {
            let signature = &body[at..at + 4];
            let size = be32(body, at + 4)? as usize;
            let data = body.get(at + 8..(at + 8).checked_add(size)?)?;
            match signature {
                b"TREE" => cache = parse_cache_tree(data),
                b"link" => link = Some(parse_link(data)?),
                // Sparse directories: not followed.
                b"sdir" => return None,
                _ => {}
            }
            at += 8 + size;
        }
        let paths = if version == 4 { Paths::Rebuilt(rebuilt) } else { Paths::InFile(file) };
        Some(Index { entries, paths, cache, link })
    }

    fn path(&self, entry: usize) -> &[u8] {
        &self.paths[span(&self.entries[entry].path)]
    }

    /// What the index stages against `head` (`None` before the first
    /// commit): the entries whose content differs from HEAD's, skipping
    /// every directory whose cache-tree id is HEAD's.
    /// `None` when a directory nests deeper than this reader follows.
    pub fn staged(&self, repo: &Repository, head: Option<Oid>) -> Result<Option<StagedDiff>, git2::Error> {
        let mut diff = StagedDiff { staged: Vec::new(), may_pair: false };
        let mut walk = Walk { repo, index: self, gone: HashSet::new(), gone_whole: true, too_deep: false };
        walk.directory(&mut diff, b"", 0..self.entries.len(), head, self.cache.as_ref(), 0)?;
        if walk.too_deep {
            return Ok(None);
        }
        // A new file identical to a blob HEAD had at a path now gone or
        // changed is a rename or copy: its old content is its own.
        let mut unpaired = false;
        for staged in diff.staged.iter_mut().filter(|s| s.old.is_none()) {
            if walk.gone.contains(&staged.new) {
                staged.old = Some(staged.new);
            } else {
                unpaired = true;
            }
        }
        diff.may_pair = diff.may_pair && (unpaired || !walk.gone_whole);
        Ok(Some(diff))
    }
}

struct Walk<'a> {
    repo: &'a Repository,
    index: &'a Index,
    /// Blobs HEAD had at paths the index deletes or changes.
    gone: HashSet<Oid>,
    /// `gone` holds all of them (no deleted tree was too large to read).
    gone_whole: bool,
    /// A directory nests deeper than [`MAX_WALK_DEPTH`].
    too_deep: bool,
}

/// Directories nested deeper than this are left to libgit2, whose diff
/// keeps its place on the heap: this walk recurses once a directory, and
/// a pre-commit hook runs it on the main thread (1 MiB of stack on Windows).
const MAX_WALK_DEPTH: usize = 256;

impl Walk<'_> {
    /// Compares the entries in `range` (all under `prefix`) with HEAD's
    /// tree `head` of that directory.
    fn directory(
        &mut self,
        diff: &mut StagedDiff,
        prefix: &[u8],
        range: Range<usize>,
        head: Option<Oid>,
        cache: Option<&CacheNode>,
        depth: usize,
    ) -> Result<(), git2::Error> {
        if self.too_deep || depth > MAX_WALK_DEPTH {
            self.too_deep = true;
            return Ok(());
        }
        if let (Some(head), Some(cached)) = (head, cache.and_then(|c| c.id))
            && head == cached
        {
            return Ok(());
        }
        // HEAD's entries here, by name, each marked once the index has it.
        let tree = match head {
            Some(head) => Some(self.repo.find_tree(head)?),
            None => None,
        };
        let in_head: Vec<git2::TreeEntry> = tree.iter().flat_map(|t| t.iter()).collect();
        let by_name: HashMap<&[u8], usize> = in_head.iter().enumerate().map(|(i, e)| (e.name_bytes(), i)).collect();
        let mut seen = vec![false; in_head.len()];
        // Whether HEAD has `name` here, and its id if it is a `kind`.
        let mut take = |name: &[u8], kind: ObjectType| match by_name.get(name) {
            Some(&at) => {
                seen[at] = true;
                (true, (in_head[at].kind() == Some(kind)).then(|| in_head[at].id()))
            }
            None => (false, None),
        };
        let mut i = range.start;
        while i < range.end {
            let rest = &self.index.path(i)[prefix.len()..];
            match memchr::memchr(b'/', rest) {
                None => {
                    let entry = &self.index.entries[i];
                    let (head_has_it, old_blob) = take(rest, ObjectType::Blob);
                    let is_content = entry.mode != 0o160000 && !entry.intent_to_add;
                    if old_blob != Some(entry.id) && is_content {
                        if head_has_it {
                            diff.may_pair = true;
                            self.gone.extend(old_blob);
                        }
                        diff.staged.push(Staged { path: self.index.path(i).to_vec(), new: entry.id, old: old_blob });
                    }
                    i += 1;
                }
                Some(slash) => {
                    let name = &rest[..slash];
                    let mut sub_prefix = prefix.to_vec();
                    sub_prefix.extend_from_slice(name);
                    sub_prefix.push(b'/');
                    let end = i
                        + (i..range.end).map(|j| self.index.path(j)).take_while(|p| p.starts_with(&sub_prefix)).count();
                    let (_, sub_head) = take(name, ObjectType::Tree);
                    let sub_cache = cache.and_then(|c| c.children.iter().find(|n| n.name == name));
                    self.directory(diff, &sub_prefix, i..end, sub_head, sub_cache, depth + 1)?;
                    i = end;
                }
            }
        }
        // A path of HEAD the index no longer has here: deleted (or renamed).
        for (entry, _) in in_head.iter().zip(&seen).filter(|(_, seen)| !**seen) {
            diff.may_pair = true;
            match entry.kind() {
                Some(ObjectType::Blob) => {
                    self.gone.insert(entry.id());
                }
                Some(ObjectType::Tree) => self.gone_tree(entry.id())?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Every blob of a tree HEAD had where the index has nothing, up to
    /// [`GONE_LIMIT`].
    /// Without recursion (a deleted tree may nest thousands deep), and each
    /// subtree once (a crafted one may hold the same subtree many times).
    fn gone_tree(&mut self, id: Oid) -> Result<(), git2::Error> {
        let mut trees = vec![id];
        let mut seen = HashSet::from([id]);
        while let Some(id) = trees.pop() {
            for entry in self.repo.find_tree(id)?.iter() {
                match entry.kind() {
                    Some(ObjectType::Blob) if self.gone.len() >= GONE_LIMIT => {
                        self.gone_whole = false;
                        return Ok(());
                    }
                    Some(ObjectType::Blob) => {
                        self.gone.insert(entry.id());
                    }
                    Some(ObjectType::Tree) if seen.insert(entry.id()) => trees.push(entry.id()),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// A path's place in an index's paths, as an [`Entry`] keeps it.
fn narrow(range: Range<usize>) -> Option<Range<u32>> {
    Some(u32::try_from(range.start).ok()?..u32::try_from(range.end).ok()?)
}

fn span(range: &Range<u32>) -> Range<usize> {
    range.start as usize..range.end as usize
}

/// Appends `path` to `paths`; where it went.
fn append(paths: &mut Vec<u8>, path: &[u8]) -> Option<Range<u32>> {
    let start = paths.len();
    paths.extend_from_slice(path);
    narrow(start..paths.len())
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The bytes from `at` up to (not including) the next NUL.
fn nul_terminated(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    let len = memchr::memchr(0, bytes.get(at..)?)?;
    Some(at..at + len)
}

/// Git's offset varint (as in index v4 path compression): its value and
/// how many bytes it took.
fn varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value: usize = 0;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        if i > 0 {
            value = value.checked_add(1)?.checked_mul(128)?;
        }
        value |= usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The `link` extension: the shared index's id, then the delete and the
/// replace bitmaps, each EWAH-compressed.
fn parse_link(data: &[u8]) -> Option<Link> {
    let shared = Oid::from_bytes(data.get(..OID)?).ok()?;
    let mut at = OID;
    let delete = ewah_bits(data, &mut at)?;
    let replace = ewah_bits(data, &mut at)?;
    Some(Link { shared, delete, replace })
}

/// The set bits of git's EWAH bitmap at `at` (bit count, word count,
/// 64-bit words, last run word's position).
fn ewah_bits(data: &[u8], at: &mut usize) -> Option<Bits> {
    let bits = be32(data, *at)? as usize;
    let words = be32(data, *at + 4)? as usize;
    let body = data.get(*at + 8..(*at + 8).checked_add(words.checked_mul(8)?)?)?;
    *at += 8 + words * 8 + 4;
    let word = |i: usize| u64::from_be_bytes(body[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let mut set = Bits::default();
    let (mut i, mut position) = (0, 0usize);
    while i < words {
        let marker = word(i);
        i += 1;
        let running = (marker >> 1) & 0xffff_ffff;
        let literals = (marker >> 33) as usize;
        let run_bits = (running as usize).checked_mul(64)?;
        if marker & 1 == 1 {
            set.push(position.min(bits)..position.checked_add(run_bits)?.min(bits));
        }
        position = position.checked_add(run_bits)?;
        for _ in 0..literals {
            if i >= words {
                return None;
            }
            let literal = word(i);
            i += 1;
            for bit in 0..64 {
                if literal >> bit & 1 == 1 && position + bit < bits {
                    set.push(position + bit..position + bit + 1);
                }
            }
            position += 64;
        }
    }
    Some(set)
}

/// The TREE extension: nodes in pre-order, each `name NUL count SP
/// subtrees LF [id]`, a count of -1 marking an invalidated directory.
fn parse_cache_tree(data: &[u8]) -> Option<CacheNode> {
    fn node(data: &[u8], at: &mut usize, depth: usize) -> Option<CacheNode> {
        if depth > MAX_WALK_DEPTH {
            return None;
        }
        let name = nul_terminated(data, *at)?;
        let line_start = name.end + 1;
        let line_end = line_start + memchr::memchr(b'\n', data.get(line_start..)?)?;
        let line = std::str::from_utf8(&data[line_start..line_end]).ok()?;
        let (count, subtrees) = line.split_once(' ')?;
        let count: i64 = count.parse().ok()?;
        let subtrees: usize = subtrees.parse().ok()?;
        *at = line_end + 1;
        let id = if count >= 0 {
            let id = Oid::from_bytes(data.get(*at..*at + OID)?).ok()?;
            *at += OID;
            Some(id)
        } else {
            None
        };
        // Each child takes at least a few bytes: the count cannot size more.
        let mut children = Vec::with_capacity(subtrees.min(data.len() / 4));
        for _ in 0..subtrees {
            children.push(node(data, at, depth + 1)?);
        }
        Some(CacheNode { name: data[name].to_vec(), id, children })
    }
    let mut at = 0;
    node(data, &mut at, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_gits_offset_encoding() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x81, 0x7f]), Some((383, 2)));
        assert_eq!(varint(&[0x80; 12]), None);
    }

    #[test]
    fn ewah_runs_and_literals_decode_to_bit_ranges() {
        // 130 bits: a run word (ones, 2 words long, 1 literal after it),
        // then a literal with bit 1 set; then the last run word's position.
        let run_word: u64 = 1 | (2 << 1) | (1 << 33);
        let mut data = Vec::new();
        data.extend(130u32.to_be_bytes());
        data.extend(2u32.to_be_bytes());
        data.extend(run_word.to_be_bytes());
        data.extend(2u64.to_be_bytes());
        data.extend(0u32.to_be_bytes());
        let mut at = 0;
        let mut bits = ewah_bits(&data, &mut at).expect("a bitmap");
        assert_eq!(at, data.len());
        assert_eq!(bits.runs, vec![0..128, 129..130]);
        assert!(bits.take(0) && bits.take(127) && !bits.take(128) && bits.take(129));
        let mut huge = data.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        huge[8..16].copy_from_slice(&(1 | (u64::from(u32::MAX) << 1)).to_be_bytes());
        let bits = ewah_bits(&huge, &mut 0).expect("a bitmap");
        assert!(bits.runs.len() <= 2, "a run of billions of bits is one range");
    }

    /// Every truncation and every flipped byte of real index files (as git
    /// writes them: versions 2 and 4, split) parses or is refused, never
    /// panics, and never sizes an allocation by a damaged count.
    #[test]
    fn damaged_indexes_are_refused_without_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git").args(args).current_dir(dir.path()).output().unwrap();
            assert!(status.status.success(), "git {args:?}");
        };
        git(&["init", "-q"]);
        for i in 0..12 {
            let path = dir.path().join(format!("d{}/sub/f{i}.txt", i % 3));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, format!("{i}\n")).unwrap();
        }
        git(&["add", "-A"]);
        git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "x"]);
        for flavour in [&["update-index", "--index-version", "4"][..], &["update-index", "--split-index"]] {
            git(flavour);
            std::fs::write(dir.path().join("d0/new.txt"), "n\n").unwrap();
            git(&["add", "-A"]);
            let bytes = std::fs::read(dir.path().join(".git/index")).unwrap();
            assert!(parse(&bytes).is_some(), "{flavour:?}");
            for len in 0..bytes.len() {
                let _ = parse(&bytes[..len]);
            }
            for at in 0..bytes.len() {
                let mut damaged = bytes.clone();
                damaged[at] ^= 0xff;
                let _ = parse(&damaged);
            }
        }
    }

    #[test]
    fn damaged_or_foreign_bytes_are_not_an_index() {
        assert!(parse(b"").is_none());
        assert!(parse(&[b'D'; 40]).is_none());
        let mut fake = b"DIRC\0\0\0\x02\xff\xff\xff\xff".to_vec();
        fake.extend([0u8; 40]);
        assert!(parse(&fake).is_none(), "a huge entry count over a few bytes");
    }

    fn parse(bytes: &[u8]) -> Option<Index> {
        Index::parse(FileBytes::Read(bytes.to_vec()))
    }
}
