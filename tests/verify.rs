//! `--verify` against real HTTP servers on 127.0.0.1 playing SonarQube
//! Cloud (both regions) and a SonarQube Server: every outcome, that each
//! secret is asked once, that nothing goes where the policy forbids, and
//! that tokens never show in output.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use util::fake_sonar::{FakeSonar, Reply, Request};
use util::{HEX, SOT, SQP, SQU, Sandbox, json as parse, run};

const VALIDATE: &str = "/api/authentication/validate";

/// Cloud: `live` are valid tokens; anonymous and other tokens are not.
fn cloud(live: &'static [&'static str]) -> FakeSonar {
    FakeSonar::start(move |request: &Request| {
        let token = request.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer "));
        if request.path == VALIDATE {
            let valid = token.is_some_and(|t| live.contains(&t));
            let reply = Reply::json(200, json!({ "valid": valid }));
            return if valid {
                reply.header("SonarQube-Authentication-Token-Expiration", "2027-01-01T00:00:00+0000")
            } else {
                reply
            };
        }
        if request.path.starts_with("/api/projects/search?organization=") {
            return match token {
                Some(t) if live.contains(&t) => {
                    Reply::json(403, json!({"errors": [{"msg": "Insufficient privileges"}]}))
                }
                _ => Reply::json(401, json!({"errors": [{"msg": "Authentication required"}]})),
            };
        }
        Reply::json(404, json!({"errors": [{"msg": "Unknown url"}]}))
    })
}

/// A SonarQube Server: `live` are valid tokens (Basic `token:`).
fn server(live: &'static [&'static str], forces_authentication: bool) -> FakeSonar {
    FakeSonar::start(move |request: &Request| match request.path.as_str() {
        "/api/system/status" => Reply::json(200, json!({"id": "x", "version": "9.9.4", "status": "UP"})),
        VALIDATE => {
            let valid = match &request.authorization {
                None => !forces_authentication,
                Some(header) => live.iter().any(|t| *header == basic(t)),
            };
            Reply::json(200, json!({ "valid": valid }))
        }
        _ => Reply::json(404, json!({})),
    })
}

fn basic(token: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{token}:")))
}

struct Run {
    code: i32,
    document: Value,
    stdout: String,
    stderr: String,
}

fn verify(sandbox: &Sandbox, eu: &FakeSonar, us: &FakeSonar, args: &[&str]) -> Run {
    let mut all = vec!["scan", "--verify"];
    if !args.contains(&"--format") {
        all.extend(["--format", "json"]);
    }
    all.extend_from_slice(args);
    let mut command = sandbox.sqscan(&all);
    command
        .env("SQSCAN_SONARCLOUD_URL", eu.url())
        .env("SQSCAN_SONARQUBE_US_URL", us.url())
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY");
    let (code, stdout, stderr) = run(command);
    let document = if stdout.trim_start().starts_with('{') { parse(&stdout) } else { Value::Null };
    Run { code, document, stdout, stderr }
}

fn verification(run: &Run, index: usize) -> &Value {
    &run.document["findings"][index]["verification"]
}

fn with_token(request: &Request, token: &str) -> bool {
    request.authorization.as_deref().is_some_and(|a| a.contains(token) || *a == basic(token))
}

fn assert_never_shown(run: &Run, secret: &str) {
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the token was printed");
}

#[test]
fn a_live_cloud_user_token_is_active_asked_once_with_its_expiry() {
    let (eu, us) = (cloud(&[HEX]), cloud(&[]));
    let sandbox = Sandbox::new();
    for file in ["a.env", "b.env", "c/d.env"] {
        sandbox.write(file, format!("SONAR_TOKEN={HEX}\n"));
    }
    let run = verify(&sandbox, &eu, &us, &[]);
    assert_eq!(run.code, 1);
    for i in 0..3 {
        let v = verification(&run, i);
        assert_eq!(v["status"], "active", "{v}");
        assert_eq!(v["detail"], "SonarQube Cloud user token (EU)");
        assert_eq!(v["expires"], "2027-01-01T00:00:00+0000");
        // Issue 12: the lifetime facts, and the plain warning that this check renewed it.
        assert!(v["expires_in_days"].as_i64().is_some(), "{v}");
        assert!(
            v["lifetime"].as_str().is_some_and(|l| l.contains("every use renews it") && l.contains("Revoke")),
            "{v}"
        );
    }
    assert!(run.stderr.contains("verifying just renewed their 60-day window; revoke them now"), "{}", run.stderr);
    let requests = eu.requests();
    assert_eq!(requests.iter().filter(|r| with_token(r, HEX)).count(), 1, "{requests:?}");
    assert_eq!(requests.iter().filter(|r| r.authorization.is_none()).count(), 1, "one anonymous control call");
    assert!(
        requests
            .iter()
            .filter(|r| with_token(r, HEX))
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {HEX}")))
    );
    assert!(requests.iter().all(|r| r.user_agent.as_deref() == Some(concat!("sqscan/", env!("CARGO_PKG_VERSION")))));
    assert!(us.requests().is_empty(), "found in EU: US is not asked");
    assert_never_shown(&run, HEX);
}

