//! One test per reported bug, named after what broke (issue 14, the
//! reliability sweep: crashes, silent passes and leaks on damaged
//! repositories and hostile input).

mod util;

use util::{GitRepo, HEX, SOT, SQP, Sandbox, forge, json, run};

/// Issue 14.1: a snippet printed any other token on the same line in full.
#[test]
fn a_snippet_masks_every_token_on_its_line() {
    let line = format!("A={SOT} B={SQP}\n");
    let repo = GitRepo::new();
    repo.commit("two tokens", &[("two.env", Some(&line))]);
    std::fs::write(repo.sandbox.join("staged.env"), &line).unwrap();
    repo.git(&["add", "staged.env"]);
    for command in [vec!["scan", "two.env"], vec!["git"], vec!["staged"]] {
        for format in ["human", "json", "jsonl"] {
            let mut args = command.clone();
            args.extend(["--format", format]);
            let (code, stdout, stderr) = run(repo.sqscan(&args));
            assert_eq!(code, 1, "{args:?}: {stderr}");
            assert!(!stdout.contains(SOT) && !stdout.contains(SQP), "{args:?} leaks a token:\n{stdout}");
            assert!(stdout.contains("sqp_29b8…5a45") && stdout.contains("sqco_7kwY…4Kl5"), "{args:?}:\n{stdout}");
        }
    }
    // Asked for, both show in full.
    let (_, stdout, _) = run(repo.sqscan(&["scan", "two.env", "--format", "json", "--no-redact"]));
    let document = json(&stdout);
    for finding in document["findings"].as_array().unwrap() {
        let snippet = finding["snippet"].as_str().unwrap().trim_start_matches('…');
        assert!(line.contains(snippet) && snippet.contains(finding["secret"].as_str().unwrap()), "{finding}");
    }
}

/// Found by fuzzing (fuzz/corpus/engine/same-token-twice.bin): a token
/// repeated on its line where no rule matches it (no Sonar context there)
/// was printed in full in the snippet of the place that matched.
#[test]
fn a_snippet_masks_the_same_token_where_no_rule_matched_it() {
    let sandbox = Sandbox::new();
    sandbox.write("run.sh", format!("SONAR_TOKEN={HEX} ./build; echo done with {HEX}\n"));
    let (code, stdout, _) = run(sandbox.sqscan(&["scan", "--format", "json"]));
    assert_eq!(code, 1);
    let document = json(&stdout);
    assert_eq!(document["findings"].as_array().unwrap().len(), 1, "{document}");
    assert!(!stdout.contains(HEX), "{stdout}");
}

#[test]
fn a_snippet_masks_a_token_the_rules_find_twice_on_a_long_line() {
    let sandbox = Sandbox::new();
    let filler = "x".repeat(50);
    sandbox.write("long.env", format!("{filler} T1={SQP} {filler} T2={SOT} {filler}\n"));
    let (_, stdout, _) = run(sandbox.sqscan(&["scan", "--format", "json"]));
    assert!(!stdout.contains(SOT) && !stdout.contains(SQP), "{stdout}");
}

fn git_json(repo: &GitRepo, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = run(repo.sqscan(&all));
    assert!(code <= 2, "exit {code} (a signal or panic): {stderr}");
    (code, json(&stdout), stderr)
}

