//! CSV for spreadsheets: a header row, then one row per location (a
//! history finding has a row for every commit that introduced it). Secrets
//! are redacted unless `--no-redact`. A cell that a spreadsheet would read
//! as a formula (`=`, `+`, `-`, `@`, a tab or carriage return first) gets a
//! leading `'`: file names and author names come from scanned content.

use std::io::{self, Write};

use super::audit::AuditReport;
use super::{Document, Notes, Place, ReportContext, Summary};
use crate::findings::{Commit, Finding};

/// The columns, in order (documented in the README).
pub const COLUMNS: [&str; 18] = [
    "rule",
    "rule_name",
    "sonar_key",
    "severity",
    "fingerprint",
    "secret",
    "path",
    "line",
    "column",
    "commit",
    "author",
    "email",
    "date",
    "blob",
    "at_head",
    "verification",
    "verification_detail",
    "expires",
];

pub struct Csv<'a> {
    pub context: ReportContext<'a>,
}

impl Csv<'_> {
    fn rows(&self, finding: &Finding) -> Vec<Vec<String>> {
        let rule = self.context.rules.get(finding.rule);
        let place = Place::of(finding);
        let verification = finding.verification.as_ref();
        let row = |path: &str, line: usize, column: usize, commit: Option<&Commit>, blob: &str| {
            let at_head = place.history.and_then(|h| h.at_head).map(|b| b.to_string()).unwrap_or_default();
            vec![
                rule.id.clone(),
                rule.name.clone(),
                rule.sonar_key.clone().unwrap_or_default(),
                rule.severity.as_str().to_string(),
                finding.fingerprint.clone(),
                finding.shown_secret(self.context.redact),
                path.to_string(),
                line.to_string(),
                column.to_string(),
                commit.map(|c| c.id.clone()).unwrap_or_default(),
                commit.map(|c| c.author.clone()).unwrap_or_default(),
                commit.map(|c| c.email.clone()).unwrap_or_default(),
                commit.map(|c| c.date.clone()).unwrap_or_default(),
                blob.to_string(),
                at_head,
                verification.map(|v| v.status.as_str().to_string()).unwrap_or_default(),
                verification.map(|v| v.detail.clone()).unwrap_or_default(),
                verification.and_then(|v| v.expires.clone()).unwrap_or_default(),
            ]
        };
        match place.history {
            Some(history) => history
                .occurrences
                .iter()
                .map(|o| row(&o.path, o.line, o.column, o.commit.as_deref(), &o.blob))
                .collect(),
            None => vec![row(place.path, finding.position.line, finding.position.column, None, "")],
        }
    }
}

/// A cell a spreadsheet will show as text, never run as a formula.
pub fn neutralised(cell: String) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

impl Document for Csv<'_> {
    fn write(&self, out: &mut dyn Write, findings: Vec<Finding>, _: &Summary) -> io::Result<Notes> {
        let mut writer = ::csv::Writer::from_writer(out);
        writer.write_record(COLUMNS)?;
        for row in findings.iter().flat_map(|f| self.rows(f)) {
            writer.write_record(row.into_iter().map(neutralised))?;
        }
        writer.flush()?;
        Ok(Notes::new())
    }
}

/// An audit: the columns of a scan, after the repository, one row per
/// location of every incident.
pub fn write_audit(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(std::iter::once("repository").chain(COLUMNS))?;
    for incident in &report.incidents {
        let verification = incident.verification.as_ref();
        for l in &incident.locations {
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            let row = [
                text(&l.repository),
                incident.rule.clone(),
                incident.rule_name.clone(),
                text(&incident.sonar_key),
                incident.severity.as_str().to_string(),
                incident.fingerprint.clone(),
                incident.secret.clone(),
                l.path.clone(),
                l.line.to_string(),
                l.column.to_string(),
                text(&l.commit),
                text(&l.author),
                text(&l.email),
                text(&l.date),
                text(&l.blob),
                l.at_head.map(|b| b.to_string()).unwrap_or_default(),
                verification.map(|v| v.status.as_str().to_string()).unwrap_or_default(),
                verification.map(|v| v.detail.clone()).unwrap_or_default(),
                verification.and_then(|v| v.expires.clone()).unwrap_or_default(),
            ];
            writer.write_record(row.into_iter().map(neutralised))?;
        }
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for cell in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralised(cell.to_string()).starts_with('\''), "{cell:?}");
        }
        assert_eq!(neutralised("a.env".to_string()), "a.env");
        assert_eq!(neutralised(String::new()), "");
    }
}
