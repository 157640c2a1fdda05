//! Reading git objects: from packs through [`PackReader`] (fast, with its
//! base cache), else through libgit2 (loose objects, anything a pack
//! reader could not handle). One per thread.

use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};

use super::pack::{PackError, PackPosition, PackReader, PackSet};

/// Bytes a reader of trees and commits (the history walk, tracing) keeps
/// as delta bases: trees delta against trees read long before.
pub const STRUCTURE_CACHE: usize = 16 << 20;
/// Bytes a blob reader keeps: blobs come in pack order, each delta's base
/// read just before it.
pub const BLOB_CACHE: usize = 4 << 20;
/// The largest object rebuilt whatever `--max-file-size` says: trees,
/// commits and delta bases must be rebuilt to read what depends on them,
/// and no real one comes near this.
pub const STRUCTURE_LIMIT: u64 = 256 << 20;

pub struct Objects<'a> {
    packs: &'a PackSet,
    reader: PackReader<'a>,
    repo: Repository,
}

/// Why an object could not be read.
#[derive(Debug)]
pub enum ReadError {
    Missing,
    Corrupt(String),
}

impl<'a> Objects<'a> {
    /// `max_blob`: the largest blob a caller will scan; objects up to the
    /// larger of it and [`STRUCTURE_LIMIT`] are rebuilt, no larger.
    /// `cache`: bytes of rebuilt objects kept as delta bases.
    pub fn new(packs: &'a PackSet, repo: Repository, max_blob: u64, cache: usize) -> Objects<'a> {
        Objects { packs, reader: PackReader::new(packs, cache, max_blob.max(STRUCTURE_LIMIT)), repo }
    }

    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The object `oid`, at `position` when known.
    pub fn read(&mut self, oid: Oid, position: Option<PackPosition>) -> Result<(ObjectType, Arc<[u8]>), ReadError> {
        let mut packed_error = None;
        if let Some(position) = position.or_else(|| self.packs.locate(oid)) {
            match self.reader.read(position) {
                Ok(object) => return Ok((object.kind, object.data)),
                Err(error) => packed_error = Some(error),
            }
        }
        // Loose, or a pack entry this reader could not rebuild: libgit2
        // decides (it never sees a damaged pack), and words the error,
        // unless the pack reader already said what is wrong.
        let odb = self.repo.odb().map_err(|e| ReadError::Corrupt(e.message().to_string()))?;
        let too_large = |size: usize| size as u64 > self.reader.limit();
        match odb.read_header(oid) {
            Ok((size, _)) if too_large(size) => {
                return Err(ReadError::Corrupt(format!(
                    "object {oid} claims {size} bytes, more than this scan rebuilds"
                )));
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                return Err(packed_error.map_or(ReadError::Missing, ReadError::from));
            }
            _ => {}
        }
        let object = odb.read(oid).map_err(|e| match packed_error.take() {
            Some(packed) => ReadError::from(packed),
            None if e.code() == git2::ErrorCode::NotFound => ReadError::Missing,
            None => ReadError::Corrupt(e.message().to_string()),
        })?;
        Ok((object.kind(), Arc::from(object.data())))
    }

    /// The type of the packed object at `position`, without rebuilding it.
    pub fn kind(&mut self, position: PackPosition) -> Option<ObjectType> {
        self.reader.kind(position).ok()
    }

    /// The size of the object `oid` without rebuilding it, where cheap.
    pub fn size(&mut self, oid: Oid, position: Option<PackPosition>) -> Option<u64> {
        match position.or_else(|| self.packs.locate(oid)) {
            Some(position) => self.reader.size(position).ok(),
            None => self.repo.odb().ok()?.read_header(oid).ok().map(|(size, _)| size as u64),
        }
    }
}

impl From<PackError> for ReadError {
    fn from(error: PackError) -> ReadError {
        ReadError::Corrupt(error.0)
    }
}

/// What a commit object says that a scan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitFields {
    pub tree: Oid,
    pub parents: Vec<Oid>,
    /// `Name <email> seconds offset`, as written.
    pub author: Option<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
    pub seconds: i64,
    pub offset_minutes: i32,
}

/// Parses a commit object's header; `None` if it is not one.
pub fn parse_commit(data: &[u8]) -> Option<CommitFields> {
    let mut tree = None;
    let mut parents = Vec::new();
    let mut author = None;
    for line in data.split(|&b| b == b'\n') {
        if line.is_empty() {
            break;
        }
        if let Some(hex) = line.strip_prefix(b"tree ") {
            tree = Some(hex_oid(hex)?);
        } else if let Some(hex) = line.strip_prefix(b"parent ") {
            parents.push(hex_oid(hex)?);
        } else if let Some(signature) = line.strip_prefix(b"author ") {
            author = parse_signature(signature);
        }
    }
    Some(CommitFields { tree: tree?, parents, author })
}

