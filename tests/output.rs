//! The report formats, field by field: JSON, JSON lines and SARIF 2.1.0
//! (checked against the OASIS schema and the rules GitHub and SonarQube
//! apply on upload).

mod util;

use serde_json::Value;
use util::{HEX, SOT, SQB, SQP, Sandbox, json, run};

fn sandbox_with_leaks() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("conf/app.env", format!("# é\nSONAR_TOKEN={SOT}\n"));
    sandbox.write("ci/build.sh", format!("mvn sonar:sonar -Dsonar.login={HEX}\n"));
    sandbox.write(
        "docs/read me.md",
        format!("![q](https://sonar.acme.internal/api/project_badges/measure?token={SQB})\n"),
    );
    sandbox
}

#[test]
fn json_document_fields() {
    let sandbox = sandbox_with_leaks();
    let (code, stdout, _) = run(sandbox.sqscan(&["scan", "--format", "json"]));
    assert_eq!(code, 1);
    let document = json(&stdout);
    assert_eq!(document["version"], 1);
    assert_eq!(document["tool"]["name"], "sqscan");
    assert_eq!(document["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let findings = document["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    // Sorted by path.
    let paths: Vec<&str> = findings.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["ci/build.sh", "conf/app.env", "docs/read me.md"]);
    let sot = &findings[1];
    let expected = serde_json::json!({
        "rule": "sonarqube-cloud-scoped-org-token",
        "rule_name": "SonarQube Cloud Scoped Organization Token",
        "sonar_key": "S7791",
        "severity": "critical",
        "fingerprint": sot["fingerprint"],
        "secret": "sqco_7kwY…4Kl5",
        "redacted": true,
        "encoding": "plain",
        "path": "conf/app.env",
        "line": 2,
        "column": 13,
        "end_column": 13 + 64,
        "snippet": "SONAR_TOKEN=sqco_7kwY…4Kl5",
        "remediation": sot["remediation"],
    });
    assert_eq!(sot, &expected);
    assert_eq!(sot["fingerprint"].as_str().unwrap().len(), 32);
    // Issue 12: what to revoke, where, and what to use instead.
    assert!(
        sot["remediation"]
            .as_str()
            .is_some_and(|r| r.contains("Scoped Organization Tokens") && r.contains("secret store"))
    );
    assert!(findings[0]["remediation"].as_str().is_some_and(|r| r.contains("instead")), "{}", findings[0]);
    assert_eq!(findings[2]["severity"], "low");
    let stats = &document["stats"];
    assert_eq!(stats["unit"], "files");
    assert_eq!(stats["scanned"], 3);
    assert_eq!(stats["findings"], 3);
    assert!(stats["bytes"].as_u64().unwrap() > 100);
    assert!(stats["elapsed_ms"].is_u64());
}

#[test]
fn fingerprints_ignore_location_and_follow_the_secret() {
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SQP}\n"));
    sandbox.write("deep/b.env", format!("\n\n  TOKEN='{SQP}'\n"));
    sandbox.write("c.env", format!("SONAR_TOKEN={}\n", SQP.replace('a', "b")));
    let (_, stdout, _) = run(sandbox.sqscan(&["scan", "--format", "json"]));
    let document = json(&stdout);
    let prints: Vec<&str> =
        document["findings"].as_array().unwrap().iter().map(|f| f["fingerprint"].as_str().unwrap()).collect();
    assert_eq!(prints[0], prints[2], "a.env and deep/b.env hold the same secret");
    assert_ne!(prints[0], prints[1]);
}

#[test]
fn jsonl_is_one_finding_per_line() {
    let sandbox = sandbox_with_leaks();
    let (code, stdout, _) = run(sandbox.sqscan(&["scan", "--format", "jsonl"]));
    assert_eq!(code, 1);
    let lines: Vec<Value> = stdout.lines().map(json).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|f| f["rule"].is_string() && f["line"].is_u64() && f["fingerprint"].is_string()));
}