fn found_paths(document: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> =
        document["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    paths.sort();
    paths
}

fn skipped(document: &serde_json::Value, kind: &str) -> u64 {
    document["stats"]["skipped"][kind].as_u64().unwrap_or(0)
}

/// A repository whose root holds a token and a directory `junk/`.
fn token_beside_a_directory() -> GitRepo {
    let repo = GitRepo::new();
    repo.commit("add", &[("a.env", Some(&format!("T={SOT}\n"))), ("junk/x.txt", Some("nothing\n"))]);
    repo
}

/// Issue 14.2: a pack entry's header sized an allocation: 2^40 aborted,
/// 2^63 panicked with "capacity overflow".
#[test]
fn a_pack_entry_claiming_a_huge_size_is_skipped_not_allocated() {
    for declared in [1u64 << 40, 1u64 << 63, u64::MAX] {
        let repo = token_beside_a_directory();
        let junk = forge::id_of(repo.path(), "HEAD:junk");
        let mut entries = forge::entries_of(repo.path());
        entries.iter_mut().filter(|e| e.id == junk).for_each(|e| e.declared = declared);
        forge::replace_objects(repo.path(), &entries);
        let (code, document, stderr) = git_json(&repo, &["git"]);
        assert_eq!(found_paths(&document), ["a.env"], "{declared}: {stderr}");
        assert_eq!(code, 2, "a tree went unread: the scan is incomplete ({declared}): {stderr}");
        assert!(stderr.contains("junk") && stderr.contains("incomplete scan"), "{stderr}");
        let (code, _, _) = git_json(&repo, &["git", "--allow-incomplete"]);
        assert_eq!(code, 1);
    }
}

/// Issue 14.2: a small zlib stream that inflates far past what its header
/// says (a bomb) is cut off at the stated size.
#[test]
fn an_entry_that_inflates_past_its_stated_size_is_refused() {
    let repo = token_beside_a_directory();
    let junk = forge::id_of(repo.path(), "HEAD:junk");
    let mut entries = forge::entries_of(repo.path());
    let bomb = forge::zlib(&vec![0u8; 64 << 20]);
    entries.iter_mut().filter(|e| e.id == junk).for_each(|e| e.data = bomb.clone());
    forge::replace_objects(repo.path(), &entries);
    let (code, document, stderr) = git_json(&repo, &["git"]);
    assert_eq!((code, found_paths(&document)), (2, vec!["a.env".to_string()]), "{stderr}");
    assert!(stderr.contains("junk"), "{stderr}");
}

/// Issue 14.3: a tree nested 6,000 deep overflowed the stack.
#[test]
fn a_tree_nested_deeper_than_git_allows_is_skipped_and_counted() {
    let repo = GitRepo::new();
    let git_dir = repo.path().join(".git");
    let blob = forge::write_loose(&git_dir, "blob", format!("T={SQP}\n").as_bytes());
    let mut tree = forge::write_loose(&git_dir, "tree", &forge::tree_entry("100644", "deep.env", &blob));
    for _ in 0..6000 {
        tree = forge::write_loose(&git_dir, "tree", &forge::tree_entry("40000", "d", &tree));
    }
    let token = forge::write_loose(&git_dir, "blob", format!("T={SOT}\n").as_bytes());
    let mut root = forge::tree_entry("100644", "a.env", &token);
    root.extend(forge::tree_entry("40000", "d", &tree));
    let root = forge::write_loose(&git_dir, "tree", &root);
    let commit = repo.git(&["commit-tree", &forge::hex(&root), "-m", "deep"]);
    repo.git(&["update-ref", "refs/heads/main", commit.trim()]);
    let (code, document, stderr) = git_json(&repo, &["git"]);
    assert_eq!(found_paths(&document), ["a.env"], "{stderr}");
    assert_eq!((code, skipped(&document, "too-deep")), (2, 1), "{stderr}");
}

/// Issue 14.4: an index offset past the end of its pack crashed libgit2
/// (SIGSEGV) in `git`, `--range` and `staged`.
#[test]
fn an_index_offset_past_the_end_of_the_pack_is_refused_not_followed() {
    let repo = GitRepo::new();
    repo.commit("one", &[("a.env", Some(&format!("T={SOT}\n"))), ("b.txt", Some("one\n"))]);
    repo.commit("two", &[("b.txt", Some("two\n")), ("c.env", Some(&format!("T={SQP}\n")))]);
    let victim = forge::id_of(repo.path(), "HEAD:b.txt");
    let pack = forge::replace_objects(repo.path(), &forge::entries_of(repo.path()));
    forge::set_index_offset(&pack, &victim, 64 << 20);

    let (code, document, stderr) = git_json(&repo, &["git"]);
    assert_eq!(found_paths(&document), ["a.env", "c.env"], "{stderr}");
    assert_eq!((code, skipped(&document, "damaged"), skipped(&document, "unreadable")), (1, 1, 1), "{stderr}");
    assert!(stderr.contains("b.txt") && stderr.contains("outside"), "{stderr}");

    let (code, document, stderr) = git_json(&repo, &["git", "--range", "HEAD~1..HEAD"]);
    assert_eq!((code, found_paths(&document)), (1, vec!["c.env".to_string()]), "{stderr}");

    std::fs::write(repo.sandbox.join("d.env"), format!("T={SQP}\n")).unwrap();
    repo.git(&["add", "d.env"]);
    let (code, document, stderr) = git_json(&repo, &["staged"]);
    assert_eq!((code, found_paths(&document)), (1, vec!["d.env".to_string()]), "{stderr}");
}

/// A pack found sound is not checked again while its files are unchanged;
/// an index damaged in place afterwards is still found damaged.
#[test]
fn a_pack_index_remembered_sound_is_checked_again_once_it_changes() {
    let repo = GitRepo::new();
    repo.commit("one", &[("a.env", Some(&format!("T={SOT}\n"))), ("b.txt", Some("one\n"))]);
    let victim = forge::id_of(repo.path(), "HEAD:b.txt");
    let pack = forge::replace_objects(repo.path(), &forge::entries_of(repo.path()));
    let cache = tempfile::tempdir().unwrap();
    let remembered = cache.path().join("sqscan/sound-packs");
    let scan = || {
        let mut command = repo.sqscan(&["git", "--format", "json"]);
        command.env("XDG_CACHE_HOME", cache.path());
        let (code, stdout, stderr) = run(command);
        (code, json(&stdout), stderr)
    };
    // Files changed a moment ago are not remembered (a change within the
    // same clock tick would keep their identity): let them settle.
    scan();
    assert!(!remembered.exists(), "a pack written a moment ago is not remembered");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (code, document, stderr) = scan();
    assert_eq!((code, found_paths(&document), skipped(&document, "damaged")), (1, vec!["a.env".to_string()], 0));
    assert_eq!(std::fs::read_to_string(&remembered).unwrap().lines().count(), 1, "{stderr}");
    let (code, document, _) = scan();
    assert_eq!((code, skipped(&document, "damaged")), (1, 0), "remembered sound, read as before");

    forge::set_index_offset(&pack, &victim, 64 << 20);
    let (code, document, stderr) = scan();
    assert_eq!((code, skipped(&document, "damaged")), (1, 1), "{stderr}");
    assert!(stderr.contains("outside"), "{stderr}");
}

/// A pack index that does not list its ids in order (one damaged entry,
/// or a writer other than git): every object is still found where it is,
/// and none is taken for unreachable.
#[test]
fn a_pack_index_out_of_order_still_finds_every_blob() {
    let repo = GitRepo::new();
    repo.commit("one", &[("a.env", Some(&format!("T={SOT}\n"))), ("b.txt", Some("one\n"))]);
    repo.commit("two", &[("c.env", Some(&format!("T={SQP}\n"))), ("d.txt", Some("two\n"))]);
    let token = forge::id_of(repo.path(), "HEAD:a.env");
    let pack = forge::replace_objects(repo.path(), &forge::entries_of(repo.path()));
    // Swap the token's entry with the one farthest from it in every table
    // of the index: a binary search for either then looks elsewhere.
    let idx = pack.with_extension("idx");
    let mut data = std::fs::read(&idx).unwrap();
    let count = u32::from_be_bytes(data[8 + 255 * 4..8 + 256 * 4].try_into().unwrap()) as usize;
    let at = (0..count).find(|i| data[1032 + i * 20..1032 + i * 20 + 20] == token[..]).unwrap();
    let other = if at < count / 2 { count - 1 } else { 0 };
    for (table, width) in [(1032, 20), (1032 + count * 20, 4), (1032 + count * 24, 4)] {
        let (a, b) = (table + at * width, table + other * width);
        let (first, second) = (data[a..a + width].to_vec(), data[b..b + width].to_vec());
        data[a..a + width].copy_from_slice(&second);
        data[b..b + width].copy_from_slice(&first);
    }
    std::fs::write(&idx, data).unwrap();

    let (code, document, stderr) = git_json(&repo, &["git", "--unreachable"]);
    assert_eq!((code, found_paths(&document)), (1, vec!["a.env".to_string(), "c.env".to_string()]), "{stderr}");
    assert_eq!(skipped(&document, "unreachable"), 0, "{stderr}");
    assert!(!stderr.contains("unreachable blob"), "{stderr}");
}

/// A staged path nested deeper than sqscan's own index walk follows is
/// diffed by libgit2 instead (the walk recurses once a directory).
#[test]
fn a_staged_file_nested_hundreds_deep_is_scanned() {
    let repo = GitRepo::new();
    repo.commit("base", &[("base.txt", Some("base\n"))]);
    let blob = forge::write_loose(&repo.path().join(".git"), "blob", format!("T={SOT}\n").as_bytes());
    let deep = format!("{}a.env", "d/".repeat(300));
    repo.git(&["update-index", "--add", "--cacheinfo", &format!("100644,{},{deep}", forge::hex(&blob))]);
    let (code, document, stderr) = git_json(&repo, &["staged"]);
    assert_eq!((code, found_paths(&document)), (1, vec![deep]), "{stderr}");
}

/// A token moved out of a deleted directory nested deep is a rename: it
/// adds no line (the deleted tree's blobs are gathered without recursion).
#[test]
fn a_token_moved_out_of_a_deep_deleted_directory_adds_no_line() {
    let repo = GitRepo::new();
    let deep = format!("{}a.env", "d/".repeat(40));
    repo.commit("base", &[(deep.as_str(), Some(&format!("T={SOT}\n"))), ("b.txt", Some("b\n"))]);
    repo.git(&["rm", "-r", "-q", "--cached", "d"]);
    std::fs::write(repo.path().join("moved.env"), format!("T={SOT}\n")).unwrap();
    repo.git(&["add", "moved.env"]);
    let (code, document, stderr) = git_json(&repo, &["staged"]);
    assert_eq!((code, found_paths(&document)), (0, Vec::<String>::new()), "{stderr}");
    std::fs::write(repo.path().join("new.env"), format!("T={SQP}\n")).unwrap();
    repo.git(&["add", "new.env"]);
    let (code, document, stderr) = git_json(&repo, &["staged"]);
    assert_eq!((code, found_paths(&document)), (1, vec!["new.env".to_string()]), "{stderr}");
}

/// Issue 14.5: one missing commit made the whole walk fail: "0 findings in
/// 0 blobs", exit 0, with a token at HEAD.
#[test]
fn a_missing_commit_off_head_does_not_hide_the_rest_of_the_history() {
    let repo = GitRepo::new();
    repo.commit("base", &[("base.txt", Some("base\n"))]);
    repo.git(&["checkout", "-q", "-b", "side"]);
    let lost = repo.commit("side", &[("side.txt", Some("side\n"))]);
    repo.commit("side again", &[("side.txt", Some("more\n"))]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit("token", &[("a.env", Some(&format!("T={SOT}\n")))]);
    let object = repo.path().join(".git/objects").join(&lost[..2]).join(&lost[2..]);
    std::fs::remove_file(object).unwrap();
    let (code, document, stderr) = git_json(&repo, &["git"]);
    assert_eq!(found_paths(&document), ["a.env"], "{stderr}");
    assert_eq!((code, skipped(&document, "missing")), (2, 1), "{stderr}");
    assert!(stderr.contains(&format!("commit {lost}")), "{stderr}");
}

/// Issue 14.6: an unreadable pack was a silent pass: 0 blobs, exit 0.
#[test]
fn a_damaged_or_unindexed_pack_is_never_a_silent_pass() {
    type Damage = fn(&std::path::Path);
    let damage: [(&str, Damage); 3] = [
        ("truncated by one byte", |pack| {
            let data = std::fs::read(pack).unwrap();
            std::fs::write(pack, &data[..data.len() - 1]).unwrap();
        }),
        ("flipped trailer", |pack| {
            let mut data = std::fs::read(pack).unwrap();
            let last = data.len() - 1;
            data[last] ^= 0xff;
            std::fs::write(pack, data).unwrap();
        }),
        ("missing index", |pack| std::fs::remove_file(pack.with_extension("idx")).unwrap()),
    ];
    for (what, break_it) in damage {
        let repo = GitRepo::new();
        repo.commit("add", &[("a.env", Some(&format!("T={SOT}\n")))]);
        repo.git(&["gc", "-q"]);
        let pack = std::fs::read_dir(repo.path().join(".git/objects/pack"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "pack"))
            .unwrap();
        break_it(&pack);
        let (code, document, stderr) = git_json(&repo, &["git"]);
        assert_ne!(code, 0, "{what}: {stderr}");
        assert_eq!(skipped(&document, "damaged"), 1, "{what}: {document}");
        if code == 2 {
            assert!(stderr.contains("sqscan: error:"), "{what}: {stderr}");
        } else {
            assert_eq!(found_paths(&document), ["a.env"], "{what}: {stderr}");
        }
    }
}

/// Issue 14.7: in a blobless clone, `--range` and `staged` failed with a
/// raw libgit2 error (rename detection wants blob content) and lost the
/// token.
#[test]
fn a_blobless_clone_counts_missing_blobs_and_finds_the_rest() {
    let origin = GitRepo::new();
    origin.git(&["config", "uploadpack.allowFilter", "true"]);
    origin.commit("one", &[("old.txt", Some(&"a line that will move\n".repeat(20)))]);
    origin.commit(
        "two",
        &[
            ("old.txt", None),
            ("moved.txt", Some(&"a line that will move\n".repeat(20))),
            ("c.env", Some(&format!("T={SQP}\n"))),
        ],
    );
    let clones = Sandbox::new();
    let url = format!("file://{}", origin.path().display());
    util::git_in(clones.path(), &["clone", "-q", "--filter=blob:none", "--no-checkout", &url, "clone"]);
    let clone = clones.join("clone");
    // Fetch one blob of the range; the others stay missing.
    util::git_in(&clone, &["cat-file", "-p", "HEAD:c.env"]);
    let (code, stdout, stderr) =
        run(util::sqscan().current_dir(&clone).args(["git", "--range", "HEAD~1..HEAD", "--format", "json"]));
    let document = json(&stdout);
    assert_eq!((code, found_paths(&document)), (1, vec!["c.env".to_string()]), "{stderr}");
    assert_eq!(skipped(&document, "missing"), 1, "{document}");

    util::git_in(&clone, &["reset", "-q"]);
    std::fs::write(clone.join("d.env"), format!("T={SOT}\n")).unwrap();
    std::fs::write(clone.join("copy.txt"), "a line that will move\n".repeat(20)).unwrap();
    util::git_in(&clone, &["add", "d.env", "copy.txt"]);
    let (code, stdout, stderr) = run(util::sqscan().current_dir(&clone).args(["staged", "--format", "json"]));
    assert_eq!((code, found_paths(&json(&stdout))), (1, vec!["d.env".to_string()]), "{stderr}");
}

/// Issue 14.12: `--threads` had no bound (100000 threads grew RSS).
#[test]
fn threads_are_capped_with_a_message() {
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("T={SQP}\n"));
    let (code, _, stderr) = run(sandbox.sqscan(&["scan", "--threads", "100000"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--threads 100000 capped at"), "{stderr}");
}

/// Issue 14.13: config, baseline and rule files were read without a size
/// or type limit (`[rules] paths = ["/dev/zero"]`).
#[test]
fn settings_files_that_are_not_small_regular_files_are_refused() {
    let sandbox = Sandbox::new();
    sandbox.write(".sqscan.toml", "[rules]\npaths = [\"/dev/zero\"]\n");
    let (code, _, stderr) = run(sandbox.sqscan(&["scan"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("/dev/zero") && stderr.contains("not a regular file"), "{stderr}");
    for flag in ["--config", "--baseline", "--rules"] {
        let (code, _, stderr) = run(Sandbox::new().sqscan(&["scan", flag, "/dev/zero"]));
        assert_eq!((code, stderr.lines().count()), (2, 1), "{flag}: {stderr}");
    }
}

/// Issue 14.14: a named target that could not be read exited 0.
#[cfg(target_os = "linux")]
#[test]
fn a_named_target_that_cannot_be_read_exits_2_after_the_report() {
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("T={SQP}\n"));
    // Reading /proc/self/mem from its start fails (EIO), even as root.
    let (code, stdout, stderr) = run(sandbox.sqscan(&["scan", "a.env", "/proc/self/mem", "--format", "json"]));
    assert_eq!(code, 2, "{stderr}");
    let found = found_paths(&json(&stdout));
    assert!(found.len() == 1 && found[0].ends_with("a.env"), "{found:?}");
    assert!(stderr.contains("/mem: cannot read") && stderr.contains("incomplete scan"), "{stderr}");
}

/// Issue 14 (low): `-o` naming a scanned input truncated it and reported clean.
#[test]
fn the_report_never_overwrites_what_is_scanned() {
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("T={SQP}\n"));
    let (code, _, stderr) = run(sandbox.sqscan(&["scan", "a.env", "-o", "a.env"]));
    assert_eq!((code, stderr.lines().count()), (2, 1), "{stderr}");
    assert_eq!(std::fs::read_to_string(sandbox.join("a.env")).unwrap(), format!("T={SQP}\n"));
    // A report inside a scanned directory is written, and not scanned.
    let (code, _, stderr) = run(sandbox.sqscan(&["scan", ".", "-o", "report.txt", "--no-redact"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("1 finding in 1 file"), "{stderr}");
    let (_, _, stderr) = run(sandbox.sqscan(&["scan", ".", "-o", "report.txt", "--no-redact"]));
    assert!(stderr.contains("1 finding in 1 file"), "the old report is not scanned: {stderr}");
}

/// Issue 14 (low): the same target named twice reported its findings twice.
#[test]
fn a_target_named_twice_is_reported_once() {
    let sandbox = Sandbox::new();
    sandbox.write("src/a.env", format!("T={SQP}\n"));
    let (code, stdout, _) = run(sandbox.sqscan(&["scan", "src", "src/a.env", ".", "--format", "json"]));
    assert_eq!((code, found_paths(&json(&stdout))), (1, vec!["src/a.env".to_string()]));
}

/// Issue 14 (low): file names with ESC, CR or LF were printed raw.
#[test]
fn control_characters_in_names_are_escaped_on_a_terminal_format() {
    let sandbox = Sandbox::new();
    sandbox.write("evil\u{1b}[2J\rname\n.env", format!("T={SQP}\n"));
    sandbox.write("big\u{1b}]0;x.log", "x".repeat(2048));
    let (code, stdout, stderr) = run(sandbox.sqscan(&["scan", "--max-file-size", "1K"]));
    assert_eq!(code, 1);
    assert!(stdout.contains("evil\\u{1b}[2J\\rname\\n.env:1:3"), "{stdout}");
    assert!(!stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'), "{stdout}{stderr}");
    assert!(stderr.contains("big\\u{1b}]0;x.log"), "{stderr}");
}

/// Issue 14 (low): a bare repository's `staged` exited 0 having read nothing.
#[test]
fn staged_in_a_bare_repository_is_an_error() {
    let repo = GitRepo::new();
    repo.commit("one", &[("a.txt", Some("a\n"))]);
    let bare = Sandbox::new();
    util::git_in(bare.path(), &["clone", "-q", "--bare", repo.path().to_str().unwrap(), "r.git"]);
    let (code, _, stderr) = run(util::sqscan().current_dir(bare.join("r.git")).args(["staged"]));
    assert_eq!((code, stderr.lines().count()), (2, 1), "{stderr}");
    assert!(stderr.contains("bare repository"), "{stderr}");
}

/// Issue 14 (low): bare `sqscan` and missing arguments lost clap's useful part.
#[test]
fn usage_errors_say_what_is_missing() {
    let (code, _, stderr) = run(util::sqscan());
    assert_eq!(code, 2);
    assert!(stderr.contains("needs a command: scan, git, staged, baseline, audit, merge, revoke, rules"), "{stderr}");
    let (_, _, stderr) = run(util::sqscan().args(["rules"]));
    assert!(stderr.contains("`sqscan rules` needs a command: list, test"), "{stderr}");
    let (_, _, stderr) = run(util::sqscan().args(["scan", "--bogus"]));
    assert!(stderr.contains("'--bogus'") && stderr.contains("tip:") && stderr.lines().count() == 1, "{stderr}");
}

/// Issue 14 (low): serde errors echoed a config or baseline value, a token
/// pasted there included.
#[test]
fn config_and_baseline_errors_never_echo_a_value() {
    let sandbox = Sandbox::new();
    sandbox.write(".sqscan.toml", format!("[allow]\nsecrets = \"{SQP}\"\n"));
    sandbox.write("b.json", format!("{{\"version\": \"{SQP}\", \"tool\": \"sqscan\", \"findings\": []}}"));
    let (code, _, stderr) = run(sandbox.sqscan(&["scan"]));
    assert_eq!(code, 2);
    assert!(!stderr.contains("sqp_29") && stderr.contains("line 2"), "{stderr}");
    sandbox.write("empty.toml", "");
    let (code, _, stderr) = run(sandbox.sqscan(&["scan", "--config", "empty.toml", "--baseline", "b.json"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("sqp_29") && stderr.contains("b.json"), "{stderr}");
}

/// Issue 14 (low): a rule whose secret could be empty was accepted.
#[test]
fn a_rule_whose_secret_can_be_empty_is_refused_at_load() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "r.toml",
        "[[rule]]\nid = \"acme\"\nname = \"Acme\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"acme\"]\npattern = 'acme=(\\w*)'\n",
    );
    let (code, _, stderr) = run(sandbox.sqscan(&["scan", "--rules", "r.toml"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("r.toml") && stderr.contains("match nothing"), "{stderr}");
}

/// Issue 14.8: a byte order mark in front of text that is not UTF-16, UTF-32
/// text, and BOM-less UTF-16 whose first 8 KiB hold no NUL lost their
/// tokens: a failed or missed decode hid the raw bytes.
#[test]
fn no_encoding_guess_hides_a_token() {
    let line = format!("T={SQP}\n");
    let utf16 = |text: &str| text.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("bom-not-utf16.env", [b"\xFF\xFE".as_slice(), line.as_bytes()].concat()),
        ("bom-be-not-utf16.env", [b"\xFE\xFF".as_slice(), line.as_bytes()].concat()),
        (
            "utf32.env",
            [b"\xFF\xFE\0\0".as_slice(), &line.chars().flat_map(|c| (c as u32).to_le_bytes()).collect::<Vec<u8>>()]
                .concat(),
        ),
        ("utf32be.env", line.chars().flat_map(|c| (c as u32).to_be_bytes()).collect()),
    ];
    let mut late = "漢字".repeat(3000);
    late.push('\n');
    late.push_str(&line);
    cases.push(("late-utf16.env", utf16(&late)));
    let sandbox = Sandbox::new();
    for (name, bytes) in &cases {
        sandbox.write(name, bytes);
    }
    let (code, stdout, stderr) = run(sandbox.sqscan(&["scan", "--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let mut expected: Vec<String> = cases.iter().map(|(name, _)| name.to_string()).collect();
    expected.sort();
    assert_eq!(found_paths(&json(&stdout)), expected, "{stderr}");
    // The same through standard input and git history.
    for (name, bytes) in &cases {
        let (code, stdout, _) = run(util::sqscan().args(["scan", "-", "--format", "json"]).write_stdin(bytes.clone()));
        assert_eq!((code, found_paths(&json(&stdout)).len()), (1, 1), "stdin: {name}");
    }
    let repo = GitRepo::new();
    for (name, bytes) in &cases {
        repo.sandbox.write(name, bytes);
    }
    repo.commit("encodings", &[]);
    let (code, document, stderr) = git_json(&repo, &["git"]);
    assert_eq!((code, found_paths(&document)), (1, expected), "{stderr}");
}

/// Issue 14.9: files were read whole (`--max-file-size 30G` on a 20 GB file
/// aborted); large files are now read in bounded, overlapping chunks.
#[cfg(unix)]
#[test]
fn a_file_larger_than_memory_allows_is_streamed() {
    use std::io::Write as _;
    let sandbox = Sandbox::new();
    let mut file = std::io::BufWriter::new(std::fs::File::create(sandbox.join("big.log")).unwrap());
    let filler = format!("{}\n", "x".repeat(99));
    for _ in 0..3_000_000 {
        file.write_all(filler.as_bytes()).unwrap();
    }
    file.write_all(format!("T={SQP}\n").as_bytes()).unwrap();
    drop(file);
    // 300 MB of file under a 200 MB address-space limit.
    let script = format!(
        "ulimit -v 200000; exec '{}' scan big.log --max-file-size 30G --format json",
        env!("CARGO_BIN_EXE_sqscan")
    );
    let output = std::process::Command::new("sh").args(["-c", &script]).current_dir(sandbox.path()).output().unwrap();
    let (code, stdout) = (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned());
    assert_eq!(code, Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let document = json(&stdout);
    assert_eq!(document["findings"][0]["line"], 3_000_001);
    assert_eq!(document["stats"]["bytes"], 300_000_047);
}

/// Issue 10: `sqscan baseline --format json` silently wrote a baseline.
#[test]
fn baseline_refuses_a_format_it_would_ignore() {
    let sandbox = Sandbox::new();
    let (code, _, stderr) = run(sandbox.sqscan(&["baseline", "--format", "json"]));
    assert_eq!((code, stderr.lines().count()), (2, 1), "{stderr}");
    assert!(stderr.contains("--format json, use sqscan scan"), "{stderr}");
}
