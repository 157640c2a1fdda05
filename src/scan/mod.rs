//! One scan, wired together: a source hands items to worker threads, where
//! the engine finds matches and matches become findings; the calling thread
//! applies the filters, counts, and feeds the reporter.
//!
//! A producer emits findings: [`items`] for files and stdin, [`git`] for
//! histories, ranges and the index; [`run`] is the one loop they all
//! report through.

pub mod git;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context as _;

use crate::engine::Engine;
use crate::filters::Suppressor;
use crate::findings::{Finding, Liveness, Locator, Mask, Secret, Suppression};
use crate::report::{Notes, Reporter, Summary};
use crate::rules::RuleSet;
use crate::sources::{Item, SkipReason, Tally, Unit};
use crate::verify::{Verifier, hints};

/// Everything needed to turn an item's bytes into findings.
pub struct Scanner<'a> {
    rules: &'a RuleSet,
    engine: Engine,
    suppressor: &'a Suppressor,
    /// Read the text around findings for where their tokens are used.
    collect_hints: bool,
}

impl<'a> Scanner<'a> {
    pub fn new(rules: &'a RuleSet, suppressor: &'a Suppressor) -> anyhow::Result<Scanner<'a>> {
        Ok(Scanner { rules, engine: rules.engine()?, suppressor, collect_hints: false })
    }

    /// Collects [`Hints`](crate::findings::Hints) with every finding, for verification.
    pub fn with_hints(mut self, collect: bool) -> Scanner<'a> {
        self.collect_hints = collect;
        self
    }

    pub fn rules(&self) -> &'a RuleSet {
        self.rules
    }

    /// The findings of one item; those whose line carries an allow comment
    /// are marked suppressed (the rest of the filters need the finding's
    /// final path, and apply in [`run`]). An item that is a transcoding is
    /// scanned as read too, each secret reported once per line.
    pub fn findings(&self, item: &Item) -> Vec<Finding> {
        let mut findings = self.findings_in_view(item);
        if let Some(raw) = item.raw {
            for finding in self.findings_in_view(&Item::whole(item.path, raw)) {
                let line = finding.position.line;
                if !findings.iter().any(|f| f.fingerprint == finding.fingerprint && f.position.line == line) {
                    findings.push(finding);
                }
            }
        }
        findings
    }

    fn findings_in_view(&self, item: &Item) -> Vec<Finding> {
        let matches = self.engine.scan(item.bytes);
        if matches.is_empty() {
            return Vec::new();
        }
        // Every secret of the input, reported here or not, is masked in
        // every snippet that shows it.
        let masks: Vec<Mask> = matches
            .iter()
            .map(|m| Mask { span: m.span.clone(), redacted: Secret::new(&m.secret).redacted() })
            .collect();
        let mut locator = Locator::starting_at_line(item.bytes, item.first_line);
        let file_hints = std::cell::OnceCell::new();
        matches
            .into_iter()
            .filter(|m| item.report.contains(&m.span.start))
            .map(|m| {
                let mut finding =
                    Finding::new(m.detector, self.rules.get(m.detector), &m, item.path, &mut locator, &masks);
                let line = locator.line_of(m.span.start);
                if self.suppressor.allows_line(line) {
                    finding.suppressed = Some(Suppression::InlineComment);
                }
                if self.collect_hints {
                    let file = file_hints.get_or_init(|| hints::in_file(item.bytes));
                    finding.hints = Some(hints::on_line(file, line));
                }
                finding
            })
            .collect()
    }

    pub fn suppressor(&self) -> &Suppressor {
        self.suppressor
    }
}

/// How a run ended.
pub struct Outcome {
    pub summary: Summary,
    /// Reported findings whose severity fails the scan.
    pub failing: u64,
    /// What the reporter has to tell the user (on stderr).
    pub notes: Notes,
}

impl Outcome {
    /// Why the scan did not read all it was asked to, if it did not: a
    /// ref, commit, tree or named target could not be read, or nothing
    /// could be read at all.
    pub fn incomplete(&self) -> Option<String> {
        let lost = self.summary.skipped.iter().filter(|s| s.incomplete).count();
        if lost > 0 {
            let what = if lost == 1 {
                "1 target, ref, commit or tree"
            } else {
                &format!("{lost} targets, refs, commits or trees")
            };
            return Some(format!("{what} could not be read, and all they hold went unscanned"));
        }
        let unreadable =
            |s: &&crate::sources::Skipped| matches!(s.reason, SkipReason::Missing | SkipReason::Unreadable(_));
        let failed = self.summary.skipped.iter().filter(unreadable).count();
        if self.summary.scanned == 0 && failed > 0 {
            return Some(format!("nothing could be read ({failed} unreadable)"));
        }
        None
    }
}

