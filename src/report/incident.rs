//! Incidents: one secret (one fingerprint), wherever it was found — in
//! one file, forty commits or twelve repositories. What people act on is
//! the secret (revoke it once), so the page and every audit format show
//! incidents; the JSON of an audit is this model, field for field, and
//! `sqscan merge` reads it back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Place;
use crate::findings::{Finding, Origin, Verification};
use crate::rules::{RuleSet, Severity};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub fingerprint: String,
    pub rule: String,
    pub rule_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sonar_key: Option<String>,
    pub severity: Severity,
    /// Redacted unless the run was asked `--no-redact`.
    pub secret: String,
    pub redacted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Every repository holding the secret, sorted (empty for a working tree).
    pub repositories: Vec<String>,
    /// One per repository and path, sorted.
    pub locations: Vec<Location>,
}

/// Where the secret is: for a history, the commit that first put it at
/// this path, and whether HEAD still holds it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// The line, every secret on it redacted (or not, with `--no-redact`).
    pub snippet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_head: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// How many commits introduced it at this path (1 for a file).
    pub introductions: usize,
}

impl Incident {
    /// The secret redacted, whatever the run was asked (for SARIF and HTML).
    pub fn redacted_secret(&self) -> String {
        if self.redacted {
            self.secret.clone()
        } else {
            crate::findings::Secret::new(self.secret.as_bytes()).redacted()
        }
    }

    /// `active`, `inactive`, `unknown`, or `unchecked` (not verified).
    pub fn state(&self) -> &'static str {
        self.verification.as_ref().map_or("unchecked", |v| v.status.as_str())
    }

    /// The location whose commit is the oldest: where the secret first entered.
    pub fn first(&self) -> Option<&Location> {
        self.locations.iter().filter(|l| l.commit.is_some()).min_by(|a, b| a.date.cmp(&b.date))
    }

    /// `head` (some copy is still at HEAD), `history` (only in history),
    /// or `tree` (a working tree or the index: no history asked).
    pub fn head(&self) -> &'static str {
        if self.locations.iter().any(|l| l.at_head == Some(true)) {
            "head"
        } else if self.locations.iter().any(|l| l.at_head == Some(false)) {
            "history"
        } else {
            "tree"
        }
    }

    /// Folds in what another part of the same audit (a shard) found of
    /// the same secret: the union of repositories and locations, and the
    /// more telling verification (live beats dead beats unknown).
    pub fn absorb(&mut self, other: Incident) {
        self.repositories.extend(other.repositories);
        self.repositories.sort();
        self.repositories.dedup();
        self.locations.extend(other.locations);
        sort_locations(&mut self.locations);
        self.locations.dedup();
        let rank = |v: &Option<Verification>| v.as_ref().map_or(3, |v| v.status as u8);
        if rank(&other.verification) < rank(&self.verification) {
            self.verification = other.verification;
        }
    }
}

fn sort_locations(locations: &mut [Location]) {
    locations
        .sort_by(|a, b| (&a.repository, &a.path, a.line, a.column).cmp(&(&b.repository, &b.path, b.line, b.column)));
}

/// Findings grouped into incidents, sorted by fingerprint.
pub fn incidents(findings: &[Finding], rules: &RuleSet, redact: bool) -> Vec<Incident> {
    let mut by_secret: BTreeMap<&str, Incident> = BTreeMap::new();
    for finding in findings {
        let rule = rules.get(finding.rule);
        let incident = by_secret.entry(&finding.fingerprint).or_insert_with(|| Incident {
            fingerprint: finding.fingerprint.clone(),
            rule: rule.id.clone(),
            rule_name: rule.name.clone(),
            sonar_key: rule.sonar_key.clone(),
            severity: rule.severity,
            secret: finding.shown_secret(redact),
            redacted: redact,
            verification: finding.verification.clone(),
            repositories: Vec::new(),
            locations: Vec::new(),
        });
        let repository = match &finding.origin {
            Origin::Blob(blob) => Some(blob.repository.to_string()),
            Origin::File { .. } | Origin::Stdin => None,
        };
        let place = Place::of(finding);
        let first = place.first_commit();
        incident.locations.push(Location {
            repository,
            path: place.path.to_string(),
            line: finding.position.line,
            column: finding.position.column,
            snippet: finding.shown_line(redact),
            commit: first.map(|c| c.id.clone()),
            author: first.map(|c| c.author.clone()),
            email: first.map(|c| c.email.clone()),
            date: first.map(|c| c.date.clone()),
            at_head: place.history.and_then(|h| h.at_head),
            blob: place.history.map(|h| h.first().blob.clone()).or(place.unreachable.map(str::to_string)),
            introductions: place.history.map_or(1, |h| h.occurrences.len()),
        });
    }
    let mut all: Vec<Incident> = by_secret.into_values().collect();
    for incident in &mut all {
        sort_locations(&mut incident.locations);
        incident.repositories = incident.locations.iter().filter_map(|l| l.repository.clone()).collect();
        incident.repositories.sort();
        incident.repositories.dedup();
    }
    all
}
