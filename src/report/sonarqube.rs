//! SonarQube's generic external issues format (10.3 and later), for
//! `sonar.externalIssuesReportPaths`: rules with their names and
//! descriptions, the Clean Code attribute and a security impact (which
//! SARIF import cannot carry), and one issue per finding at its file and
//! range (columns from 0, in characters). Paths are as the scan shows
//! them, relative to its root: run it from `sonar.projectBaseDir`.
//!
//! SonarQube imports issues on today's files only: a finding that lives
//! only in history (no longer at HEAD) is left out, and said. The secret
//! is always redacted: the report is uploaded.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Document, Notes, Place, ReportContext, Summary};
use crate::findings::Finding;
use crate::rules::{Rule, Severity};

pub const ENGINE: &str = "sqscan";

pub struct SonarQube<'a> {
    pub context: ReportContext<'a>,
}

/// Standard Experience severity, and the Security impact's (MQR) severity.
fn severities(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Critical => ("BLOCKER", "HIGH"),
        Severity::High => ("CRITICAL", "HIGH"),
        Severity::Medium => ("MAJOR", "MEDIUM"),
        Severity::Low => ("MINOR", "LOW"),
    }
}

fn rule(rule: &Rule) -> Value {
    let (severity, impact) = severities(rule.severity);
    let help = rule.help.as_deref().unwrap_or_default();
    json!({
        "id": rule.id,
        "name": rule.name,
        "description": format!("{} {help}", rule.description).trim().to_string(),
        "engineId": ENGINE,
        "cleanCodeAttribute": "TRUSTWORTHY",
        "type": "VULNERABILITY",
        "severity": severity,
        "impacts": [{"softwareQuality": "SECURITY", "severity": impact}],
    })
}

impl Document for SonarQube<'_> {
    fn write(&self, out: &mut dyn Write, findings: Vec<Finding>, _: &Summary) -> io::Result<Notes> {
        let mut notes = Notes::new();
        let mut used = BTreeSet::new();
        let mut issues = Vec::new();
        let mut history_only = 0;
        for finding in &findings {
            let place = Place::of(finding);
            if place.unreachable.is_some() || place.history.is_some_and(|h| h.at_head == Some(false)) {
                history_only += 1;
                continue;
            }
            let rule = self.context.rules.get(finding.rule);
            used.insert(finding.rule);
            let p = &finding.position;
            issues.push(json!({
                "ruleId": rule.id,
                "effortMinutes": 30,
                "primaryLocation": {
                    "message": format!("{} {}: revoke it, then remove it.", rule.name, finding.secret.redacted()),
                    "filePath": self.context.repository_path(place.path),
                    "textRange": {
                        "startLine": p.line,
                        "endLine": p.line,
                        "startColumn": p.char_column.saturating_sub(1),
                        "endColumn": p.char_end_column.saturating_sub(1),
                    },
                },
            }));
        }
        if history_only > 0 {
            notes.push(format!(
                "the SonarQube report leaves out {history_only} findings that are only in history (SonarQube imports issues on today's files); the JSON or SARIF report has them"
            ));
        }
        let rules: Vec<Value> = used.into_iter().map(|index| rule(self.context.rules.get(index))).collect();
        serde_json::to_writer_pretty(&mut *out, &json!({"rules": rules, "issues": issues}))?;
        out.write_all(b"\n")?;
        Ok(notes)
    }
}
