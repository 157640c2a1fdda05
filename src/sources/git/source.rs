//! The git sources: a whole history, a range of commits, and the staged
//! changes. Blobs are read and scanned in parallel, each worker with its
//! own repository handle, while one thread walks commits and trees;
//! provenance is computed afterwards, for matched blobs only, and each
//! secret is reported once per path with every occurrence.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use git2::Oid;

use super::blobs::BlobReader;
use super::changes::{self, Change, RangeEnds};
use super::history::{self, CommitGraph, Known, Tips};
use super::ledger::{Hit, Ledger, Memory};
use super::objects::{self, Objects};
use super::pack::{PackPosition, PackSet};
use super::{GitDir, OidMap, OidSet, commit_info, provenance};
use crate::findings::{Blob, Commit, Finding, History, Occurrence, Origin};
use crate::scan::Scanner;
use crate::sources::{Item, Sink, SkipReason, Source, Tally, Unit};

/// How blobs are read, whatever the git source.
#[derive(Debug, Clone)]
pub struct BlobOptions {
    pub threads: usize,
    pub max_file_size: u64,
    pub scan_binary: bool,
}

/// What a whole-history scan does with blobs no ref reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// Counted in the summary as skipped.
    Count,
    /// Scanned and reported as unreachable blobs (`--unreachable`).
    Scan,
}

/// Every blob reachable from any ref, each scanned once; each secret
/// reported per path with the commits that introduced it.
pub struct WholeHistory {
    pub git: GitDir,
    pub options: BlobOptions,
    pub unreachable: Unreachable,
    /// For incremental audits: what an earlier run learned (its blobs are
    /// not read again), and where this run's learning goes.
    pub ledger: Option<Arc<Ledger>>,
}

/// What the commits of `A..B` added: only secrets on added lines.
pub struct CommitRange {
    git: GitDir,
    ends: RangeEnds,
    options: BlobOptions,
}

/// The index against HEAD: secrets on the lines a commit would add.
pub struct StagedChanges {
    git: GitDir,
    options: BlobOptions,
}

impl CommitRange {
    /// Resolves `from..to` now, so that a range that cannot be answered
    /// fails before anything is scanned. `shown` is how the user wrote it.
    pub fn new(git: GitDir, from: &str, to: &str, shown: &str, options: BlobOptions) -> anyhow::Result<CommitRange> {
        let ends = changes::resolve_range(&git.open()?, from, to, shown)?;
        Ok(CommitRange { git, ends, options })
    }
}

impl StagedChanges {
    pub fn new(git: GitDir, options: BlobOptions) -> anyhow::Result<StagedChanges> {
        if git.is_bare() {
            anyhow::bail!("{}: a bare repository has no index to scan (try `sqscan git`)", git.root().display());
        }
        Ok(StagedChanges { git, options })
    }
}

impl Source for WholeHistory {
    fn unit(&self) -> Unit {
        Unit::Blobs
    }

    fn scan(&self, scanner: &Scanner, tally: &Tally, sink: Sink) -> anyhow::Result<()> {
        history(scanner, &self.git, &self.options, self.unreachable, self.ledger.as_deref(), tally, sink)
    }
}

impl Source for CommitRange {
    fn unit(&self) -> Unit {
        Unit::Blobs
    }

    fn scan(&self, scanner: &Scanner, tally: &Tally, sink: Sink) -> anyhow::Result<()> {
        range(scanner, &self.git, &self.ends, &self.options, tally, sink)
    }
}

impl Source for StagedChanges {
    fn unit(&self) -> Unit {
        Unit::Files
    }

    fn scan(&self, scanner: &Scanner, tally: &Tally, sink: Sink) -> anyhow::Result<()> {
        staged(scanner, &self.git, &self.options, tally, sink)
    }

    fn is_brief(&self) -> bool {
        true
    }
}

/// Channel depth between the walking thread and the scanning workers:
/// enough to keep workers busy, little enough to bound memory.
const QUEUE: usize = 1024;
/// Fewer jobs than this are not worth a pool of workers.
const PARALLEL_FROM: usize = 8;
/// Blobs a worker takes at a time: neighbours in a pack share delta bases.
const CHUNK: usize = 512;

