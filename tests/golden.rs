//! Reports pinned byte for byte: JSON and SARIF of the fixture corpus and
//! of a small, fixed git history, as sqscan wrote them when they were last
//! blessed. A refactoring must leave them as they are; a change of output
//! is made on purpose, by re-blessing (`SQSCAN_BLESS=1 cargo test --test
//! golden`) and saying why in the commit.
//!
//! Only what cannot be fixed is normalised: elapsed time, and the absolute
//! path of a temporary directory.

mod util;

use std::path::{Path, PathBuf};

use util::{GitRepo, HEX, SOT, SQP, SQU, run, sqscan};

fn golden(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/golden")).join(name)
}

/// Compares `actual` with the blessed file, or blesses it.
fn assert_golden(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var_os("SQSCAN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from the blessed report at line {}:\n  blessed: {}\n  now:     {}",
            first + 1,
            expected.lines().nth(first).unwrap_or(""),
            actual.lines().nth(first).unwrap_or("")
        );
    }
}

/// The report with its time and its temporary root taken out.
fn normalised(report: &str, root: &Path) -> String {
    let mut value: serde_json::Value = serde_json::from_str(report).expect("a JSON report");
    if let Some(stats) = value.get_mut("stats") {
        stats["elapsed_ms"] = 0.into();
    }
    let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
    let root = root.canonicalize().unwrap();
    let text = text
        .replace(&format!("file://{}", root.display()), "file://<root>")
        .replace(&root.display().to_string(), "<root>");
    // The fixtures lie in this repository: SARIF's base is its root.
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().unwrap();
    text.replace(&format!("file://{}/", repository.display()), "file://<repository>/")
}

fn report(dir: &Path, args: &[&str]) -> String {
    let mut command = sqscan();
    command.current_dir(dir).args(args).arg("-q");
    let (code, stdout, stderr) = run(command);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    normalised(&stdout, dir)
}

#[test]
fn fixture_reports_are_unchanged() {
    let fixtures = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"));
    // Not this project's own config, found in the fixtures' parent, which allows them all.
    let no_settings = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/no-settings.toml");
    for (name, format) in [("fixtures.json", "json"), ("fixtures.sarif", "sarif")] {
        assert_golden(name, &report(fixtures, &["scan", "--format", format, "--no-redact", "--config", no_settings]));
    }
}

/// Adds, removals, a rename, a branch, a merge and a tag: every shape of
/// provenance. Dates and names are fixed, so commit ids are too.
fn history() -> GitRepo {
    let repo = GitRepo::new();
    repo.commit("one", &[("conf/app.env", Some(&format!("SONAR_TOKEN={SOT}\n"))), ("README.md", Some("hello\n"))]);
    repo.commit("two", &[("ci.yml", Some(&format!("env:\n  SONAR_TOKEN: {HEX}\n")))]);
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit("side", &[("side.env", Some(&format!("A={SQP} B={SQU}\n")))]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit("three", &[("conf/app.env", None), ("conf/moved.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    let merge = std::process::Command::new("git")
        .args(["merge", "-q", "--no-ff", "-m", "merge", "side"])
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:30:00+00:00")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:30:00+00:00")
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(merge.status.success());
    repo.git(&["tag", "v1"]);
    repo.commit("four", &[("ci.yml", Some("env: {}\n"))]);
    repo
}

#[test]
fn history_reports_are_unchanged() {
    let repo = history();
    for (name, args) in [
        ("history.json", &["git", "--format", "json"][..]),
        ("history.sarif", &["git", "--format", "sarif"][..]),
        ("range.json", &["git", "--range", "HEAD~3..HEAD", "--format", "json"][..]),
    ] {
        assert_golden(name, &report(repo.path(), args));
    }
    // Provenance is traced in one run of commits per thread: any number of
    // threads gives the same report.
    for threads in ["1", "3", "7"] {
        let args = ["git", "--format", "json", "--threads", threads];
        assert_golden("history.json", &report(repo.path(), &args));
    }
}