#[test]
fn a_dead_cloud_token_is_inactive_after_both_regions() {
    let (eu, us) = (cloud(&[]), cloud(&[]));
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={HEX}\n"));
    let run = verify(&sandbox, &eu, &us, &[]);
    assert_eq!(verification(&run, 0)["status"], "inactive");
    assert_eq!(eu.requests().iter().filter(|r| with_token(r, HEX)).count(), 1);
    assert_eq!(us.requests().iter().filter(|r| with_token(r, HEX)).count(), 1);
    assert_never_shown(&run, HEX);
}

#[test]
fn a_us_region_hint_asks_only_the_us() {
    let (eu, us) = (cloud(&[HEX]), cloud(&[HEX]));
    let sandbox = Sandbox::new();
    sandbox.write("sonar-project.properties", format!("sonar.region=us\nsonar.token={HEX}\n"));
    let run = verify(&sandbox, &eu, &us, &[]);
    assert_eq!(verification(&run, 0)["detail"], "SonarQube Cloud user token (US)");
    assert!(eu.requests().is_empty());
}

#[test]
fn a_scoped_org_token_is_checked_by_differential_probe() {
    let (eu, us) = (cloud(&[SOT]), cloud(&[]));
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SOT}\n"));
    let run = verify(&sandbox, &eu, &us, &[]);
    let v = verification(&run, 0);
    assert_eq!(v["status"], "active", "{v}");
    assert_eq!(v["detail"], "SonarQube Cloud Scoped Organization Token (EU)");
    // No expiry header: flagged as a token that never expires on its own.
    assert!(v.get("expires_in_days").is_none());
    assert!(v["lifetime"].as_str().is_some_and(|l| l.starts_with("no expiry date")), "{v}");
    let requests = eu.requests();
    let probes: Vec<&Request> = requests.iter().filter(|r| r.path.starts_with("/api/projects/search")).collect();
    assert_eq!(probes.len(), 2, "one control with a fake token, one with the real one: {requests:?}");
    let fake = probes.iter().find(|r| !with_token(r, SOT)).expect("a control call");
    assert!(fake.authorization.as_deref().unwrap().starts_with("Bearer sqco_"));
    assert_eq!(probes[0].path, probes[1].path, "the same random organization");
    assert_never_shown(&run, SOT);

    // Refused everywhere: inactive.
    let (eu, us) = (cloud(&[]), cloud(&[]));
    let run = verify(&sandbox, &eu, &us, &[]);
    assert_eq!(verification(&run, 0)["status"], "inactive");
}

/// One finding's verification when Cloud answers every real-token call with `reply`.
fn outcome_when_cloud_answers(reply: Reply, args: &[&str]) -> (Value, usize) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let eu = FakeSonar::start(move |request: &Request| {
        if request.authorization.is_none() {
            return Reply::json(200, json!({"valid": false}));
        }
        seen.fetch_add(1, Ordering::SeqCst);
        reply.clone()
    });
    let us = cloud(&[]);
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={HEX}\n"));
    let run = verify(&sandbox, &eu, &us, args);
    assert_never_shown(&run, HEX);
    (verification(&run, 0).clone(), calls.load(Ordering::SeqCst))
}