fn history(
    scanner: &Scanner,
    git: &GitDir,
    options: &BlobOptions,
    unreachable: Unreachable,
    ledger: Option<&Ledger>,
    tally: &Tally,
    sink: Sink,
) -> anyhow::Result<()> {
    report_damage(git, tally);
    let repo = git.open()?;
    let tips = history::tips(&repo, tally)?;
    let prior = ledger.map(|l| &l.prior).filter(|p| !p.blobs.is_empty() || !p.commits.is_empty());
    if let Some(prior) = prior
        && prior.complete
        && prior.tips == tip_record(&tips)
        && tally.skipped().is_empty()
    {
        return remembered(scanner, git, options, prior, ledger, tally, sink);
    }
    let known = prior.map_or_else(Known::default, |p| Known {
        commits: p.commits.iter().copied().collect(),
        blobs: p.blobs.iter().copied().collect(),
    });
    // A first scan reads every packed blob in pack order, from the start,
    // while one thread walks commits and trees to learn which blobs are
    // reachable and where: both cores busy at once, and each worker
    // rebuilding deltas from bases it has just built. What the walk finds
    // that no pack holds (loose objects, entries the pack reader could not
    // read) is scanned after it; what no ref reaches is left out. A later
    // scan reads only what the walk finds new, by id.
    let packs = if prior.is_some() { PackSet::empty() } else { PackSet::open(git.path()) };
    let packed = packs.in_pack_order();
    tally.phase("scanning packs, walking history", Some(packed.len() as u64));
    let outcomes = PackedOutcomes::new(packed.len());
    let (walked, objects) = std::thread::scope(|scope| {
        let walker = scope.spawn(|| -> anyhow::Result<_> {
            let mut objects = Objects::new(&packs, git.open()?, options.max_file_size, objects::STRUCTURE_CACHE);
            let mut blobs = Vec::new();
            let graph =
                history::walk_all(&git.open()?, &mut objects, tally, &tips, known, &mut |blob| blobs.push(blob))?;
            Ok(((graph, blobs), objects))
        });
        let chunks = packed.chunks(CHUNK).enumerate();
        in_parallel(git, options, &packs, chunks, |reader, (n, chunk)| {
            for (i, &entry) in chunk.iter().enumerate() {
                let (position, oid) = (packs.position(entry), packs.id(entry));
                tally.step();
                if reader.kind(position) != Some(git2::ObjectType::Blob) {
                    continue;
                }
                // Shown paths are known once the walk is done.
                let outcome = scan_blob(scanner, reader, &blob_origin(git, "", oid), oid, Some(position));
                tally.scanned_ahead();
                outcomes.keep(n * CHUNK + i, oid, outcome);
            }
        })?;
        tally.phase("walking history", None);
        walker.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the history walk panicked")))
    })?;
    let ((graph, paths), blobs) = walked;
    tally.phase("scanning new blobs", Some(blobs.len() as u64));
    let mut outcomes = outcomes.done();
    let hits: Mutex<OidMap<Vec<Finding>>> = Mutex::default();
    // Blobs whose outcome the same options would give again: not read again.
    let settled: Mutex<Vec<Oid>> = Mutex::default();
    // A reachable blob's outcome, counted, its findings placed at its path.
    let settle = |blob: &history::BlobRef, outcome: BlobOutcome| {
        let lasting = match outcome {
            BlobOutcome::Scanned { bytes, mut findings } => {
                tally.scanned(bytes);
                if !findings.is_empty() {
                    for finding in &mut findings {
                        finding.origin = blob_origin(git, &paths.of(blob), blob.oid);
                    }
                    lock(&hits).insert(blob.oid, findings);
                }
                true
            }
            BlobOutcome::Skipped(reason) => {
                let lasting =
                    !matches!(reason, SkipReason::Missing | SkipReason::Unreadable(_) | SkipReason::Damaged(_));
                tally.skip(blob_label(&paths.of(blob), blob.oid), reason);
                lasting
            }
        };
        if lasting && ledger.is_some() {
            lock(&settled).push(blob.oid);
        }
    };
    // Which of the packed blobs a ref reaches, by their place in pack
    // order; reached blobs no pack holds, by id.
    let mut reached = vec![false; packed.len()];
    let mut reached_elsewhere = OidSet::default();
    // A blob's place in pack order: where its pack position is listed (a
    // damaged index may list two ids at one position: the one with its id).
    let place_of = |oid: Oid| {
        let position = packs.locate(oid)?;
        let first = packed.partition_point(|&entry| packs.position(entry) < position);
        let mut here = packed[first..].iter().take_while(|&&entry| packs.position(entry) == position);
        here.position(|&entry| packs.id(entry) == oid).map(|k| first + k)
    };
    let mut rest = Vec::new();
    for blob in blobs {
        let place = place_of(blob.oid);
        let outcome = place.and_then(|i| {
            reached[i] = true;
            outcomes.take(i, blob.oid)
        });
        match outcome {
            Some(outcome) => settle(&blob, outcome),
            None => {
                if place.is_none() {
                    reached_elsewhere.insert(blob.oid);
                }
                rest.push(blob);
            }
        }
    }
    in_parallel(git, options, &packs, rest.chunks(CHUNK), |reader, chunk| {
        for blob in chunk {
            tally.step();
            let origin = blob_origin(git, &paths.of(blob), blob.oid);
            settle(blob, scan_blob(scanner, reader, &origin, blob.oid, None));
        }
    })?;

    let hits = hits.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Blobs an earlier run found secrets in: read again for their findings,
    // traced again only through the new commits.
    let known_hits = match prior {
        Some(prior) => rescan_hits(scanner, git, options, prior, tally)?,
        None => OidMap::default(),
    };
    let mut targets: OidSet = hits.keys().copied().collect();
    targets.extend(known_hits.keys().copied());
    tally.phase("tracing", None);
    let mut readers = vec![objects];
    if !targets.is_empty() && graph.commits.len() > 1 {
        for _ in 1..options.threads.max(1) {
            readers.push(Objects::new(&packs, git.open()?, options.max_file_size, objects::STRUCTURE_CACHE));
        }
    }
    let provenance = provenance::trace(&mut readers, &graph, &targets).context("starting a tracing thread")?;
    let mut objects = readers.swap_remove(0);
    let mut commits = CommitCache::new(&mut objects, &graph);
    let mut located = Vec::new();
    if let Some(prior) = prior {
        located.extend(remembered_locations(prior, &known_hits, graph.commits.len()));
    }
    for (oid, findings) in hits.iter().chain(known_hits.iter()) {
        match provenance.introductions.get(oid) {
            Some(introductions) => {
                for introduction in introductions {
                    let commit = commits.get(introduction.commit);
                    for finding in findings {
                        located.push(Located::new(
                            finding,
                            &introduction.path,
                            *oid,
                            Some((introduction.commit, commit.clone())),
                        ));
                    }
                }
            }
            // Reachable only from a tag naming a tree or blob: no commit.
            None if hits.contains_key(oid) => {
                located.extend(findings.iter().map(|f| Located::new(f, f.path(), *oid, None)))
            }
            None => {}
        }
    }
    let held = head_holdings(&provenance.at_head, |oid| hits.get(oid).or(known_hits.get(oid)));
    if let Some(ledger) = ledger {
        let complete = !repo.is_shallow() && read_whole(tally);
        let mut walked = Vec::new();
        if complete {
            walked.extend(prior.map(|p| p.commits.iter().copied()).into_iter().flatten());
            walked.extend(graph.commits.iter().map(|c| c.id));
        }
        let mut blobs = prior.map(|p| p.blobs.clone()).unwrap_or_default();
        blobs.extend(settled.into_inner().unwrap_or_else(|p| p.into_inner()));
        ledger.learn(memory(tip_record(&tips), complete, walked, blobs, &located, &provenance.at_head));
    }
    emit_grouped(located, Some(&held), sink);
    // What no ref reaches is judged against everything reached: a first scan.
    if prior.is_none() {
        let left: Vec<(Oid, BlobOutcome)> = (0..packed.len())
            .filter(|&i| !reached[i])
            .filter_map(|i| Some((packs.id(packed[i]), outcomes.take(i, packs.id(packed[i]))?)))
            .collect();
        // A loose copy of a blob reached, or scanned from a pack, is that blob.
        let accounted = |oid: Oid| {
            reached_elsewhere.contains(&oid) || place_of(oid).is_some_and(|i| reached[i] || outcomes.was_kept(i))
        };
        unreached(scanner, git, options, unreachable, left, &accounted, tally, sink)?;
    }
    Ok(())
}

