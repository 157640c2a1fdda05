//! SARIF 2.1.0, built with the serde-sarif types, for GitHub code scanning
//! and SonarQube's external issue import (`sonar.sarifReportPaths`).
//!
//! What those consumers require: every rule has a `defaultConfiguration.level`
//! (SonarQube); uris are relative to `%SRCROOT%`, at most 25,000 results a
//! run, and `partialFingerprints` let GitHub follow a result across runs. A
//! result's message never holds the secret in full, whatever `--no-redact`
//! says: SARIF files get uploaded.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag, Region,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif as SarifLog, Tool,
    ToolComponent,
};

use super::audit::AuditReport;
use super::incident::{Incident, Location as IncidentLocation};
use super::{Document, Notes, Place, ReportContext, Summary};
use crate::findings::{Finding, Liveness};
use crate::rules::{Level, Rule, RuleSet};

pub const INFORMATION_URI: &str = "https://github.com/sqscan/sqscan";
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// GitHub refuses runs with more results.
pub const MAX_RESULTS: usize = 25_000;
const ROOT_ID: &str = "SRCROOT";
/// The `partialFingerprints` key; versioned, as GitHub advises.
pub const FINGERPRINT_KEY: &str = "sqscanSecret/v1";

pub struct Sarif<'a> {
    pub context: ReportContext<'a>,
}

fn driver(rules: Vec<ReportingDescriptor>) -> Tool {
    let driver = ToolComponent::builder()
        .name("sqscan")
        .full_name(concat!("sqscan ", env!("CARGO_PKG_VERSION"), ": SonarQube token scanner"))
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules)
        .build();
    Tool::builder().driver(driver).build()
}

impl Sarif<'_> {
    fn log(&self, findings: &[Finding]) -> SarifLog {
        let rules = self.context.rules.rules().iter().map(descriptor).collect::<Vec<_>>();
        let results = findings.iter().map(|f| self.result(f)).collect::<Vec<_>>();
        let mut run = Run::builder().tool(driver(rules)).results(results).build();
        // The category (the id up to its last `/`) keeps a `scan` and a `git`
        // upload from one workflow apart.
        run.automation_details = Some(automation_details(&self.context.automation));
        run.column_kind = Some(json!("unicodeCodePoints"));
        if let Some(root) = self.context.repository_root() {
            let base = ArtifactLocation::builder().uri(directory_uri(&root)).build();
            run.original_uri_base_ids = Some(BTreeMap::from([(ROOT_ID.to_string(), base)]));
        }
        SarifLog::builder().schema(SCHEMA).version(json!("2.1.0")).runs(vec![run]).build()
    }

    fn result(&self, finding: &Finding) -> SarifResult {
        let rule = self.context.rules.get(finding.rule);
        let place = Place::of(finding);
        let p = &finding.position;
        let region = Region::builder()
            .start_line(p.line as i64)
            .start_column(p.char_column as i64)
            .end_line(p.line as i64)
            .end_column(p.char_end_column as i64)
            .build();
        let path = self.context.repository_path(place.path);
        let artifact = if path.starts_with('/') {
            ArtifactLocation::builder().uri(file_uri(&path)).build()
        } else {
            ArtifactLocation::builder().uri(escape_uri_path(&path)).uri_base_id(ROOT_ID).build()
        };
        let location = Location::builder()
            .physical_location(PhysicalLocation::builder().artifact_location(artifact).region(region).build())
            .build();
        let message = format!("{} {} found in {}.", rule.name, finding.secret.redacted(), place.path);
        let mut properties = BTreeMap::from([
            ("fingerprint".to_string(), json!(finding.fingerprint)),
            ("secret".to_string(), json!(finding.secret.redacted())),
            ("security-severity".to_string(), json!(rule.severity.security_severity())),
        ]);
        if let Some(blob) = place.unreachable {
            properties.insert("unreachableBlob".to_string(), json!(blob));
        }
        if let Some(history) = place.history {
            let first = history.first();
            if let Some(commit) = place.first_commit() {
                properties.insert("commit".to_string(), json!(commit.id));
                properties.insert("author".to_string(), json!(commit.author));
                properties.insert("authorEmail".to_string(), json!(commit.email));
                properties.insert("date".to_string(), json!(commit.date));
            }
            properties.insert("blob".to_string(), json!(first.blob));
            properties.insert("occurrences".to_string(), json!(history.occurrences.len()));
            if let Some(at_head) = history.at_head {
                properties.insert("atHead".to_string(), json!(at_head));
            }
        }
        if let Some(verification) = &finding.verification {
            let mut record = json!({"status": verification.status.as_str(), "detail": verification.detail});
            if let Some(expires) = &verification.expires {
                record["expires"] = json!(expires);
            }
            if let Some(days) = verification.expires_in_days {
                record["expiresInDays"] = json!(days);
            }
            if let Some(lifetime) = &verification.lifetime {
                record["lifetime"] = json!(lifetime);
            }
            if let Some(analysis) = &verification.analysis {
                record["analysis"] = json!(analysis);
            }
            properties.insert("verification".to_string(), record);
            if verification.status == Liveness::Active {
                // A live token is an incident: the highest score there is.
                properties.insert("security-severity".to_string(), json!("10.0"));
            }
        }
        let properties = PropertyBag::builder().additional_properties(properties).build();
        let mut result = SarifResult::builder()
            .rule_id(rule.id.clone())
            .rule_index(finding.rule as i64)
            .level(level(rule))
            .message(Message::builder().text(message).build())
            .locations(vec![location])
            .partial_fingerprints(BTreeMap::from([(FINGERPRINT_KEY.to_string(), finding.fingerprint.clone())]))
            .properties(properties)
            .build();
        result.occurrence_count = place.history.map(|h| h.occurrences.len() as i64);
        result
    }
}

