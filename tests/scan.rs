//! `sqscan scan`: what is walked, what is skipped (and said), exit codes,
//! redaction, suppression and baselines, on real files in temp directories.

mod util;

use util::{HEX, SOT, SOT2, SQB, SQP, SQU, Sandbox, findings, json, run};

fn scan_json(sandbox: &Sandbox, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["scan", "--format", "json", "--no-redact"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(sandbox.sqscan(&args));
    (code, json(&stdout), stderr)
}

fn paths(document: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> = findings(document).into_iter().map(|f| f.0).collect();
    paths.sort();
    paths
}

#[test]
fn a_clean_tree_exits_0_and_a_leak_exits_1() {
    let sandbox = Sandbox::new();
    sandbox.write("src/main.py", "print('hello sonar')\n");
    let (code, _, stderr) = run(sandbox.sqscan(&["scan"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 findings in 1 file"), "{stderr}");

    sandbox.write("ci/.env", format!("SONAR_TOKEN={SOT}\n"));
    let (code, stdout, stderr) = run(sandbox.sqscan(&["scan"]));
    assert_eq!(code, 1);
    assert!(stdout.contains("ci/.env:1:13"), "{stdout}");
    assert!(stderr.contains("1 finding in 2 files"), "{stderr}");
}

#[test]
fn exit_code_can_be_chosen_and_notes_do_not_fail() {
    let sandbox = Sandbox::new();
    sandbox
        .write("README.md", format!("![badge](https://sonar.acme.internal/api/project_badges/measure?token={SQB})\n"));
    let (code, document, _) = scan_json(&sandbox, &[]);
    assert_eq!(code, 0, "a badge token is a note");
    assert_eq!(findings(&document).len(), 1);

    sandbox.write("a.env", format!("T={SQP}\n"));
    let (code, _, _) = run(sandbox.sqscan(&["scan", "--exit-code", "7"]));
    assert_eq!(code, 7);
}

#[test]
fn hidden_files_are_scanned_and_dot_git_never_is() {
    let sandbox = Sandbox::new();
    sandbox.write(".env", format!("SONAR_TOKEN={SOT}\n"));
    sandbox.write(".github/workflows/ci.yml", format!("env:\n  SONAR_TOKEN: {HEX}\n"));
    sandbox.write(".git/config", format!("[remote]\n  url = https://{HEX}@sonarcloud.io/x\n"));
    let (_, document, _) = scan_json(&sandbox, &[]);
    assert_eq!(paths(&document), [".env", ".github/workflows/ci.yml"]);

    let (_, document, _) = scan_json(&sandbox, &["--skip-hidden"]);
    assert_eq!(paths(&document), Vec::<String>::new());
}

#[test]
fn ignore_files_are_honoured_unless_told_otherwise() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.join(".git")).unwrap();
    sandbox.write(".gitignore", "build/\n");
    sandbox.write(".sqscanignore", "vendor/\n");
    sandbox.write("build/out.env", format!("SONAR_TOKEN={SOT}\n"));
    sandbox.write("vendor/lib.env", format!("SONAR_TOKEN={SOT2}\n"));
    sandbox.write("src/app.env", format!("SONAR_TOKEN={SQP}\n"));
    let (_, document, _) = scan_json(&sandbox, &[]);
    assert_eq!(paths(&document), ["src/app.env"]);
    let (_, document, _) = scan_json(&sandbox, &["--no-ignore"]);
    assert_eq!(paths(&document), ["build/out.env", "src/app.env", "vendor/lib.env"]);
}

#[test]
fn binary_files_are_skipped_and_counted_unless_asked_for() {
    let sandbox = Sandbox::new();
    let mut blob = b"\x7fELF\x02\x01\x01\0\0\0\0\0".to_vec();
    blob.extend_from_slice(format!(" token={SQP} ").as_bytes());
    sandbox.write("bin/tool", &blob);
    let (code, document, stderr) = scan_json(&sandbox, &[]);
    assert_eq!(code, 0);
    assert_eq!(document["stats"]["skipped"]["binary"], 1);
    assert_eq!(document["stats"]["skipped_paths"][0]["path"], "bin/tool");
    assert!(stderr.contains("skipped 1 (binary 1)"), "{stderr}");

    let (code, document, _) = scan_json(&sandbox, &["--binary"]);
    assert_eq!(code, 1);
    assert_eq!(paths(&document), ["bin/tool"]);
}

#[test]
fn files_over_the_size_cap_are_skipped_with_a_warning_and_the_rest_is_reported() {
    let sandbox = Sandbox::new();
    sandbox.write("big.log", format!("{}\nSONAR_TOKEN={SOT}\n", "x".repeat(4096)));
    sandbox.write("small.env", format!("SONAR_TOKEN={SOT2}\n"));
    let (code, document, stderr) = scan_json(&sandbox, &["--max-file-size", "1K"]);
    assert_eq!(code, 1);
    assert_eq!(paths(&document), ["small.env"]);
    assert_eq!(document["stats"]["skipped"]["too-large"], 1);
    assert!(stderr.contains("warning: skipped big.log: larger than --max-file-size"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_are_reported_not_fatal() {
    let sandbox = Sandbox::new();
    sandbox.write("real/app.env", format!("SONAR_TOKEN={SOT}\n"));
    std::os::unix::fs::symlink(sandbox.join("real"), sandbox.join("real/loop")).unwrap();
    std::os::unix::fs::symlink(sandbox.join("missing.env"), sandbox.join("dangling.env")).unwrap();
    let (code, document, stderr) = scan_json(&sandbox, &["--follow"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(paths(&document), ["real/app.env"]);
    let skipped = &document["stats"]["skipped"];
    assert_eq!(skipped["symlink-loop"], 1, "{document}");
    assert_eq!(skipped["unreadable"], 1, "{document}");
    assert!(stderr.contains("symbolic link loop"), "{stderr}");

    // Without --follow, links are counted, not followed.
    let (_, document, _) = scan_json(&sandbox, &[]);
    assert_eq!(document["stats"]["skipped"]["symlink"], 2, "{document}");
}

#[test]
fn stdin_is_scanned_as_a_stream_with_exact_lines_across_chunks() {
    let sandbox = Sandbox::new();
    // 20 MiB, so the input spans three 8 MiB chunks; tokens sit at the
    // chunk edges and in the overlap between chunks.
    let line = "const value = compute(items, options);\n";
    let lines_total = (20 << 20) / line.len();
    let token_lines = [1, 211_000, 214_700, 215_100, 222_000, 430_000, lines_total];
    let mut text = String::with_capacity(21 << 20);
    for n in 1..=lines_total {
        if token_lines.contains(&n) {
            text.push_str(&format!("SONAR_TOKEN={SOT}\n"));
        } else {
            text.push_str(line);
        }
    }
    let bytes = text.len() as u64;
    let mut command = sandbox.sqscan(&["scan", "-", "--format", "json", "-q"]);
    command.write_stdin(text);
    let (code, stdout, _) = run(command);
    assert_eq!(code, 1);
    let document = json(&stdout);
    let lines: Vec<u64> = findings(&document).iter().map(|f| f.2).collect();
    assert_eq!(lines, token_lines.iter().map(|&n| n as u64).collect::<Vec<_>>());
    assert!(findings(&document).iter().all(|f| f.0 == "<stdin>"));
    assert_eq!(document["stats"]["bytes"], bytes);
}

#[test]
fn utf16_files_are_decoded_and_found() {
    let sandbox = Sandbox::new();
    let text = format!("REM settings\r\nsetx SONAR_TOKEN {SQU}\r\n");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    sandbox.write("env.cmd", bytes);
    let (_, document, _) = scan_json(&sandbox, &[]);
    assert_eq!(findings(&document), [("env.cmd".into(), "sonarqube-server-user-token".into(), 2, SQU.into())]);
}

#[test]
fn secrets_are_redacted_everywhere_by_default() {
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SOT}\nsonar.login={HEX}\n"));
    sandbox.write("k8s.yaml", format!("data:\n  SONAR_TOKEN: {}\n", base64_of(SQP)));
    for format in ["human", "json", "jsonl", "sarif"] {
        let (code, stdout, stderr) = run(sandbox.sqscan(&["scan", "--format", format]));
        assert_eq!(code, 1);
        for secret in [SOT, HEX, SQP, &base64_of(SQP)] {
            assert!(!stdout.contains(secret) && !stderr.contains(secret), "{format} shows {secret}:\n{stdout}");
        }
        assert!(stdout.contains("sqco_7kwY…4Kl5"), "{format}: {stdout}");
    }
    let (_, stdout, _) = run(sandbox.sqscan(&["scan", "--no-redact"]));
    assert!(stdout.contains(SOT) && stdout.contains(HEX), "{stdout}");
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let sandbox = Sandbox::new();
    sandbox.write("bad-rules.toml", "[[rule]]\nid = \"x\"\npatern = \"(a)\"\n");
    sandbox.write("bad-config.toml", "[allow]\npath = []\n");
    sandbox.write("bad-baseline.json", "{\"version\": 1}");
    for (args, needle) in [
        (vec!["scan", "--frobnicate"], "unexpected argument '--frobnicate'"),
        (vec!["scan", "--format", "xml"], "invalid value 'xml'"),
        (vec!["scan", "nowhere"], "nowhere: No such file or directory"),
        (vec!["scan", "--rules", "bad-rules.toml"], "bad-rules.toml: line 3: unknown field `patern`"),
        (vec!["scan", "--rules", "missing.toml"], "missing.toml: cannot read"),
        (vec!["scan", "--config", "bad-config.toml"], "bad-config.toml: line 2: unknown field `path`"),
        (vec!["scan", "--baseline", "bad-baseline.json"], "bad-baseline.json"),
        (vec!["scan", "--max-file-size", "lots"], "not a size"),
        (vec!["scan", "-o", "no/such/dir/out.json"], "creating no/such/dir/out.json"),
        (vec!["gti"], "unrecognized subcommand"),
    ] {
        let (code, stdout, stderr) = run(sandbox.sqscan(&args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("sqscan: error: ") && stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn allow_comments_suppress_and_are_counted() {
    let sandbox = Sandbox::new();
    sandbox.write("app.properties", format!("sonar.token={SQP} # sqscan:allow\nsonar.login={HEX} // NOSONAR\n"));
    let (code, document, _) = scan_json(&sandbox, &[]);
    assert_eq!(code, 1, "NOSONAR alone does not hide a token");
    assert_eq!(findings(&document).len(), 1);
    assert_eq!(document["stats"]["suppressed"]["inline-comment"], 1);

    sandbox.write(".sqscan.toml", "honor_nosonar = true\n");
    let (code, document, stderr) = scan_json(&sandbox, &[]);
    assert_eq!(code, 0);
    assert_eq!(document["stats"]["suppressed"]["inline-comment"], 2);
    assert!(stderr.contains("2 suppressed (inline-comment 2)"), "{stderr}");
}

#[test]
fn config_allow_lists_suppress_by_path_fingerprint_and_regex() {
    let sandbox = Sandbox::new();
    sandbox.write("tests/fixture.env", format!("SONAR_TOKEN={SOT}\n"));
    sandbox.write("a.env", format!("SONAR_TOKEN={SOT2}\n"));
    sandbox.write("b.env", format!("SONAR_TOKEN={SQP}\n"));
    let (_, document, _) = scan_json(&sandbox, &[]);
    let fingerprint = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "a.env")
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .unwrap();
    sandbox.write(
        "policy.toml",
        format!("[allow]\npaths = [\"tests/**\"]\nsecrets = [\"{fingerprint}\"]\nregexes = ['''^sqp_29b8''']\n"),
    );
    let (code, document, _) = scan_json(&sandbox, &["--config", "policy.toml"]);
    assert_eq!(code, 0, "{document}");
    let suppressed = &document["stats"]["suppressed"];
    assert_eq!(
        (&suppressed["allowed-path"], &suppressed["allowed-secret"], &suppressed["allowed-regex"]),
        (&1.into(), &1.into(), &1.into())
    );
}

#[test]
fn a_baseline_suppresses_known_findings_and_new_occurrences_still_fail() {
    let sandbox = Sandbox::new();
    sandbox.write("src/a.env", format!("x=1\nSONAR_TOKEN={SOT}\n"));
    sandbox.write("src/b.properties", format!("sonar.login={HEX}\n"));
    let (code, _, stderr) = run(sandbox.sqscan(&["baseline", "-o", "baseline.json"]));
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(sandbox.join("baseline.json")).unwrap();
    let baseline = json(&text);
    assert_eq!(baseline["findings"].as_array().unwrap().len(), 2);
    assert_eq!(baseline["findings"][0]["path"], "src/a.env");
    for forbidden in [SOT, HEX, "\"line\"", "time"] {
        assert!(!text.contains(forbidden), "baseline holds {forbidden}: {text}");
    }

    let (code, _, stderr) = run(sandbox.sqscan(&["scan", "--baseline", "baseline.json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("2 suppressed (baseline 2)"), "{stderr}");

    // Moving the token within its file changes nothing; the same token in
    // a new file is a new occurrence.
    sandbox.write("src/a.env", format!("x=1\ny=2\n\nSONAR_TOKEN={SOT}\n"));
    let (_, _, _) = run(sandbox.sqscan(&["baseline", "-o", "again.json"]));
    assert_eq!(std::fs::read_to_string(sandbox.join("again.json")).unwrap(), text);
    sandbox.write("deploy/new.env", format!("SONAR_TOKEN={SOT}\n"));
    let (code, stdout, _) = run(sandbox.sqscan(&["scan", "--baseline", "baseline.json", "--format", "json"]));
    assert_eq!(code, 1);
    assert_eq!(paths(&json(&stdout)), ["deploy/new.env"]);
}

#[test]
fn paths_are_shown_relative_to_the_scan_root() {
    let sandbox = Sandbox::new();
    sandbox.write("repo/conf/app.env", format!("SONAR_TOKEN={SOT}\n"));
    let (_, document, _) = scan_json(&sandbox, &["repo"]);
    assert_eq!(paths(&document), ["repo/conf/app.env"]);
    let (_, document, _) = scan_json(&sandbox, &["./repo/conf/"]);
    assert_eq!(paths(&document), ["repo/conf/app.env"]);

    // A directory outside the working directory is its own root.
    let elsewhere = Sandbox::new();
    let target = sandbox.join("repo");
    let mut command = elsewhere.sqscan(&["scan", target.to_str().unwrap(), "--format", "json", "-q"]);
    command.current_dir(elsewhere.path());
    let (_, stdout, _) = run(command);
    assert_eq!(paths(&json(&stdout)), ["conf/app.env"]);
}

#[test]
fn one_thread_or_many_find_the_same() {
    let sandbox = Sandbox::new();
    for i in 0..200 {
        let token = if i % 50 == 0 { SOT } else { "none" };
        sandbox.write(&format!("d{}/f{i}.env", i % 7), format!("SONAR_TOKEN={token}\n"));
    }
    let (_, one, _) = scan_json(&sandbox, &["-j", "1"]);
    let (_, many, _) = scan_json(&sandbox, &["-j", "4"]);
    assert_eq!(findings(&one), findings(&many));
    assert_eq!(findings(&one).len(), 4);
    assert_eq!(one["stats"]["scanned"], 200);
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    let sandbox = Sandbox::new();
    for i in 0..300 {
        sandbox.write(&format!("f{i}.env"), format!("SONAR_TOKEN={SOT}\nT={SQP}\n"));
    }
    let binary = env!("CARGO_BIN_EXE_sqscan");
    let script = format!("'{binary}' scan --format jsonl | head -n 1 >/dev/null; echo ${{PIPESTATUS[0]}}");
    let output = std::process::Command::new("bash").args(["-c", &script]).current_dir(sandbox.path()).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "0");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("error"), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Issue 10: a `.sqscan.toml` in a parent applies in a subdirectory (up to
/// the repository's root, its allow paths read from where it is), and
/// `SQSCAN_CONFIG` names one.
#[test]
fn config_is_found_in_parents_up_to_the_repository_root() {
    let repo = util::GitRepo::new();
    repo.sandbox.write(".sqscan.toml", "[allow]\npaths = [\"services/api/test/**\"]\n");
    repo.sandbox.write("services/api/test/fake.env", format!("SONAR_TOKEN={}\n", util::SOT));
    repo.sandbox.write("services/api/src/real.env", format!("SONAR_TOKEN={}\n", util::SQP));
    let mut command = util::sqscan();
    command.current_dir(repo.sandbox.join("services/api")).args(["scan", ".", "--format", "json", "-q"]);
    let (code, out, _) = run(command);
    assert_eq!(code, 1);
    let document = util::json(&out);
    let paths: Vec<&str> = document["findings"].as_array().unwrap().iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, vec!["src/real.env"], "{out}");
    assert_eq!(document["stats"]["suppressed"]["allowed-path"], 1);
    // A config above the repository's root is not this repository's.
    let outer = util::Sandbox::new();
    outer.write(".sqscan.toml", "[allow]\npaths = [\"**\"]\n");
    let inner = outer.join("repo");
    std::fs::create_dir_all(inner.join("x")).unwrap();
    util::git_in(&inner, &["init", "-q"]);
    std::fs::write(inner.join("x/a.env"), format!("SONAR_TOKEN={}\n", util::SOT)).unwrap();
    let (code, _, _) = run(util::sqscan().current_dir(inner.join("x")).args(["scan", ".", "-q"]));
    assert_eq!(code, 1, "the outer config must not apply");
    // SQSCAN_CONFIG names a config, as --config does.
    let (code, _, _) = run(util::sqscan()
        .current_dir(inner.join("x"))
        .args(["scan", ".", "-q"])
        .env("SQSCAN_CONFIG", outer.join(".sqscan.toml")));
    assert_eq!(code, 0);
    let (code, _, err) = run(util::sqscan()
        .current_dir(inner.join("x"))
        .args(["scan", ".", "-q"])
        .env("SQSCAN_CONFIG", outer.join("missing.toml")));
    assert_eq!(code, 2, "{err}");
}
