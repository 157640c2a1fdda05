//! Reading one blob for scanning, and every reason not to: too large (known
//! from the object header, before reading), missing (a partial clone),
//! corrupt, a Git LFS pointer (the content lives elsewhere), or binary.

use std::borrow::Cow;

use git2::{ErrorCode, ObjectType, Oid, Repository};

use crate::sources::{SkipReason, content};

/// Reads blobs; one per worker thread, each with its own repository handle.
pub struct BlobReader {
    repo: Repository,
    max_size: u64,
    scan_binary: bool,
}

/// What a Git LFS pointer file starts with.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";
/// Pointer files are small; anything larger is content.
const LFS_POINTER_MAX: usize = 1024;

impl BlobReader {
    pub fn open(path: &std::path::Path, max_size: u64, scan_binary: bool) -> Result<BlobReader, git2::Error> {
        Ok(BlobReader { repo: Repository::open(path)?, max_size, scan_binary })
    }

    /// Calls `scan` with the blob's text, or says why it was skipped.
    pub fn read<R>(&self, oid: Oid, scan: impl FnOnce(&[u8]) -> R) -> Result<R, SkipReason> {
        let (size, kind) = self.repo.odb().and_then(|odb| odb.read_header(oid)).map_err(unreadable)?;
        if kind != ObjectType::Blob {
            return Err(SkipReason::Unreadable(format!("object {oid} is a {kind}, not a blob")));
        }
        if size as u64 > self.max_size {
            return Err(SkipReason::TooLarge { size: size as u64, limit: self.max_size });
        }
        let blob = self.repo.find_blob(oid).map_err(unreadable)?;
        let bytes = blob.content();
        if bytes.len() <= LFS_POINTER_MAX && bytes.starts_with(LFS_POINTER) {
            return Err(SkipReason::LfsPointer);
        }
        let text: Cow<[u8]> = content::text(bytes, self.scan_binary).ok_or(SkipReason::Binary)?;
        Ok(scan(&text))
    }

    pub fn repo(&self) -> &Repository {
        &self.repo
    }
}

fn unreadable(error: git2::Error) -> SkipReason {
    if error.code() == ErrorCode::NotFound {
        SkipReason::Missing
    } else {
        SkipReason::Unreadable(error.message().to_string())
    }
}
