//! Objects read straight from pack files, in pack order.
//!
//! libgit2 reads each object on its own and rebuilds it from the bottom of
//! its delta chain every time. A history scan reads every blob, so it pays
//! to read them in the order the pack stores them and to keep what was just
//! built: most deltas then apply to a base rebuilt moments before, once.
//! Anything this does not handle (loose objects, unusual index versions)
//! is left to libgit2 by the caller.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use flate2::{Decompress, FlushDecompress, Status};
use git2::{ObjectType, Oid};

use super::files::{FileBytes, read_at, regular_file_length};
use super::sound::{Identity, SoundPacks};

/// Where an object sits: which pack, at which offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackPosition {
    pub pack: usize,
    pub offset: u64,
}

/// Every pack of a repository (and of its alternates), indexed.
pub struct PackSet {
    packs: Vec<Pack>,
}

struct Pack {
    path: PathBuf,
    file: File,
    /// The index file, mapped.
    index: FileBytes,
    /// Where the object ids are, sorted and each once.
    ids: Ids,
    /// Offsets, in the order of the ids.
    offsets: Vec<u64>,
    /// Every valid entry offset, sorted, then the trailer's: an entry's
    /// data runs to the next entry.
    ends: Vec<u64>,
    /// The type of the entry at each of `ends` once a reader has found it
    /// (0 until then; a delta's is its base's), shared by every reader.
    kinds: Vec<AtomicU8>,
    /// Where the entries end and the trailer starts.
    trailer: u64,
}

/// An index's object ids: in the index, where git writes them sorted, 20
/// bytes each from [`IDX_HEADER`]; or, for an index that does not list
/// them in order (or lists one twice), a sorted copy without repeats, so
/// that a binary search finds every object it holds.
enum Ids {
    InIndex,
    Sorted(Vec<u8>),
}

/// A packed object as [`PackSet::in_pack_order`] lists it: its pack, and
/// its place in that pack's index (8 bytes, where its position and id
/// would take 40).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    pack: u32,
    index: u32,
}

/// A read failure, worded for a skip reason.
#[derive(Debug)]
pub struct PackError(pub String);

impl PackSet {
    /// Indexes every `*.pack` under `objects/pack` of `git_dir` and of its
    /// alternates. Packs whose index this reader does not understand are
    /// left out (their objects then read through libgit2); damaged ones
    /// (see [`damaged_packs`]) are read with bounds checks.
    pub fn open(git_dir: &Path) -> PackSet {
        PackSet { packs: index_files(git_dir).iter().filter_map(|idx| Pack::open(idx).ok()).collect() }
    }

    /// No packs: every object is read through libgit2. For reading a few
    /// objects, where indexing every pack would cost more than it saves.
    pub fn empty() -> PackSet {
        PackSet { packs: Vec::new() }
    }

    /// Where `oid` is stored in a pack, if it is: the first pack whose
    /// index places it where an entry can start (as [`PackSet::in_pack_order`]
    /// lists it).
    pub fn locate(&self, oid: Oid) -> Option<PackPosition> {
        let id = oid.as_bytes();
        self.packs.iter().enumerate().find_map(|(pack, p)| p.place(id).map(|offset| PackPosition { pack, offset }))
    }

    pub fn is_empty(&self) -> bool {
        self.packs.is_empty()
    }

    /// Every packed object once (the first pack holding it where an entry
    /// can start, as [`PackSet::locate`] finds it), in pack order.
    pub fn in_pack_order(&self) -> Vec<Packed> {
        let mut all = Vec::new();
        // Several packs may hold an object: each id is taken once.
        let mut seen: HashSet<&[u8]> = HashSet::new();
        let several = self.packs.len() > 1;
        for (pack, p) in self.packs.iter().enumerate() {
            let Ok(pack) = u32::try_from(pack) else { break };
            let start = all.len();
            all.extend(
                (0..p.offsets.len())
                    .filter(|&i| within(p.offsets[i], p.trailer))
                    .filter(|&i| !several || seen.insert(p.id(i)))
                    .filter_map(|i| Some(Packed { pack, index: u32::try_from(i).ok()? })),
            );
            all[start..].sort_unstable_by_key(|entry| p.offsets[entry.index as usize]);
        }
        all
    }

    /// Where a listed object sits.
    pub fn position(&self, entry: Packed) -> PackPosition {
        let pack = entry.pack as usize;
        PackPosition { pack, offset: self.packs[pack].offsets[entry.index as usize] }
    }

