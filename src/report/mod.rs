//! Reporters turn findings into output. They only format: they know nothing
//! of matching, files or git. Stdout (or `--output`) carries the report;
//! the summary line and warnings go to stderr, written by the caller.

pub mod audit;
mod baseline;
mod csv;
mod gitlab;
mod html;
mod human;
pub mod incident;
mod json;
pub mod progress;
mod sarif;
mod sonarqube;
mod summary;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::findings::{Commit, Finding, History, Origin, Suppression};
use crate::rules::RuleSet;
use crate::sources::{Skipped, Unit};

pub use summary::{human_bytes, summary_line};

/// The output formats `--format` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
    /// One row per location, for spreadsheets
    Csv,
    /// One self-contained page for people (secrets always redacted)
    Html,
    /// GitLab's Secret Detection report (`reports: secret_detection`)
    Gitlab,
    /// SonarQube's generic external issues (`sonar.externalIssuesReportPaths`)
    Sonarqube,
    /// The findings as a baseline file (`sqscan baseline`).
    Baseline,
}

/// What a run did, for the summary line and the `stats` of JSON output.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// What `scanned` counts.
    pub unit: Unit,
    pub scanned: u64,
    pub bytes: u64,
    /// Findings reported (suppressed ones excluded).
    pub findings: u64,
    pub suppressed: BTreeMap<Suppression, u64>,
    pub skipped: Vec<Skipped>,
    pub elapsed: Duration,
}

/// What every reporter needs besides findings.
pub struct ReportContext<'a> {
    pub rules: &'a RuleSet,
    /// Show secrets redacted (the default) or in full (`--no-redact`).
    pub redact: bool,
    /// The absolute scan root; shown paths are relative to it.
    pub root: Option<PathBuf>,
    /// Colour the human format (a terminal, and not `NO_COLOR`).
    pub color: bool,
    /// What run this is, for SARIF's `automationDetails`.
    pub automation: Automation,
    /// Where the scan root lies in its git work tree (`services/api`), or
    /// empty: the reports that tools upload (SARIF, GitLab, SonarQube)
    /// give paths from the repository's root, which is where they look.
    pub within_repository: String,
}

impl ReportContext<'_> {
    /// A shown path as the repository's root sees it.
    pub fn repository_path<'p>(&self, path: &'p str) -> std::borrow::Cow<'p, str> {
        if self.within_repository.is_empty() || path.starts_with('/') || path == crate::findings::STDIN_PATH {
            std::borrow::Cow::Borrowed(path)
        } else {
            std::borrow::Cow::Owned(format!("{}/{path}", self.within_repository))
        }
    }

    /// The directory paths are relative to for tools: the work tree's
    /// root when the scan root lies in one.
    pub fn repository_root(&self) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        let depth = self.within_repository.split('/').filter(|c| !c.is_empty()).count();
        root.ancestors().nth(depth).map(std::path::Path::to_path_buf)
    }
}

/// SARIF's `automationDetails`: on GitHub, `sqscan/<kind>/` (the category,
/// so that a `scan` and a `git` upload from one workflow do not replace
/// each other); in Azure Pipelines, the build and phase that Advanced
/// Security ingestion attaches the run to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Automation {
    pub id: String,
    pub properties: BTreeMap<String, serde_json::Value>,
}

