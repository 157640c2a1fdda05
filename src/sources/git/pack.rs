//! Objects read straight from pack files, in pack order.
//!
//! libgit2 reads each object on its own and rebuilds it from the bottom of
//! its delta chain every time. A history scan reads every blob, so it pays
//! to read them in the order the pack stores them and to keep what was just
//! built: most deltas then apply to a base rebuilt moments before, once.
//! Anything this does not handle (loose objects, unusual index versions)
//! is left to libgit2 by the caller.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::{Decompress, FlushDecompress, Status};
use git2::{ObjectType, Oid};

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
    /// Object ids, sorted, 20 bytes each.
    ids: Vec<u8>,
    /// Offsets, in the order of `ids`.
    offsets: Vec<u64>,
    /// Every entry's offset, sorted, then the trailer's: an entry's data
    /// runs to the next entry.
    ends: Vec<u64>,
}

/// A read failure, worded for a skip reason.
#[derive(Debug)]
pub struct PackError(pub String);

impl PackSet {
    /// Indexes every `*.pack` under `objects/pack` of `git_dir` and of its
    /// alternates. Packs whose index this reader does not understand are
    /// left out (their objects then read through libgit2).
    pub fn open(git_dir: &Path) -> PackSet {
        let mut packs = Vec::new();
        for objects in object_directories(git_dir) {
            let Ok(entries) = std::fs::read_dir(objects.join("pack")) else {
                continue;
            };
            let mut indexes: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect();
            indexes.sort();
            packs.extend(indexes.iter().filter_map(|idx| Pack::open(idx).ok()));
        }
        PackSet { packs }
    }

    /// No packs: every object is read through libgit2. For reading a few
    /// objects, where indexing every pack would cost more than it saves.
    pub fn empty() -> PackSet {
        PackSet { packs: Vec::new() }
    }

    /// Where `oid` is stored in a pack, if it is.
    pub fn locate(&self, oid: Oid) -> Option<PackPosition> {
        let id = oid.as_bytes();
        self.packs.iter().enumerate().find_map(|(pack, p)| p.find(id).map(|offset| PackPosition { pack, offset }))
    }

    pub fn is_empty(&self) -> bool {
        self.packs.is_empty()
    }
}

fn object_directories(git_dir: &Path) -> Vec<PathBuf> {
    let objects = git_dir.join("objects");
    let mut directories = vec![objects.clone()];
    if let Ok(text) = std::fs::read_to_string(objects.join("info/alternates")) {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let path = Path::new(line);
            directories.push(if path.is_absolute() { path.to_path_buf() } else { objects.join(path) });
        }
    }
    directories
}

const IDX_MAGIC: &[u8] = b"\xfftOc";

impl Pack {
    /// Reads a version 2 index (the only one git has written since 2008).
    fn open(idx: &Path) -> io::Result<Pack> {
        let data = std::fs::read(idx)?;
        let bad =
            || io::Error::new(io::ErrorKind::InvalidData, format!("{}: not a version 2 pack index", idx.display()));
        if data.len() < 8 + 1024 || &data[..4] != IDX_MAGIC || data[4..8] != [0, 0, 0, 2] {
            return Err(bad());
        }
        let be32 = |at: usize| -> io::Result<u32> {
            data.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok_or_else(bad)
        };
        let count = be32(8 + 255 * 4)? as usize;
        let ids_at = 8 + 1024;
        let offsets_at = ids_at + count * 20 + count * 4;
        let large_at = offsets_at + count * 4;
        if data.len() < large_at + 40 {
            return Err(bad());
        }
        let ids = data[ids_at..ids_at + count * 20].to_vec();
        let mut offsets = Vec::with_capacity(count);
        for i in 0..count {
            let small = be32(offsets_at + i * 4)?;
            let offset = if small & 0x8000_0000 == 0 {
                u64::from(small)
            } else {
                let at = large_at + (small & 0x7fff_ffff) as usize * 8;
                let bytes = data.get(at..at + 8).ok_or_else(bad)?;
                u64::from_be_bytes(bytes.try_into().map_err(|_| bad())?)
            };
            offsets.push(offset);
        }
        let path = idx.with_extension("pack");
        let file = File::open(&path)?;
        let trailer = file.metadata()?.len().saturating_sub(20);
        let mut ends = offsets.clone();
        ends.sort_unstable();
        ends.push(trailer);
        Ok(Pack { path, file, ids, offsets, ends })
    }

