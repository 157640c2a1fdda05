//! Rules: the data that says what a SonarQube credential looks like.
//!
//! Built-in rules are the `rules/*.toml` files compiled into the binary;
//! users add files with `--rules` or `[rules] paths`. Loading validates
//! everything (unknown fields, regexes, capture groups, duplicate ids) and
//! names the file and rule in every error. Each rule carries examples that
//! `sqscan rules test` and `cargo test` run through the real engine.

mod builtin;
mod examples;
mod spec;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{self, Detector, Engine};

pub use examples::{ExampleFailure, test_examples};

/// Larger than any real rule file.
const RULE_FILE_LIMIT: u64 = 4 << 20;

/// A rule: what it detects, and what to tell the person who leaked it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable, kebab-case; part of every fingerprint.
    pub id: String,
    pub name: String,
    pub description: String,
    pub help: Option<String>,
    pub help_uri: Option<String>,
    /// SonarSource's own rule key, such as `S7791`.
    pub sonar_key: Option<String>,
    pub severity: Severity,
    pub cwe: Option<String>,
    /// Which liveness check applies to this rule's secrets.
    pub verify: Option<LivenessCheck>,
    pub detector: Detector,
    pub examples: Vec<Example>,
    pub counterexamples: Vec<Counterexample>,
    /// The file the rule came from (`rules/x.toml` for built-in rules).
    pub origin: String,
}

#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub secret: String,
    /// The input's path, for patterns that read inputs by name.
    pub path: Option<String>,
}

/// Text in which the rule must find nothing (at `path`, if given).
#[derive(Debug, Clone)]
pub struct Counterexample {
    pub text: String,
    pub path: Option<String>,
}

/// How bad a leak of this kind is. Maps onto SARIF levels and GitHub's
/// `security-severity` bands; `low` findings are notes and do not fail a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The SARIF result level.
    pub fn level(self) -> Level {
        match self {
            Severity::Critical | Severity::High => Level::Error,
            Severity::Medium => Level::Warning,
            Severity::Low => Level::Note,
        }
    }

    /// GitHub's `security-severity` score: critical above 9.0, high from 7.0.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.8",
            Severity::High => "8.0",
            Severity::Medium => "5.0",
            Severity::Low => "2.0",
        }
    }

    /// Whether a finding of this severity sets exit code 1.
    pub fn fails_scan(self) -> bool {
        self != Severity::Low
    }
}

/// How a finding shows in SARIF and in tools that read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// The liveness checks a rule may name (`verify = "…"`); `verify` decides
/// what each one asks of which host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LivenessCheck {
    /// `sonarcloud-scoped-org`: a SonarQube Cloud Scoped Organization Token.
    SonarcloudScopedOrg,
    /// `sonarqube-server`: a SonarQube Server token.
    SonarqubeServer,
    /// `sonar-user-token`: a 40-hex user token, Cloud's or a Server's.
    SonarUserToken,
}

impl LivenessCheck {
    pub const ALL: [LivenessCheck; 3] =
        [LivenessCheck::SonarcloudScopedOrg, LivenessCheck::SonarqubeServer, LivenessCheck::SonarUserToken];

