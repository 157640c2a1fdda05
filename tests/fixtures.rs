//! The fixture corpus: `fixtures/positive` holds every leak context of
//! TOKENS.md and must yield exactly the findings `fixtures/positive.toml`
//! lists; `fixtures/negative` holds the false-positive traps and must yield
//! none. A new false positive becomes a new file under `negative/`.

mod util;

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use util::{findings, json, run, sqscan};

#[derive(Deserialize)]
struct Expected {
    finding: Vec<ExpectedFinding>,
}

#[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct ExpectedFinding {
    path: String,
    rule: String,
    line: u64,
    secret: String,
}

/// A config with nothing in it: this project's own (found in a parent of
/// the fixtures) allows every fixture.
fn no_settings() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/no-settings.toml"))
}

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

#[test]
fn every_positive_fixture_yields_exactly_its_findings() {
    let text = std::fs::read_to_string(fixtures().join("positive.toml")).unwrap();
    let expected: Expected = toml::from_str(&text).unwrap();
    let expected: BTreeSet<_> = expected.finding.into_iter().map(|f| (f.path, f.rule, f.line, f.secret)).collect();

    let mut command = sqscan();
    command.current_dir(fixtures().join("positive")).args(["scan", "--format", "json", "--no-redact", "-q"]);
    command.arg("--config").arg(no_settings());
    let (code, stdout, _) = run(command);
    assert_eq!(code, 1);
    let found: BTreeSet<_> = findings(&json(&stdout)).into_iter().collect();
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing: {missing:#?}\nextra: {extra:#?}");
}

#[test]
fn every_context_of_tokens_md_has_a_positive_fixture() {
    let positive = fixtures().join("positive");
    for file in [
        "sonar-project.properties",
        "pom.xml",
        "maven/settings.xml",
        "build.gradle",
        "gradle.properties",
        "build.ps1",
        "windows/setup.bat",
        ".env",
        "scripts/analyse.sh",
        ".github/workflows/sonar.yml",
        ".gitlab-ci.yml",
        "azure-pipelines.yml",
        "bitbucket-pipelines.yml",
        "Jenkinsfile",
        "docker-compose.yml",
        "k8s/sonar-secret.yaml",
        "helm/values.yaml",
        "terraform/variables.tf",
        "web/sonar.js",
        "src/main/java/acme/SonarSetup.java",
        "notebooks/analysis.ipynb",
        "docs/remote.md",
    ] {
        assert!(positive.join(file).is_file(), "no fixture for {file}");
    }
}

#[test]
fn no_negative_fixture_yields_a_finding() {
    let mut command = sqscan();
    command.current_dir(fixtures().join("negative")).args(["scan", "--format", "json", "--no-redact", "-q"]);
    command.arg("--config").arg(no_settings());
    let (code, stdout, _) = run(command);
    let document = json(&stdout);
    assert_eq!(findings(&document), vec![], "{stdout}");
    assert_eq!(code, 0);
    assert!(document["stats"]["scanned"].as_u64().unwrap() >= 15, "{stdout}");
}

#[test]
fn the_repository_itself_scans_clean() {
    let mut command = sqscan();
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args(["scan", ".", "--format", "json", "-q"]);
    let (code, stdout, _) = run(command);
    assert_eq!(findings(&json(&stdout)), vec![], "{stdout}");
    assert_eq!(code, 0);
}