/// An audit as SARIF: one run per repository, told apart by
/// `automationDetails.id` (`sqscan/audit/<identity>`), as GitHub expects
/// of several analyses in one file; paths are relative to each repository.
pub fn audit_log(report: &AuditReport, rules: &RuleSet) -> (SarifLog, Notes) {
    let mut notes = Notes::new();
    // Every rule the run knows, and any a shard knew that this one does not.
    let mut descriptors: Vec<ReportingDescriptor> = rules.rules().iter().map(descriptor).collect();
    let mut index: BTreeMap<String, usize> = rules.rules().iter().enumerate().map(|(n, r)| (r.id.clone(), n)).collect();
    for incident in &report.incidents {
        if !index.contains_key(&incident.rule) {
            index.insert(incident.rule.clone(), descriptors.len());
            descriptors.push(foreign_descriptor(incident));
        }
    }
    let mut runs = Vec::new();
    for repository in &report.repositories {
        let mut results = Vec::new();
        for incident in &report.incidents {
            for location in incident.locations.iter().filter(|l| l.repository.as_ref() == Some(&repository.repository))
            {
                results.push(audit_result(incident, location, index[&incident.rule]));
            }
        }
        if results.len() > MAX_RESULTS {
            notes.push(format!(
                "SARIF holds the first {MAX_RESULTS} of {} results for {} (GitHub's limit per run)",
                results.len(),
                repository.repository
            ));
            results.truncate(MAX_RESULTS);
        }
        let mut run = Run::builder().tool(driver(descriptors.clone())).results(results).build();
        run.column_kind = Some(json!("utf16CodeUnits"));
        let mut details = serde_sarif::sarif::RunAutomationDetails::builder().build();
        details.id = Some(format!("sqscan/audit/{}", repository.repository));
        run.automation_details = Some(details);
        runs.push(run);
    }
    (SarifLog::builder().schema(SCHEMA).version(json!("2.1.0")).runs(runs).build(), notes)
}

fn automation_details(automation: &super::Automation) -> serde_sarif::sarif::RunAutomationDetails {
    let mut details = serde_sarif::sarif::RunAutomationDetails::builder().build();
    details.id = Some(automation.id.clone());
    if !automation.properties.is_empty() {
        details.properties = Some(PropertyBag::builder().additional_properties(automation.properties.clone()).build());
    }
    details
}

fn audit_result(incident: &Incident, location: &IncidentLocation, rule_index: usize) -> SarifResult {
    let region = Region::builder().start_line(location.line as i64).start_column(location.column as i64).build();
    let artifact = ArtifactLocation::builder().uri(escape_uri_path(&location.path)).build();
    let sarif_location = Location::builder()
        .physical_location(PhysicalLocation::builder().artifact_location(artifact).region(region).build())
        .build();
    let redacted = incident.redacted_secret();
    let message = format!("{} {redacted} found in {}.", incident.rule_name, location.path);
    let mut properties = BTreeMap::from([
        ("fingerprint".to_string(), json!(incident.fingerprint)),
        ("secret".to_string(), json!(redacted)),
        ("security-severity".to_string(), json!(incident.severity.security_severity())),
        ("repositories".to_string(), json!(incident.repositories)),
    ]);
    let optional = [
        ("commit", &location.commit),
        ("author", &location.author),
        ("authorEmail", &location.email),
        ("date", &location.date),
        ("blob", &location.blob),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            properties.insert(key.to_string(), json!(value));
        }
    }
    if let Some(at_head) = location.at_head {
        properties.insert("atHead".to_string(), json!(at_head));
    }
    if let Some(verification) = &incident.verification {
        properties.insert("verification".to_string(), json!(verification));
        if verification.status == Liveness::Active {
            properties.insert("security-severity".to_string(), json!("10.0"));
        }
    }
    SarifResult::builder()
        .rule_id(incident.rule.clone())
        .rule_index(rule_index as i64)
        .level(severity_level(incident.severity.level()))
        .message(Message::builder().text(message).build())
        .locations(vec![sarif_location])
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT_KEY.to_string(), incident.fingerprint.clone())]))
        .properties(PropertyBag::builder().additional_properties(properties).build())
        .build()
}