#[test]
fn answers_that_prove_nothing_are_unknown_never_active() {
    let cases = [
        (Reply::text(200, "text/html", "<html><body>Access denied by WAF</body></html>"), "HTML page"),
        (Reply::text(200, "application/json", "{\"valid\": tru"), "not JSON"),
        (Reply::json(200, json!({"authenticated": true})), "another shape"),
        (Reply::json(500, json!({"errors": []})), "server error (HTTP 500)"),
        (Reply::json(302, json!({})).header("Location", "https://example.com/login"), "HTTP 302"),
    ];
    for (reply, reason) in cases {
        let (v, _) = outcome_when_cloud_answers(reply, &[]);
        assert_eq!(v["status"], "unknown", "{reason}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(reason), "{reason}: {v}");
    }
    let (v, _) = outcome_when_cloud_answers(Reply::json(200, json!({"valid": false})), &[]);
    assert_eq!(v["status"], "inactive", "{v}");
}

#[test]
fn rate_limits_are_waited_out_within_bounds() {
    // 429 with Retry-After, then an answer.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let eu = FakeSonar::start(move |request: &Request| {
        if request.authorization.is_none() {
            return Reply::json(200, json!({"valid": false}));
        }
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::json(429, json!({})).header("Retry-After", "1");
        }
        Reply::json(200, json!({"valid": true}))
    });
    let us = cloud(&[]);
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={HEX}\n"));
    let run = verify(&sandbox, &eu, &us, &[]);
    assert_eq!(verification(&run, 0)["status"], "active");
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // 429 that persists: unknown, after a bounded number of tries.
    let (v, tries) = outcome_when_cloud_answers(Reply::json(429, json!({})), &[]);
    assert_eq!(v["status"], "unknown");
    assert!(v["detail"].as_str().unwrap().contains("429"), "{v}");
    assert_eq!(tries, 3);
}

#[test]
fn a_slow_server_is_unknown_within_the_time_budget() {
    let started = std::time::Instant::now();
    let (v, _) = outcome_when_cloud_answers(
        Reply::json(200, json!({"valid": true})).after(Duration::from_secs(4)),
        &["--verify-timeout", "1"],
    );
    assert_eq!(v["status"], "unknown", "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("timed out") || detail.contains("budget"), "{detail}");
    assert!(started.elapsed() < Duration::from_secs(4) + Duration::from_millis(3900), "took {:?}", started.elapsed());
}

#[test]
fn server_tokens_go_only_to_the_named_server_with_basic_auth() {
    let (eu, us) = (cloud(&[SQP]), cloud(&[SQP]));
    let sonar = server(&[SQP], true);
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SQP}\n"));
    let run = verify(&sandbox, &eu, &us, &["--sonar-url", &sonar.url()]);
    let v = verification(&run, 0);
    assert_eq!(v["status"], "active", "{v}");
    assert_eq!(v["host"], sonar.url());
    let requests = sonar.requests();
    assert!(requests.iter().any(|r| r.path == "/api/system/status" && r.authorization.is_none()));
    assert!(requests.iter().any(|r| r.path == VALIDATE && r.authorization.is_none()), "an anonymous control call");
    assert_eq!(requests.iter().filter(|r| r.authorization.as_deref() == Some(&basic(SQP))).count(), 1);
    assert!(eu.requests().is_empty() && us.requests().is_empty(), "a Server token never goes to Cloud");
    assert_never_shown(&run, SQP);
}

#[test]
fn a_server_that_does_not_force_authentication_proves_nothing() {
    let (eu, us) = (cloud(&[]), cloud(&[]));
    let sonar = server(&[], false);
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SQU}\n"));
    let run = verify(&sandbox, &eu, &us, &["--sonar-url", &sonar.url()]);
    let v = verification(&run, 0);
    assert_eq!(v["status"], "unknown");
    assert!(v["detail"].as_str().unwrap().contains("anonymous"), "{v}");
    assert!(!sonar.requests().iter().any(|r| with_token(r, SQU)), "the token is not sent when validate proves nothing");
}

#[test]
fn without_a_named_server_a_server_token_goes_nowhere() {
    let (eu, us) = (cloud(&[]), cloud(&[]));
    let found = server(&[SQU, HEX], true);
    let sandbox = Sandbox::new();
    sandbox.write(
        "sonar-project.properties",
        format!("sonar.host.url={}\nsonar.token={SQU}\nsonar.login={HEX}\n", found.url()),
    );
    let run = verify(&sandbox, &eu, &us, &[]);
    for i in 0..2 {
        let v = verification(&run, i);
        assert_eq!(v["status"], "unknown", "{v}");
        assert!(v["detail"].as_str().unwrap().contains("--sonar-url"), "{v}");
    }
    assert!(found.requests().is_empty(), "a host found in the content is not used without --verify-found-hosts");
    assert!(
        eu.requests().is_empty() && us.requests().is_empty(),
        "a 40-hex token next to a Server URL is a Server token"
    );

    let run = verify(&sandbox, &eu, &us, &["--verify-found-hosts"]);
    assert_eq!(verification(&run, 0)["status"], "active");
    assert_eq!(verification(&run, 1)["status"], "active");
    assert!(eu.requests().is_empty() && us.requests().is_empty());
    assert_never_shown(&run, SQU);
    assert_never_shown(&run, HEX);
}

