//! This repository as a hook source for the real pre-commit framework
//! (`pip install pre-commit`; `.ci/run` installs it; skipped, and said,
//! without it): the hook blocks a commit that adds a token, and only such
//! a commit, and the whole-file hook finds what is already there.

mod util;

use std::path::Path;
use std::process::Command;

use util::{GitRepo, SOT, SOT2, git_in};

fn pre_commit(repo: &Path, home: &Path, args: &[&str]) -> (i32, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_sqscan")).parent().expect("a directory").to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let output = Command::new("pre-commit")
        .args(args)
        .current_dir(repo)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env("PRE_COMMIT_COLOR", "never")
        .output()
        .expect("pre-commit runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn the_hooks_block_only_commits_that_add_a_token() {
    if !Command::new("pre-commit").arg("--version").output().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: pre-commit is not installed (pip install pre-commit)");
        return;
    }
    // The hook source: this checkout's hook definitions, at a commit.
    let hooks = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        hooks.path().join(".pre-commit-hooks.yaml"),
    )
    .expect("copy the hooks");
    git_in(hooks.path(), &["init", "-q", "-b", "main"]);
    git_in(hooks.path(), &["-c", "user.name=A", "-c", "user.email=a@x", "add", "-A"]);
    git_in(hooks.path(), &["-c", "user.name=A", "-c", "user.email=a@x", "commit", "-q", "-m", "hooks"]);
    let rev = git_in(hooks.path(), &["rev-parse", "HEAD"]).trim().to_string();
    let home = tempfile::tempdir().expect("tempdir");

    let repo = GitRepo::new();
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: sqscan-system\n      - id: sqscan-files\n        language: system\n        stages: [manual]\n",
        hooks.path().display()
    );
    repo.commit(
        "old",
        &[("deploy/.env", Some(&format!("SONAR_TOKEN={SOT}\n"))), (".pre-commit-config.yaml", Some(&config))],
    );

    // Touching the file that already holds a token, without adding one: passes.
    repo.sandbox.write("deploy/.env", format!("SONAR_TOKEN={SOT}\nREGION=eu\n"));
    repo.git(&["add", "-A"]);
    let (code, out) = pre_commit(repo.path(), home.path(), &["run"]);
    assert_eq!(code, 0, "{out}");

    // Adding a token: blocked, with the finding (redacted) in the output.
    repo.sandbox.write("ci/new.env", format!("SONAR_TOKEN={SOT2}\n"));
    repo.git(&["add", "-A"]);
    let (code, out) = pre_commit(repo.path(), home.path(), &["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ci/new.env") && out.contains("sqco_zyii…JxUG"), "{out}");
    assert!(!out.contains(SOT2), "the secret in full: {out}");

    // Through git itself, once installed as the pre-commit hook.
    let (code, out) = pre_commit(repo.path(), home.path(), &["install"]);
    assert_eq!(code, 0, "{out}");
    let bin = Path::new(env!("CARGO_BIN_EXE_sqscan")).parent().expect("dir").to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let commit = Command::new("git")
        .args(["commit", "-q", "-m", "adds a token"])
        .current_dir(repo.path())
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home.path())
        .output()
        .expect("git runs");
    assert!(!commit.status.success(), "the commit went through");

    // The whole-file hook (with the installed sqscan rather than a cargo
    // build of minutes), by hand: what is already there too.
    let (code, out) =
        pre_commit(repo.path(), home.path(), &["run", "sqscan-files", "--hook-stage", "manual", "--all-files"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("deploy/.env"), "{out}");
}