/// A rule known only by what a report says of it (a shard's own rules).
fn foreign_descriptor(incident: &Incident) -> ReportingDescriptor {
    let level = incident.severity.level().as_str();
    ReportingDescriptor::builder()
        .id(incident.rule.clone())
        .name(incident.rule_name.clone())
        .short_description(MultiformatMessageString::builder().text(incident.rule_name.clone()).build())
        .default_configuration(ReportingConfiguration::builder().level(json!(level)).build())
        .properties(
            PropertyBag::builder()
                .tags(vec!["security".to_string(), "secret".to_string()])
                .additional_properties(BTreeMap::from([(
                    "security-severity".to_string(),
                    json!(incident.severity.security_severity()),
                )]))
                .build(),
        )
        .build()
}

fn severity_level(level: Level) -> ResultLevel {
    match level {
        Level::Error => ResultLevel::Error,
        Level::Warning => ResultLevel::Warning,
        Level::Note => ResultLevel::Note,
    }
}

fn level(rule: &Rule) -> ResultLevel {
    severity_level(rule.severity.level())
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let help = rule.help.as_deref().unwrap_or(&rule.description);
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    if let Some(cwe) = &rule.cwe {
        tags.push(format!("external/cwe/{}", cwe.to_ascii_lowercase()));
    }
    if let Some(key) = &rule.sonar_key {
        tags.push(format!("external/sonar/{key}"));
    }
    let mut properties = BTreeMap::from([
        ("security-severity".to_string(), json!(rule.severity.security_severity())),
        ("precision".to_string(), json!("high")),
        ("problem.severity".to_string(), json!(rule.severity.level().as_str())),
    ]);
    if let Some(key) = &rule.sonar_key {
        properties.insert("sonar-key".to_string(), json!(key));
    }
    let mut builder = ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(rule.name.clone())
        .short_description(MultiformatMessageString::builder().text(rule.name.clone()).build())
        .full_description(MultiformatMessageString::builder().text(rule.description.clone()).build())
        .help(
            MultiformatMessageString::builder()
                .text(format!("{} {help}", rule.description))
                .markdown(format!("{}\n\n**Fix:** {help}", rule.description))
                .build(),
        )
        .default_configuration(ReportingConfiguration::builder().level(json!(rule.severity.level().as_str())).build())
        .properties(PropertyBag::builder().tags(tags).additional_properties(properties).build())
        .build();
    builder.help_uri = rule.help_uri.clone();
    builder
}

/// Percent-encodes a relative path for a URI: everything but unreserved
/// characters and `/`.
fn escape_uri_path(path: &str) -> String {
    crate::url::percent_encoded(path, b"/")
}

fn file_uri(absolute: &str) -> String {
    format!("file://{}", escape_uri_path(absolute))
}

fn directory_uri(root: &Path) -> String {
    let mut uri = file_uri(&crate::sources::paths::slashed(root));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

impl Document for Sarif<'_> {
    fn write(&self, out: &mut dyn Write, mut findings: Vec<Finding>, _: &Summary) -> io::Result<Notes> {
        let mut notes = Notes::new();
        if findings.len() > MAX_RESULTS {
            // Keep the most severe first, so what GitHub shows matters most.
            let rules = self.context.rules;
            findings.sort_by_key(|f| std::cmp::Reverse(rules.get(f.rule).severity));
            notes.push(format!(
                "SARIF holds the first {MAX_RESULTS} of {} findings (GitHub's limit per run)",
                findings.len()
            ));
            findings.truncate(MAX_RESULTS);
        }
        serde_json::to_writer_pretty(&mut *out, &self.log(&findings))?;
        out.write_all(b"\n")?;
        Ok(notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(escape_uri_path("a b/c#d.env"), "a%20b/c%23d.env");
        assert_eq!(file_uri("/tmp/x y"), "file:///tmp/x%20y");
        assert_eq!(directory_uri(Path::new("/srv/repo")), "file:///srv/repo/");
    }
}