    /// A listed object's id.
    pub fn id(&self, entry: Packed) -> Oid {
        Oid::from_bytes(self.packs[entry.pack as usize].id(entry.index as usize)).unwrap_or(Oid::ZERO_SHA1)
    }
}

/// The repository's object directory and its alternates, recursively (as
/// deep as libgit2 follows them), each once.
pub(super) fn object_directories(git_dir: &Path) -> Vec<PathBuf> {
    /// libgit2's limit on alternates of alternates.
    const DEPTH: usize = 5;
    let mut directories = vec![git_dir.join("objects")];
    let mut next = 0;
    let mut depth = vec![0];
    while next < directories.len() {
        let objects = directories[next].clone();
        let level = depth[next];
        next += 1;
        if level >= DEPTH {
            continue;
        }
        let Some(text) = read_small_file(&objects.join("info/alternates")) else {
            continue;
        };
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let path = Path::new(line);
            let path = if path.is_absolute() { path.to_path_buf() } else { objects.join(path) };
            if !directories.contains(&path) {
                directories.push(path);
                depth.push(level + 1);
            }
        }
    }
    directories
}

/// A small text file of the repository's (an alternates list), if it is a
/// regular file of at most 64 KiB.
fn read_small_file(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    let length = regular_file_length(&file, path).ok()?;
    if length > 64 << 10 {
        return None;
    }
    let mut text = String::new();
    io::Read::read_to_string(&mut io::Read::take(file, 64 << 10), &mut text).ok()?;
    Some(text)
}

const IDX_MAGIC: &[u8] = b"\xfftOc";
/// A pack starts with `PACK`, a version and a count: 12 bytes.
const PACK_HEADER: u64 = 12;
/// SHA-1 ids and checksums.
const ID: usize = 20;
/// The magic, version and fan-out table of a version 2 index.
const IDX_HEADER: usize = 8 + 256 * 4;

/// What is wrong with a pack, found before anything reads from it. libgit2
/// must never see such a pack: it trusts index offsets and crashes on one
/// past the end of its pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub pack: PathBuf,
    pub why: String,
}

/// The layout of a version 2 index, from its header, with every size
/// checked against the file's.
struct IndexLayout {
    count: usize,
    offsets_at: usize,
    large_at: usize,
}

impl IndexLayout {
    fn read(idx: &Path, file: &File, length: u64) -> io::Result<IndexLayout> {
        let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {why}", idx.display()));
        let mut head = [0u8; IDX_HEADER];
        if read_at(file, &mut head, 0)? < IDX_HEADER || &head[..4] != IDX_MAGIC || head[4..8] != [0, 0, 0, 2] {
            return Err(bad("not a version 2 pack index"));
        }
        let fanout =
            |i: usize| u32::from_be_bytes([head[8 + i * 4], head[9 + i * 4], head[10 + i * 4], head[11 + i * 4]]);
        if (1..256).any(|i| fanout(i) < fanout(i - 1)) {
            return Err(bad("fan-out table out of order"));
        }
        let count = fanout(255) as usize;
        let offsets_at = IDX_HEADER + count * (ID + 4);
        let large_at = offsets_at + count * 4;
        // Two checksums end the file; between them and the small offsets
        // sit the large ones, 8 bytes each.
        let large_bytes = (length as usize).checked_sub(large_at + 2 * ID).ok_or_else(|| bad("truncated index"))?;
        if large_bytes % 8 != 0 || large_bytes / 8 > count {
            return Err(bad("index size does not match its object count"));
        }
        Ok(IndexLayout { count, offsets_at, large_at })
    }
}

/// Whether an entry can start at `offset` in a pack whose trailer starts
/// at `trailer`: past the pack header, before the trailer.
fn within(offset: u64, trailer: u64) -> bool {
    (PACK_HEADER..trailer).contains(&offset)
}

