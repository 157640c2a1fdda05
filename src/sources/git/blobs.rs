//! Reading one blob for scanning, and every reason not to: too large (known
//! from the pack header, before rebuilding it), missing (a partial clone),
//! corrupt, a Git LFS pointer (the content lives elsewhere), or binary.

use git2::{ObjectType, Oid, Repository};

use super::objects::{self, Objects, ReadError};
use super::pack::{PackPosition, PackSet};
use crate::sources::SkipReason;
use crate::sources::content::Views;

/// Reads blobs; one per worker thread, each with its own repository handle
/// and pack base cache.
pub struct BlobReader<'a> {
    objects: Objects<'a>,
    max_size: u64,
    scan_binary: bool,
}

/// What a Git LFS pointer file starts with.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";
/// Pointer files are small; anything larger is content.
const LFS_POINTER_MAX: usize = 1024;

impl<'a> BlobReader<'a> {
    pub fn new(packs: &'a PackSet, repo: Repository, max_size: u64, scan_binary: bool) -> BlobReader<'a> {
        BlobReader { objects: Objects::new(packs, repo, max_size, objects::BLOB_CACHE), max_size, scan_binary }
    }

    /// Calls `scan` with the blob's views (its text, and a transcoding of
    /// UTF-16), or says why it was skipped. `position` is where the blob
    /// sits in a pack, when known.
    pub fn read<R>(
        &mut self,
        oid: Oid,
        position: Option<PackPosition>,
        scan: impl FnOnce(&Views) -> R,
    ) -> Result<R, SkipReason> {
        if let Some(size) = self.objects.size(oid, position)
            && size > self.max_size
        {
            return Err(SkipReason::TooLarge { size, limit: self.max_size });
        }
        let (kind, bytes) = self.objects.read(oid, position).map_err(|e| match e {
            ReadError::Missing => SkipReason::Missing,
            ReadError::Corrupt(why) => SkipReason::Unreadable(why),
        })?;
        if kind != ObjectType::Blob {
            return Err(SkipReason::Unreadable(format!("object {oid} is a {kind}, not a blob")));
        }
        if bytes.len() as u64 > self.max_size {
            return Err(SkipReason::TooLarge { size: bytes.len() as u64, limit: self.max_size });
        }
        if bytes.len() <= LFS_POINTER_MAX && bytes.starts_with(LFS_POINTER) {
            return Err(SkipReason::LfsPointer);
        }
        let views = Views::of(&bytes, self.scan_binary).ok_or(SkipReason::Binary)?;
        Ok(scan(&views))
    }

    /// The type of a packed object, from its headers alone.
    pub fn kind(&mut self, position: PackPosition) -> Option<ObjectType> {
        self.objects.kind(position)
    }

    pub fn repo(&self) -> &Repository {
        self.objects.repo()
    }
}