impl Automation {
    /// For a run of `kind` (`scan`, `git`, `range`, `staged`, `audit`),
    /// from the CI environment it runs in.
    pub fn of(kind: &str, env: impl Fn(&str) -> Option<String>) -> Automation {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let azure = get("TF_BUILD").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let pipeline =
            (get("SYSTEM_DEFINITIONID"), get("BUILD_DEFINITIONNAME"), get("SYSTEM_PHASEID"), get("SYSTEM_PHASENAME"));
        // Outside Azure Pipelines, or without its build and phase: GitHub's category.
        let (true, (Some(definition), Some(definition_name), Some(phase), Some(phase_name))) = (azure, pipeline) else {
            return Automation { id: format!("sqscan/{kind}/"), properties: BTreeMap::new() };
        };
        let organization = get("SYSTEM_COLLECTIONURI")
            .map(|uri| uri.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let parts = [
            organization,
            get("SYSTEM_TEAMPROJECT").unwrap_or_default(),
            definition.clone(),
            phase.clone(),
            get("BUILD_SOURCEBRANCH").unwrap_or_default(),
            get("BUILD_BUILDID").unwrap_or_default(),
        ];
        let number = |v: &str| v.parse::<u64>().map(serde_json::Value::from).unwrap_or_else(|_| v.into());
        let properties = BTreeMap::from([
            ("azuredevops/pipeline/build/buildDefinitionId".to_string(), number(&definition)),
            ("azuredevops/pipeline/build/buildDefinitionName".to_string(), definition_name.into()),
            ("azuredevops/pipeline/build/phaseId".to_string(), phase.into()),
            ("azuredevops/pipeline/build/phaseName".to_string(), phase_name.into()),
            ("sqscan/kind".to_string(), kind.into()),
        ]);
        Automation { id: format!("azuredevops/pipeline/build/{}", parts.join("/")), properties }
    }
}

pub trait Reporter {
    fn finding(&mut self, finding: Finding) -> io::Result<()>;
    /// Writes what is left; returns what the user should be told on
    /// stderr (a reporter never writes there itself).
    fn finish(self: Box<Self>, summary: &Summary) -> io::Result<Notes>;
}

/// Warnings a reporter has for the user, such as a report cut short.
pub type Notes = Vec<String>;

/// A report written whole once the run ends, from every finding sorted
/// by path and place: every format but the streamed one.
trait Document {
    fn write(&self, out: &mut dyn Write, findings: Vec<Finding>, summary: &Summary) -> io::Result<Notes>;
}

/// Holds findings for a [`Document`] until the run ends.
struct Collected<'a, D> {
    out: Box<dyn Write + 'a>,
    document: D,
    findings: Vec<Finding>,
}

impl<'a, D: Document + 'a> Collected<'a, D> {
    fn boxed(out: Box<dyn Write + 'a>, document: D) -> Box<dyn Reporter + 'a> {
        Box::new(Collected { out, document, findings: Vec::new() })
    }
}

impl<D: Document> Reporter for Collected<'_, D> {
    fn finding(&mut self, finding: Finding) -> io::Result<()> {
        self.findings.push(finding);
        Ok(())
    }

    fn finish(mut self: Box<Self>, summary: &Summary) -> io::Result<Notes> {
        let mut findings = std::mem::take(&mut self.findings);
        sort_findings(&mut findings);
        let notes = self.document.write(&mut self.out, findings, summary)?;
        self.out.flush()?;
        Ok(notes)
    }
}

pub fn reporter<'a>(format: Format, out: Box<dyn Write + 'a>, context: ReportContext<'a>) -> Box<dyn Reporter + 'a> {
    match format {
        Format::Human => Collected::boxed(out, human::Human { context }),
        Format::Json => Collected::boxed(out, json::Json { context }),
        Format::Jsonl => Box::new(json::Lines { out, context }),
        Format::Sarif => Collected::boxed(out, sarif::Sarif { context }),
        Format::Csv => Collected::boxed(out, csv::Csv { context }),
        Format::Html => Collected::boxed(out, html::Html { context }),
        Format::Gitlab => Collected::boxed(out, gitlab::Gitlab { context }),
        Format::Sonarqube => Collected::boxed(out, sonarqube::SonarQube { context }),
        Format::Baseline => Collected::boxed(out, baseline::BaselineWriter),
    }
}

/// Keeps every reported finding, for a caller that works on them whole
/// (an audit's incidents, `sqscan revoke`).
pub struct Gather<'a>(pub &'a mut Vec<Finding>);

