//! The human format: one block per finding, sorted by path and line.
//!
//! ```text
//! config/app.env@1a2b3c4d:3:13  SonarQube Cloud Scoped Organization Token [S7791, critical]
//!     SONAR_TOKEN=sqco_kY9p…b6BA
//!     fingerprint 5f0c…
//!     added in 1a2b3c4d5e6f by Jane Doe <jane@example.com> on 2024-01-02T10:00:00+01:00
//!     no longer at HEAD (history only); 2 occurrences at this path
//! ```
//! (`@commit` and the last two lines for findings in git history.)

use std::io::{self, Write};

use super::audit::{AuditReport, Status};
use super::{Document, Notes, Place, ReportContext, Summary, escaped};
use crate::engine::Encoding;
use crate::findings::{Finding, Liveness};
use crate::rules::Severity;

pub struct Human<'a> {
    pub context: ReportContext<'a>,
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
}

impl Human<'_> {
    fn write_finding(&self, out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        let paint = Paint(self.context.color);
        let rule = self.context.rules.get(finding.rule);
        let p = &finding.position;
        let place = Place::of(finding);
        let commit = place.first_commit();
        let at = commit.map(|c| format!("@{}", &c.id[..c.id.len().min(8)])).unwrap_or_default();
        let location = format!(
            "{}{at}:{}:{}",
            paint.wrap("35", &escaped(place.path)),
            paint.wrap("32", &p.line.to_string()),
            p.column
        );
        let mut tags: Vec<&str> = rule.sonar_key.iter().map(String::as_str).collect();
        tags.push(rule.severity.as_str());
        let name_color = if rule.severity == Severity::Low { "1;33" } else { "1;31" };
        writeln!(out, "{location}  {} [{}]", paint.wrap(name_color, &rule.name), tags.join(", "))?;
        let line = finding.shown_line(self.context.redact);
        writeln!(out, "    {}", line.trim())?;
        let mut detail = format!("    fingerprint {}", paint.wrap("2", &finding.fingerprint));
        let encoded = match finding.encoding {
            Encoding::Plain => None,
            Encoding::Base64 => Some("base64-encoded"),
            Encoding::Url => Some("percent-encoded"),
            Encoding::Split => Some("split across string literals"),
        };
        if let Some(written) = encoded {
            detail.push_str(&format!("  secret {} ({written} in the file)", finding.shown_secret(self.context.redact)));
        }
        writeln!(out, "{detail}")?;
        if let Some(blob) = place.unreachable {
            writeln!(out, "    unreachable blob {blob}: no ref reaches it (force-pushed, rebased or a dropped stash)")?;
        }
        if let Some(history) = place.history {
            if let Some(commit) = commit {
                writeln!(
                    out,
                    "    added in {} by {} <{}> on {}",
                    &commit.id[..commit.id.len().min(12)],
                    escaped(&commit.author),
                    escaped(&commit.email),
                    commit.date
                )?;
            }
            let mut facts = Vec::new();
            match history.at_head {
                Some(true) => facts.push("still at HEAD".to_string()),
                Some(false) => facts.push("no longer at HEAD (history only)".to_string()),
                None => {}
            }
            let count = history.occurrences.len();
            if count > 1 {
                facts.push(format!("{count} occurrences at this path"));
            }
            if !facts.is_empty() {
                writeln!(out, "    {}", facts.join("; "))?;
            }
        }
        if let Some(verification) = &finding.verification {
            let status = match verification.status {
                Liveness::Active => paint.wrap("1;31", "ACTIVE"),
                Liveness::Inactive => paint.wrap("32", "inactive"),
                Liveness::Unknown => paint.wrap("33", "unknown"),
            };
            let mut line = format!("    verified: {status} ({})", verification.detail);
            if let Some(host) = &verification.host {
                line.push_str(&format!(" at {host}"));
            }
            if let Some(expires) = &verification.expires {
                line.push_str(&format!(", expires {expires}"));
            }
            writeln!(out, "{line}")?;
            if let Some(lifetime) = &verification.lifetime {
                writeln!(out, "    {}", paint.wrap("1", lifetime))?;
            }
            if let Some(analysis) = &verification.analysis {
                writeln!(out, "    reach: {}", escaped(&analysis.summary()))?;
            }
        }
        writeln!(out)
    }
}

impl Document for Human<'_> {
    fn write(&self, out: &mut dyn Write, findings: Vec<Finding>, _: &Summary) -> io::Result<Notes> {
        for finding in &findings {
            self.write_finding(out, finding)?;
        }
        // What to do, once per kind of token found.
        let mut kinds: Vec<usize> = findings.iter().map(|f| f.rule).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let paint = Paint(self.context.color);
        for rule in kinds.into_iter().map(|index| self.context.rules.get(index)) {
            if let Some(help) = &rule.help {
                writeln!(out, "{} {help}", paint.wrap("1", &format!("What to do ({}):", rule.name)))?;
            }
        }
        Ok(Notes::new())
    }
}

/// An audit for people: each incident with every place it is, then each
/// repository that was not read whole, and why.
pub fn write_audit(out: &mut dyn Write, report: &AuditReport, color: bool) -> io::Result<()> {
    let paint = Paint(color);
    for incident in &report.incidents {
        let mut tags: Vec<&str> = incident.sonar_key.iter().map(String::as_str).collect();
        tags.push(incident.severity.as_str());
        let count = incident.repositories.len();
        writeln!(
            out,
            "{}  {} [{}]  in {count} repositor{}",
            paint.wrap("1;31", &incident.rule_name),
            incident.secret,
            tags.join(", "),
            if count == 1 { "y" } else { "ies" }
        )?;
        writeln!(out, "    fingerprint {}", paint.wrap("2", &incident.fingerprint))?;
        if let Some(v) = &incident.verification {
            writeln!(out, "    verified: {} ({})", v.status.as_str(), escaped(&v.detail))?;
        }
        for l in &incident.locations {
            let mut line = format!(
                "    {} {}:{}:{}",
                escaped(l.repository.as_deref().unwrap_or("-")),
                paint.wrap("35", &escaped(&l.path)),
                l.line,
                l.column
            );
            if let Some(commit) = &l.commit {
                line.push_str(&format!(
                    " added in {} by {} on {}",
                    &commit[..commit.len().min(12)],
                    escaped(l.author.as_deref().unwrap_or_default()),
                    l.date.as_deref().unwrap_or_default()
                ));
            }
            match l.at_head {
                Some(true) => line.push_str("; still at HEAD"),
                Some(false) => line.push_str("; history only"),
                None => {}
            }
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    for r in report.repositories.iter().filter(|r| r.status != Status::Complete) {
        let why = r.reason.as_deref().unwrap_or_default();
        writeln!(out, "{}: {} ({})", escaped(&r.repository), r.status.as_str(), escaped(why))?;
    }
    Ok(())
}
