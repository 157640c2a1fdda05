//! Reading git objects: from packs through [`PackReader`] (fast, with its
//! base cache), else through libgit2 (loose objects, anything a pack
//! reader could not handle). One per thread.

use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};

use super::pack::{PackError, PackPosition, PackReader, PackSet};

/// Bytes kept per reader as delta bases.
const CACHE_BUDGET: usize = 64 << 20;

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
    pub fn new(packs: &'a PackSet, repo: Repository) -> Objects<'a> {
        Objects { packs, reader: PackReader::new(packs, CACHE_BUDGET), repo }
    }

    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The object `oid`, at `position` when known.
    pub fn read(&mut self, oid: Oid, position: Option<PackPosition>) -> Result<(ObjectType, Arc<[u8]>), ReadError> {
        if let Some(position) = position.or_else(|| self.packs.locate(oid))
            && let Ok(object) = self.reader.read(position)
        {
            return Ok((object.kind, object.data));
        }
        // Loose, or a pack entry this reader could not rebuild: libgit2
        // decides, and words the error.
        let odb = self.repo.odb().map_err(|e| ReadError::Corrupt(e.message().to_string()))?;
        let object = odb.read(oid).map_err(|e| {
            if e.code() == git2::ErrorCode::NotFound {
                ReadError::Missing
            } else {
                ReadError::Corrupt(e.message().to_string())
            }
        })?;
        Ok((object.kind(), Arc::from(object.data())))
    }

    /// The size of the object `oid` without rebuilding it, where cheap.
    pub fn size(&mut self, oid: Oid, position: Option<PackPosition>) -> Option<u64> {
        let position = position.or_else(|| self.packs.locate(oid))?;
        self.reader.size(position).ok()
    }
}

impl From<PackError> for ReadError {
    fn from(error: PackError) -> ReadError {
        ReadError::Corrupt(error.0)
    }
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
    let mut rest = data;
    std::iter::from_fn(move || {
        let space = rest.iter().position(|&b| b == b' ')?;
        let nul = space + rest[space..].iter().position(|&b| b == 0)?;
        let id = Oid::from_bytes(rest.get(nul + 1..nul + 21)?).ok()?;
        let mode = &rest[..space];
        let kind = match mode {
            b"40000" | b"040000" => ObjectType::Tree,
            b"160000" => ObjectType::Commit,
            _ => ObjectType::Blob,
        };
        let entry = TreeEntry { kind, name: &rest[space + 1..nul], id };
        rest = &rest[nul + 21..];
        Some(entry)
    })
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
}
