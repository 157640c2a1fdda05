//! One scan, wired together: a source hands items to worker threads, where
//! the engine finds matches, matches become findings and filters mark the
//! suppressed ones; the calling thread counts them and feeds the reporter.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context as _;

use crate::engine::Engine;
use crate::filters::Suppressor;
use crate::findings::{Finding, Locator};
use crate::report::{Reporter, Summary};
use crate::rules::RuleSet;
use crate::sources::{Item, Tally};

/// Everything needed to turn an item's bytes into findings.
pub struct Scanner<'a> {
    rules: &'a RuleSet,
    engine: Engine,
    suppressor: &'a Suppressor,
}

impl<'a> Scanner<'a> {
    pub fn new(rules: &'a RuleSet, suppressor: &'a Suppressor) -> anyhow::Result<Scanner<'a>> {
        Ok(Scanner {
            rules,
            engine: rules.engine()?,
            suppressor,
        })
    }

    pub fn rules(&self) -> &'a RuleSet {
        self.rules
    }

    /// The findings of one item, suppressed ones marked as such.
    pub fn findings(&self, item: &Item) -> Vec<Finding> {
        let matches = self.engine.scan(item.bytes);
        let mut locator = Locator::starting_at_line(item.bytes, item.first_line);
        matches
            .into_iter()
            .filter(|m| item.report.contains(&m.span.start))
            .map(|m| {
                let mut finding = Finding::new(
                    m.detector,
                    self.rules.get(m.detector),
                    &m,
                    item.path,
                    &mut locator,
                );
                finding.suppressed = self
                    .suppressor
                    .check(&finding, locator.line_of(m.span.start));
                finding
            })
            .collect()
    }
}

/// How a run ended.
pub struct Outcome {
    pub summary: Summary,
    /// Reported findings whose severity fails the scan.
    pub failing: u64,
}

/// Runs `source` (which calls its argument once per item, from any number
/// of threads) and reports every finding. `unit` names what items are
/// ("files", "blobs").
pub fn run(
    scanner: &Scanner,
    tally: &Tally,
    unit: &'static str,
    source: impl FnOnce(&(dyn Fn(Item) + Sync)) -> anyhow::Result<()> + Send,
    mut reporter: Box<dyn Reporter + '_>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let (sender, receiver) = mpsc::channel::<Finding>();
    // Set when the report cannot be written (a closed pipe): the rest of
    // the scan is then skipped rather than done for nobody.
    let stop = AtomicBool::new(false);
    let mut summary = Summary {
        unit,
        ..Summary::default()
    };
    let mut failing = 0;
    let mut report_error = None;
    let stop = &stop;
    let source_result = std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let visit = move |item: Item| {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                for finding in scanner.findings(&item) {
                    // Cannot fail: the receiver outlives every sender.
                    let _ = sender.send(finding);
                }
            };
            let result = source(&visit);
            // Dropping the sender ends the receiving loop.
            drop(visit);
            result
        });
        let mut suppressed: BTreeMap<_, u64> = BTreeMap::new();
        for finding in receiver {
            if let Some(why) = finding.suppressed {
                *suppressed.entry(why).or_default() += 1;
                continue;
            }
            summary.findings += 1;
            if scanner.rules().get(finding.rule).severity.fails_scan() {
                failing += 1;
            }
            if report_error.is_none()
                && let Err(error) = reporter.finding(finding)
            {
                stop.store(true, Ordering::Relaxed);
                report_error = Some(error);
            }
        }
        summary.suppressed = suppressed;
        worker
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("a scanning thread panicked")))
    });
    if let Some(error) = report_error {
        return Err(error).context("writing the report");
    }
    source_result?;
    summary.scanned = tally.scanned_count();
    summary.bytes = tally.bytes_count();
    summary.skipped = tally.skipped();
    summary.elapsed = started.elapsed();
    reporter.finish(&summary).context("writing the report")?;
    Ok(Outcome { summary, failing })
}
