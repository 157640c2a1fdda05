//! One run: a source reads its target and hands items to the [`Scanner`]
//! on as many threads as it likes, and findings to a sink; this thread
//! judges every finding's filters in one place, counts, verifies when
//! asked, and feeds the reporter.

mod scanner;

pub use scanner::Scanner;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Instant;

use anyhow::Context as _;

use crate::findings::{Finding, Liveness};
use crate::report::{Notes, Reporter, Summary, brief, progress};
use crate::sources::{SkipReason, Skipped, Source, Tally};
use crate::verify::Verifier;

/// How a run ended.
pub struct Outcome {
    pub summary: Summary,
    /// Reported findings whose severity fails the scan.
    pub failing: u64,
    /// What the reporter has to tell the user (on stderr).
    pub notes: Notes,
    /// One line per reported finding, when the policy asks for them (the
    /// report went to a file, and a CI log should still say what failed).
    pub listed: Vec<String>,
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
        let unreadable = |s: &&Skipped| matches!(s.reason, SkipReason::Missing | SkipReason::Unreadable(_));
        let failed = self.summary.skipped.iter().filter(unreadable).count();
        if self.summary.scanned == 0 && failed > 0 {
            return Some(format!("nothing could be read ({failed} unreadable)"));
        }
        None
    }
}

/// The source's thread's stack: room for walks as deep as git allows.
const SOURCE_STACK: usize = 64 << 20;

/// Which reported findings set the failing exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Every finding (but notes).
    Any,
    /// Only findings whose token is not verified inactive: active ones,
    /// and those verification could not settle (fail closed).
    Active,
}

/// What a run does with findings besides reporting them.
pub struct Policy<'a> {
    /// Check tokens' liveness before reporting (findings are then held
    /// until the scan ends, and verified together).
    pub verifier: Option<&'a Verifier>,
    pub fail_on: FailOn,
    /// Show counts on stderr while the source runs.
    pub progress: bool,
    /// List each reported finding in [`Outcome::listed`].
    pub list: bool,
}

/// Runs `source`, and reports every finding no filter suppresses.
pub fn run(
    scanner: &Scanner,
    source: &dyn Source,
    policy: &Policy,
    mut reporter: Box<dyn Reporter + '_>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let tally = Tally::default();
    // Set when the report cannot be written (a closed pipe): the rest of
    // the scan is then skipped rather than done for nobody.
    let stop = AtomicBool::new(false);
    let mut summary = Summary { unit: source.unit(), ..Summary::default() };
    let mut failing = 0;
    let mut report_error = None;
    let mut held = Vec::new();
    let mut listed = Vec::new();
    let mut deliver = |finding: Finding, failing: &mut u64| {
        if policy.list {
            listed.push(brief(&finding));
        }
        let rule = scanner.rules().get(finding.rule);
        // Only a token verified dead passes `--fail-on active`: one that
        // could not be checked (no network, rate limits) may be live.
        let maybe_live = finding.verification.as_ref().is_none_or(|v| v.status != Liveness::Inactive);
        if rule.severity.fails_scan() && (policy.fail_on == FailOn::Any || maybe_live) {
            *failing += 1;
        }
        if report_error.is_none()
            && let Err(error) = reporter.finding(finding)
        {
            stop.store(true, Ordering::Relaxed);
            report_error = Some(error);
        }
    };
    let (stop_flag, tally_ref) = (&stop, &tally);
    let unit = summary.unit;
    let status = || {
        let (scanned, queued, bytes) = (tally.progress_count(), tally.queued_count(), tally.bytes_count());
        progress::status(tally.phase_progress(), started.elapsed(), scanned, queued, unit, bytes)
    };
    // Each finding no filter suppresses is reported (or held for
    // verification); the counts of both.
    let mut suppressed: BTreeMap<_, u64> = BTreeMap::new();
    let mut reported = 0;
    let mut receive = |finding: Finding| {
        if !scanner.fits_path(&finding) {
            return;
        }
        if let Some(why) = scanner.suppressor().classify(&finding) {
            *suppressed.entry(why).or_default() += 1;
            return;
        }
        reported += 1;
        if policy.verifier.is_some() {
            held.push(finding);
        } else {
            deliver(finding, &mut failing);
        }
    };
    // A brief scan ends before a progress line would be worth drawing.
    let brief = source.is_brief();
    progress::while_running(policy.progress && !brief, status, || {
        if brief {
            let found = Mutex::new(Vec::new());
            let sink = |finding| {
                found.lock().unwrap_or_else(|p| p.into_inner()).push(finding);
                true
            };
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| source.scan(scanner, tally_ref, &sink)));
            found.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter().for_each(&mut receive);
            return result.unwrap_or_else(|_| Err(anyhow::anyhow!("the scan panicked")));
        }
        let (sender, receiver) = mpsc::channel::<Finding>();
        std::thread::scope(|scope| {
            let reading = std::thread::Builder::new().stack_size(SOURCE_STACK).spawn_scoped(scope, move || {
                let sink = move |finding: Finding| {
                    if stop_flag.load(Ordering::Relaxed) {
                        return false;
                    }
                    // Cannot fail: the receiver outlives every sender.
                    let _ = sender.send(finding);
                    true
                };
                let result = source.scan(scanner, tally_ref, &sink);
                // Dropping the sender ends the receiving loop.
                drop(sink);
                result
            })?;
            receiver.into_iter().for_each(&mut receive);
            reading.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a scanning thread panicked")))
        })
    })?;
    (summary.suppressed, summary.findings) = (suppressed, reported);
    let mut renewed = std::collections::BTreeSet::new();
    if let Some(verifier) = policy.verifier {
        verifier.verify(&mut held, scanner.rules());
        for finding in &held {
            if finding.verification.as_ref().is_some_and(|v| v.is_cloud_user_token()) {
                renewed.insert(finding.fingerprint.clone());
            }
        }
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
    let mut notes = reporter.finish(&summary).context("writing the report")?;
    if !renewed.is_empty() {
        // Cloud user tokens live until 60 days unused: checking one renews it.
        notes.push(format!(
            "{} active SonarQube Cloud user token(s): verifying just renewed their 60-day window; revoke them now",
            renewed.len()
        ));
    }
    Ok(Outcome { summary, failing, notes, listed })
}
