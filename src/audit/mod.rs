//! `sqscan audit`: every repository of an organization, or of a list, or
//! under a directory, each history scanned through the same source as
//! `sqscan git`, their findings gathered into one incident per secret.
//!
//! The flow: listings (`forges`) and targets (`targets`) give
//! repositories; a shard (`shard`) keeps its own; `--jobs` workers each
//! take the next repository, mirror it if remote (`mirror`), recall what
//! an earlier run learned of it (`state`), scan it, record what it
//! learned, and log each step (`log`). One repository's failure is that
//! repository's `failed` entry, never the audit's end.

pub mod forges;
pub mod log;
pub mod mirror;
pub mod shard;
pub mod state;
pub mod targets;

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::json;

use crate::findings::{Finding, Origin};
use crate::report::Summary;
use crate::report::audit::{AuditReport, CloneKind, Enumeration, RepositoryReport, Status};
use crate::report::incident::incidents;
use crate::scan::{self, FailOn, Policy, Scanner};
use crate::sources::git::{BlobOptions, GitDir, Ledger, Unreachable, WholeHistory};
use crate::sources::{SkipReason, Skipped};
use crate::verify::Verifier;
use forges::{ListOptions, Query};
use log::AuditLog;
use shard::Shard;
use state::StateDir;
use targets::{Location, Repository};

/// An audit, planned: everything decided, nothing yet read.
pub struct Audit {
    pub targets: Vec<Repository>,
    pub queries: Vec<Query>,
    pub listing: ListOptions,
    /// Where remote repositories are mirrored.
    pub cache: PathBuf,
    pub state: Option<StateDir>,
    pub log: Option<AuditLog>,
    pub shard: Option<Shard>,
    /// Repositories scanned at once.
    pub jobs: usize,
    /// How each repository's blobs are read (its `threads` are its share).
    pub blobs: BlobOptions,
    /// Everything that changes what a scan finds: state is kept under it.
    pub digest: String,
    /// A bar on a terminal; a line per repository elsewhere; or nothing.
    pub progress: Progress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Bar,
    Lines,
    Quiet,
}

/// One repository's part of the audit.
struct Scanned {
    report: RepositoryReport,
    findings: Vec<Finding>,
}

