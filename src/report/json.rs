//! JSON: one document with every finding and the run's stats, or (`jsonl`)
//! one finding per line, written as soon as it is found. Field names are
//! documented in the README and stable.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::audit::AuditReport;
use super::{Document, Notes, Place, ReportContext, Reporter, Summary};
use crate::engine::Encoding;
use crate::findings::{Commit, Finding};

pub const FORMAT_VERSION: u32 = 1;

/// `json`: one document, written at the end.
pub struct Json<'a> {
    pub context: ReportContext<'a>,
}

/// `jsonl`: one finding per line, written as it is found.
pub struct Lines<'a> {
    pub out: Box<dyn Write + 'a>,
    pub context: ReportContext<'a>,
}

#[derive(Serialize)]
struct FindingRecord<'a> {
    rule: &'a str,
    rule_name: &'a str,
    sonar_key: Option<&'a str>,
    severity: &'a str,
    fingerprint: &'a str,
    secret: String,
    redacted: bool,
    encoding: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    end_column: usize,
    snippet: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    history: Option<HistoryRecord<'a>>,
    /// The blob's id, for a blob no ref reaches (`--unreachable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    unreachable_blob: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// With `--verify`.
    verification: Option<&'a crate::findings::Verification>,
    /// What to revoke, where, and what to use instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<&'a str>,
}

/// For findings in git history.
#[derive(Serialize)]
struct HistoryRecord<'a> {
    /// The commit that first introduced the secret at this path.
    commit: Option<CommitRecord<'a>>,
    blob: &'a str,
    /// Whether HEAD still holds it here; absent where not asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    at_head: Option<bool>,
    occurrence_count: usize,
    occurrences: Vec<OccurrenceRecord<'a>>,
}

#[derive(Serialize)]
struct CommitRecord<'a> {
    id: &'a str,
    author: &'a str,
    email: &'a str,
    date: &'a str,
}

#[derive(Serialize)]
struct OccurrenceRecord<'a> {
    commit: Option<CommitRecord<'a>>,
    path: &'a str,
    blob: &'a str,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<FindingRecord<'a>>,
    stats: Stats<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Stats<'a> {
    unit: &'a str,
    scanned: u64,
    bytes: u64,
    findings: u64,
    suppressed: BTreeMap<&'static str, u64>,
    skipped: BTreeMap<&'static str, u64>,
    skipped_paths: Vec<SkippedRecord<'a>>,
    /// Whether something that hides an unknown amount of content (a ref,
    /// commit, tree or named target) could not be read.
    incomplete: bool,
    elapsed_ms: u128,
}

#[derive(Serialize)]
struct SkippedRecord<'a> {
    path: &'a str,
    reason: &'static str,
    detail: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    incomplete: bool,
}

fn record<'f>(finding: &'f Finding, context: &'f ReportContext) -> FindingRecord<'f> {
    let rule = context.rules.get(finding.rule);
    let place = Place::of(finding);
    FindingRecord {
        rule: &finding.rule_id,
        rule_name: &rule.name,
        sonar_key: rule.sonar_key.as_deref(),
        severity: rule.severity.as_str(),
        fingerprint: &finding.fingerprint,
        secret: finding.shown_secret(context.redact),
        redacted: context.redact,
        encoding: match finding.encoding {
            Encoding::Plain => "plain",
            Encoding::Base64 => "base64",
            Encoding::Url => "url",
            Encoding::Split => "split",
        },
        path: place.path,
        line: finding.position.line,
        column: finding.position.column,
        end_column: finding.position.end_column,
        snippet: finding.shown_line(context.redact),
        unreachable_blob: place.unreachable,
        history: place.history.map(|h| HistoryRecord {
            commit: commit_record(place.first_commit()),
            blob: &h.first().blob,
            at_head: h.at_head,
            occurrence_count: h.occurrences.len(),
            occurrences: h
                .occurrences
                .iter()
                .map(|o| OccurrenceRecord {
                    commit: commit_record(o.commit.as_deref()),
                    path: &o.path,
                    blob: &o.blob,
                    line: o.line,
                    column: o.column,
                })
                .collect(),
        }),
        remediation: rule.help.as_deref(),
        verification: finding.verification.as_ref(),
    }
}

fn commit_record(commit: Option<&Commit>) -> Option<CommitRecord<'_>> {
    commit.map(|c| CommitRecord { id: &c.id, author: &c.author, email: &c.email, date: &c.date })
}

fn stats(summary: &Summary) -> Stats<'_> {
    let mut skipped = BTreeMap::new();
    for s in &summary.skipped {
        *skipped.entry(s.reason.kind()).or_insert(0) += 1;
    }
    Stats {
        unit: summary.unit.plural(),
        scanned: summary.scanned,
        bytes: summary.bytes,
        findings: summary.findings,
        suppressed: summary.suppressed.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
        skipped,
        skipped_paths: summary
            .skipped
            .iter()
            .map(|s| SkippedRecord {
                path: &s.path,
                reason: s.reason.kind(),
                detail: s.reason.to_string(),
                incomplete: s.incomplete,
            })
            .collect(),
        incomplete: summary.skipped.iter().any(|s| s.incomplete),
        elapsed_ms: summary.elapsed.as_millis(),
    }
}

impl Document for Json<'_> {
    fn write(&self, out: &mut dyn Write, findings: Vec<Finding>, summary: &Summary) -> io::Result<Notes> {
        let report = Report {
            version: FORMAT_VERSION,
            tool: Tool { name: "sqscan", version: env!("CARGO_PKG_VERSION") },
            findings: findings.iter().map(|f| record(f, &self.context)).collect(),
            stats: stats(summary),
        };
        serde_json::to_writer_pretty(&mut *out, &report)?;
        out.write_all(b"\n")?;
        Ok(Notes::new())
    }
}

impl Reporter for Lines<'_> {
    fn finding(&mut self, finding: Finding) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &record(&finding, &self.context))?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>, _: &Summary) -> io::Result<Notes> {
        self.out.flush()?;
        Ok(Notes::new())
    }
}

/// An audit as one document: the model, field for field.
pub fn write_audit(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// An audit as lines: `{"incident": …}` for each incident, then
/// `{"repository": …}` for each repository, then `{"stats": …}`.
pub fn write_audit_lines(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    for incident in &report.incidents {
        serde_json::to_writer(&mut *out, &serde_json::json!({ "incident": incident }))?;
        out.write_all(b"\n")?;
    }
    for repository in &report.repositories {
        serde_json::to_writer(&mut *out, &serde_json::json!({ "repository": repository }))?;
        out.write_all(b"\n")?;
    }
    serde_json::to_writer(&mut *out, &serde_json::json!({ "stats": report.stats }))?;
    out.write_all(b"\n")
}
