//! Git as a source, on libgit2 (vendored; no network) and sqscan's own
//! pack reader: whole histories (every blob reachable from any ref, each
//! read once), the changes a range of commits made, and the changes staged
//! in the index. A caller opens a [`GitDir`] and builds one of the three
//! sources; everything else stays in here.

mod blobs;
mod changes;
mod files;
mod history;
mod index;
mod ledger;
mod objects;
pub mod pack;
mod provenance;
mod repository;
mod sound;
mod source;

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use git2::{ObjectType, Oid};

pub use changes::split_range;
pub use history::MAX_TREE_DEPTH;
pub use ledger::{Hit, Ledger, Memory, decode_ids, encode_ids};
pub use repository::{GitDir, normalised_url};
pub use source::{BlobOptions, CommitRange, StagedChanges, Unreachable, WholeHistory};

use objects::Objects;

use crate::findings::{Commit, rfc3339};

/// Who made a commit and when, for reports; blank where it cannot be read.
fn commit_info(objects: &mut Objects, id: Oid) -> Commit {
    let author = match objects.read(id, None) {
        Ok((ObjectType::Commit, data)) => objects::parse_commit(&data).and_then(|c| c.author),
        _ => None,
    };
    match author {
        Some(author) => Commit {
            id: id.to_string(),
            author: author.name,
            email: author.email,
            date: rfc3339(author.seconds, author.offset_minutes),
        },
        None => Commit { id: id.to_string(), author: String::new(), email: String::new(), date: String::new() },
    }
}

/// Object ids are already uniformly random: hash them by their first bytes.
#[derive(Default)]
struct OidHasher(u64);

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

type OidSet = HashSet<Oid, BuildHasherDefault<OidHasher>>;
type OidMap<V> = std::collections::HashMap<Oid, V, BuildHasherDefault<OidHasher>>;