/// Runs the audit; the report, its incidents verified when `verifier` is
/// given, secrets shown in full only when not `redact`.
pub fn run(audit: &Audit, scanner: &Scanner, verifier: Option<&Verifier>, redact: bool) -> AuditReport {
    let started = Instant::now();
    let (repositories, enumerations) = gather(audit);
    let total = repositories.len();
    if let Some(log) = &audit.log {
        log.event("started", json!({ "repositories": total, "shard": audit.shard.map(|s| s.label()) }));
    }
    let bar = progress_bar(audit.progress, total as u64);
    let queue = Mutex::new(repositories.into_iter());
    let done: Mutex<Vec<Scanned>> = Mutex::default();
    // Blobs and bytes of the repositories done, for the bar.
    let read = Mutex::new((0u64, 0u64));
    let jobs = audit.jobs.clamp(1, total.max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some(repository) = next else { break };
                    let status = |read: &(u64, u64)| {
                        let (blobs, bytes) = *read;
                        format!("{blobs} blobs, {} · {}", crate::report::human_bytes(bytes), repository.identity)
                    };
                    if let Some(bar) = &bar {
                        bar.set_message(status(&read.lock().unwrap_or_else(|p| p.into_inner())));
                    }
                    // A bug met in one repository is that repository's failure.
                    let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        audit_one(audit, scanner, &repository)
                    }))
                    .unwrap_or_else(|_| Scanned {
                        report: failed_report(
                            &repository.identity,
                            "sqscan failed on this repository (a bug: please report it)".to_string(),
                            Instant::now(),
                        ),
                        findings: Vec::new(),
                    });
                    {
                        let mut read = read.lock().unwrap_or_else(|p| p.into_inner());
                        read.0 += scanned.report.blobs_scanned;
                        read.1 += scanned.report.bytes;
                    }
                    let mut done = done.lock().unwrap_or_else(|p| p.into_inner());
                    done.push(scanned);
                    let last = done.last().map(|s| &s.report);
                    match (&bar, last) {
                        (Some(bar), _) => bar.inc(1),
                        (None, Some(r)) if audit.progress == Progress::Lines => {
                            eprintln!("sqscan: [{}/{total}] {}", done.len(), line(r));
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut reports = Vec::with_capacity(done.len());
    let mut findings = Vec::new();
    for scanned in done {
        reports.push(scanned.report);
        findings.extend(scanned.findings);
    }
    // Each secret is asked about once, however many places hold it.
    if let Some(verifier) = verifier {
        verifier.verify(&mut findings, scanner.rules());
    }
    let incidents = incidents(&findings, scanner.rules(), redact);
    let elapsed = started.elapsed().as_millis() as u64;
    let report = AuditReport::new(incidents, reports, enumerations, elapsed, audit.shard.map(|s| s.label()));
    if let Some(log) = &audit.log {
        log.event("finished", json!({ "stats": report.stats }));
    }
    report
}

/// The repositories to audit: targets and listings, without repeats,
/// this shard's only.
fn gather(audit: &Audit) -> (Vec<Repository>, Vec<Enumeration>) {
    let mut all: BTreeMap<String, Repository> = BTreeMap::new();
    for repository in &audit.targets {
        match all.get(&repository.identity) {
            // Two clones of one remote are one repository: audited once, and said.
            Some(kept) if kept.location != repository.location => {
                if audit.progress != Progress::Quiet {
                    eprintln!(
                        "sqscan: warning: {} and {} are both {}: audited once, as the first",
                        kept.location, repository.location, repository.identity
                    );
                }
            }
            Some(_) => {}
            None => {
                all.insert(repository.identity.clone(), repository.clone());
            }
        }
    }
    let mut enumerations = Vec::new();
    for query in &audit.queries {
        let (listed, enumeration) = forges::list(query, &audit.listing);
        if let Some(log) = &audit.log {
            log.event("enumerated", json!(enumeration));
        }
        for repository in listed {
            all.entry(repository.identity.clone()).or_insert(repository);
        }
        enumerations.push(enumeration);
    }
    let kept: Vec<Repository> =
        all.into_values().filter(|r| audit.shard.is_none_or(|shard| shard.holds(&r.identity))).collect();
    if let Some(log) = &audit.log {
        for repository in &kept {
            let source = match &repository.location {
                Location::Local(path) => crate::sources::paths::slashed(path),
                Location::Remote { .. } => "remote".to_string(),
            };
            log.event("discovered", json!({ "repository": repository.identity, "source": source }));
        }
    }
    (kept, enumerations)
}

/// One repository, start to end; a failure at any step is its report.
fn audit_one(audit: &Audit, scanner: &Scanner, repository: &Repository) -> Scanned {
    let started = Instant::now();
    let identity = &repository.identity;
    let failed = |reason: String, stage: &str| {
        if let Some(log) = &audit.log {
            log.event("failed", json!({ "repository": identity, "stage": stage, "reason": reason }));
        }
        Scanned { report: failed_report(identity, reason, started), findings: Vec::new() }
    };
    let path = match &repository.location {
        Location::Local(path) => path.clone(),
        Location::Remote { url, forge } => match mirror::sync(url, identity, &audit.cache, forge.as_ref()) {
            Ok((path, how)) => {
                if let Some(log) = &audit.log {
                    log.event(
                        "fetched",
                        json!({ "repository": identity, "action": how.as_str(), "elapsed_ms": started.elapsed().as_millis() as u64 }),
                    );
                }
                path
            }
            Err(reason) => return failed(reason, "fetch"),
        },
    };
    let git = match GitDir::discover(&path) {
        Ok(git) => git,
        Err(e) => return failed(format!("{e:#}"), "open"),
    };
    let clone = clone_kind(&git);
    let prior = match &audit.state {
        Some(state) => match state.load(identity, &audit.digest) {
            Ok(memory) => memory,
            Err(e) => return failed(format!("{e:#}"), "state"),
        },
        None => Default::default(),
    };
    let reused = prior.blobs.len() as u64;
    let ledger = Arc::new(Ledger::new(prior));
    let source = WholeHistory {
        git,
        options: audit.blobs.clone(),
        unreachable: Unreachable::Count,
        ledger: Some(ledger.clone()),
    };
    let policy = Policy { verifier: None, fail_on: FailOn::Any, progress: false, list: false };
    let mut findings = Vec::new();
    let outcome = match scan::run(scanner, &source, &policy, Box::new(crate::report::Gather(&mut findings))) {
        Ok(outcome) => outcome,
        Err(e) => return failed(format!("{e:#}"), "scan"),
    };
    for finding in &mut findings {
        if let Origin::Blob(blob) = &mut finding.origin {
            blob.repository = identity.as_str().into();
        }
    }
    let learned = ledger.learned();
    let tips = learned.as_ref().map(|m| m.tips.clone()).unwrap_or_default();
    if let (Some(state), Some(memory)) = (&audit.state, &learned)
        && let Err(e) = state.save(identity, &audit.digest, memory)
        && let Some(log) = &audit.log
    {
        log.event("failed", json!({ "repository": identity, "stage": "state", "reason": format!("{e:#}") }));
    }
    let summary = &outcome.summary;
    let mut report = coverage(identity, clone, summary, tips, started);
    report.blobs_reused = reused;
    if let Some(log) = &audit.log {
        log.event("scanned", json!(report));
    }
    Scanned { report, findings }
}

/// A repository's coverage from its scan's summary.
fn coverage(
    identity: &str,
    clone: CloneKind,
    summary: &Summary,
    tips: BTreeMap<String, String>,
    started: Instant,
) -> RepositoryReport {
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    for s in &summary.skipped {
        *skipped.entry(s.reason.kind().to_string()).or_default() += 1;
    }
    let missing = summary.skipped.iter().filter(|s| s.reason == SkipReason::Missing).count() as u64;
    let mut why = Vec::new();
    match clone {
        CloneKind::Full => {}
        CloneKind::Shallow => why.push("a shallow clone: history beyond its depth is not in it".to_string()),
        kind => why.push(format!(
            "a {} clone: objects it was not given are not in it",
            serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
        )),
    }
    if missing > 0 {
        why.push(format!("{missing} objects missing"));
    }
    let lost: Vec<&Skipped> = summary.skipped.iter().filter(|s| s.incomplete).collect();
    if !lost.is_empty() {
        why.push(format!("{} refs, commits or trees could not be read", lost.len()));
    }
    let damaged = summary.skipped.iter().filter(|s| matches!(s.reason, SkipReason::Damaged(_))).count();
    if damaged > 0 {
        why.push(format!("{damaged} damaged packs"));
    }
    RepositoryReport {
        repository: identity.to_string(),
        status: if why.is_empty() { Status::Complete } else { Status::Partial },
        reason: (!why.is_empty()).then(|| why.join("; ")),
        clone,
        missing_objects: missing,
        tips,
        blobs_scanned: summary.scanned,
        blobs_reused: 0,
        blobs_skipped: summary.skipped.len() as u64,
        bytes: summary.bytes,
        findings: summary.findings,
        suppressed: summary.suppressed.values().sum(),
        skipped,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

fn failed_report(identity: &str, reason: String, started: Instant) -> RepositoryReport {
    RepositoryReport {
        repository: identity.to_string(),
        status: Status::Failed,
        reason: Some(reason),
        clone: CloneKind::Full,
        missing_objects: 0,
        tips: BTreeMap::new(),
        blobs_scanned: 0,
        blobs_reused: 0,
        blobs_skipped: 0,
        bytes: 0,
        findings: 0,
        suppressed: 0,
        skipped: BTreeMap::new(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// Whether a clone holds its whole history: not shallow, not partial.
fn clone_kind(git: &GitDir) -> CloneKind {
    let Ok(repo) = git.open() else { return CloneKind::Full };
    if repo.is_shallow() {
        return CloneKind::Shallow;
    }
    let Ok(config) = repo.config() else { return CloneKind::Full };
    let mut partial = config.get_string("extensions.partialclone").is_ok();
    let mut filter = None;
    if let Ok(mut entries) = config.entries(Some(r"remote\..*\.(promisor|partialclonefilter)")) {
        while let Some(Ok(entry)) = entries.next() {
            let name = entry.name().unwrap_or_default().to_string();
            let value = entry.value().unwrap_or_default().to_string();
            if name.ends_with(".promisor") && value == "true" {
                partial = true;
            } else if name.ends_with(".partialclonefilter") {
                partial = true;
                filter = Some(value);
            }
        }
    }
    match (partial, filter.as_deref()) {
        (false, _) => CloneKind::Full,
        (true, Some("blob:none")) => CloneKind::Blobless,
        (true, Some(f)) if f.starts_with("tree:") => CloneKind::Treeless,
        (true, _) => CloneKind::Partial,
    }
}

/// A repository done, in one line for a log.
fn line(r: &RepositoryReport) -> String {
    let mut text = format!(
        "{}: {}, {} blobs scanned ({} already), {} findings, {:.1}s",
        r.repository,
        r.status.as_str(),
        r.blobs_scanned,
        r.blobs_reused,
        r.findings,
        r.elapsed_ms as f64 / 1000.0
    );
    if let Some(reason) = &r.reason {
        text.push_str(&format!(" ({reason})"));
    }
    crate::report::escaped(&text).into_owned()
}

fn progress_bar(progress: Progress, total: u64) -> Option<indicatif::ProgressBar> {
    if progress != Progress::Bar || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} repositories, {elapsed} (ETA {eta}) {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}
