//! `sqscan rules list`, `sqscan rules test` and user rules (`--rules`).

mod util;

use util::{Sandbox, json, run, sqscan};

const ACME_RULE: &str = r#"
[[rule]]
id = "acme-deploy-key"
name = "Acme deploy key"
description = "An Acme deploy key."
severity = "high"
keywords = ["acmedk_"]
pattern = '''\b(acmedk_[0-9a-f]{24})\b'''

[[rule.examples]]
text = "ACME_KEY=acmedk_0a1b2c3d4e5f60718293a4b5"
secret = "acmedk_0a1b2c3d4e5f60718293a4b5"

[[rule.counterexamples]]
text = "ACME_KEY=acmedk_<your key>"
"#;

#[test]
fn rules_list_shows_every_builtin_rule() {
    let (code, stdout, _) = run(sqscan().args(["rules", "list"]));
    assert_eq!(code, 0);
    for id in [
        "sonarqube-cloud-scoped-org-token",
        "sonarqube-server-user-token",
        "sonarqube-server-project-token",
        "sonarqube-server-global-token",
        "sonarqube-user-token",
        "sonarqube-server-badge-token",
    ] {
        assert!(stdout.contains(id), "{id} missing:\n{stdout}");
    }
    let (_, stdout, _) = run(sqscan().args(["rules", "list", "--format", "json"]));
    let list = json(&stdout);
    let sot = list.as_array().unwrap().iter().find(|r| r["id"] == "sonarqube-cloud-scoped-org-token").unwrap();
    assert_eq!(sot["sonar_key"], "S7791");
    assert_eq!(sot["keywords"], serde_json::json!(["sqco_"]));
}

#[test]
fn rules_test_runs_every_example_and_passes() {
    let (code, stdout, _) = run(sqscan().args(["rules", "test"]));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.lines().last().unwrap().ends_with(" 0 failed"), "{stdout}");
    assert!(stdout.contains("ok    sonarqube-user-token"), "{stdout}");
}

#[test]
fn a_user_rule_finds_its_secrets_from_a_file_or_a_directory() {
    let sandbox = Sandbox::new();
    sandbox.write("rules/acme.toml", ACME_RULE);
    sandbox.write("src/deploy.sh", "export ACME_KEY=acmedk_9f8e7d6c5b4a39281706f5e4\n");
    for rules in ["rules/acme.toml", "rules"] {
        let (code, stdout, _) = run(sandbox.sqscan(&["scan", "src", "--rules", rules, "--format", "json"]));
        assert_eq!(code, 1, "{stdout}");
        assert_eq!(json(&stdout)["findings"][0]["rule"], "acme-deploy-key");
    }
    let (code, stdout, _) = run(sandbox.sqscan(&["rules", "test", "--rules", "rules"]));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("ok    acme-deploy-key (1 examples, 1 counterexamples)"), "{stdout}");
}

#[test]
fn a_failing_example_fails_rules_test_and_names_it() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "bad.toml",
        ACME_RULE
            .replace("secret = \"acmedk_0a1b2c3d4e5f60718293a4b5\"", "secret = \"acmedk_ffffffffffffffffffffffff\""),
    );
    let (code, stdout, _) = run(sandbox.sqscan(&["rules", "test", "--rules", "bad.toml"]));
    assert_eq!(code, 1);
    assert!(stdout.contains("FAIL  acme-deploy-key"), "{stdout}");
    assert!(stdout.contains("example 1 should find exactly"), "{stdout}");
}

#[test]
fn invalid_rule_files_are_refused_with_file_rule_and_reason() {
    let sandbox = Sandbox::new();
    for (text, needle) in [
        (ACME_RULE.replace("pattern =", "patern ="), "unknown field `patern`"),
        (ACME_RULE.replace("{24})", "{24}"), "rule `acme-deploy-key`: pattern 1: unclosed group"),
        (ACME_RULE.replace("(acmedk_[0-9a-f]{24})", "acmedk_[0-9a-f]{24}"), "needs exactly one capture group"),
        (ACME_RULE.replace("acme-deploy-key", "sonarqube-user-token"), "the id is already defined in rules/"),
        (ACME_RULE.replace("severity = \"high\"", "severity = \"dire\""), "unknown variant `dire`"),
    ] {
        sandbox.write("rule.toml", &text);
        let (code, _, stderr) = run(sandbox.sqscan(&["rules", "list", "--rules", "rule.toml"]));
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("rule.toml") && stderr.contains(needle), "{needle}: {stderr}");
    }
}

/// Issue 11: a user's rule can read a file by its name (`path`) and reject
/// what sits in another section (`unless`, `enclosing`).
#[test]
fn a_user_rule_can_read_files_by_name_and_veto_by_section() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "rules/acme.toml",
        r#"
[[rule]]
id = "acme-pin"
name = "Acme pin"
description = "An Acme pin."
keywords = ["acme"]

[[rule.patterns]]
regex = '''\A\s*([0-9]{8})\s*\z'''
path = '''(?:^|/)acme\.pin$'''

[[rule.patterns]]
regex = '''pin: ([0-9]{8})\b'''
context = { regex = '''(?m)^acme:$''', above = 5, enclosing = true }
unless = { regex = '''(?m)^[ \t]*other:$''', above = 5, enclosing = true }

[[rule.examples]]
text = "31415926\n"
secret = "31415926"
path = "conf/acme.pin"

[[rule.counterexamples]]
text = "31415926\n"
path = "conf/build.number"
"#,
    );
    sandbox.write("conf/acme.pin", "27182818\n");
    sandbox.write("conf/build.number", "27182818\n");
    sandbox.write("conf/app.yml", "acme:\n  url: x\n  pin: 16180339\n  other:\n    pin: 14142135\n");
    let (code, stdout, _) = run(sandbox.sqscan(&["rules", "test", "--rules", "rules"]));
    assert_eq!(code, 0, "{stdout}");
    let (code, stdout, stderr) =
        run(sandbox.sqscan(&["scan", "conf", "--rules", "rules", "--format", "json", "--no-redact"]));
    assert_eq!(code, 1, "{stderr}");
    let found: Vec<(String, String)> = json(&stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["secret"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        found,
        [("conf/acme.pin".to_string(), "27182818".to_string()), ("conf/app.yml".into(), "16180339".into())]
    );

    sandbox.write("rules/acme.toml", "[[rule]]\nid='x'\nname='x'\ndescription='x'\nkeywords=['x']\n[[rule.patterns]]\nregex='(x)'\npath='(unclosed'\n");
    let (code, _, stderr) = run(sandbox.sqscan(&["rules", "list", "--rules", "rules"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("pattern 1: path: unclosed group"), "{stderr}");
}