/// The producing thread's stack: room for walks as deep as git allows.
const PRODUCER_STACK: usize = 64 << 20;

/// Where producers send findings, from any thread. It answers whether to go
/// on: `false` once the report can no longer be written (a closed pipe).
pub type Emit<'a> = &'a (dyn Fn(Finding) -> bool + Sync);

/// Which reported findings set the failing exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Every finding (but notes).
    Any,
    /// Only findings whose token verification found active.
    Active,
}

/// What a run does with findings besides reporting them.
pub struct Policy<'a> {
    /// Check tokens' liveness before reporting (findings are then held
    /// until the scan ends, and verified together).
    pub verifier: Option<&'a Verifier>,
    pub fail_on: FailOn,
}

/// Runs `produce`, which emits findings from any number of threads, and
/// reports every one that no filter suppresses. `unit` names what the
/// source scans ("files", "blobs").
pub fn run(
    scanner: &Scanner,
    tally: &Tally,
    unit: Unit,
    policy: &Policy,
    produce: impl FnOnce(Emit) -> anyhow::Result<()> + Send,
    mut reporter: Box<dyn Reporter + '_>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let (sender, receiver) = mpsc::channel::<Finding>();
    // Set when the report cannot be written (a closed pipe): the rest of
    // the scan is then skipped rather than done for nobody.
    let stop = AtomicBool::new(false);
    let mut summary = Summary { unit, ..Summary::default() };
    let mut failing = 0;
    let mut report_error = None;
    let mut held = Vec::new();
    let mut deliver = |finding: Finding, failing: &mut u64| {
        let rule = scanner.rules().get(finding.rule);
        let live = finding.verification.as_ref().is_some_and(|v| v.status == Liveness::Active);
        if rule.severity.fails_scan() && (policy.fail_on == FailOn::Any || live) {
            *failing += 1;
        }
        if report_error.is_none()
            && let Err(error) = reporter.finding(finding)
        {
            stop.store(true, Ordering::Relaxed);
            report_error = Some(error);
        }
    };
    let stop_flag = &stop;
    let produced = std::thread::scope(|scope| {
        // A roomy stack: sources walk trees as deep as git allows.
        let producer = std::thread::Builder::new().stack_size(PRODUCER_STACK).spawn_scoped(scope, move || {
            let emit = move |finding: Finding| {
                if stop_flag.load(Ordering::Relaxed) {
                    return false;
                }
                // Cannot fail: the receiver outlives every sender.
                let _ = sender.send(finding);
                true
            };
            let result = produce(&emit);
            // Dropping the sender ends the receiving loop.
            drop(emit);
            result
        })?;
        let mut suppressed: BTreeMap<_, u64> = BTreeMap::new();
        for mut finding in receiver {
            if finding.suppressed.is_none() {
                finding.suppressed = scanner.suppressor().policy(&finding);
            }
            if let Some(why) = finding.suppressed {
                *suppressed.entry(why).or_default() += 1;
                continue;
            }
            summary.findings += 1;
            if policy.verifier.is_some() {
                held.push(finding);
            } else {
                deliver(finding, &mut failing);
            }
        }
        summary.suppressed = suppressed;
        producer.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a scanning thread panicked")))
    });
    produced?;
    if let Some(verifier) = policy.verifier {
        verifier.verify(&mut held, scanner.rules());
        for finding in held {
            deliver(finding, &mut failing);
        }
    }
    if let Some(error) = report_error {
        return Err(error).context("writing the report");
    }
    summary.scanned = tally.scanned_count();
    summary.bytes = tally.bytes_count();
    summary.skipped = tally.skipped();
    summary.elapsed = started.elapsed();
    let notes = reporter.finish(&summary).context("writing the report")?;
    Ok(Outcome { summary, failing, notes })
}

/// A producer for [`run`] over a source of items: every finding of every
/// item. Once the report is closed, items are no longer scanned.
pub fn items<'s>(
    scanner: &'s Scanner,
    source: impl FnOnce(&(dyn Fn(Item) + Sync)) -> anyhow::Result<()> + Send + 's,
) -> impl FnOnce(Emit) -> anyhow::Result<()> + Send + 's {
    move |emit| {
        let open = AtomicBool::new(true);
        source(&|item: Item| {
            if !open.load(Ordering::Relaxed) {
                return;
            }
            for finding in scanner.findings(&item) {
                if !emit(finding) {
                    open.store(false, Ordering::Relaxed);
                }
            }
        })
    }
}