impl Reporter for Gather<'_> {
    fn finding(&mut self, finding: Finding) -> io::Result<()> {
        self.0.push(finding);
        Ok(())
    }

    fn finish(self: Box<Self>, _: &Summary) -> io::Result<Notes> {
        Ok(Notes::new())
    }
}

/// One reporter feeding several (`--format sarif -o a.sarif --format human`).
pub fn fan_out<'a>(mut reporters: Vec<Box<dyn Reporter + 'a>>) -> Box<dyn Reporter + 'a> {
    if reporters.len() == 1 {
        return reporters.remove(0);
    }
    Box::new(FanOut(reporters))
}

struct FanOut<'a>(Vec<Box<dyn Reporter + 'a>>);

impl Reporter for FanOut<'_> {
    fn finding(&mut self, finding: Finding) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|reporter| reporter.finding(finding.clone()))
    }

    fn finish(self: Box<Self>, summary: &Summary) -> io::Result<Notes> {
        let mut notes = Notes::new();
        for reporter in self.0 {
            notes.extend(reporter.finish(summary)?);
        }
        Ok(notes)
    }
}

/// Writes an audit's report in `format`; what the user should be told.
pub fn write_audit(
    format: Format,
    out: &mut dyn Write,
    report: &audit::AuditReport,
    context: &ReportContext,
) -> io::Result<Notes> {
    let mut notes = Notes::new();
    match format {
        Format::Human => human::write_audit(out, report, context.color)?,
        Format::Json => json::write_audit(out, report)?,
        Format::Jsonl => json::write_audit_lines(out, report)?,
        Format::Sarif => {
            let (log, more) = sarif::audit_log(report, context.rules);
            serde_json::to_writer_pretty(&mut *out, &log)?;
            out.write_all(b"\n")?;
            notes = more;
        }
        Format::Csv => csv::write_audit(out, report)?,
        Format::Html => html::write_audit(out, report, context.rules)?,
        Format::Baseline => baseline::write_audit(out, report)?,
        Format::Gitlab | Format::Sonarqube => {
            return Err(io::Error::other("this format reports one repository to its own pipeline, not an audit"));
        }
    }
    out.flush()?;
    Ok(notes)
}

/// Text from the scanned content (a file name) made safe for a terminal:
/// control characters are written as escapes (`\x1b`, `\n`), so that a
/// hostile name cannot move the cursor, colour the screen or fake a line.
pub fn escaped(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Where a finding is, as every format shows it: read from its origin
/// here, in one place.
pub(crate) struct Place<'a> {
    pub path: &'a str,
    /// For a blob of a git history: where the secret entered.
    pub history: Option<&'a History>,
    /// For a blob no ref reaches: its id.
    pub unreachable: Option<&'a str>,
}

impl<'a> Place<'a> {
    pub fn of(finding: &'a Finding) -> Place<'a> {
        match &finding.origin {
            Origin::Blob(blob) => Place {
                path: &blob.path,
                history: blob.history.as_ref(),
                unreachable: blob.unreachable.then_some(blob.id.as_str()),
            },
            origin => Place { path: origin.path(), history: None, unreachable: None },
        }
    }

    /// The commit that first introduced the secret here, if known.
    pub fn first_commit(&self) -> Option<&'a Commit> {
        self.history.and_then(|h| h.first().commit.as_deref())
    }
}

/// One line that says what was found and where, never the secret: for a
/// CI log when the report itself went to a file.
pub fn brief(finding: &Finding) -> String {
    let place = Place::of(finding);
    let p = &finding.position;
    let short = &finding.fingerprint[..finding.fingerprint.len().min(8)];
    format!("{} at {}:{}:{} (fingerprint {short})", finding.rule_id, escaped(place.path), p.line, p.column)
}

/// The order of every report but the streamed one: by path, then place.
fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.path(), a.position.line, a.position.column, &a.rule_id).cmp(&(
            b.path(),
            b.position.line,
            b.position.column,
            &b.rule_id,
        ))
    });
}