#[test]
fn fail_on_active_fails_only_for_live_tokens() {
    let (eu, us) = (cloud(&[]), cloud(&[]));
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SOT}\n"));
    assert_eq!(verify(&sandbox, &eu, &us, &["--fail-on", "active"]).code, 0);
    assert_eq!(verify(&sandbox, &eu, &us, &[]).code, 1, "by default any finding fails");
    let (eu, us) = (cloud(&[SOT]), cloud(&[]));
    assert_eq!(verify(&sandbox, &eu, &us, &["--fail-on", "active"]).code, 1);

    let (code, _, stderr) = run(sandbox.sqscan(&["scan", "--fail-on", "active"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--fail-on active needs --verify"), "{stderr}");
}

/// Issue 10: `--verify --fail-on active` exited 0 when every check was
/// unknown, so a runner without network access passed a live token.
#[test]
fn fail_on_active_fails_closed_when_a_check_is_unknown() {
    let down = || FakeSonar::start(|_| Reply::json(503, json!({})));
    let (eu, us) = (down(), down());
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SOT}\n"));
    let run = verify(&sandbox, &eu, &us, &["--fail-on", "active", "--verify-timeout", "5"]);
    assert_eq!(verification(&run, 0)["status"], "unknown", "{}", run.stderr);
    assert_eq!(run.code, 1, "an unknown token may be live: {}", run.stderr);
}

#[test]
fn sarif_and_human_show_the_outcome() {
    let (eu, us) = (cloud(&[SOT]), cloud(&[]));
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SOT}\n"));
    let run = verify(&sandbox, &eu, &us, &["--format", "sarif"]);
    let result = &run.document["runs"][0]["results"][0];
    assert_eq!(result["properties"]["verification"]["status"], "active");
    assert_eq!(result["properties"]["security-severity"], "10.0");
    let run = verify(&sandbox, &eu, &us, &["--format", "human"]);
    assert!(run.stdout.contains("verified: ACTIVE (SonarQube Cloud Scoped Organization Token (EU))"), "{}", run.stdout);
    assert_never_shown(&run, SOT);
}

