//! GitLab's Secret Detection report (`gl-secret-detection-report.json`,
//! schema 15.x), for `artifacts: reports: secret_detection`: the scan
//! (analyzer and scanner `sqscan`, times without a zone, as the schema
//! wants), and one vulnerability per finding with a stable id (a UUID
//! made from the fingerprint and path, so GitLab follows it across
//! pipelines), the rule as primary identifier, CWE-798, and the file,
//! line and commit. Never `raw_source_code_extract`: it would carry the
//! secret. The message holds the redacted secret only, whatever
//! `--no-redact` says: the report is uploaded to GitLab.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sha2::Digest as _;

use super::{Document, Notes, Place, ReportContext, Summary};
use crate::findings::Finding;
use crate::rules::Severity;

/// The schema version written.
pub const SCHEMA_VERSION: &str = "15.2.1";
const SCHEMA: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.2.1/dist/secret-detection-report-format.json";

pub struct Gitlab<'a> {
    pub context: ReportContext<'a>,
}

/// A UUID (RFC 9562 version 8: name-derived, from SHA-256) for `name`.
fn uuid(name: &str) -> String {
    let digest = sha2::Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `2024-01-31T10:00:00`: UTC, no zone (the schema's pattern).
fn time(seconds: i64) -> String {
    let text = crate::findings::rfc3339(seconds, 0);
    text.get(..19).unwrap_or(&text).to_string()
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

impl Gitlab<'_> {
    /// `tree_commit`: what a tree scan's findings are at (the pipeline's commit).
    fn vulnerability(&self, finding: &Finding, tree_commit: &str) -> Value {
        let rule = self.context.rules.get(finding.rule);
        let place = Place::of(finding);
        // A tree scan's finding is at the commit the pipeline runs on.
        let commit = place.first_commit().map(|c| c.id.clone()).unwrap_or_else(|| tree_commit.to_string());
        let mut identifiers = vec![json!({
            "type": "sqscan_rule_id",
            "name": format!("sqscan rule {}", rule.id),
            "value": rule.id,
        })];
        if let Some(key) = &rule.sonar_key {
            identifiers.push(json!({"type": "sonar_rule", "name": format!("Sonar rule {key}"), "value": key}));
        }
        let cwe = rule.cwe.as_deref().unwrap_or("CWE-798");
        let number = cwe.trim_start_matches("CWE-");
        identifiers.push(json!({
            "type": "cwe",
            "name": cwe,
            "value": number,
            "url": format!("https://cwe.mitre.org/data/definitions/{number}.html"),
        }));
        let help = rule.help.as_deref().unwrap_or(&rule.description);
        let mut vulnerability = json!({
            "id": uuid(&format!("{}\0{}", finding.fingerprint, self.context.repository_path(place.path))),
            "name": rule.name,
            "description": format!("{} {} Found: {}.", rule.description, help, finding.secret.redacted()),
            "severity": severity(rule.severity),
            "solution": help,
            "identifiers": identifiers,
            "location": {
                "file": self.context.repository_path(place.path),
                "start_line": finding.position.line,
                "commit": {"sha": commit},
            },
        });
        if let Some(verification) = &finding.verification {
            vulnerability["details"] = json!({
                "verification": {"name": "Verification", "type": "text", "value": format!("{}: {}", verification.status.as_str(), verification.detail)}
            });
        }
        vulnerability
    }
}

impl Document for Gitlab<'_> {
    fn write(&self, out: &mut dyn Write, findings: Vec<Finding>, summary: &Summary) -> io::Result<Notes> {
        let tree_commit = std::env::var("CI_COMMIT_SHA")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "0000000000000000000000000000000000000000".to_string());
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let started = now - summary.elapsed.as_secs() as i64;
        let tool = json!({
            "id": "sqscan",
            "name": "sqscan",
            "version": env!("CARGO_PKG_VERSION"),
            "vendor": {"name": "sqscan"},
        });
        let mut scanner = tool.clone();
        scanner["url"] = json!(super::sarif::INFORMATION_URI);
        let report = json!({
            "version": SCHEMA_VERSION,
            "schema": SCHEMA,
            "scan": {
                "analyzer": tool,
                "scanner": scanner,
                "type": "secret_detection",
                "start_time": time(started),
                "end_time": time(now),
                "status": "success",
            },
            "vulnerabilities": findings.iter().map(|f| self.vulnerability(f, &tree_commit)).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut *out, &report)?;
        out.write_all(b"\n")?;
        Ok(Notes::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_uuids_and_times_have_no_zone() {
        let id = uuid("fingerprint\0path");
        assert_eq!(id, uuid("fingerprint\0path"));
        assert_ne!(id, uuid("fingerprint\0other"));
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "8");
        assert_eq!(time(1_700_000_000), "2023-11-14T22:13:20");
    }
}