/// What an annotated tag names: its object and that object's type.
pub fn parse_tag(data: &[u8]) -> Option<(Oid, ObjectType)> {
    let mut object = None;
    let mut kind = None;
    for line in data.split(|&b| b == b'\n').take_while(|l| !l.is_empty()) {
        if let Some(hex) = line.strip_prefix(b"object ") {
            object = Some(hex_oid(hex)?);
        } else if let Some(name) = line.strip_prefix(b"type ") {
            kind = ObjectType::from_str(std::str::from_utf8(name).ok()?);
        }
    }
    Some((object?, kind?))
}

fn hex_oid(hex: &[u8]) -> Option<Oid> {
    Oid::from_str(std::str::from_utf8(hex).ok()?).ok().filter(|_| hex.len() == 40)
}

/// `Name <email> 1700000000 +0100`.
fn parse_signature(text: &[u8]) -> Option<Signature> {
    let open = text.iter().position(|&b| b == b'<')?;
    let close = open + text[open..].iter().position(|&b| b == b'>')?;
    let name = String::from_utf8_lossy(text[..open].trim_ascii()).into_owned();
    let email = String::from_utf8_lossy(&text[open + 1..close]).into_owned();
    let when = std::str::from_utf8(&text[close + 1..]).ok()?;
    let mut parts = when.split_ascii_whitespace();
    let seconds = parts.next()?.parse().ok()?;
    let offset = parts.next().unwrap_or("+0000");
    let (sign, digits) = offset.split_at_checked(1)?;
    let value: i32 = digits.parse().ok()?;
    let minutes = value / 100 * 60 + value % 100;
    Some(Signature { name, email, seconds, offset_minutes: if sign == "-" { -minutes } else { minutes } })
}

/// One entry of a tree object.
pub struct TreeEntry<'d> {
    pub kind: ObjectType,
    pub name: &'d [u8],
    pub id: Oid,
}

/// The entries of a tree object (`<mode> <name>\0<20-byte id>` each); stops
/// at the first malformed one.
pub fn tree_entries(data: &[u8]) -> impl Iterator<Item = TreeEntry<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || next_tree_entry(data, &mut at))
}

/// The tree entry at `at`, moving `at` past it.
pub fn next_tree_entry<'d>(data: &'d [u8], at: &mut usize) -> Option<TreeEntry<'d>> {
    let rest = data.get(*at..)?;
    let space = rest.iter().position(|&b| b == b' ')?;
    let nul = space + rest[space..].iter().position(|&b| b == 0)?;
    let id = Oid::from_bytes(rest.get(nul + 1..nul + 21)?).ok()?;
    let kind = match &rest[..space] {
        b"40000" | b"040000" => ObjectType::Tree,
        b"160000" => ObjectType::Commit,
        _ => ObjectType::Blob,
    };
    *at += nul + 21;
    Some(TreeEntry { kind, name: &rest[space + 1..nul], id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_entries_are_parsed() {
        let id = [7u8; 20];
        let mut data = Vec::new();
        for (mode, name) in [("100644", "a.txt"), ("40000", "src"), ("160000", "vendor"), ("120000", "link")] {
            data.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            data.extend_from_slice(&id);
        }
        let entries: Vec<(ObjectType, Vec<u8>)> = tree_entries(&data).map(|e| (e.kind, e.name.to_vec())).collect();
        assert_eq!(
            entries,
            [
                (ObjectType::Blob, b"a.txt".to_vec()),
                (ObjectType::Tree, b"src".to_vec()),
                (ObjectType::Commit, b"vendor".to_vec()),
                (ObjectType::Blob, b"link".to_vec()),
            ]
        );
        assert_eq!(tree_entries(&data[..30]).count(), 0, "a truncated entry ends the list");
    }

    #[test]
    fn commits_and_tags_are_parsed() {
        let tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
        let parent = "6dba1c50884adffa01738a06e8b26034a7e6592d";
        let text = format!(
            "tree {tree}\nparent {parent}\nauthor Ann Dev <ann@example.com> 1700000000 -0130\ncommitter X <x> 1 +0000\n\nmsg\nparent no\n"
        );
        let commit = parse_commit(text.as_bytes()).unwrap();
        assert_eq!(commit.tree.to_string(), tree);
        assert_eq!(commit.parents.len(), 1);
        let author = commit.author.unwrap();
        assert_eq!((author.name.as_str(), author.email.as_str()), ("Ann Dev", "ann@example.com"));
        assert_eq!((author.seconds, author.offset_minutes), (1_700_000_000, -90));
        assert!(parse_commit(b"parent x\n").is_none());
        let tag = format!("object {parent}\ntype commit\ntag v1\n\nmessage");
        assert_eq!(parse_tag(tag.as_bytes()), Some((Oid::from_str(parent).unwrap(), ObjectType::Commit)));
    }
}