impl Pack {
    /// Reads a version 2 index (the only one git has written since 2008).
    /// A pack whose index points outside it, or whose checksum does not
    /// match, is damaged: it is still read here, entry by entry with
    /// bounds checks.
    fn open(idx: &Path) -> io::Result<Pack> {
        let index = File::open(idx)?;
        let length = regular_file_length(&index, idx)?;
        let layout = IndexLayout::read(idx, &index, length)?;
        let data = FileBytes::range(&index, 0, length)?;
        let path = idx.with_extension("pack");
        let file = File::open(&path)?;
        let pack_length = regular_file_length(&file, &path)?;
        let trailer = pack_length.saturating_sub(ID as u64);
        // Keep every offset, moving impossible ones where reading fails cleanly.
        let offsets = lenient_offsets(&layout, &data, trailer);
        // Where entries start, from every offset the index states.
        let mut ends: Vec<u64> = offsets.iter().copied().filter(|&o| o < trailer).collect();
        ends.sort_unstable();
        ends.dedup();
        ends.push(trailer);
        let listed = |i: usize| &data[IDX_HEADER + i * ID..IDX_HEADER + i * ID + ID];
        let (ids, offsets) = if (1..layout.count).all(|i| listed(i - 1) < listed(i)) {
            (Ids::InIndex, offsets)
        } else {
            let mut order: Vec<usize> = (0..layout.count).collect();
            order.sort_by(|&a, &b| listed(a).cmp(listed(b)).then(a.cmp(&b)));
            order.dedup_by(|a, b| listed(*a) == listed(*b));
            let ids = order.iter().flat_map(|&i| listed(i).iter().copied()).collect();
            (Ids::Sorted(ids), order.iter().map(|&i| offsets[i]).collect())
        };
        let kinds = ends.iter().map(|_| AtomicU8::new(0)).collect();
        Ok(Pack { path, file, index: data, ids, offsets, ends, kinds, trailer })
    }

    /// The `i`th object id, in id order.
    fn id(&self, i: usize) -> &[u8] {
        match &self.ids {
            Ids::InIndex => &self.index[IDX_HEADER + i * ID..IDX_HEADER + i * ID + ID],
            Ids::Sorted(ids) => &ids[i * ID..i * ID + ID],
        }
    }

    /// Where the type of the entry at `offset` is kept.
    fn kind_slot(&self, offset: u64) -> Option<&AtomicU8> {
        self.ends.binary_search(&offset).ok().map(|rank| &self.kinds[rank])
    }

    /// Where `id`'s entry starts, if this index has it where one can.
    fn place(&self, id: &[u8]) -> Option<u64> {
        self.find(id).filter(|&offset| within(offset, self.trailer))
    }

    fn find(&self, id: &[u8]) -> Option<u64> {
        let count = self.offsets.len();
        let (mut low, mut high) = (0, count);
        while low < high {
            let mid = (low + high) / 2;
            match self.id(mid).cmp(id) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(self.offsets[mid]),
            }
        }
        None
    }

    /// Where the entry at `offset` ends.
    fn end_of(&self, offset: u64) -> u64 {
        let next = self.ends.partition_point(|&o| o <= offset);
        self.ends.get(next).copied().unwrap_or(offset)
    }
}

/// Offsets as the index states them, impossible ones replaced by 0: the
/// pack's own header, where no entry starts, so reading one fails cleanly
/// (here and in libgit2, which finds no valid object type there).
fn lenient_offsets(layout: &IndexLayout, data: &[u8], trailer: u64) -> Vec<u64> {
    (0..layout.count).map(|i| stated_offset(layout, data, i).filter(|&o| within(o, trailer)).unwrap_or(0)).collect()
}

/// The offset the index states for its `i`th object.
fn stated_offset(layout: &IndexLayout, data: &[u8], i: usize) -> Option<u64> {
    let at = layout.offsets_at + i * 4;
    let small = u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?);
    full_offset(small, data.get(layout.large_at..)?)
}

/// A small-table entry as an offset: itself, or (high bit set) an index
/// into the large-offset table.
fn full_offset(small: u32, large: &[u8]) -> Option<u64> {
    if small & 0x8000_0000 == 0 {
        return Some(u64::from(small));
    }
    let at = (small & 0x7fff_ffff) as usize * 8;
    Some(u64::from_be_bytes(large.get(at..at + 8)?.try_into().ok()?))
}

/// A copy of a damaged pack's index that libgit2 can use safely: every
/// offset outside the pack points at the pack's first entry instead, and
/// the pack checksum is the one the pack ends with, so that libgit2 reads
/// what is intact. Reading a redirected object yields another object's
/// content, which libgit2's hash verification (on for damaged
/// repositories) refuses. `None` when the index cannot be parsed.
pub fn repaired_index(idx: &Path) -> Option<Vec<u8>> {
    let index = File::open(idx).ok()?;
    let length = regular_file_length(&index, idx).ok()?;
    let layout = IndexLayout::read(idx, &index, length).ok()?;
    let mut data = vec![0u8; usize::try_from(length).ok()?];
    if read_at(&index, &mut data, 0).ok()? < data.len() {
        return None;
    }
    let pack = File::open(idx.with_extension("pack")).ok()?;
    let pack_length = regular_file_length(&pack, &idx.with_extension("pack")).ok()?;
    let trailer = pack_length.checked_sub(ID as u64)?;
    for i in 0..layout.count {
        if !stated_offset(&layout, &data, i).is_some_and(|o| within(o, trailer)) {
            let at = layout.offsets_at + i * 4;
            data[at..at + 4].copy_from_slice(&(PACK_HEADER as u32).to_be_bytes());
        }
    }
    let mut checksum = [0u8; ID];
    if read_at(&pack, &mut checksum, trailer).ok()? < ID {
        return None;
    }
    let at = data.len() - 2 * ID;
    data[at..at + ID].copy_from_slice(&checksum);
    Some(data)
}

