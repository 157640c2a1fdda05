//! Turning an item's bytes into findings: the engine's matches, located,
//! fingerprinted and masked, with the facts later stages need (an allow
//! comment on the line; with `--verify`, where the token is used). Knows
//! nothing of files or git: an item is bytes and an origin.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::engine::{Engine, Match};
use crate::filters::Suppressor;
use crate::findings::{Finding, Locator, Mask, Secret};
use crate::rules::RuleSet;
use crate::sources::Item;
use crate::verify::hints;

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

    /// The findings of one item, each noting whether its line carries an
    /// allow comment (every filter is judged later, in one place). An item
    /// that is a transcoding is scanned as read too, each secret reported
    /// once per line.
    pub fn findings(&self, item: &Item) -> Vec<Finding> {
        let mut findings = self.findings_in_view(item);
        if let Some(raw) = item.raw {
            for finding in self.findings_in_view(&Item::whole(item.origin, raw)) {
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
        let masks = masks(item.bytes, &matches);
        let mut locator = Locator::starting_at_line(item.bytes, item.first_line);
        let file_hints = std::cell::OnceCell::new();
        matches
            .into_iter()
            .filter(|m| item.report.contains(&m.span.start))
            .map(|m| {
                let mut finding =
                    Finding::new(m.detector, self.rules.get(m.detector), &m, item.origin, &mut locator, &masks);
                let line = locator.line_of(m.span.start);
                finding.allowed_inline = self.suppressor.allows_line(line);
                if self.collect_hints {
                    let file = file_hints.get_or_init(|| hints::in_file(item.bytes));
                    finding.hints = Some(hints::on_line(file, line));
                }
                finding
            })
            .collect()
    }

    /// Whether a finding stands at its path: one found because of its
    /// input's name only where that name fits (a history's blobs are
    /// scanned before their paths are known).
    pub fn fits_path(&self, finding: &Finding) -> bool {
        self.engine.fits_path(finding.rule, finding.path_pattern, finding.path())
    }

    pub fn suppressor(&self) -> &Suppressor {
        self.suppressor
    }
}

/// What every snippet of an input masks: each match, and every other place
/// the value of a secret found in it appears (the same token again where
/// no rule matched it, or in plain beside its base64), sorted by start.
fn masks(bytes: &[u8], matches: &[Match]) -> Vec<Mask> {
    let mut masks: Vec<Mask> =
        matches.iter().map(|m| Mask { span: m.span.clone(), redacted: Secret::new(&m.secret).redacted() }).collect();
    let mut values: Vec<&[u8]> = matches.iter().map(|m| m.secret.as_slice()).filter(|v| !v.is_empty()).collect();
    values.sort_unstable();
    values.dedup();
    // One pass over the input for every value at once.
    if let Ok(finder) = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&values) {
        for hit in finder.find_iter(bytes) {
            let value = values[hit.pattern().as_usize()];
            masks.push(Mask { span: hit.range(), redacted: Secret::new(value).redacted() });
        }
    }
    masks.sort_by_key(|m| (m.span.start, std::cmp::Reverse(m.span.end)));
    masks.dedup_by(|later, earlier| later.span == earlier.span);
    masks
}