/// What scanning each packed blob gave, by its place in pack order, until
/// the walk says whether a ref reaches it: most blobs hold nothing, and
/// for them the bytes read are all there is to keep (4 bytes a blob, not
/// a table entry keyed by id).
struct PackedOutcomes {
    /// Per place: [`NONE`], [`NOTABLE`], [`TAKEN`], or the bytes of a
    /// blob scanned and found clean plus [`CLEAN`].
    states: Vec<AtomicU32>,
    /// Every other outcome: findings, skips, and clean blobs too large to
    /// count in `states`.
    notable: Mutex<OidMap<BlobOutcome>>,
}

impl PackedOutcomes {
    fn new(count: usize) -> PackedOutcomes {
        PackedOutcomes { states: (0..count).map(|_| AtomicU32::new(0)).collect(), notable: Mutex::default() }
    }

    fn keep(&self, place: usize, oid: Oid, outcome: BlobOutcome) {
        if let BlobOutcome::Scanned { bytes, findings } = &outcome
            && findings.is_empty()
            && let Some(stored) = bytes.checked_add(CLEAN).and_then(|b| u32::try_from(b).ok())
        {
            self.states[place].store(stored, Ordering::Relaxed);
            return;
        }
        self.states[place].store(NOTABLE as u32, Ordering::Relaxed);
        lock(&self.notable).insert(oid, outcome);
    }