#[test]
fn an_unsafe_server_url_is_refused_before_scanning() {
    let sandbox = Sandbox::new();
    for (url, needle) in
        [("http://sonar.example.com", "HTTPS"), ("ftp://x", "unsupported scheme"), ("sonar", "not a URL")]
    {
        let (code, stdout, stderr) = run(sandbox.sqscan(&["scan", "--verify", "--sonar-url", url]));
        assert_eq!(code, 2, "{url}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(needle), "{url}: {stderr}");
    }
    let (code, _, stderr) = run(sandbox.sqscan(&["scan", "--sonar-url", "https://sonar.example.com"]));
    assert_eq!(code, 2, "--sonar-url needs --verify: {stderr}");
}

/// Issue 14.10: the budget was computed before pacing sleeps, so 64 tokens
/// at once against a hanging server took 16 s under `--verify-timeout 3`.
#[test]
fn the_time_budget_holds_for_many_tokens_at_once() {
    use sha1::Digest as _;
    let hang = || FakeSonar::start(|_| Reply::json(200, json!({"valid": true})).after(Duration::from_secs(30)));
    let (eu, us) = (hang(), hang());
    let sandbox = Sandbox::new();
    let text: String = (0..64u32)
        .map(|i| {
            let digest = sha1::Sha1::digest(i.to_be_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("SONAR_TOKEN={hex}\n")
        })
        .collect();
    sandbox.write("many.env", text);
    let started = std::time::Instant::now();
    let run = verify(&sandbox, &eu, &us, &["--verify-concurrency", "64", "--verify-timeout", "3"]);
    let elapsed = started.elapsed();
    assert_eq!(run.document["findings"].as_array().map(Vec::len), Some(64), "{}", run.stderr);
    for index in 0..64 {
        assert_eq!(verification(&run, index)["status"], "unknown");
    }
    assert!(elapsed < Duration::from_secs(7), "took {elapsed:?} with a 3 s budget");
}

/// Issue 12: a 40-hex token nothing ties to Cloud or a server, with
/// `--sonar-url`: that server first; only if it says "not valid there",
/// SonarQube Cloud; and the outcome names where it was checked.
#[test]
fn an_unattributed_hex_token_is_asked_of_the_named_server_then_of_cloud() {
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={HEX}\n"));
    // Dead on the server, live on Cloud: active, and both named.
    let (eu, us) = (cloud(&[HEX]), cloud(&[]));
    let sonar = server(&[], true);
    let run = verify(&sandbox, &eu, &us, &["--sonar-url", &sonar.url()]);
    let v = verification(&run, 0);
    assert_eq!(v["status"], "active", "{v}");
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("SonarQube Cloud user token (EU)") && detail.contains(&format!("inactive on {}", sonar.url())),
        "{detail}"
    );
    assert_eq!(sonar.requests().iter().filter(|r| r.authorization.as_deref() == Some(&basic(HEX))).count(), 1);
    assert_eq!(eu.requests().iter().filter(|r| with_token(r, HEX)).count(), 1);
    // Dead on both: inactive, both named.
    let (eu, us) = (cloud(&[]), cloud(&[]));
    let run = verify(&sandbox, &eu, &us, &["--sonar-url", &sonar.url()]);
    let v = verification(&run, 0);
    assert_eq!(v["status"], "inactive", "{v}");
    assert_eq!(v["detail"], format!("inactive on {} and on SonarQube Cloud (EU, US)", sonar.url()));
    // Live on the server: Cloud is never asked.
    let (eu, us) = (cloud(&[HEX]), cloud(&[HEX]));
    let live = server(&[HEX], true);
    let run = verify(&sandbox, &eu, &us, &["--sonar-url", &live.url()]);
    assert_eq!(verification(&run, 0)["status"], "active");
    assert!(
        eu.requests().iter().chain(us.requests().iter()).all(|r| !with_token(r, HEX)),
        "a live Server token went to Cloud"
    );
    // The server cannot say (not SonarQube): unknown, and Cloud is never asked.
    let broken = FakeSonar::start(|_| Reply::json(500, json!({})));
    let run = verify(&sandbox, &eu, &us, &["--sonar-url", &broken.url(), "--verify-timeout", "3"]);
    assert_eq!(verification(&run, 0)["status"], "unknown");
    assert!(eu.requests().iter().chain(us.requests().iter()).all(|r| !with_token(r, HEX)));
    assert_never_shown(&run, HEX);
}

/// A SonarQube Server that also answers who a token's owner is and what
/// tokens they hold; `tokens_refused` plays a 403 on the token list.
fn analysed_server(tokens_refused: bool) -> FakeSonar {
    FakeSonar::start(move |request: &Request| {
        let who = match request.authorization.as_deref() {
            Some(a) if a == basic(SQU) => Some(("ann", "Ann Admin", vec!["admin", "scan"])),
            Some(a) if a == basic(SQP) => Some(("bob", "Bob Builder", vec!["scan"])),
            _ => None,
        };
        match (request.path.as_str(), &who) {
            ("/api/system/status", _) => Reply::json(200, json!({"id": "x", "version": "10.7", "status": "UP"})),
            (VALIDATE, who) => Reply::json(200, json!({"valid": who.is_some()})),
            (_, None) => Reply::json(401, json!({"errors": [{"msg": "Unauthorized"}]})),
            ("/api/users/current", Some((login, name, permissions))) => Reply::json(
                200,
                json!({"isLoggedIn": true, "login": login, "name": name, "permissions": {"global": permissions}}),
            ),
            ("/api/user_tokens/search", _) if tokens_refused => {
                Reply::json(403, json!({"errors": [{"msg": "Insufficient privileges"}]}))
            }
            ("/api/user_tokens/search", Some((login, ..))) => Reply::json(
                200,
                json!({"login": login, "userTokens": [
                    {"name": "laptop", "type": "USER_TOKEN", "lastConnectionDate": "2026-11-30T10:00:00+0000"},
                    {"name": "ci-web", "type": "PROJECT_ANALYSIS_TOKEN", "project": {"key": "web", "name": "Web"}},
                    {"name": "old", "type": "PROJECT_ANALYSIS_TOKEN", "project": {"key": "api"}, "isExpired": true}
                ]}),
            ),
            _ => Reply::json(404, json!({})),
        }
    })
}

/// Issue 12: `--analyze` says whose a live token is and what it reaches,
/// asking only the host that verified it, with read-only calls.
#[test]
fn analyze_names_the_owner_and_reach_of_live_tokens() {
    let (eu, us) = (cloud(&[]), cloud(&[]));
    let sonar = analysed_server(false);
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={SQU}\n"));
    sandbox.write("b.env", format!("SONAR_TOKEN={SQP}\n"));
    let run = verify(&sandbox, &eu, &us, &["--analyze", "--sonar-url", &sonar.url()]);
    let admin = &verification(&run, 0)["analysis"];
    assert_eq!(admin["login"], "ann", "{admin}");
    assert_eq!(admin["administrator"], true);
    assert_eq!(admin["kind"], "user token");
    assert_eq!(admin["candidates"].as_array().map(Vec::len), Some(1), "only the owner's user tokens: {admin}");
    let project = &verification(&run, 1)["analysis"];
    assert_eq!(project["kind"], "project analysis token");
    assert_eq!(project["administrator"], false);
    // The expired one is not a candidate: the live token is `ci-web`, on `web`.
    assert_eq!(project["candidates"], json!([{"name": "ci-web", "kind": "PROJECT_ANALYSIS_TOKEN", "project": "web"}]));
    assert!(sonar.requests().iter().all(|r| r.method == "GET"), "read-only calls only");
    assert!(eu.requests().is_empty() && us.requests().is_empty(), "no other host gets a Server token");
    let (_, human, _) = run_human(&sandbox, &eu, &us, &sonar);
    assert!(human.contains("reach: user token; owner ann (Ann Admin); an ADMINISTRATOR"), "{human}");
    assert_never_shown(&run, SQU);
    assert_never_shown(&run, SQP);

    // A refused token list is "unknown reach", not an error.
    let refusing = analysed_server(true);
    let run = verify(&sandbox, &eu, &us, &["--analyze", "--sonar-url", &refusing.url()]);
    let partial = &verification(&run, 0)["analysis"];
    assert_eq!(partial["login"], "ann");
    assert!(partial["unknown"][0].as_str().is_some_and(|u| u.contains("unknown reach")), "{partial}");
}

fn run_human(sandbox: &Sandbox, eu: &FakeSonar, us: &FakeSonar, sonar: &FakeSonar) -> (i32, String, String) {
    let mut command = sandbox.sqscan(&["scan", "--analyze", "--sonar-url", &sonar.url(), "--color", "never"]);
    command.env("SQSCAN_SONARCLOUD_URL", eu.url()).env("SQSCAN_SONARQUBE_US_URL", us.url());
    run(command)
}

/// Issue 12: on SonarQube Cloud, the organizations a live user token reaches.
#[test]
fn analyze_lists_the_cloud_organizations_of_a_live_user_token() {
    let eu = FakeSonar::start(|request: &Request| {
        let live = request.authorization.as_deref() == Some(&format!("Bearer {HEX}"));
        match (request.path.as_str(), live) {
            (VALIDATE, live) => Reply::json(200, json!({"valid": live})),
            ("/api/users/current", true) => {
                Reply::json(200, json!({"isLoggedIn": true, "login": "carol@github", "name": "Carol"}))
            }
            ("/api/user_tokens/search", true) => {
                Reply::json(200, json!({"login": "carol@github", "userTokens": [{"name": "ci", "type": "USER_TOKEN"}]}))
            }
            ("/api/organizations/search?member=true", true) => {
                Reply::json(200, json!({"organizations": [{"key": "acme"}, {"key": "acme-labs"}]}))
            }
            _ => Reply::json(401, json!({"errors": [{"msg": "Unauthorized"}]})),
        }
    });
    let us = cloud(&[]);
    let sandbox = Sandbox::new();
    sandbox.write("a.env", format!("SONAR_TOKEN={HEX}\n"));
    let run = verify(&sandbox, &eu, &us, &["--analyze"]);
    let analysis = &verification(&run, 0)["analysis"];
    assert_eq!(analysis["kind"], "SonarQube Cloud user token", "{analysis}");
    assert_eq!(analysis["organizations"], json!(["acme", "acme-labs"]));
    assert_eq!(analysis["candidates"][0]["name"], "ci");
    assert!(us.requests().is_empty(), "the US region is not asked more");
    assert!(eu.requests().iter().all(|r| r.method == "GET"));
    assert_never_shown(&run, HEX);
}
