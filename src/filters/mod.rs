//! Filters: what the user has said not to report. Allow comments on the
//! secret's line, allow lists in `.sqscan.toml`, and a baseline of known
//! findings. A suppressed finding is counted, never shown, and never fails
//! the scan.

mod baseline;

pub use baseline::{Baseline, BaselineEntry};

use std::collections::HashSet;

use anyhow::Context as _;
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;

use crate::config::Allow;
use crate::engine;
use crate::findings::{Finding, Suppression};

/// The marker that silences a line, in any comment syntax.
pub const ALLOW_MARKER: &[u8] = b"sqscan:allow";
const NOSONAR: &[u8] = b"NOSONAR";

pub struct Suppressor {
    honor_nosonar: bool,
    paths: GlobSet,
    /// Where the scan root lies below the config's directory, when the
    /// config was found in a parent: `[allow] paths` are written from there.
    paths_below: Option<String>,
    secrets: HashSet<String>,
    regexes: Vec<Regex>,
    baseline: Option<Baseline>,
}

impl Suppressor {
    pub fn new(allow: &Allow, honor_nosonar: bool, baseline: Option<Baseline>) -> anyhow::Result<Suppressor> {
        let mut paths = GlobSetBuilder::new();
        for pattern in &allow.paths {
            paths.add(Glob::new(pattern).with_context(|| format!("[allow] paths: {pattern:?}"))?);
        }
        let regexes = allow
            .regexes
            .iter()
            .map(|r| engine::compile(r).with_context(|| format!("[allow] regexes: {r:?}")))
            .collect::<anyhow::Result<_>>()?;
        Ok(Suppressor {
            honor_nosonar,
            paths: paths.build().context("[allow] paths")?,
            paths_below: None,
            secrets: allow.secrets.iter().cloned().collect(),
            regexes,
            baseline,
        })
    }

    /// `[allow] paths` are relative to `dir`, the scan root's place below
    /// the config's directory (`sub/dir`).
    pub fn with_paths_below(mut self, dir: &str) -> Suppressor {
        self.paths_below = (!dir.is_empty()).then(|| dir.trim_end_matches('/').to_string());
        self
    }

    /// Why `finding` is not to be reported, if it is not: the one place
    /// every filter is judged, in order: an allow comment on its line, then
    /// the config's paths, fingerprints and regexes, then the baseline.
    pub fn classify(&self, finding: &Finding) -> Option<Suppression> {
        if finding.allowed_inline {
            return Some(Suppression::InlineComment);
        }
        let path = finding.path();
        let allowed = match &self.paths_below {
            Some(dir) => self.paths.is_match(format!("{dir}/{path}")),
            None => self.paths.is_match(path),
        };
        if allowed {
            return Some(Suppression::AllowedPath);
        }
        if self.secrets.contains(&finding.fingerprint) {
            return Some(Suppression::AllowedSecret);
        }
        if self.regexes.iter().any(|r| r.is_match(finding.secret.expose().as_bytes())) {
            return Some(Suppression::AllowedRegex);
        }
        if self.baseline.as_ref().is_some_and(|b| b.contains(&finding.fingerprint, path)) {
            return Some(Suppression::Baseline);
        }
        None
    }

    /// Whether the line carries an allow comment.
    pub fn allows_line(&self, line: &[u8]) -> bool {
        let marked = |marker: &[u8]| memchr::memmem::find(line, marker).is_some();
        marked(ALLOW_MARKER) || (self.honor_nosonar && marked(NOSONAR))
    }
}