    /// Once every worker is done.
    fn done(self) -> SettledOutcomes {
        SettledOutcomes {
            states: self.states.into_iter().map(AtomicU32::into_inner).collect(),
            notable: self.notable.into_inner().unwrap_or_else(|p| p.into_inner()),
        }
    }
}

struct SettledOutcomes {
    states: Vec<u32>,
    notable: OidMap<BlobOutcome>,
}

impl SettledOutcomes {
    /// The outcome of the blob `oid` at `place` in pack order, once.
    fn take(&mut self, place: usize, oid: Oid) -> Option<BlobOutcome> {
        let stored = u64::from(self.states[place]);
        if stored == NONE || stored == TAKEN {
            return None;
        }
        self.states[place] = TAKEN as u32;
        match stored {
            NOTABLE => self.notable.remove(&oid),
            bytes => Some(BlobOutcome::Scanned { bytes: bytes - CLEAN, findings: Vec::new() }),
        }
    }

    /// Whether the blob at `place` was scanned from its pack.
    fn was_kept(&self, place: usize) -> bool {
        u64::from(self.states[place]) != NONE
    }
}

/// What [`PackedOutcomes`] keeps per place: nothing (not a blob, or not
/// read), an outcome in its table, an outcome already taken, or bytes.
const NONE: u64 = 0;
const NOTABLE: u64 = 1;
const TAKEN: u64 = 2;
const CLEAN: u64 = 3;

/// A repository whose tips have not moved since a complete earlier run:
/// nothing to walk or read but the blobs that held secrets.
fn remembered(
    scanner: &Scanner,
    git: &GitDir,
    options: &BlobOptions,
    prior: &Memory,
    ledger: Option<&Ledger>,
    tally: &Tally,
    sink: Sink,
) -> anyhow::Result<()> {
    let known_hits = rescan_hits(scanner, git, options, prior, tally)?;
    let located = remembered_locations(prior, &known_hits, 0);
    let at_head: Vec<(Oid, String)> =
        prior.at_head.iter().filter_map(|(blob, path)| Some((Oid::from_str(blob).ok()?, path.clone()))).collect();
    let held = head_holdings(&at_head, |oid| known_hits.get(oid));
    if let Some(ledger) = ledger {
        ledger.learn(prior.clone());
    }
    emit_grouped(located, Some(&held), sink);
    Ok(())
}

