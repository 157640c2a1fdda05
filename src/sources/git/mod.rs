//! Git as a source, on libgit2 (vendored; no network): whole histories
//! (every blob reachable from any ref, each read once), the changes a range
//! of commits made, and the changes staged in the index.

mod blobs;
mod changes;
mod history;
mod objects;
pub mod pack;
mod provenance;

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use git2::{Oid, Repository};

pub use blobs::BlobReader;
pub use changes::{Change, Range, added_lines, range_changes, resolve_range, staged_changes};
pub use history::{BlobRef, CommitGraph, walk_all};
pub use objects::Objects;
pub use pack::{PackPosition, PackSet};
pub use provenance::{Introduction, Provenance, trace};

use crate::findings::{Commit, rfc3339};

/// Opens the repository holding `path`: a work tree, any directory in it,
/// a bare repository or a linked worktree.
pub fn open(path: &Path) -> anyhow::Result<Repository> {
    // libgit2 re-hashes every object it reads to check it; git does not, and
    // for a scan that reads every blob it is a quarter of the time. A
    // corrupt object still fails to inflate, and is reported.
    git2::opts::strict_hash_verification(false);
    if !path.exists() {
        return Err(anyhow!("{}: No such file or directory", path.display()));
    }
    Repository::discover(path).map_err(|e| anyhow!("{}: not a git repository ({})", path.display(), e.message()))
}

/// Where paths in the repository are relative to: its work tree, or for a
/// bare repository the repository itself.
pub fn root(repo: &Repository) -> PathBuf {
    repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf()
}

/// Who made a commit and when, for reports.
pub fn commit_info(repo: &Repository, id: Oid) -> Commit {
    match repo.find_commit(id) {
        Ok(commit) => {
            let author = commit.author();
            let when = author.when();
            Commit {
                id: id.to_string(),
                author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
                date: rfc3339(when.seconds(), when.offset_minutes()),
            }
        }
        Err(_) => Commit { id: id.to_string(), author: String::new(), email: String::new(), date: String::new() },
    }
}

/// Object ids are already uniformly random: hash them by their first bytes.
#[derive(Default)]
pub struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut head = [0u8; 8];
        let n = bytes.len().min(8);
        head[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(head);
    }

    // The length a slice hashes before its bytes carries nothing here.
    fn write_usize(&mut self, _: usize) {}
}

pub type OidSet = HashSet<Oid, BuildHasherDefault<OidHasher>>;
pub type OidMap<V> = std::collections::HashMap<Oid, V, BuildHasherDefault<OidHasher>>;
