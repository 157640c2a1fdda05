//! `sqscan git` and `sqscan staged` on real repositories built with the git
//! CLI: provenance (first commit, path, occurrences), ranges, the index,
//! and the awkward repositories (shallow, bare, worktrees, submodules,
//! corrupt or missing objects).

mod util;

use serde_json::Value;
use util::{GitRepo, HEX, SOT, SOT2, SQP, SQU, git_in, json, run};

fn git_json(repo: &GitRepo, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["git", "--format", "json", "--no-redact"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(repo.sqscan(&all));
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    (code, json(&stdout), stderr)
}

fn findings(document: &Value) -> &Vec<Value> {
    document["findings"].as_array().expect("findings")
}

/// (path, secret, first commit, occurrence count, at_head) of every finding.
fn summary(document: &Value) -> Vec<(String, String, String, u64, Value)> {
    findings(document)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["secret"].as_str().unwrap().to_string(),
                f["commit"]["id"].as_str().unwrap_or("-").to_string(),
                f["occurrence_count"].as_u64().unwrap(),
                f["at_head"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_token_added_then_removed_is_found_at_the_commit_that_added_it() {
    let repo = GitRepo::new();
    repo.commit("init", &[("README.md", Some("hello\n"))]);
    let added = repo.commit("add ci env", &[("ci/.env", Some(&format!("A=1\nSONAR_TOKEN={SOT}\n")))]);
    repo.commit("oops", &[("ci/.env", None)]);
    let (code, document, _) = git_json(&repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(summary(&document), [("ci/.env".into(), SOT.into(), added.clone(), 1, Value::Bool(false))]);
    let finding = &findings(&document)[0];
    assert_eq!(finding["line"], 2);
    assert_eq!(finding["commit"]["author"], "Ann Dev");
    assert_eq!(finding["commit"]["email"], "ann@example.com");
    assert_eq!(finding["commit"]["date"], "2024-01-01T00:02:00+00:00");
    let blob = git_in(repo.path(), &["rev-parse", &format!("{added}:ci/.env")]);
    assert_eq!(finding["blob"], blob.trim());
}

#[test]
fn a_token_still_at_head_says_so() {
    let repo = GitRepo::new();
    let added = repo.commit("add", &[("sonar-project.properties", Some(&format!("sonar.login={HEX}\n")))]);
    repo.commit("more", &[("other.txt", Some("x\n"))]);
    let (_, document, _) = git_json(&repo, &[]);
    assert_eq!(summary(&document), [("sonar-project.properties".into(), HEX.into(), added, 1, Value::Bool(true))]);
}

#[test]
fn side_branches_tags_and_the_stash_are_scanned() {
    let repo = GitRepo::new();
    repo.commit("init", &[("a.txt", Some("a\n"))]);
    repo.git(&["checkout", "-q", "-b", "side"]);
    let side = repo.commit("side work", &[("side.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    repo.git(&["checkout", "-q", "-b", "tagged", "main"]);
    let tagged = repo.commit("release prep", &[("release.env", Some(&format!("T={SQP}\n")))]);
    repo.git(&["tag", "-a", "v1", "-m", "v1"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-D", "tagged"]);
    repo.sandbox.write("a.txt", format!("a\nSONAR_TOKEN={SOT2}\n"));
    repo.git(&["stash", "-q"]);
    let (_, document, stderr) = git_json(&repo, &[]);
    let found = summary(&document);
    assert_eq!(found.len(), 3, "{found:?} {stderr}");
    assert!(found.contains(&("side.env".into(), SOT.into(), side, 1, Value::Bool(false))));
    assert!(found.contains(&("release.env".into(), SQP.into(), tagged, 1, Value::Bool(false))));
    assert!(found.iter().any(|f| f.0 == "a.txt" && f.1 == SOT2), "stash: {found:?}");
}

#[test]
fn a_renamed_file_is_a_new_path_and_the_same_token_twice_is_two_occurrences() {
    let repo = GitRepo::new();
    let first = repo.commit("add", &[("conf/app.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    repo.git(&["mv", "conf/app.env", "conf/prod.env"]);
    let renamed = repo.commit("rename", &[]);
    repo.commit("remove", &[("conf/prod.env", None)]);
    repo.commit("other", &[("x.txt", Some("x\n"))]);
    let again = repo.commit("re-add", &[("conf/app.env", Some(&format!("# again\nSONAR_TOKEN={SOT}\n")))]);
    let (_, document, _) = git_json(&repo, &[]);
    let found = summary(&document);
    assert_eq!(
        found,
        [
            ("conf/app.env".into(), SOT.into(), first.clone(), 2, Value::Bool(true)),
            ("conf/prod.env".into(), SOT.into(), renamed, 1, Value::Bool(false)),
        ]
    );
    let occurrences: Vec<(&str, u64)> = findings(&document)[0]["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["commit"]["id"].as_str().unwrap(), o["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(occurrences, [(first.as_str(), 1), (again.as_str(), 2)]);
    // One secret, one fingerprint, wherever it is.
    let prints: Vec<&Value> = findings(&document).iter().map(|f| &f["fingerprint"]).collect();
    assert_eq!(prints[0], prints[1]);
}

#[test]
fn a_merge_does_not_introduce_what_its_branch_did() {
    let repo = GitRepo::new();
    repo.commit("init", &[("a.txt", Some("a\n"))]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let feature = repo.commit("feature", &[("f.env", Some(&format!("T={SQU}\n")))]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit("main moves on", &[("b.txt", Some("b\n"))]);
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    repo.git(&["branch", "-D", "feature"]);
    let (_, document, _) = git_json(&repo, &[]);
    assert_eq!(summary(&document), [("f.env".into(), SQU.into(), feature, 1, Value::Bool(true))]);
}

#[test]
fn packed_and_loose_objects_are_both_read_and_each_blob_once() {
    let repo = GitRepo::new();
    repo.commit("one", &[("a.env", Some(&format!("SONAR_TOKEN={SOT}\n"))), ("big.txt", Some(&"line\n".repeat(100)))]);
    for i in 0..20 {
        repo.commit(&format!("c{i}"), &[("n.txt", Some(&format!("{i}\n")))]);
    }
    repo.git(&["gc", "-q"]);
    repo.commit("loose", &[("b.env", Some(&format!("T={SQP}\n")))]);
    let (_, document, _) = git_json(&repo, &[]);
    let paths: Vec<String> = summary(&document).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["a.env", "b.env"]);
    let blobs = git_in(repo.path(), &["rev-list", "--objects", "--all"])
        .lines()
        .filter(|l| {
            let id = l.split(' ').next().unwrap();
            git_in(repo.path(), &["cat-file", "-t", id]).trim() == "blob"
        })
        .count();
    assert_eq!(document["stats"]["scanned"], blobs as u64);
    assert_eq!(document["stats"]["unit"], "blobs");
}

#[test]
fn an_empty_repository_has_nothing_to_report() {
    let repo = GitRepo::new();
    let (code, document, stderr) = git_json(&repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(document["stats"]["scanned"], 0);
    assert!(stderr.contains("0 findings in 0 blobs"), "{stderr}");
}

#[test]
fn not_a_repository_is_one_line_and_exit_2() {
    let dir = util::Sandbox::new();
    for args in [vec!["git"], vec!["staged"], vec!["git", "nowhere"]] {
        let (code, stdout, stderr) = run(dir.sqscan(&args));
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("not a git repository") || stderr.contains("No such file"), "{stderr}");
    }
}

#[test]
fn a_range_reports_only_what_its_commits_added() {
    let repo = GitRepo::new();
    repo.commit("old token", &[("app.env", Some(&format!("OLD={SQP}\n"))), ("gone.env", Some(&format!("X={SQU}\n")))]);
    let base = repo.commit("base", &[("readme", Some("r\n"))]);
    repo.commit(
        "pr: edit a file holding an old token, delete another, add a new one",
        &[("app.env", Some(&format!("OLD={SQP}\nSONAR_TOKEN={SOT}\n"))), ("gone.env", None)],
    );
    let (code, document, _) = git_json(&repo, &["--range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    let found = summary(&document);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.as_str()), ("app.env", SOT));
    assert_eq!(findings(&document)[0]["line"], 2);

    let (_, since, _) = git_json(&repo, &["--since-commit", &base]);
    assert_eq!(summary(&since), found);

    // What the range removes is not new.
    repo.commit("remove the token again", &[("app.env", Some(&format!("OLD={SQP}\n")))]);
    let (code, document, _) = git_json(&repo, &["--range", "HEAD~1..HEAD"]);
    assert_eq!(code, 0);
    assert_eq!(findings(&document).len(), 0);
}

#[test]
fn a_range_with_a_renamed_file_does_not_report_its_old_tokens() {
    let repo = GitRepo::new();
    let base = repo.commit("add", &[("conf/app.env", Some(&format!("SONAR_TOKEN={SOT}\nA=1\n")))]);
    repo.git(&["mv", "conf/app.env", "conf/prod.env"]);
    repo.commit("rename", &[]);
    let (code, document, stderr) = git_json(&repo, &["--range", &format!("{base}..HEAD")]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(findings(&document).len(), 0);
}

#[test]
fn bad_ranges_fail_with_advice() {
    let repo = GitRepo::new();
    repo.commit("one", &[("a", Some("a\n"))]);
    repo.commit("two", &[("b", Some("b\n"))]);
    for (range, needle) in [
        ("HEAD..HEAD", "holds no commits"),
        ("nope..HEAD", "cannot find \"nope\""),
        ("HEAD", "expected A..B"),
        ("HEAD~1...HEAD", "not supported"),
    ] {
        let (code, stdout, stderr) = run(repo.sqscan(&["git", "--range", range]));
        assert_eq!(code, 2, "{range}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{range}: {stderr}");
    }
}

#[test]
fn a_shallow_clone_that_cannot_answer_the_range_says_how_to_fix_it() {
    let origin = GitRepo::new();
    origin.commit("one", &[("a", Some("1\n"))]);
    origin.commit("two", &[("a", Some("2\n"))]);
    origin.git(&["checkout", "-q", "-b", "feature"]);
    origin.commit("three", &[("a", Some("3\n"))]);
    origin.commit("four", &[("b.env", Some(&format!("T={SQP}\n")))]);
    origin.git(&["checkout", "-q", "main"]);
    origin.commit("main five", &[("c", Some("5\n"))]);
    let parent = util::Sandbox::new();
    let url = format!("file://{}", origin.path().display());
    git_in(parent.path(), &["clone", "-q", "--depth", "1", "--no-single-branch", &url, "clone"]);
    let clone = parent.join("clone");
    let sqscan = |range: &str| {
        let mut command = util::sqscan();
        command.current_dir(&clone).args(["git", "--range", range]);
        run(command)
    };
    // The base is not in the clone at all.
    let (code, _, stderr) = sqscan("HEAD~3..HEAD");
    assert_eq!(code, 2);
    assert!(stderr.contains("fetch-depth: 0") && stderr.contains("--unshallow"), "{stderr}");
    // The base is there, but the walk runs into the clone's edge.
    let (code, _, stderr) = sqscan("origin/main..origin/feature");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("shallow clone") && stderr.contains("fetch-depth: 0"), "{stderr}");
}

#[test]
fn staged_reports_only_added_lines_even_before_the_first_commit() {
    let repo = GitRepo::new();
    repo.sandbox.write("new.env", format!("SONAR_TOKEN={SOT}\n"));
    repo.git(&["add", "new.env"]);
    let (code, stdout, stderr) = run(repo.sqscan(&["staged", "--format", "json", "--no-redact"]));
    assert_eq!(code, 1, "{stderr}");
    let document = json(&stdout);
    assert_eq!(findings(&document)[0]["path"], "new.env");
    assert!(findings(&document)[0].get("commit").is_none());

    repo.git(&["commit", "-q", "-m", "first"]);
    repo.sandbox.write("old.env", format!("OLD={SQP}\n"));
    repo.git(&["add", "old.env"]);
    repo.git(&["commit", "-q", "-m", "second"]);
    // Modify a file with an old token, rename another, delete a third.
    repo.sandbox.write("old.env", format!("OLD={SQP}\nNEW={SQU}\n"));
    repo.git(&["mv", "new.env", "renamed.env"]);
    repo.sandbox.write("gone.txt", "x");
    repo.git(&["add", "-A"]);
    let (code, stdout, _) = run(repo.sqscan(&["staged", "--format", "json", "--no-redact"]));
    assert_eq!(code, 1);
    let document = json(&stdout);
    let found: Vec<(&str, &str, u64)> = findings(&document)
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["secret"].as_str().unwrap(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(found, [("old.env", SQU, 2)]);

    repo.git(&["commit", "-q", "-m", "third"]);
    repo.git(&["rm", "-q", "old.env"]);
    let (code, _, stderr) = run(repo.sqscan(&["staged"]));
    assert_eq!(code, 0, "a deletion adds nothing: {stderr}");
}

#[test]
fn staged_works_from_a_subdirectory_and_scans_named_files_whole() {
    let repo = GitRepo::new();
    repo.commit("init", &[("src/app/config.env", Some(&format!("OLD={SQP}\n")))]);
    repo.sandbox.write("src/app/config.env", format!("OLD={SQP}\nNEW={SOT}\n"));
    repo.git(&["add", "-A"]);
    let mut command = util::sqscan();
    command.current_dir(repo.sandbox.join("src/app")).args(["staged", "--format", "json", "--no-redact"]);
    let (code, stdout, _) = run(command);
    assert_eq!(code, 1);
    let document = json(&stdout);
    assert_eq!(findings(&document).len(), 1);
    assert_eq!(findings(&document)[0]["path"], "src/app/config.env");
    assert_eq!(findings(&document)[0]["secret"], SOT);

    // What `pre-commit run --all-files` passes: files, scanned whole.
    let (_, stdout, _) = run(repo.sqscan(&["staged", "src/app/config.env", "--format", "json", "--no-redact"]));
    let document = json(&stdout);
    let secrets: Vec<&str> = findings(&document).iter().map(|f| f["secret"].as_str().unwrap()).collect();
    assert_eq!(secrets, [SQP, SOT]);
    assert_eq!(findings(&document)[0]["path"], "src/app/config.env");
}

#[test]
fn bare_repositories_and_worktrees_are_scanned() {
    let repo = GitRepo::new();
    let added = repo.commit("add", &[("a.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    let parent = util::Sandbox::new();
    git_in(parent.path(), &["clone", "-q", "--bare", repo.path().to_str().unwrap(), "bare.git"]);
    let mut command = util::sqscan();
    command.current_dir(parent.path()).args(["git", "bare.git", "--format", "json"]);
    let (code, stdout, _) = run(command);
    assert_eq!(code, 1);
    assert_eq!(findings(&json(&stdout))[0]["commit"]["id"], added.as_str());

    let worktree = parent.join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "wt", worktree.to_str().unwrap()]);
    let mut command = util::sqscan();
    command.current_dir(&worktree).args(["git", "--format", "json"]);
    let (code, stdout, stderr) = run(command);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&json(&stdout))[0]["path"], "a.env");
}

#[test]
fn submodules_lfs_pointers_binary_and_huge_blobs_are_skipped_and_counted() {
    let other = GitRepo::new();
    other.commit("lib", &[("lib.env", Some(&format!("T={SQP}\n")))]);
    let repo = GitRepo::new();
    repo.commit("init", &[("a.txt", Some("a\n"))]);
    let url = other.path().to_str().unwrap().to_string();
    repo.git(&["-c", "protocol.file.allow=always", "submodule", "add", "-q", &url, "vendor/lib"]);
    let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
    let mut binary = b"\0\x01\x02PNG".to_vec();
    binary.extend_from_slice(format!("T={SQU}").as_bytes());
    repo.sandbox.write("logo.png", &binary);
    repo.commit(
        "assets",
        &[
            ("model.bin", Some(pointer)),
            ("huge.log", Some(&format!("{}\nT={SOT2}\n", "x".repeat(4096)))),
            ("ok.env", Some(&format!("T={SOT}\n"))),
        ],
    );
    let (code, document, stderr) = git_json(&repo, &["--max-file-size", "2K"]);
    assert_eq!(code, 1);
    let paths: Vec<String> = summary(&document).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["ok.env"], "{stderr}");
    let skipped = &document["stats"]["skipped"];
    assert_eq!(
        (&skipped["submodule"], &skipped["lfs-pointer"], &skipped["binary"], &skipped["too-large"]),
        (&1.into(), &1.into(), &1.into(), &1.into()),
        "{document}"
    );
    assert!(stderr.contains("huge.log"), "{stderr}");
}

#[test]
fn corrupt_and_missing_objects_are_warned_about_and_the_rest_reported() {
    let repo = GitRepo::new();
    repo.commit("good", &[("good.env", Some(&format!("T={SOT}\n")))]);
    repo.commit(
        "victims",
        &[("corrupt.env", Some(&format!("T={SQP}\n"))), ("missing.env", Some(&format!("T={SQU}\n")))],
    );
    let object_path = |path: &str| {
        let id = repo.git(&["rev-parse", &format!("HEAD:{path}")]).trim().to_string();
        repo.path().join(".git/objects").join(&id[..2]).join(&id[2..])
    };
    let corrupt = object_path("corrupt.env");
    let mut permissions = std::fs::metadata(&corrupt).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(&corrupt, permissions).unwrap();
    std::fs::write(&corrupt, b"this is not a zlib stream").unwrap();
    std::fs::remove_file(object_path("missing.env")).unwrap();
    let (code, document, stderr) = git_json(&repo, &[]);
    assert_eq!(code, 1);
    let paths: Vec<String> = summary(&document).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["good.env"]);
    let skipped = &document["stats"]["skipped"];
    assert_eq!((&skipped["unreadable"], &skipped["missing"]), (&1.into(), &1.into()), "{document}");
    assert!(stderr.contains("corrupt.env") && stderr.contains("missing.env"), "{stderr}");
}

#[test]
fn sarif_for_history_carries_provenance_and_the_working_tree_fingerprint() {
    let repo = GitRepo::new();
    let added = repo.commit("add", &[("conf/a.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    let (_, stdout, _) = run(repo.sqscan(&["git", "--format", "sarif"]));
    let log = json(&stdout);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "conf/a.env");
    assert_eq!(result["properties"]["commit"], added.as_str());
    assert_eq!(result["properties"]["author"], "Ann Dev");
    assert_eq!(result["properties"]["date"], "2024-01-01T00:01:00+00:00");
    assert_eq!(result["occurrenceCount"], 1);
    let (_, stdout, _) = run(repo.sqscan(&["scan", "--format", "sarif"]));
    let tree = json(&stdout);
    assert_eq!(result["partialFingerprints"], tree["runs"][0]["results"][0]["partialFingerprints"]);
}

#[test]
fn human_output_shows_path_at_commit() {
    let repo = GitRepo::new();
    let added = repo.commit("add", &[("a.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    let (_, stdout, _) = run(repo.sqscan(&["git"]));
    assert!(stdout.starts_with(&format!("a.env@{}:1:13", &added[..8])), "{stdout}");
    assert!(stdout.contains("by Ann Dev <ann@example.com> on 2024-01-01T00:01:00+00:00"), "{stdout}");
    assert!(!stdout.contains(SOT));
}

#[test]
fn a_baseline_from_history_suppresses_it() {
    let repo = GitRepo::new();
    repo.commit("add", &[("a.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    let (code, _, _) = run(repo.sqscan(&["git", "--format", "baseline", "-o", "baseline.json"]));
    assert_eq!(code, 0);
    let (code, _, stderr) = run(repo.sqscan(&["git", "--baseline", "baseline.json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 suppressed (baseline 1)"), "{stderr}");
}

/// Issue 13.2: blobs no ref reaches (a commit reset away, a dropped stash)
/// are counted when not scanned, and with --unreachable reported as such,
/// whether loose or packed.
#[test]
fn unreachable_blobs_are_counted_and_scanned_on_request() {
    for packed in [false, true] {
        let repo = GitRepo::new();
        repo.commit("one", &[("a.txt", Some("hi\n"))]);
        repo.commit("oops", &[("secret.env", Some(&format!("T={SQP}\n")))]);
        repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
        repo.sandbox.write("stashed.env", format!("SONAR_TOKEN={SOT}\n"));
        repo.git(&["stash", "-u", "-q"]);
        repo.git(&["stash", "drop", "-q"]);
        repo.git(&["reflog", "expire", "--expire=now", "--all"]);
        if packed {
            repo.git(&["gc", "-q", "--prune=never"]);
        }
        let (code, document, stderr) = git_json(&repo, &[]);
        assert_eq!((code, findings(&document).len()), (0, 0), "{stderr}");
        assert_eq!(document["stats"]["skipped"]["unreachable"], 2, "packed {packed}: {document}");
        let (code, document, stderr) = git_json(&repo, &["--unreachable"]);
        assert_eq!(code, 1, "{stderr}");
        let mut found: Vec<(String, bool)> = findings(&document)
            .iter()
            .map(|f| (f["secret"].as_str().unwrap().to_string(), f["unreachable_blob"].is_string()))
            .collect();
        found.sort();
        assert_eq!(found, [(SOT.to_string(), true), (SQP.to_string(), true)], "packed {packed}");
        assert!(findings(&document).iter().all(|f| f["path"].as_str().unwrap().starts_with("(unreachable blob ")));
    }
}

/// Issue 11: a file named for a token needs no other context, in history
/// (where blobs are read before their paths are known) as in the index;
/// the same bytes under another name are a commit id, not a token.
#[test]
fn a_file_named_for_a_token_is_found_by_its_name_alone() {
    let repo = GitRepo::new();
    let value = format!("{HEX}\n");
    let added = repo.commit(
        "deploy files",
        &[(".sonar_token", Some(&value)), ("deploy/REVISION", Some(&value)), ("README.md", Some("hi\n"))],
    );
    repo.commit("drop the token", &[(".sonar_token", None)]);
    let (code, document, _) = git_json(&repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(summary(&document), [(".sonar_token".into(), HEX.into(), added, 1, Value::Bool(false))]);

    repo.sandbox.write("ci/sonar-token.txt", &value);
    repo.sandbox.write("ci/COMMIT", &value);
    repo.git(&["add", "-A"]);
    let (code, stdout, stderr) = run(repo.sqscan(&["staged", "--format", "json", "--no-redact"]));
    assert_eq!(code, 1, "{stderr}");
    let document = json(&stdout);
    let paths: Vec<&str> = findings(&document).iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["ci/sonar-token.txt"]);
}

/// Issue 13: `staged` reads the index itself (versions 2 to 4, its cache
/// tree) and hands libgit2 what it does not follow (a split index, unmerged
/// entries); every flavour must stage the same findings. Renames keep their
/// old tokens; `git add -N` stages no content; `GIT_INDEX_FILE` is honoured.
#[test]
fn staged_reads_every_index_flavour_alike() {
    let flavours: &[&[&str]] = &[
        &["update-index", "--index-version", "2"],
        &["update-index", "--index-version", "3"],
        &["update-index", "--index-version", "4"],
        &["update-index", "--split-index"],
    ];
    for flavour in flavours {
        let repo = GitRepo::new();
        let mut files: Vec<(String, String)> =
            (0..30).map(|i| (format!("src/mod{i}/deep/file{i}.txt"), format!("line {i}\n"))).collect();
        files.push(("old.env".into(), format!("OLD={SQP}\n")));
        files.push(("docs/readme.md".into(), "hello\n".into()));
        let borrowed: Vec<(&str, Option<&str>)> = files.iter().map(|(p, c)| (p.as_str(), Some(c.as_str()))).collect();
        repo.commit("init", &borrowed);
        repo.git(flavour);
        // A modified file gains a token, a new file holds one, the file with
        // the old token is renamed, and an intent-to-add file holds one too.
        repo.sandbox.write("src/mod7/deep/file7.txt", format!("line 7\nSONAR_TOKEN={SOT}\n"));
        repo.sandbox.write("src/new/added.env", format!("KEY={SQU}\n"));
        repo.git(&["mv", "old.env", "docs/moved.env"]);
        repo.sandbox.write("later.env", format!("LATER={SOT2}\n"));
        repo.git(&["add", "src"]);
        repo.git(&["add", "-N", "later.env"]);
        let (code, stdout, stderr) = run(repo.sqscan(&["staged", "--format", "json", "--no-redact"]));
        assert_eq!(code, 1, "{flavour:?}: {stderr}");
        let mut found: Vec<(String, String)> = findings(&json(&stdout))
            .iter()
            .map(|f| (f["path"].as_str().unwrap().to_string(), f["secret"].as_str().unwrap().to_string()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [("src/mod7/deep/file7.txt".to_string(), SOT.to_string()), ("src/new/added.env".into(), SQU.into())],
            "{flavour:?}"
        );
    }

    // Unmerged entries: libgit2 answers.
    let repo = GitRepo::new();
    repo.commit("base", &[("a.env", Some("A=1\n"))]);
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit("side", &[("a.env", Some("A=2\n"))]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit("main", &[("a.env", Some("A=3\n")), ("b.env", Some("B=1\n"))]);
    let merge = std::process::Command::new("git").args(["merge", "-q", "side"]).current_dir(repo.path()).output();
    assert!(!merge.expect("git merge runs").status.success(), "a conflict");
    repo.sandbox.write("b.env", format!("B={SQP}\n"));
    repo.git(&["add", "b.env"]);
    let (code, stdout, stderr) = run(repo.sqscan(&["staged", "--format", "json", "--no-redact"]));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&json(&stdout))[0]["path"], "b.env");

    // A temporary index, as `git commit <path>` gives its hooks.
    let repo = GitRepo::new();
    repo.commit("init", &[("a.env", Some("A=1\n"))]);
    repo.sandbox.write("a.env", format!("A=1\nB={SQU}\n"));
    let temporary = repo.path().join(".git/next-index.lock");
    let status = std::process::Command::new("git")
        .args(["add", "a.env"])
        .env("GIT_INDEX_FILE", &temporary)
        .current_dir(repo.path())
        .status();
    assert!(status.expect("git add runs").success());
    let (code, _, _) = run(repo.sqscan(&["staged"]));
    assert_eq!(code, 0, "the repository's own index stages nothing");
    let (code, stdout, stderr) =
        run(repo.sqscan(&["staged", "--format", "json", "--no-redact"]).env("GIT_INDEX_FILE", &temporary));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&json(&stdout))[0]["secret"], SQU);
}