/// The findings of the blobs an earlier run found secrets in, read again
/// (a ledger holds no secret), not counted as scanned.
fn rescan_hits(
    scanner: &Scanner,
    git: &GitDir,
    options: &BlobOptions,
    prior: &Memory,
    tally: &Tally,
) -> anyhow::Result<OidMap<Vec<Finding>>> {
    let mut found = OidMap::default();
    if prior.hits.is_empty() {
        return Ok(found);
    }
    let packs = PackSet::empty();
    let mut reader = BlobReader::new(&packs, git.open()?, options.max_file_size, options.scan_binary);
    for hit in &prior.hits {
        let Ok(oid) = Oid::from_str(&hit.blob) else { continue };
        if found.contains_key(&oid) {
            continue;
        }
        match scan_blob(scanner, &mut reader, &blob_origin(git, &hit.path, oid), oid, None) {
            BlobOutcome::Scanned { findings, .. } => {
                found.insert(oid, findings);
            }
            BlobOutcome::Skipped(reason) => tally.skip(blob_label(&hit.path, oid), reason),
        }
    }
    Ok(found)
}

/// Where an earlier run found each remembered blob introduced: older than
/// every commit of this run's walk (`newest` of them), in the order
/// remembered.
fn remembered_locations(prior: &Memory, known_hits: &OidMap<Vec<Finding>>, newest: usize) -> Vec<Located> {
    let count = prior.hits.len();
    let mut located = Vec::new();
    for (i, hit) in prior.hits.iter().enumerate() {
        let Ok(oid) = Oid::from_str(&hit.blob) else { continue };
        let Some(findings) = known_hits.get(&oid) else { continue };
        let commit = hit.commit.clone().map(|c| (newest + count - i, Arc::new(c)));
        for finding in findings {
            located.push(Located::new(finding, &hit.path, oid, commit.clone()));
        }
    }
    located
}

/// Whether the scan read all the tips reach: nothing lost, missing or damaged.
fn read_whole(tally: &Tally) -> bool {
    tally.skipped().iter().all(|s| {
        !s.incomplete && !matches!(s.reason, SkipReason::Missing | SkipReason::Damaged(_) | SkipReason::Unreadable(_))
    })
}

/// Ref → object id, as a ledger keeps tips.
fn tip_record(tips: &Tips) -> BTreeMap<String, String> {
    tips.named.iter().map(|(name, id)| (name.clone(), id.to_string())).collect()
}

/// (path, fingerprint) pairs HEAD holds, of the blobs at `at_head`.
fn head_holdings<'f>(
    at_head: &[(Oid, String)],
    findings: impl Fn(&Oid) -> Option<&'f Vec<Finding>>,
) -> HashSet<(String, String)> {
    let mut held = HashSet::new();
    for (oid, path) in at_head {
        for finding in findings(oid).into_iter().flatten() {
            held.insert((path.clone(), finding.fingerprint.clone()));
        }
    }
    held
}

/// What this run learned, for the next: every introduction of a blob that
/// held a secret, oldest first, once each.
fn memory(
    tips: BTreeMap<String, String>,
    complete: bool,
    mut commits: Vec<Oid>,
    mut blobs: Vec<Oid>,
    located: &[Located],
    at_head: &[(Oid, String)],
) -> Memory {
    commits.sort_unstable();
    commits.dedup();
    blobs.sort_unstable();
    blobs.dedup();
    let mut order: Vec<&Located> = located.iter().collect();
    order.sort_by_key(|l| (l.age.is_none(), std::cmp::Reverse(l.age)));
    let mut seen = HashSet::new();
    let hits = order
        .into_iter()
        .map(|l| &l.occurrence)
        .filter(|o| seen.insert((o.blob.clone(), o.path.clone(), o.commit.as_ref().map(|c| c.id.clone()))))
        .map(|o| Hit { blob: o.blob.clone(), path: o.path.clone(), commit: o.commit.as_deref().cloned() })
        .collect();
    let at_head = at_head.iter().map(|(blob, path)| (blob.to_string(), path.clone())).collect();
    Memory { tips, complete, commits, blobs, hits, at_head }
}