    /// The name rule files use.
    pub fn name(self) -> &'static str {
        match self {
            LivenessCheck::SonarcloudScopedOrg => "sonarcloud-scoped-org",
            LivenessCheck::SonarqubeServer => "sonarqube-server",
            LivenessCheck::SonarUserToken => "sonar-user-token",
        }
    }

    pub fn from_name(name: &str) -> Option<LivenessCheck> {
        LivenessCheck::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A problem with a rule file, located as precisely as possible.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleError {
    pub origin: String,
    pub line: Option<usize>,
    pub rule: Option<String>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ": line {line}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ": rule `{rule}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RuleError {}

/// Every rule in force for a run, in a stable order: built-in rules first.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// A digest of every rule file's text: what an incremental audit keys
    /// its memory of scanned blobs on, since new rules find new things.
    digest: String,
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::load(&[])
    }

    /// The built-in rules plus every rule file at `extra` (files, or
    /// directories whose `*.toml` files are read in name order).
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, RuleError> {
        use sha2::Digest as _;
        let mut rules = Vec::new();
        let mut digest = sha2::Sha256::new();
        for file in builtin::BUILTIN_RULE_FILES {
            digest.update(file.toml.as_bytes());
            rules.extend(spec::parse_builtin(file.origin, file.json)?);
        }
        for path in extra {
            for file in rule_files(path)? {
                let origin = file.display().to_string();
                let text = crate::config::read_settings_file(&file, RULE_FILE_LIMIT).map_err(|e| RuleError {
                    origin: origin.clone(),
                    line: None,
                    rule: None,
                    message: format!("cannot read: {e}"),
                })?;
                digest.update(text.as_bytes());
                rules.extend(spec::parse(&origin, &text, true)?);
            }
        }
        for (i, rule) in rules.iter().enumerate() {
            if let Some(first) = rules[..i].iter().find(|r| r.id == rule.id) {
                return Err(RuleError {
                    origin: rule.origin.clone(),
                    line: None,
                    rule: Some(rule.id.clone()),
                    message: format!("the id is already defined in {}", first.origin),
                });
            }
        }
        let digest = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(RuleSet { rules, digest })
    }

    /// Changes whenever any rule's text does.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id, if the set has it.
    pub fn by_id(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn get(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// An engine matching every rule; match `detector` indices are rule indices.
    pub fn engine(&self) -> Result<Engine, engine::BuildError> {
        Engine::new(self.rules.iter().map(|r| r.detector.clone()).collect())
    }
}

fn rule_files(path: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let error = |message: String| RuleError { origin: path.display().to_string(), line: None, rule: None, message };
    let meta = std::fs::metadata(path).map_err(|e| error(format!("cannot read: {e}")))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| error(format!("cannot read: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let file = entry.map_err(|e| error(format!("cannot read: {e}")))?.path();
        if file.extension().is_some_and(|ext| ext == "toml") {
            files.push(file);
        }
    }
    if files.is_empty() {
        return Err(error("no *.toml rule file in this directory".to_string()));
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load_with_unique_ids() {
        let set = RuleSet::builtin().expect("built-in rules are valid");
        let ids: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
        for id in [
            "sonarqube-cloud-scoped-org-token",
            "sonarqube-server-user-token",
            "sonarqube-server-project-token",
            "sonarqube-server-global-token",
            "sonarqube-user-token",
            "sonarqube-server-badge-token",
        ] {
            assert!(ids.contains(&id), "missing {id}");
        }
    }

    /// At run time the built-in rules are trusted, not checked: here they
    /// pass every check a user's rule file does, every regex compiled.
    #[test]
    fn builtin_rules_pass_every_check_of_a_users_rule() {
        for file in builtin::BUILTIN_RULE_FILES {
            if let Err(e) = spec::parse(file.origin, file.toml, true) {
                panic!("{e}");
            }
        }
    }

    /// Start-up reads the JSON `build.rs` wrote: the same rules as the TOML.
    #[test]
    fn builtin_rules_read_from_json_are_the_rules_written() {
        for file in builtin::BUILTIN_RULE_FILES {
            let written = spec::parse(file.origin, file.toml, false).unwrap();
            let embedded = spec::parse_builtin(file.origin, file.json).unwrap();
            assert_eq!(format!("{embedded:?}"), format!("{written:?}"), "{}", file.origin);
            assert!(!written.is_empty());
        }
    }

    #[test]
    fn every_builtin_rule_has_enough_examples() {
        for rule in RuleSet::builtin().unwrap().rules() {
            assert!(rule.examples.len() >= 5, "{} has {} examples", rule.id, rule.examples.len());
            assert!(rule.counterexamples.len() >= 5, "{} has {} counterexamples", rule.id, rule.counterexamples.len());
        }
    }

    #[test]
    fn every_builtin_example_passes_through_the_real_engine() {
        let set = RuleSet::builtin().unwrap();
        let failures = test_examples(&set).unwrap();
        let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(failures.is_empty(), "{}", report.join("\n"));
    }
}
