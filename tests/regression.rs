//! One test per reported bug, named after what broke (issue 14, the
//! reliability sweep: crashes, silent passes and leaks on damaged
//! repositories and hostile input).

mod util;

use util::{GitRepo, SOT, SQP, Sandbox, json, run};

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

#[test]
fn a_snippet_masks_a_token_the_rules_find_twice_on_a_long_line() {
    let sandbox = Sandbox::new();
    let filler = "x".repeat(50);
    sandbox.write("long.env", format!("{filler} T1={SQP} {filler} T2={SOT} {filler}\n"));
    let (_, stdout, _) = run(sandbox.sqscan(&["scan", "--format", "json"]));
    assert!(!stdout.contains(SOT) && !stdout.contains(SQP), "{stdout}");
}