/// Blobs no ref reaches: what the pack-order scan found that the walk did
/// not, and loose blobs the walk did not reach (what rebases, force-pushes
/// and dropped stashes leave behind until git prunes them). Counted, or
/// with `--unreachable` scanned and reported as such.
#[allow(clippy::too_many_arguments)]
fn unreached(
    scanner: &Scanner,
    git: &GitDir,
    options: &BlobOptions,
    unreachable: Unreachable,
    packed: Vec<(Oid, BlobOutcome)>,
    accounted: &dyn Fn(Oid) -> bool,
    tally: &Tally,
    sink: Sink,
) -> anyhow::Result<()> {
    let mut outcomes = packed;
    let repo = git.open()?;
    let odb = repo.odb()?;
    let packs = PackSet::empty();
    let mut reader = BlobReader::new(&packs, git.open()?, options.max_file_size, options.scan_binary);
    for oid in loose_objects(git.path()) {
        if accounted(oid) {
            continue;
        }
        if !matches!(odb.read_header(oid), Ok((_, git2::ObjectType::Blob))) {
            continue;
        }
        let outcome = match unreachable {
            Unreachable::Count => BlobOutcome::Skipped(SkipReason::Unreachable),
            Unreachable::Scan => scan_blob(scanner, &mut reader, &blob_origin(git, "", oid), oid, None),
        };
        outcomes.push((oid, outcome));
    }
    outcomes.sort_by_key(|(oid, _)| *oid);
    for (oid, outcome) in outcomes {
        let label = format!("unreachable blob {oid}");
        match (unreachable, outcome) {
            (Unreachable::Count, _) => tally.skip(label, SkipReason::Unreachable),
            (Unreachable::Scan, BlobOutcome::Skipped(reason)) => tally.skip(label, reason),
            (Unreachable::Scan, BlobOutcome::Scanned { bytes, findings }) => {
                tally.scanned(bytes);
                for mut finding in findings {
                    if let Origin::Blob(blob) = &mut finding.origin {
                        blob.path = format!("(unreachable blob {})", &blob.id[..12]);
                        blob.unreachable = true;
                    }
                    if !sink(finding) {
                        return Ok(());
                    }
                }
            }
        }
    }
    Ok(())
}

/// The ids of a repository's loose objects (`objects/xx/…`).
fn loose_objects(git_dir: &std::path::Path) -> Vec<Oid> {
    let mut ids = Vec::new();
    let Ok(fanout) = std::fs::read_dir(git_dir.join("objects")) else { return ids };
    for dir in fanout.flatten() {
        let prefix = dir.file_name().to_string_lossy().into_owned();
        if prefix.len() != 2 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let rest = file.file_name().to_string_lossy().into_owned();
            if rest.len() == 38
                && let Ok(oid) = Oid::from_str(&format!("{prefix}{rest}"))
            {
                ids.push(oid);
            }
        }
    }
    ids
}

fn range(
    scanner: &Scanner,
    git: &GitDir,
    ends: &RangeEnds,
    options: &BlobOptions,
    tally: &Tally,
    sink: Sink,
) -> anyhow::Result<()> {
    report_damage(git, tally);
    let repo = git.open()?;
    // A range reads few blobs, in no particular order: libgit2 alone.
    let packs = PackSet::empty();
    let found: Mutex<Vec<(Change, Vec<Finding>)>> = Mutex::default();
    let (send, jobs) = sync_channel(QUEUE);
    let graph = std::thread::scope(|scope| {
        let walker = scope.spawn(move || -> anyhow::Result<CommitGraph> {
            let repo = git.open()?;
            changes::range_changes(&repo, ends, &mut |change| {
                tally.queued();
                let _ = send.send(change);
            })
        });
        in_parallel(git, options, &packs, jobs.into_iter(), |reader, change: Change| {
            if let Some(findings) = scan_change(scanner, git, reader, &change, tally) {
                lock(&found).push((change, findings));
            }
        })?;
        walker.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the range walk panicked")))
    })?;
    let mut objects = Objects::new(&packs, repo, options.max_file_size, objects::STRUCTURE_CACHE);
    let mut commits = CommitCache::new(&mut objects, &graph);
    let mut located = Vec::new();
    for (change, findings) in found.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let commit = change.commit.map(|index| (index, commits.get(index)));
        located.extend(findings.iter().map(|f| Located::new(f, &change.path, change.new, commit.clone())));
    }
    emit_grouped(located, None, sink);
    Ok(())
}