    fn find(&self, id: &[u8]) -> Option<u64> {
        let count = self.offsets.len();
        let (mut low, mut high) = (0, count);
        while low < high {
            let mid = (low + high) / 2;
            match self.ids[mid * 20..mid * 20 + 20].cmp(id) {
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
}

/// Objects larger than this are not kept as bases.
const CACHE_OBJECT_LIMIT: usize = 4 << 20;

impl<'a> PackReader<'a> {
    /// `cache_budget`: bytes of rebuilt objects kept for later deltas.
    pub fn new(set: &'a PackSet, cache_budget: usize) -> PackReader<'a> {
        PackReader { set, cache: BaseCache::new(cache_budget), compressed: Vec::new() }
    }

    /// The size of the object at `position` once rebuilt, read from its
    /// header (and, for a delta, from the start of the delta), cheaply.
    pub fn size(&mut self, position: PackPosition) -> Result<u64, PackError> {
        let entry = self.entry(position)?;
        if entry.base.is_none() {
            return Ok(entry.size);
        }
        // A delta starts with the base's size and then the result's.
        let head = self.inflate(position, &entry, Some(32))?;
        let mut at = 0;
        varint(&head, &mut at)?;
        varint(&head, &mut at)
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
                    let data: Arc<[u8]> = self.inflate(at, &entry, None)?.into();
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
            let delta = self.inflate(at, &entry, None)?;
            let data: Arc<[u8]> = apply_delta(&object.data, &delta)?.into();
            object = PackedObject { kind: object.kind, data };
            self.cache.put(at, &object);
        }
        Ok(object)
    }

    fn entry(&mut self, position: PackPosition) -> Result<Entry, PackError> {
        let pack = self.pack(position)?;
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
            size |= u64::from(byte & 0x7f) << shift;
            shift += 7;
        }
        at += 1;
        let (kind, base) = match code {
            1 => (ObjectType::Commit, None),
            2 => (ObjectType::Tree, None),
            3 => (ObjectType::Blob, None),
            4 => (ObjectType::Tag, None),
            6 => {
                let mut byte = *head.get(at).ok_or_else(|| truncated(pack))?;
                let mut distance = u64::from(byte & 0x7f);
                while byte & 0x80 != 0 {
                    at += 1;
                    byte = *head.get(at).ok_or_else(|| truncated(pack))?;
                    distance = ((distance + 1) << 7) | u64::from(byte & 0x7f);
                }
                at += 1;
                let base = position.offset.checked_sub(distance).ok_or_else(|| truncated(pack))?;
                (ObjectType::Any, Some(Base::Offset(base)))
            }
            7 => {
                let id = head.get(at..at + 20).ok_or_else(|| truncated(pack))?;
                at += 20;
                let id = Oid::from_bytes(id).map_err(|e| PackError(e.message().to_string()))?;
                (ObjectType::Any, Some(Base::Id(id)))
            }
            other => return Err(PackError(format!("{}: unknown entry type {other}", pack.path.display()))),
        };
        Ok(Entry { kind, size, base, data_at: position.offset + at as u64 })
    }

    /// Inflates an entry's data: all of it, or its first `limit` bytes.
    fn inflate(&mut self, position: PackPosition, entry: &Entry, limit: Option<usize>) -> Result<Vec<u8>, PackError> {
        let pack = self.set.packs.get(position.pack).ok_or_else(|| PackError("no such pack".to_string()))?;
        let end = pack.end_of(position.offset);
        let length = end.saturating_sub(entry.data_at) as usize;
        let want = limit.map_or(length, |limit| length.min(limit + 64));
        self.compressed.resize(want, 0);
        let read = read_at(&pack.file, &mut self.compressed, entry.data_at).map_err(|e| io_error(pack, &e))?;
        let size = limit.map_or(entry.size as usize, |limit| (entry.size as usize).min(limit));
        let mut out = Vec::with_capacity(size);
        let mut inflater = Decompress::new(true);
        let status = inflater
            .decompress_vec(&self.compressed[..read], &mut out, FlushDecompress::Finish)
            .map_err(|e| PackError(format!("{}: corrupt entry: {e}", pack.path.display())))?;
        let complete = status == Status::StreamEnd && out.len() as u64 == entry.size;
        if limit.is_none() && !complete {
            return Err(PackError(format!("{}: corrupt entry at offset {}", pack.path.display(), position.offset)));
        }
        Ok(out)
    }

    fn pack(&self, position: PackPosition) -> Result<&'a Pack, PackError> {
        self.set.packs.get(position.pack).ok_or_else(|| PackError("no such pack".to_string()))
    }
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

/// Reads into `buffer` from `offset` until it is full or the file ends.
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buffer.len() {
        match read_once(file, &mut buffer[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(unix)]
fn read_once(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_once(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}

fn truncated(pack: &Pack) -> PackError {
    PackError(format!("{}: truncated entry", pack.path.display()))
}

fn io_error(pack: &Pack, error: &io::Error) -> PackError {
    PackError(format!("{}: {error}", pack.path.display()))
}

fn varint(data: &[u8], at: &mut usize) -> Result<u64, PackError> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *data.get(*at).ok_or_else(|| PackError("truncated delta".to_string()))?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 || shift > 63 {
            return Ok(value);
        }
    }
}

/// Applies a git delta to `base`.
fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, PackError> {
    let bad = || PackError("corrupt delta".to_string());
    let mut at = 0;
    let base_size = varint(delta, &mut at)?;
    let result_size = varint(delta, &mut at)?;
    if base_size != base.len() as u64 {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(result_size as usize);
    while at < delta.len() {
        let op = delta[at];
        at += 1;
        if op & 0x80 != 0 {
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
            out.extend_from_slice(base.get(offset..offset + size).ok_or_else(bad)?);
        } else if op != 0 {
            let size = usize::from(op);
            out.extend_from_slice(delta.get(at..at + size).ok_or_else(bad)?);
            at += size;
        } else {
            return Err(bad());
        }
    }
    if out.len() as u64 != result_size {
        return Err(bad());
    }
    Ok(out)
}

/// Recently rebuilt objects, first in first out, within a byte budget.
struct BaseCache {
    budget: usize,
    used: usize,
    order: VecDeque<PackPosition>,
    objects: HashMap<PackPosition, PackedObject>,
}

impl BaseCache {
    fn new(budget: usize) -> BaseCache {
        BaseCache { budget, used: 0, order: VecDeque::new(), objects: HashMap::new() }
    }

    fn get(&self, at: PackPosition) -> Option<PackedObject> {
        self.objects.get(&at).cloned()
    }

    fn put(&mut self, at: PackPosition, object: &PackedObject) {
        let size = object.data.len();
        if size > CACHE_OBJECT_LIMIT || size > self.budget || self.objects.contains_key(&at) {
            return;
        }
        while self.used + size > self.budget {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(evicted) = self.objects.remove(&oldest) {
                self.used -= evicted.data.len();
            }
        }
        self.order.push_back(at);
        self.objects.insert(at, object.clone());
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
        assert_eq!(apply_delta(base, &delta).unwrap(), b"hello, you!");
        assert!(apply_delta(b"short", &delta).is_err(), "wrong base size");
        assert!(apply_delta(base, &[12, 5, 0x90, 50]).is_err(), "copy past the end of the base");
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