/// Whether a pack starts as a pack and ends with the checksum its index
/// names (a truncated or overwritten pack does not).
fn pack_damage(file: &File, expected_checksum: &[u8]) -> Result<(), String> {
    let mut head = [0u8; 8];
    let length = file.metadata().map_err(|e| e.to_string())?.len();
    if read_at(file, &mut head, 0).map_err(|e| e.to_string())? < 8 || &head[..4] != b"PACK" {
        return Err("not a pack file".to_string());
    }
    let mut checksum = [0u8; ID];
    let read = read_at(file, &mut checksum, length.saturating_sub(ID as u64)).map_err(|e| e.to_string())?;
    if read < ID || checksum[..] != *expected_checksum {
        return Err("its checksum does not match its index (truncated or overwritten)".to_string());
    }
    Ok(())
}

/// Checks every index of a repository (and its alternates) against its
/// pack, reading only headers, offsets and checksums, and the offsets
/// only of an index not found sound before (see `sound`). Returns the
/// damaged packs, and packs without an index.
pub fn damaged_packs(git_dir: &Path) -> Vec<Damage> {
    let mut damaged: Vec<Damage> = pack_files(git_dir)
        .into_iter()
        .filter(|pack| !pack.with_extension("idx").exists())
        .map(|pack| Damage { pack, why: "it has no index (git index-pack can rebuild one)".to_string() })
        .collect();
    let mut sound = SoundPacks::load();
    for idx in index_files(git_dir) {
        let path = idx.with_extension("pack");
        let mut check = || -> Result<(), String> {
            let index = File::open(&idx).map_err(|e| e.to_string())?;
            let length = regular_file_length(&index, &idx).map_err(|e| e.to_string())?;
            let layout = IndexLayout::read(&idx, &index, length).map_err(|e| e.to_string())?;
            let file = File::open(&path).map_err(|e| e.to_string())?;
            let trailer = regular_file_length(&file, &path).map_err(|e| e.to_string())?.saturating_sub(ID as u64);
            let identity = Identity::of(&index, &file);
            if identity.is_some_and(|id| sound.contains(id)) {
                let mut checksums = [0u8; 2 * ID];
                read_at(&index, &mut checksums, length - 2 * ID as u64).map_err(|e| e.to_string())?;
                return pack_damage(&file, &checksums[..ID]);
            }
            // Only the offset tables and the checksums, not the ids.
            let start = layout.offsets_at as u64;
            let bytes = FileBytes::range(&index, start, length - start).map_err(|e| e.to_string())?;
            let (offsets, tail) = bytes.split_at(layout.large_at - layout.offsets_at);
            let large = &tail[..tail.len() - 2 * ID];
            for block in offsets.chunks(64 << 10) {
                // Most blocks hold small offsets only: their extremes settle
                // them (a loop the compiler vectorises); others go one by one.
                let (low, high) = block
                    .chunks_exact(4)
                    .map(|e| u32::from_be_bytes([e[0], e[1], e[2], e[3]]))
                    .fold((u32::MAX, 0), |(low, high), v| (low.min(v), high.max(v)));
                if high & 0x8000_0000 == 0
                    && (block.len() < 4 || within(u64::from(low), trailer) && within(u64::from(high), trailer))
                {
                    continue;
                }
                for entry in block.chunks_exact(4) {
                    let small = u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]);
                    match full_offset(small, large) {
                        Some(offset) if within(offset, trailer) => {}
                        Some(offset) => {
                            return Err(format!(
                                "index offset {offset} lies outside its pack (which ends at {trailer})"
                            ));
                        }
                        None => return Err("large offset table too short".to_string()),
                    }
                }
            }
            pack_damage(&file, &tail[tail.len() - 2 * ID..tail.len() - ID])?;
            if let Some(identity) = identity {
                sound.add(identity);
            }
            Ok(())
        };
        if let Err(why) = check() {
            damaged.push(Damage { pack: path, why });
        }
    }
    sound.save();
    damaged
}

/// Every `*.idx` under `objects/pack` of `git_dir` and of its alternates, sorted per directory.
fn index_files(git_dir: &Path) -> Vec<PathBuf> {
    files_in_packs(git_dir, "idx")
}