fn staged(scanner: &Scanner, git: &GitDir, options: &BlobOptions, tally: &Tally, sink: Sink) -> anyhow::Result<()> {
    report_damage(git, tally);
    let repo = git.open()?;
    let changes = changes::staged_changes(&repo).context("reading the index")?;
    git.give_back(repo);
    for _ in &changes {
        tally.queued();
    }
    // A commit's worth of blobs: libgit2 alone, no pack indexing.
    let packs = PackSet::empty();
    in_parallel(git, options, &packs, changes.into_iter(), |reader, change: Change| {
        for finding in scan_change(scanner, git, reader, &change, tally).into_iter().flatten() {
            sink(finding);
        }
    })
}

/// Scans a change's new blob; keeps findings on the lines it adds.
fn scan_change(
    scanner: &Scanner,
    git: &GitDir,
    reader: &mut BlobReader,
    change: &Change,
    tally: &Tally,
) -> Option<Vec<Finding>> {
    let origin = blob_origin(git, &change.path, change.new);
    let found = reader.read(change.new, None, |views| {
        tally.scanned(views.raw.len() as u64);
        scanner.findings(&Item::of_views(&origin, views))
    });
    let findings = match found {
        Ok(findings) if findings.is_empty() => return None,
        Ok(findings) => findings,
        Err(reason) => {
            tally.skip(blob_label(&change.path, change.new), reason);
            return None;
        }
    };
    // Line diffs (and rename pairing) only for the few changes that hold a secret.
    let paired;
    let old = if change.unpaired {
        paired = changes::paired_old(reader.repo(), &change.path).unwrap_or_default();
        &paired
    } else {
        &change.old
    };
    match changes::added_lines(reader.repo(), old, change.new) {
        Ok(None) => Some(findings),
        Ok(Some(added)) => {
            let kept: Vec<Finding> = findings.into_iter().filter(|f| added.contains(&f.position.line)).collect();
            (!kept.is_empty()).then_some(kept)
        }
        Err(e) => {
            // Without a diff, every line counts as added: better a known
            // token reported again than a new one missed.
            tally.skip(
                blob_label(&change.path, change.new),
                SkipReason::Unreadable(format!("diff failed, scanned whole: {e}")),
            );
            Some(findings)
        }
    }
}

/// Runs `work` on every job of `jobs`, in order, on `options.threads`
/// workers, each with its own blob reader (one repository handle and pack
/// base cache per worker thread).
fn in_parallel<J: Send>(
    git: &GitDir,
    options: &BlobOptions,
    packs: &PackSet,
    jobs: impl Iterator<Item = J> + Send,
    work: impl Fn(&mut BlobReader, J) + Sync,
) -> anyhow::Result<()> {
    // A handful of jobs (a pre-commit hook's few changes) is done on this
    // thread: a pool and a repository handle per worker cost more.
    let known = jobs.size_hint().1.unwrap_or(usize::MAX);
    let threads = if known < PARALLEL_FROM { 1 } else { options.threads.max(1) };
    let reader = || Ok(BlobReader::new(packs, git.open()?, options.max_file_size, options.scan_binary));
    if threads <= 1 {
        let mut jobs = jobs.peekable();
        if jobs.peek().is_some() {
            let mut reader = reader()?;
            jobs.for_each(|job| work(&mut reader, job));
        }
        return Ok(());
    }
    let readers = (0..threads).map(|_| reader()).collect::<Result<Vec<_>, git2::Error>>()?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(readers.len()).build()?;
    let jobs = Mutex::new(jobs);
    let next = || lock(&jobs).next();
    pool.scope(|scope| {
        for mut reader in readers {
            let (next, work) = (&next, &work);
            scope.spawn(move |_| {
                while let Some(job) = next() {
                    work(&mut reader, job);
                }
            });
        }
    });
    Ok(())
}

/// Where a blob's findings come from, until provenance says more.
fn blob_origin(git: &GitDir, path: &str, oid: Oid) -> Origin {
    let id = oid.to_string();
    Origin::Blob(Blob { repository: git.identity(), path: path.to_string(), id, history: None, unreachable: false })
}

