//! What a whole-history scan remembers of a repository between runs, for
//! incremental audits: the refs' tips, every commit walked and blob
//! scanned, and where each blob that held a secret was introduced. Never
//! a secret: the few blobs that held one are read again, and their
//! findings rebuilt, each run.
//!
//! The caller (the audit's state directory) keys it on everything that
//! changes what a scan finds — rules, options, sqscan's version — and
//! hands an empty one when any of it changed.

use std::collections::BTreeMap;
use std::sync::Mutex;

use git2::Oid;
use serde::{Deserialize, Serialize};

use crate::findings::Commit;

/// One run's memory of a repository.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Memory {
    /// Ref → commit (or the object a tag names) at the end of the run.
    pub tips: BTreeMap<String, String>,
    /// The run read everything the tips reach: a later run with the same
    /// tips has nothing new to read.
    pub complete: bool,
    /// Every commit walked, sorted (not serialised here: see `blobs`).
    #[serde(skip)]
    pub commits: Vec<Oid>,
    /// Every blob scanned, or skipped for a reason the same options would
    /// give again (binary, too large), sorted. Stored apart, 20 bytes each.
    #[serde(skip)]
    pub blobs: Vec<Oid>,
    /// Each blob that held a finding, at each path a commit put it,
    /// oldest first.
    pub hits: Vec<Hit>,
    /// (blob, path) pairs of `hits` that HEAD holds.
    pub at_head: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Hit {
    pub blob: String,
    pub path: String,
    /// `None` for a blob reachable only from a tag naming it or its tree.
    pub commit: Option<Commit>,
}

/// What a history scan is given of a repository, and what it learned.
#[derive(Debug, Default)]
pub struct Ledger {
    pub prior: Memory,
    learned: Mutex<Option<Memory>>,
}

impl Ledger {
    pub fn new(prior: Memory) -> Ledger {
        Ledger { prior, learned: Mutex::new(None) }
    }

    pub(super) fn learn(&self, memory: Memory) {
        *self.learned.lock().unwrap_or_else(|p| p.into_inner()) = Some(memory);
    }

    /// What the scan learned; `None` when it did not finish.
    pub fn learned(&self) -> Option<Memory> {
        self.learned.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Object ids as stored: 20 bytes each, sorted.
pub fn encode_ids(ids: &[Oid]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(ids.len() * 20);
    for id in ids {
        bytes.extend_from_slice(id.as_bytes());
    }
    bytes
}

/// Reads back [`encode_ids`]; `None` when the bytes are not a whole
/// number of ids.
pub fn decode_ids(bytes: &[u8]) -> Option<Vec<Oid>> {
    if !bytes.len().is_multiple_of(20) {
        return None;
    }
    bytes.chunks_exact(20).map(|chunk| Oid::from_bytes(chunk).ok()).collect()
}
