//! Shared by the integration tests: a temporary directory to build inputs
//! in, and the real `sqscan` binary to run on them.

#![allow(dead_code)]

pub mod fake_sonar;
pub mod forge;
pub mod git_http;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Fake tokens of each kind (random values, never real credentials).
pub const SOT: &str = "sqco_7kwYwFTY6UeVCDzqOAzRKNNvMNBsf0D57iQ6s0QVHvHkdpgmXmPoLwE4Kl5";
pub const SOT2: &str = "sqco_zyiit9UFJJAj1SJnntr5pVBzvT7rwPMTCUvpWxgSqAXuwxP1AeN8Q3ZJxUG";
pub const SQP: &str = "sqp_29b8430691cc5324ca89165999b4c60fdb505a45";
pub const SQU: &str = "squ_030b2b964743af32c893bff37beb222f9875adaa";
pub const SQB: &str = "sqb_fca56e7bbdc64e4d8a3a8e8487a4389ecc0ada3f";
pub const HEX: &str = "6dba1c50884adffa01738a06e8b26034a7e6592d";

pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox { dir: tempfile::tempdir().expect("temporary directory") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file, creating its directories.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Sandbox {
        let path = self.join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create directories");
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// `sqscan` with this directory as its working directory.
    pub fn sqscan(&self, args: &[&str]) -> Command {
        let mut command = sqscan();
        command.current_dir(self.path()).args(args);
        command
    }
}

pub fn sqscan() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sqscan"));
    // Reports must not depend on the CI the tests run in (SARIF reads it).
    command.env_remove("NO_COLOR").env_remove("TF_BUILD").env("SQSCAN_TEST", "1");
    // What sqscan remembers between runs stays out of the user's cache.
    command.env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"));
    command
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(mut command: impl std::borrow::BorrowMut<Command>) -> (i32, String, String) {
    let output = command.borrow_mut().output().expect("sqscan runs");
    (
        output.status.code().expect("an exit code"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The findings of a `--format json` run, as (path, rule, line, secret).
pub fn findings(document: &serde_json::Value) -> Vec<(String, String, u64, String)> {
    document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["secret"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A git repository in a temporary directory, driven by the git CLI.
pub struct GitRepo {
    pub sandbox: Sandbox,
    commits: std::cell::Cell<u32>,
}

impl GitRepo {
    pub fn new() -> GitRepo {
        let repo = GitRepo { sandbox: Sandbox::new(), commits: std::cell::Cell::new(0) };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Ann Dev"]);
        repo.git(&["config", "user.email", "ann@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.sandbox.path()
    }

    /// Runs git here; panics with its stderr if it fails. Returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// Writes files (a `None` content deletes the file) and commits them all.
    /// Commits are a minute apart from 2024-01-01, so dates are known.
    pub fn commit(&self, message: &str, files: &[(&str, Option<&str>)]) -> String {
        for (path, content) in files {
            match content {
                Some(content) => {
                    self.sandbox.write(path, content);
                }
                None => {
                    std::fs::remove_file(self.sandbox.join(path)).expect("remove");
                }
            }
        }
        self.git(&["add", "-A"]);
        let n = self.commits.get() + 1;
        self.commits.set(n);
        let date = format!("2024-01-01T00:{:02}:00+00:00", n % 60);
        let output = std::process::Command::new("git")
            .args(["commit", "-q", "--allow-empty", "-m", message])
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .current_dir(self.path())
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git commit: {}", String::from_utf8_lossy(&output.stderr));
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn sqscan(&self, args: &[&str]) -> Command {
        self.sandbox.sqscan(args)
    }
}

pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `git daemon` serving every repository under `base` on 127.0.0.1, for
/// clones through a real git server; stopped when dropped.
pub struct GitDaemon {
    child: std::process::Child,
    pub port: u16,
}

impl GitDaemon {
    pub fn start(base: &Path) -> GitDaemon {
        for _ in 0..20 {
            let port =
                std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
            // `git-daemon` itself, not the `git daemon` wrapper: killing the
            // wrapper would leave the daemon holding the test's pipes.
            let exec_path = git_in(base, &["--exec-path"]);
            let child = std::process::Command::new(Path::new(exec_path.trim()).join("git-daemon"))
                .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1", "--informative-errors"])
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base.display()))
                .arg(base)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("git daemon starts");
            let mut daemon = GitDaemon { child, port };
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return daemon;
                }
                if daemon.child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = daemon.child.kill();
        }
        panic!("git daemon did not start");
    }

    /// The URL of `name` (a path under the base).
    pub fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