fn blob_label(path: &str, oid: Oid) -> String {
    format!("{path} (blob {})", &oid.to_string()[..12])
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What scanning one packed blob gave, kept until the walk says whether
/// any ref reaches it.
enum BlobOutcome {
    Scanned { bytes: u64, findings: Vec<Finding> },
    Skipped(SkipReason),
}

/// Reads and scans one blob (at `position` in a pack, when known).
fn scan_blob(
    scanner: &Scanner,
    reader: &mut BlobReader,
    origin: &Origin,
    oid: Oid,
    position: Option<PackPosition>,
) -> BlobOutcome {
    match reader.read(oid, position, |views| (views.raw.len() as u64, scanner.findings(&Item::of_views(origin, views))))
    {
        Ok((bytes, findings)) => BlobOutcome::Scanned { bytes, findings },
        Err(reason) => BlobOutcome::Skipped(reason),
    }
}

/// Damaged packs, each said once: libgit2 never reads them, sqscan's own
/// reader reads what is intact.
fn report_damage(git: &GitDir, tally: &Tally) {
    for damage in git.damage() {
        tally.skip(git.show(&damage.pack), SkipReason::Damaged(damage.why.clone()));
    }
}

/// Commit details, read once per commit that matters.
struct CommitCache<'a, 'p> {
    objects: &'a mut Objects<'p>,
    graph: &'a CommitGraph,
    loaded: BTreeMap<usize, Arc<Commit>>,
}

impl<'a, 'p> CommitCache<'a, 'p> {
    fn new(objects: &'a mut Objects<'p>, graph: &'a CommitGraph) -> CommitCache<'a, 'p> {
        CommitCache { objects, graph, loaded: BTreeMap::new() }
    }

    fn get(&mut self, index: usize) -> Arc<Commit> {
        let (objects, graph) = (&mut *self.objects, self.graph);
        self.loaded.entry(index).or_insert_with(|| Arc::new(commit_info(objects, graph.commits[index].id))).clone()
    }
}

/// One finding in one blob at one path, introduced by one commit.
struct Located {
    /// Position of the commit in the graph (children first, so larger is
    /// older); `None` when no commit introduced it.
    age: Option<usize>,
    occurrence: Occurrence,
    finding: Finding,
}

impl Located {
    fn new(finding: &Finding, path: &str, blob: Oid, commit: Option<(usize, Arc<Commit>)>) -> Located {
        let mut finding = finding.clone();
        if let Origin::Blob(origin) = &mut finding.origin {
            origin.path = path.to_string();
        }
        Located {
            age: commit.as_ref().map(|(index, _)| *index),
            occurrence: Occurrence {
                commit: commit.map(|(_, c)| c),
                path: path.to_string(),
                blob: blob.to_string(),
                line: finding.position.line,
                column: finding.position.column,
            },
            finding,
        }
    }
}

/// One finding per secret and path: the oldest occurrence, carrying the
/// whole list. Occurrences whose line carries an allow comment drop out
/// of the list; when every one does, the finding says so, and is judged
/// (and counted) with every other filter downstream.
fn emit_grouped(located: Vec<Located>, at_head: Option<&HashSet<(String, String)>>, sink: Sink) {
    let mut groups: BTreeMap<(String, String), Vec<Located>> = BTreeMap::new();
    for l in located {
        groups.entry((l.finding.fingerprint.clone(), l.finding.path().to_string())).or_default().push(l);
    }
    for ((fingerprint, path), mut group) in groups {
        // Oldest first; occurrences without a commit last.
        group.sort_by_key(|l| (l.age.is_none(), std::cmp::Reverse(l.age)));
        if !group.iter().all(|l| l.finding.allowed_inline) {
            group.retain(|l| !l.finding.allowed_inline);
        }
        let occurrences: Vec<Occurrence> = group.iter().map(|l| l.occurrence.clone()).collect();
        let mut finding = group.swap_remove(0).finding;
        if let Origin::Blob(blob) = &mut finding.origin {
            blob.history = Some(History {
                occurrences,
                at_head: at_head.map(|set| set.contains(&(path.clone(), fingerprint.clone()))),
            });
        }
        if !sink(finding) {
            return;
        }
    }
}