fn pack_files(git_dir: &Path) -> Vec<PathBuf> {
    files_in_packs(git_dir, "pack")
}

fn files_in_packs(git_dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for objects in object_directories(git_dir) {
        let Ok(entries) = std::fs::read_dir(objects.join("pack")) else {
            continue;
        };
        let mut indexes: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == extension))
            .collect();
        indexes.sort();
        all.extend(indexes);
    }
    all
}

/// An object read from a pack.
#[derive(Clone)]
pub struct PackedObject {
    pub kind: ObjectType,
    pub data: Arc<[u8]>,
}

/// Reads objects from a [`PackSet`]; one per worker thread, each keeping
/// the objects it built last as bases for the next.
pub struct PackReader<'a> {
    set: &'a PackSet,
    cache: BaseCache,
    compressed: Vec<u8>,
    /// The largest object (or delta) this reader rebuilds: headers are
    /// untrusted, so no allocation is sized by one beyond this.
    limit: u64,
}

/// Objects larger than this are not kept as bases.
const CACHE_OBJECT_LIMIT: usize = 4 << 20;

impl<'a> PackReader<'a> {
    /// `cache_budget`: bytes of rebuilt objects kept for later deltas;
    /// `limit`: the largest object or delta it will rebuild.
    pub fn new(set: &'a PackSet, cache_budget: usize, limit: u64) -> PackReader<'a> {
        PackReader { set, cache: BaseCache::new(cache_budget), compressed: Vec::new(), limit }
    }

    /// The size of the object at `position` once rebuilt, read from its
    /// header (and, for a delta, from the start of the delta), cheaply.
    pub fn size(&mut self, position: PackPosition) -> Result<u64, PackError> {
        let entry = self.entry(position)?;
        if entry.base.is_none() {
            return Ok(entry.size);
        }
        // A delta starts with the base's size and then the result's.
        let head = self.inflate_head(position, &entry)?;
        let mut at = 0;
        varint(&head, &mut at)?;
        varint(&head, &mut at)
    }

    /// The type of the object at `position`, from entry headers alone: a
    /// delta's is its base's, followed down the chain (and remembered).
    pub fn kind(&mut self, position: PackPosition) -> Result<ObjectType, PackError> {
        let mut chain = Vec::new();
        let mut at = position;
        let kind = loop {
            if let Some(kind) = self.remembered_kind(at) {
                break kind;
            }
            let entry = self.entry(at)?;
            match entry.base {
                None => break entry.kind,
                Some(Base::Offset(base)) => {
                    chain.push(at);
                    at = PackPosition { pack: at.pack, offset: base };
                }
                Some(Base::Id(id)) => {
                    chain.push(at);
                    at = self.set.locate(id).ok_or_else(|| PackError(format!("delta base {id} is not in a pack")))?;
                }
            }
            if chain.len() > 10_000 {
                return Err(PackError("delta chain too long".to_string()));
            }
        };
        for delta in chain {
            self.remember_kind(delta, kind);
        }
        self.remember_kind(at, kind);
        Ok(kind)
    }

    fn remembered_kind(&self, at: PackPosition) -> Option<ObjectType> {
        let slot = self.set.packs.get(at.pack)?.kind_slot(at.offset)?;
        match slot.load(Ordering::Relaxed) {
            0 => None,
            raw => ObjectType::from_raw(raw.into()),
        }
    }

    fn remember_kind(&self, at: PackPosition, kind: ObjectType) {
        let slot = self.set.packs.get(at.pack).and_then(|p| p.kind_slot(at.offset));
        if let (Some(slot), Ok(raw)) = (slot, u8::try_from(kind.raw())) {
            slot.store(raw, Ordering::Relaxed);
        }
    }

    /// The largest object or delta this reader rebuilds.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The object at `position`, rebuilt.
    pub fn read(&mut self, position: PackPosition) -> Result<PackedObject, PackError> {
        // Walk down the chain to a cached or whole object, then apply the
        // deltas back up, keeping each result.
        let mut chain: Vec<(PackPosition, Entry)> = Vec::new();
        let mut at = position;
        let mut object = loop {
            if let Some(found) = self.cache.get(at) {
                break found;
            }
            let entry = self.entry(at)?;
            match entry.base {
                None => {
                    let data: Arc<[u8]> = self.inflate_whole(at, &entry)?.into();
                    let object = PackedObject { kind: entry.kind, data };
                    self.cache.put(at, &object);
                    break object;
                }
                Some(Base::Offset(base)) => {
                    chain.push((at, entry));
                    at = PackPosition { pack: at.pack, offset: base };
                }
                Some(Base::Id(id)) => {
                    let base =
                        self.set.locate(id).ok_or_else(|| PackError(format!("delta base {id} is not in a pack")))?;
                    chain.push((at, entry));
                    at = base;
                }
            }
            if chain.len() > 10_000 {
                return Err(PackError("delta chain too long".to_string()));
            }
        };
        while let Some((at, entry)) = chain.pop() {
            let delta = self.inflate_whole(at, &entry)?;
            let data: Arc<[u8]> = apply_delta(&object.data, &delta, self.limit)?.into();
            object = PackedObject { kind: object.kind, data };
            self.cache.put(at, &object);
        }
        Ok(object)
    }

    fn entry(&mut self, position: PackPosition) -> Result<Entry, PackError> {
        let pack = self.pack(position)?;
        if !within(position.offset, pack.trailer) {
            return Err(PackError(format!("{}: the index places this object outside the pack", pack.path.display())));
        }
        let mut head = [0u8; 32];
        let read = read_at(&pack.file, &mut head, position.offset).map_err(|e| io_error(pack, &e))?;
        let head = &head[..read];
        let mut at = 0;
        let mut byte = *head.first().ok_or_else(|| truncated(pack))?;
        let code = (byte >> 4) & 7;
        let mut size = u64::from(byte & 15);
        let mut shift = 4;
        while byte & 0x80 != 0 {
            at += 1;
            byte = *head.get(at).ok_or_else(|| truncated(pack))?;
            size = add_bits(size, byte, shift).ok_or_else(|| corrupt(pack, position, "object size overflows"))?;
            shift += 7;
        }
        at += 1;
        let (kind, base) = match code {
            1 => (ObjectType::Commit, None),
            2 => (ObjectType::Tree, None),
            3 => (ObjectType::Blob, None),
            4 => (ObjectType::Tag, None),
            6 => {
                let overflow = || corrupt(pack, position, "delta base offset overflows");
                let mut byte = *head.get(at).ok_or_else(|| truncated(pack))?;
                let mut distance = u64::from(byte & 0x7f);
                while byte & 0x80 != 0 {
                    at += 1;
                    byte = *head.get(at).ok_or_else(|| truncated(pack))?;
                    distance = distance
                        .checked_add(1)
                        .and_then(|d| d.checked_mul(128))
                        .map(|d| d | u64::from(byte & 0x7f))
                        .ok_or_else(overflow)?;
                }
                at += 1;
                let base = position.offset.checked_sub(distance).filter(|&b| b >= PACK_HEADER).ok_or_else(overflow)?;
                (ObjectType::Any, Some(Base::Offset(base)))
            }
            7 => {
                let id = head.get(at..at + ID).ok_or_else(|| truncated(pack))?;
                at += ID;
                let id = Oid::from_bytes(id).map_err(|e| PackError(e.message().to_string()))?;
                (ObjectType::Any, Some(Base::Id(id)))
            }
            other => return Err(PackError(format!("{}: unknown entry type {other}", pack.path.display()))),
        };
        if size > self.limit {
            return Err(PackError(format!(
                "{}: entry at offset {} claims {size} bytes, more than the {} this scan rebuilds",
                pack.path.display(),
                position.offset,
                self.limit
            )));
        }
        Ok(Entry { kind, size, base, data_at: position.offset + at as u64 })
    }

    /// Inflates an entry's data whole. Its header's size is a claim: the
    /// output grows as data really inflates, and never past that size.
    fn inflate_whole(&mut self, position: PackPosition, entry: &Entry) -> Result<Vec<u8>, PackError> {
        let (out, complete) = self.inflate(position, entry, declared(entry))?;
        if !complete {
            let pack = self.pack(position)?;
            return Err(corrupt(pack, position, "data does not inflate to its stated size"));
        }
        Ok(out)
    }

    /// The first bytes of an entry's data (a delta's two size headers).
    fn inflate_head(&mut self, position: PackPosition, entry: &Entry) -> Result<Vec<u8>, PackError> {
        const HEAD: usize = 32;
        Ok(self.inflate(position, entry, declared(entry).min(HEAD))?.0)
    }

    /// Inflates at most `want` bytes of an entry's data; says whether that
    /// was all of it, exactly as large as its header says.
    fn inflate(&mut self, position: PackPosition, entry: &Entry, want: usize) -> Result<(Vec<u8>, bool), PackError> {
        /// Output is grown from here, doubling, up to `want`.
        const FIRST: usize = 64 << 10;
        let pack = self.pack(position)?;
        let end = pack.end_of(position.offset);
        let length = usize::try_from(end.saturating_sub(entry.data_at)).map_err(|_| truncated(pack))?;
        // A prefix needs little input: its bytes and a block header.
        let input = if want < declared(entry) { length.min(want + 512) } else { length };
        self.compressed.resize(input, 0);
        let read = read_at(&pack.file, &mut self.compressed, entry.data_at).map_err(|e| io_error(pack, &e))?;
        let compressed = &self.compressed[..read];
        let mut out: Vec<u8> = Vec::with_capacity(want.min(FIRST));
        let mut inflater = Decompress::new(true);
        loop {
            if out.len() == out.capacity() {
                if out.len() < want {
                    out.reserve_exact(out.len().max(FIRST).min(want - out.len()));
                } else if want < declared(entry) {
                    return Ok((out, false));
                } else {
                    // Exactly the stated size: one byte of room tells a
                    // stream that ends here from one that goes on.
                    out.reserve_exact(1);
                }
            }
            let before = (inflater.total_in(), out.len());
            let status = inflater
                .decompress_vec(&compressed[before.0 as usize..], &mut out, FlushDecompress::None)
                .map_err(|e| PackError(format!("{}: corrupt entry: {e}", pack.path.display())))?;
            let complete = out.len() as u64 == entry.size;
            if status == Status::StreamEnd {
                return Ok((out, complete));
            }
            // More than the header claims (a lie, maybe a bomb), or no
            // progress with room to spare (the input ran out).
            if out.len() as u64 > entry.size || (inflater.total_in(), out.len()) == before {
                return Ok((out, false));
            }
        }
    }

    fn pack(&self, position: PackPosition) -> Result<&'a Pack, PackError> {
        self.set.packs.get(position.pack).ok_or_else(|| PackError("no such pack".to_string()))
    }
}