fn sarif_of(sandbox: &Sandbox, args: &[&str]) -> Value {
    let mut all = vec!["scan", "--format", "sarif"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(sandbox.sqscan(&all));
    assert!(code == 0 || code == 1, "{stderr}");
    json(&stdout)
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let mut schema = json(include_str!("data/sarif-schema-2.1.0.json"));
    // The official schema's `language` patterns have a stray `]` that the
    // draft-07 meta-schema refuses as a regex; escape it (sqscan never sets
    // `language`, so this changes nothing that is checked).
    assert_eq!(escape_stray_bracket(&mut schema), 2);
    let validator = jsonschema::draft7::new(&schema).expect("a valid schema");
    let sandbox = sandbox_with_leaks();
    let mut broken = sarif_of(&sandbox, &[]);
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken), "the validator checks");
    for log in [sarif_of(&sandbox, &[]), sarif_of(&Sandbox::new(), &[])] {
        let errors: Vec<String> =
            validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

fn escape_stray_bracket(value: &mut Value) -> usize {
    const STRAY: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match value {
        Value::String(s) if s == STRAY => {
            *s = STRAY.replace("}]?", "}\\]?");
            1
        }
        Value::Array(items) => items.iter_mut().map(escape_stray_bracket).sum(),
        Value::Object(map) => map.values_mut().map(escape_stray_bracket).sum(),
        _ => 0,
    }
}

#[test]
fn sarif_fields_for_github_and_sonarqube() {
    let sandbox = sandbox_with_leaks();
    let log = sarif_of(&sandbox, &[]);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "sqscan");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"].as_str().unwrap().starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    assert!(rules.len() >= 6);
    for rule in rules {
        for field in ["id", "name"] {
            assert!(rule[field].is_string(), "{rule}");
        }
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
        assert!(rule["fullDescription"]["text"].is_string(), "{rule}");
        assert!(rule["help"]["text"].is_string() && rule["help"]["markdown"].is_string(), "{rule}");
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"), "{rule}");
        assert!(["error", "warning", "note"].contains(&rule["defaultConfiguration"]["level"].as_str().unwrap()));
        let score: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        assert!((0.0..=10.0).contains(&score));
        let tags: Vec<&str> =
            rule["properties"]["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert!(
            tags.contains(&"security") && tags.contains(&"secret") && tags.contains(&"external/cwe/cwe-798"),
            "{tags:?}"
        );
    }
    let sot_rule = rules.iter().find(|r| r["id"] == "sonarqube-cloud-scoped-org-token").unwrap();
    assert_eq!(sot_rule["properties"]["security-severity"], "9.8");
    assert!(sot_rule["properties"]["tags"].as_array().unwrap().contains(&"external/sonar/S7791".into()));

    assert!(run["originalUriBaseIds"]["SRCROOT"]["uri"].as_str().unwrap().starts_with("file:///"));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let sot = results.iter().find(|r| r["ruleId"] == "sonarqube-cloud-scoped-org-token").unwrap();
    assert_eq!(sot["level"], "error");
    assert_eq!(rules[sot["ruleIndex"].as_u64().unwrap() as usize]["id"], sot["ruleId"]);
    let message = sot["message"]["text"].as_str().unwrap();
    assert!(message.contains("sqco_7kwY…4Kl5") && !message.contains(SOT), "{message}");
    let location = &sot["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "conf/app.env");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "SRCROOT");
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 13);
    assert_eq!(location["region"]["endColumn"], 77);
    assert_eq!(sot["partialFingerprints"]["sqscanSecret/v1"].as_str().unwrap().len(), 32);
    let badge = results.iter().find(|r| r["ruleId"] == "sonarqube-server-badge-token").unwrap();
    assert_eq!(badge["level"], "note");
    assert_eq!(badge["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "docs/read%20me.md");
}

#[test]
fn sarif_never_holds_a_secret_even_with_no_redact() {
    let sandbox = sandbox_with_leaks();
    let (_, stdout, _) = run(sandbox.sqscan(&["scan", "--format", "sarif", "--no-redact"]));
    for secret in [SOT, HEX, SQB] {
        assert!(!stdout.contains(secret), "SARIF holds {secret}");
    }
}

#[test]
fn sarif_columns_count_characters() {
    let sandbox = Sandbox::new();
    sandbox.write("x.env", format!("é=1 SONAR_TOKEN={SOT}\n"));
    let log = sarif_of(&sandbox, &[]);
    let region = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], 17, "é is one character, two bytes");
    let (_, stdout, _) = run(sandbox.sqscan(&["scan", "--format", "json"]));
    assert_eq!(json(&stdout)["findings"][0]["column"], 18, "JSON columns count bytes");
}

