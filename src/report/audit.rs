//! An audit's report: incidents across every repository, and each
//! repository's coverage. The JSON format is this model field for field
//! (README: "Audit JSON"); `sqscan merge` reads shard reports back into
//! it, combines them, and writes any format from the whole, so that a
//! sharded audit reports exactly what one run would have.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::incident::Incident;

pub const AUDIT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditReport {
    pub version: u32,
    pub tool: ToolRecord,
    pub incidents: Vec<Incident>,
    pub repositories: Vec<RepositoryReport>,
    /// Each organization, group or project listed, and whether the
    /// listing was whole.
    #[serde(default)]
    pub enumerations: Vec<Enumeration>,
    pub stats: AuditStats,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ToolRecord {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything the repository holds was read.
    Complete,
    /// Some of it could not be read, or the clone does not hold it all
    /// (shallow, blobless, treeless): `reason` says what.
    Partial,
    /// Not scanned at all: `reason` says why.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Partial => "partial",
            Status::Failed => "failed",
        }
    }
}

/// What a clone holds of its repository's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CloneKind {
    Full,
    /// Commits beyond a depth are missing (`--depth`).
    Shallow,
    /// Blobs are fetched on demand (`--filter=blob:none`).
    Blobless,
    /// Trees and blobs are fetched on demand (`--filter=tree:0`).
    Treeless,
    /// Some other partial-clone filter.
    Partial,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RepositoryReport {
    /// The identity: normalised remote URL, or absolute path.
    pub repository: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub clone: CloneKind,
    /// Objects the history names that the clone does not hold.
    pub missing_objects: u64,
    /// Ref → commit, as scanned.
    pub tips: BTreeMap<String, String>,
    /// Blobs read and scanned in this run.
    pub blobs_scanned: u64,
    /// Blobs scanned by an earlier run under the same rules (`--state`),
    /// not read again.
    pub blobs_reused: u64,
    pub blobs_skipped: u64,
    pub bytes: u64,
    /// Locations reported in this repository.
    pub findings: u64,
    pub suppressed: u64,
    /// Skips by kind (`binary`, `missing`, …).
    pub skipped: BTreeMap<String, u64>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Enumeration {
    /// `github`, `gitlab` or `azure-devops`.
    pub forge: String,
    /// The organization, user, group or project, as given.
    pub target: String,
    /// Repositories listed (before sharding).
    pub listed: u64,
    /// Left out: archived, forks, disabled (opt-in flags include them).
    pub excluded: BTreeMap<String, u64>,
    /// Why the listing stopped before its end (a rate limit, a 401…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditStats {
    pub repositories: u64,
    pub complete: u64,
    pub partial: u64,
    pub failed: u64,
    pub blobs_scanned: u64,
    pub blobs_reused: u64,
    pub blobs_skipped: u64,
    pub bytes: u64,
    pub incidents: u64,
    pub locations: u64,
    pub suppressed: u64,
    /// A repository failed or is partial, or a listing stopped early.
    pub incomplete: bool,
    pub elapsed_ms: u64,
    /// `K/N` for one shard's report; absent for a whole audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl AuditReport {
    /// A report of these parts, its stats summed from them.
    pub fn new(
        mut incidents: Vec<Incident>,
        mut repositories: Vec<RepositoryReport>,
        mut enumerations: Vec<Enumeration>,
        elapsed_ms: u64,
        shard: Option<String>,
    ) -> AuditReport {
        incidents.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        repositories.sort_by(|a, b| a.repository.cmp(&b.repository));
        enumerations.sort_by(|a, b| (&a.forge, &a.target).cmp(&(&b.forge, &b.target)));
        let count = |status| repositories.iter().filter(|r| r.status == status).count() as u64;
        let sum = |field: fn(&RepositoryReport) -> u64| repositories.iter().map(field).sum::<u64>();
        let stats = AuditStats {
            repositories: repositories.len() as u64,
            complete: count(Status::Complete),
            partial: count(Status::Partial),
            failed: count(Status::Failed),
            blobs_scanned: sum(|r| r.blobs_scanned),
            blobs_reused: sum(|r| r.blobs_reused),
            blobs_skipped: sum(|r| r.blobs_skipped),
            bytes: sum(|r| r.bytes),
            incidents: incidents.len() as u64,
            locations: incidents.iter().map(|i| i.locations.len() as u64).sum(),
            suppressed: sum(|r| r.suppressed),
            incomplete: repositories.iter().any(|r| r.status != Status::Complete)
                || enumerations.iter().any(|e| e.stopped.is_some()),
            elapsed_ms,
            shard,
        };
        AuditReport {
            version: AUDIT_VERSION,
            tool: ToolRecord { name: "sqscan".to_string(), version: env!("CARGO_PKG_VERSION").to_string() },
            incidents,
            repositories,
            enumerations,
            stats,
        }
    }

    /// One report from the reports of an audit's shards: the same
    /// incidents, repositories and stats as one unsharded run (elapsed
    /// is the longest shard's). A repository in two parts (two runs of
    /// one shard) keeps its last report.
    pub fn merge(parts: Vec<AuditReport>) -> AuditReport {
        let mut incidents: BTreeMap<String, Incident> = BTreeMap::new();
        let mut repositories: BTreeMap<String, RepositoryReport> = BTreeMap::new();
        let mut enumerations: BTreeMap<(String, String), Enumeration> = BTreeMap::new();
        let mut elapsed = 0;
        for part in parts {
            elapsed = elapsed.max(part.stats.elapsed_ms);
            for incident in part.incidents {
                match incidents.get_mut(&incident.fingerprint) {
                    Some(known) => known.absorb(incident),
                    None => {
                        incidents.insert(incident.fingerprint.clone(), incident);
                    }
                }
            }
            for repository in part.repositories {
                repositories.insert(repository.repository.clone(), repository);
            }
            // Every shard lists the same organization; a listing that
            // stopped early in any shard stopped early for the audit.
            for enumeration in part.enumerations {
                let key = (enumeration.forge.clone(), enumeration.target.clone());
                match enumerations.get_mut(&key) {
                    Some(known) if known.stopped.is_none() && enumeration.stopped.is_some() => *known = enumeration,
                    Some(_) => {}
                    None => {
                        enumerations.insert(key, enumeration);
                    }
                }
            }
        }
        AuditReport::new(
            incidents.into_values().collect(),
            repositories.into_values().collect(),
            enumerations.into_values().collect(),
            elapsed,
            None,
        )
    }

    /// Why the audit is incomplete, if it is.
    pub fn incomplete(&self) -> Option<String> {
        let mut why = Vec::new();
        if self.stats.failed > 0 {
            why.push(format!("{} repositories failed", self.stats.failed));
        }
        if self.stats.partial > 0 {
            why.push(format!("{} repositories were read in part", self.stats.partial));
        }
        let stopped = self.enumerations.iter().filter(|e| e.stopped.is_some()).count();
        if stopped > 0 {
            why.push(format!("{stopped} listings stopped early"));
        }
        (!why.is_empty()).then(|| why.join(", "))
    }
}