/// An entry's stated size, as a length (entries are capped far below
/// `usize::MAX` when read).
fn declared(entry: &Entry) -> usize {
    usize::try_from(entry.size).unwrap_or(usize::MAX)
}

struct Entry {
    /// The object's type; `Any` for a delta (it is its base's).
    kind: ObjectType,
    /// Bytes once inflated: the object, or the delta.
    size: u64,
    base: Option<Base>,
    data_at: u64,
}

enum Base {
    Offset(u64),
    Id(Oid),
}

fn truncated(pack: &Pack) -> PackError {
    PackError(format!("{}: truncated entry", pack.path.display()))
}

fn corrupt(pack: &Pack, position: PackPosition, why: &str) -> PackError {
    PackError(format!("{}: corrupt entry at offset {}: {why}", pack.path.display(), position.offset))
}

/// `value` with the low 7 bits of `byte` put in at `shift`; `None` where
/// they would not fit in 64 bits (a varint from a hostile header).
fn add_bits(value: u64, byte: u8, shift: u32) -> Option<u64> {
    let bits = u64::from(byte & 0x7f);
    if bits == 0 {
        return Some(value);
    }
    if shift >= 64 || bits.leading_zeros() < shift {
        return None;
    }
    Some(value | bits << shift)
}

fn io_error(pack: &Pack, error: &io::Error) -> PackError {
    PackError(format!("{}: {error}", pack.path.display()))
}