/// Issue 10: with `-o FILE` a CI log showed a count and nothing of what
/// failed; now each finding gets a line on stderr, without its secret.
#[test]
fn a_report_written_to_a_file_still_lists_findings_on_stderr() {
    let sandbox = sandbox_with_leaks();
    let (code, stdout, stderr) = run(sandbox.sqscan(&["scan", "--format", "sarif", "-o", "out.sarif", "--no-redact"]));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("sqscan: found ")).collect();
    assert!(!lines.is_empty() && lines.iter().all(|l| l.contains(" at ") && l.contains("fingerprint")), "{stderr}");
    for secret in [SOT, SQP, HEX] {
        assert!(!stderr.contains(secret), "{stderr}");
    }
    let (_, _, quiet) = run(sandbox.sqscan(&["scan", "--format", "sarif", "-o", "out.sarif", "-q"]));
    assert!(quiet.is_empty(), "{quiet}");
}

/// Issue 10: one run feeds the upload and the log: `--format` repeats,
/// each paired in order with an `-o`, one at most on standard output.
#[test]
fn one_run_writes_several_formats() {
    let sandbox = sandbox_with_leaks();
    let (code, stdout, stderr) = run(sandbox.sqscan(&[
        "scan",
        "--format",
        "sarif",
        "-o",
        "out.sarif",
        "--format",
        "json",
        "-o",
        "out.json",
        "--format",
        "human",
    ]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("SonarQube Cloud Scoped Organization Token") && stdout.contains("conf/app.env:2:13"),
        "{stdout}"
    );
    let sarif = json(&std::fs::read_to_string(sandbox.join("out.sarif")).expect("sarif"));
    let document = json(&std::fs::read_to_string(sandbox.join("out.json")).expect("json"));
    let results = sarif["runs"][0]["results"].as_array().expect("results").len();
    assert_eq!(results, document["findings"].as_array().expect("findings").len());
    assert!(results >= 2);
    // Neither report file is scanned as part of the tree.
    assert!(!stdout.contains("out.json") && !stdout.contains("out.sarif"), "{stdout}");
    for bad in [
        &["scan", "--format", "json", "--format", "sarif"][..],
        &["scan", "--format", "json", "-o", "a", "-o", "b"][..],
        &["scan", "--format", "json", "-o", "a", "--format", "sarif", "-o", "a"][..],
    ] {
        let (code, _, stderr) = run(sandbox.sqscan(bad));
        assert_eq!((code, stderr.lines().count()), (2, 1), "{bad:?}: {stderr}");
    }
}

/// Issue 10: shell completions and a manual page.
#[test]
fn completions_and_the_manual_are_printed() {
    for (shell, marker) in [("bash", "_sqscan()"), ("zsh", "#compdef sqscan"), ("fish", "complete -c sqscan")] {
        let (code, stdout, _) = run(util::sqscan().args(["completions", shell]));
        assert_eq!(code, 0);
        assert!(stdout.contains(marker) && stdout.contains("staged"), "{shell}: {stdout}");
    }
    let (code, stdout, _) = run(util::sqscan().arg("man"));
    assert_eq!(code, 0);
    assert!(stdout.contains(".TH sqscan 1") && stdout.contains("git"), "{stdout}");
}
