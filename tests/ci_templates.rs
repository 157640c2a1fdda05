//! The CI integrations: every workflow, action and template validated
//! against the schemas `check-jsonschema` vendors, the GitHub ones audited
//! by `zizmor` (both from PyPI; `.ci/run` installs them; skipped, and said,
//! without them), and the action's scan step run for real on a git
//! repository as GitHub would run it, event by event.

mod util;

use std::path::{Path, PathBuf};
use std::process::Command;

use util::{GitRepo, SOT, SQP};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn available(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn workflows_actions_and_templates_pass_their_schemas_and_zizmor() {
    for script in ["ci/install.sh", "ci/github/scan.sh", ".ci/run", "benches/audit_rerun.sh", "benches/audit_many.sh"] {
        let status = Command::new("bash").arg("-n").arg(root().join(script)).status().expect("bash");
        assert!(status.success(), "{script} does not parse");
    }
    if !available("check-jsonschema") {
        eprintln!("skipped the schema checks: check-jsonschema is not installed (pip install check-jsonschema)");
        return;
    }
    let checks = [
        ("vendor.github-actions", vec!["action.yml"]),
        ("vendor.github-workflows", vec![".github/workflows/ci.yml", ".github/workflows/release.yml"]),
        ("vendor.gitlab-ci", vec!["ci/gitlab/sqscan.gitlab-ci.yml"]),
        ("vendor.azure-pipelines", vec!["ci/azure/sqscan.yml"]),
    ];
    for (schema, files) in checks {
        let output = Command::new("check-jsonschema")
            .args(["--builtin-schema", schema])
            .args(files.iter().map(|f| root().join(f)))
            .output()
            .expect("check-jsonschema runs");
        assert!(output.status.success(), "{schema} {files:?}: {}", String::from_utf8_lossy(&output.stdout));
    }
    if !available("zizmor") {
        eprintln!("skipped the zizmor audit: zizmor is not installed (pip install zizmor)");
        return;
    }
    let output = Command::new("zizmor")
        .args(["--offline", "--config"])
        .arg(root().join(".github/zizmor.yml"))
        .arg(root().join(".github/workflows"))
        .arg(root().join("action.yml"))
        .output()
        .expect("zizmor runs");
    assert!(output.status.success(), "zizmor: {}", String::from_utf8_lossy(&output.stdout));
}

struct Step {
    code: i32,
    stdout: String,
    outputs: String,
    summary: String,
}

/// Runs the action's scan step in `repo` as GitHub would for `env`.
fn scan_step(repo: &Path, env: &[(&str, &str)]) -> Step {
    let dir = tempfile::tempdir().expect("tempdir");
    let (outputs, summary) = (dir.path().join("output"), dir.path().join("summary"));
    let mut command = Command::new("bash");
    command
        .arg(root().join("ci/github/scan.sh"))
        .current_dir(repo)
        .env("SQSCAN", env!("CARGO_BIN_EXE_sqscan"))
        .env("RUNNER_TEMP", dir.path())
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env_remove("TF_BUILD");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("bash runs");
    Step {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

#[test]
fn the_action_scans_what_each_event_adds_and_annotates_it() {
    if !available("jq") {
        eprintln!("skipped: jq (on every GitHub runner) is not installed");
        return;
    }
    let repo = GitRepo::new();
    let base = repo.commit("old", &[("legacy/sonar.properties", Some(&format!("sonar.token={SQP}\n")))]);
    let head = repo.commit("new", &[("ci/a,b:c.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    // A pull request: only what it adds, as an annotation, a summary row,
    // and SARIF under its own category.
    let pr = scan_step(repo.path(), &[("EVENT", "pull_request"), ("PR_BASE", &base), ("PR_HEAD", &head)]);
    assert_eq!(pr.code, 1, "{}", pr.stdout);
    let annotations: Vec<&str> = pr.stdout.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(annotations.len(), 1, "{}", pr.stdout);
    assert!(
        annotations[0].starts_with(
            "::error file=ci/a%2Cb%3Ac.env,line=1,col=13,title=SonarQube Cloud Scoped Organization Token::"
        ),
        "{}",
        annotations[0]
    );
    assert!(
        pr.summary.contains("1 finding(s) (range)") && pr.summary.contains("| `ci/a,b:c.env:1` |"),
        "{}",
        pr.summary
    );
    assert!(pr.outputs.contains("findings=1\n") && pr.outputs.contains("category=sqscan/range\n"), "{}", pr.outputs);
    let sarif_path = pr.outputs.lines().find_map(|l| l.strip_prefix("sarif=")).expect("a SARIF path").to_string();
    assert!(!sarif_path.is_empty());
    // A push of both commits onto a new branch: the whole history.
    let push = scan_step(
        repo.path(),
        &[("EVENT", "push"), ("PUSH_BEFORE", "0000000000000000000000000000000000000000"), ("PUSH_AFTER", &head)],
    );
    assert_eq!(push.code, 1);
    assert_eq!(push.stdout.lines().filter(|l| l.starts_with("::error ")).count(), 2, "{}", push.stdout);
    assert!(push.outputs.contains("category=sqscan/git\n"), "{}", push.outputs);
    // A push of the last commit: only it.
    let push = scan_step(repo.path(), &[("EVENT", "push"), ("PUSH_BEFORE", &base), ("PUSH_AFTER", &head)]);
    assert_eq!(push.stdout.lines().filter(|l| l.starts_with("::error ")).count(), 1);
    // fail: false reports without failing; errors still fail.
    let lenient = scan_step(repo.path(), &[("EVENT", "schedule"), ("FAIL", "false")]);
    assert_eq!(lenient.code, 0);
    let broken = scan_step(repo.path(), &[("EVENT", "pull_request"), ("PR_BASE", "nope"), ("PR_HEAD", &head)]);
    assert_eq!(broken.code, 2, "{}", broken.stdout);
    for step in [&pr, &push, &lenient] {
        for secret in [SOT, SQP] {
            assert!(!step.stdout.contains(secret) && !step.summary.contains(secret), "a secret in full");
        }
    }
}

/// `ci/install.sh` (the action's and templates' installer) against a
/// release laid out as `release.yml` publishes it, served by file:// URLs:
/// the binary it installs runs, and a checksum that does not match stops it.
#[test]
fn the_installer_checks_and_unpacks_a_release() {
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64") && available("sha256sum")) {
        eprintln!("skipped: the installer test needs Linux x86_64 and sha256sum");
        return;
    }
    let releases = tempfile::tempdir().expect("tempdir");
    let (version, name) = ("v9.9.9", "sqscan-v9.9.9-x86_64-unknown-linux-musl");
    let dir = releases.path().join(version);
    std::fs::create_dir_all(dir.join(name)).expect("mkdir");
    std::fs::copy(env!("CARGO_BIN_EXE_sqscan"), dir.join(name).join("sqscan")).expect("copy");
    let sh = |script: &str| {
        let status = Command::new("sh").arg("-c").arg(script).current_dir(&dir).status().expect("sh");
        assert!(status.success(), "{script}");
    };
    sh(&format!("tar -czf {name}.tar.gz {name} && sha256sum {name}.tar.gz > {name}.tar.gz.sha256 && rm -r {name}"));
    let install = |into: &Path| {
        Command::new("bash")
            .arg(root().join("ci/install.sh"))
            .args([version])
            .arg(into)
            .env("SQSCAN_RELEASES", format!("file://{}", releases.path().display()))
            .output()
            .expect("bash")
    };
    let into = tempfile::tempdir().expect("tempdir");
    let output = install(into.path());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let installed = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).join("sqscan");
    let version_line = Command::new(&installed).arg("--version").output().expect("the installed sqscan runs");
    assert!(String::from_utf8_lossy(&version_line.stdout).starts_with("sqscan "));
    // A tampered archive: refused.
    sh(&format!("echo tampered >> {name}.tar.gz"));
    let again = tempfile::tempdir().expect("tempdir");
    assert!(!install(again.path()).status.success(), "a bad checksum was accepted");
}