/// A delta's size header: 7 bits a byte, low first, at most 64 bits.
fn varint(data: &[u8], at: &mut usize) -> Result<u64, PackError> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *data.get(*at).ok_or_else(|| PackError("truncated delta".to_string()))?;
        *at += 1;
        value = add_bits(value, byte, shift).ok_or_else(|| PackError("delta size overflows".to_string()))?;
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// Applies a git delta to `base`. The result may be no larger than the
/// delta says, nor than `limit`; every copy is checked against both.
fn apply_delta(base: &[u8], delta: &[u8], limit: u64) -> Result<Vec<u8>, PackError> {
    let bad = || PackError("corrupt delta".to_string());
    let mut at = 0;
    let base_size = varint(delta, &mut at)?;
    let result_size = varint(delta, &mut at)?;
    if base_size != base.len() as u64 {
        return Err(bad());
    }
    if result_size > limit {
        return Err(PackError(format!(
            "delta result of {result_size} bytes, more than the {limit} this scan rebuilds"
        )));
    }
    let result_size = usize::try_from(result_size).map_err(|_| bad())?;
    // Each op adds at most 16 MiB; the result is built as ops arrive.
    let mut out = Vec::with_capacity(result_size.min(base.len() + delta.len()));
    while at < delta.len() {
        let op = delta[at];
        at += 1;
        let piece = if op & 0x80 != 0 {
            let mut offset = 0usize;
            let mut size = 0usize;
            for i in 0..4 {
                if op & (1 << i) != 0 {
                    offset |= usize::from(*delta.get(at).ok_or_else(bad)?) << (8 * i);
                    at += 1;
                }
            }
            for i in 0..3 {
                if op & (0x10 << i) != 0 {
                    size |= usize::from(*delta.get(at).ok_or_else(bad)?) << (8 * i);
                    at += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            base.get(offset..offset.checked_add(size).ok_or_else(bad)?).ok_or_else(bad)?
        } else if op != 0 {
            let size = usize::from(op);
            let piece = delta.get(at..at + size).ok_or_else(bad)?;
            at += size;
            piece
        } else {
            return Err(bad());
        };
        if out.len() + piece.len() > result_size {
            return Err(bad());
        }
        out.extend_from_slice(piece);
    }
    if out.len() != result_size {
        return Err(bad());
    }
    Ok(out)
}

/// Rebuilt objects kept as delta bases, up to a budget of bytes. Eviction
/// gives a second chance (the clock algorithm): a base used since it was
/// last passed over stays, so the bases many deltas share (a directory's
/// tree across thousands of commits) outlive those used once.
struct BaseCache {
    budget: usize,
    used: usize,
    order: VecDeque<PackPosition>,
    objects: HashMap<PackPosition, (PackedObject, bool)>,
}

impl BaseCache {
    fn new(budget: usize) -> BaseCache {
        BaseCache { budget, used: 0, order: VecDeque::new(), objects: HashMap::new() }
    }

    fn get(&mut self, at: PackPosition) -> Option<PackedObject> {
        let (object, used) = self.objects.get_mut(&at)?;
        *used = true;
        Some(object.clone())
    }

    fn put(&mut self, at: PackPosition, object: &PackedObject) {
        let size = object.data.len();
        if size > CACHE_OBJECT_LIMIT || size > self.budget || self.objects.contains_key(&at) {
            return;
        }
        while self.used + size > self.budget {
            let Some(oldest) = self.order.pop_front() else { break };
            let Some((_, used)) = self.objects.get_mut(&oldest) else { continue };
            if std::mem::take(used) {
                self.order.push_back(oldest);
            } else if let Some((evicted, _)) = self.objects.remove(&oldest) {
                self.used -= evicted.data.len();
            }
        }
        self.order.push_back(at);
        self.objects.insert(at, (object.clone(), false));
        self.used += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_copy_and_insert() {
        let base = b"hello, world";
        // base size 12, result size 11: copy "hello" (offset 0, size 5), insert "!!", copy "world"? no: insert " you".
        let delta = [12, 11, 0x90, 5, 6, b',', b' ', b'y', b'o', b'u', b'!'];
        assert_eq!(apply_delta(base, &delta, 1 << 20).unwrap(), b"hello, you!");
        assert!(apply_delta(b"short", &delta, 1 << 20).is_err(), "wrong base size");
        assert!(apply_delta(base, &[12, 5, 0x90, 50], 1 << 20).is_err(), "copy past the end of the base");
        assert!(apply_delta(base, &delta, 10).is_err(), "larger than the limit");
        // A result size of 2^63: refused before anything is allocated.
        let mut huge = vec![12];
        huge.extend([0x80; 9]);
        huge.push(0x01);
        assert!(apply_delta(base, &huge, u64::MAX).is_err());
        // Ops that would write past the stated result size.
        assert!(apply_delta(base, &[12, 2, 0x90, 12], 1 << 20).is_err());
    }

    #[test]
    fn varints_that_overflow_64_bits_are_refused() {
        let mut at = 0;
        assert_eq!(varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], &mut at).unwrap(), u64::MAX);
        let mut at = 0;
        assert!(varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], &mut at).is_err());
        let mut at = 0;
        assert!(varint(&[0x80; 20], &mut at).is_err());
    }

    #[test]
    fn a_cache_keeps_within_its_budget() {
        let mut cache = BaseCache::new(10);
        let object = |n: usize| PackedObject { kind: ObjectType::Blob, data: vec![0; n].into() };
        let at = |offset| PackPosition { pack: 0, offset };
        cache.put(at(1), &object(4));
        cache.put(at(2), &object(4));
        cache.put(at(3), &object(4));
        assert!(cache.get(at(1)).is_none() && cache.get(at(3)).is_some());
        assert!(cache.used <= 10);
        cache.put(at(4), &object(11));
        assert!(cache.get(at(4)).is_none(), "larger than the budget");
    }
}
