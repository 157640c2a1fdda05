//! `sqscan revoke` against a loopback SonarQube Server that keeps its
//! tokens by name: one that can be named is revoked and verified dead,
//! several are listed for `--name`, a Scoped Organization Token is left to
//! an administrator, and nothing revokes without being asked or `--yes`.

mod util;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::json;
use util::fake_sonar::{FakeSonar, Reply, Request};
use util::{SOT, SQU, Sandbox, run};

fn basic(token: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{token}:")))
}

/// A server where SQU is the token named "laptop" (and `twins` adds a
/// second user token, so the name is no longer the only one).
fn server(twins: bool) -> (FakeSonar, Arc<Mutex<HashSet<String>>>) {
    let revoked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let state = revoked.clone();
    let fake = FakeSonar::start(move |request: &Request| {
        let live = request.authorization.as_deref() == Some(&basic(SQU)) && !state.lock().unwrap().contains("laptop");
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/api/system/status") => Reply::json(200, json!({"id": "x", "version": "10.7", "status": "UP"})),
            ("GET", "/api/authentication/validate") => Reply::json(200, json!({"valid": live})),
            (_, _) if !live => Reply::json(401, json!({"errors": [{"msg": "Unauthorized"}]})),
            ("GET", "/api/users/current") => {
                Reply::json(200, json!({"login": "ann", "name": "Ann", "permissions": {"global": ["scan"]}}))
            }
            ("GET", "/api/user_tokens/search") => {
                let mut tokens = vec![json!({"name": "laptop", "type": "USER_TOKEN"})];
                if twins {
                    tokens.push(json!({"name": "desktop", "type": "USER_TOKEN"}));
                }
                Reply::json(200, json!({"login": "ann", "userTokens": tokens}))
            }
            ("POST", "/api/user_tokens/revoke") => {
                let name = request.body.strip_prefix("name=").unwrap_or_default().to_string();
                state.lock().unwrap().insert(name);
                Reply::text(204, "text/plain", "")
            }
            _ => Reply::json(404, json!({})),
        }
    });
    (fake, revoked)
}

fn revoke(sandbox: &Sandbox, url: &str, extra: &[&str]) -> (i32, String, String) {
    let mut command = sandbox.sqscan(&["revoke", "--sonar-url", url]);
    command.args(extra).env_remove("HTTP_PROXY").env_remove("http_proxy");
    run(command)
}

#[test]
fn a_nameable_token_is_revoked_and_verified_dead() {
    let sandbox = Sandbox::new();
    sandbox.write("ci/deploy.sh", format!("export SONAR_TOKEN={SQU}\n"));
    let (_, report, _) = run(sandbox.sqscan(&["scan", ".", "--format", "json", "-q"]));
    let fingerprint = util::json(&report)["findings"][0]["fingerprint"].as_str().unwrap().to_string();

    // Without a terminal and without --yes: nothing happens.
    let (fake, revoked) = server(false);
    let (code, _, err) = revoke(&sandbox, &fake.url(), &["--fingerprint", &fingerprint, "."]);
    assert_eq!(code, 2, "{err}");
    assert!(fake.requests().is_empty());

    // Several candidates: listed, none revoked, --name chooses.
    let (twins, twins_revoked) = server(true);
    let (code, out, err) = revoke(&sandbox, &twins.url(), &["--fingerprint", &fingerprint, "--yes", "."]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("\"laptop\"") && out.contains("\"desktop\"") && out.contains("--name"), "{out}");
    assert!(twins.requests().iter().all(|r| r.method == "GET"), "nothing revoked without a name");
    let _ = twins_revoked;

    // One candidate: revoked by its name, then verified inactive.
    let (code, out, err) = revoke(&sandbox, &fake.url(), &["--fingerprint", &fingerprint[..12], "--yes", "."]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("revoked the token named \"laptop\"") && out.contains("verified inactive now"), "{out}");
    assert!(!out.contains(SQU) && !err.contains(SQU), "the token in full");
    let posts: Vec<Request> = fake.requests().into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].authorization.as_deref(), Some(basic(SQU).as_str()), "the token revokes itself");
    assert!(revoked.lock().unwrap().contains("laptop"), "revoked by that name");
    let (code, out, _) = revoke(&sandbox, &fake.url(), &["--fingerprint", &fingerprint, "--yes", "."]);
    assert_eq!(code, 0, "already dead: nothing to do");
    assert!(out.contains("not live"), "{out}");

    // A fingerprint that is not in the targets is an error.
    let (code, _, err) = revoke(&sandbox, &fake.url(), &["--fingerprint", "0123456789abcdef", "--yes", "."]);
    assert_eq!((code, err.lines().count()), (2, 1), "{err}");
}

#[test]
fn a_scoped_organization_token_is_left_to_an_administrator() {
    let cloud = FakeSonar::start(|request: &Request| {
        let real = request.authorization.as_deref() == Some(&format!("Bearer {SOT}"));
        if request.path.starts_with("/api/projects/search") {
            return if real {
                Reply::json(403, json!({"errors": [{"msg": "Insufficient privileges"}]}))
            } else {
                Reply::json(401, json!({"errors": []}))
            };
        }
        Reply::json(404, json!({}))
    });
    let sandbox = Sandbox::new();
    let mut command = sandbox.sqscan(&["revoke", "-", "--yes"]);
    command
        .env("SQSCAN_SONARCLOUD_URL", cloud.url())
        .env("SQSCAN_SONARQUBE_US_URL", cloud.url())
        .write_stdin(format!("SONAR_TOKEN={SOT}\n"));
    let (code, out, err) = run(command);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("cannot revoke itself") && out.contains("Scoped Organization Tokens"), "{out}");
    assert!(cloud.requests().iter().all(|r| r.method == "GET"));
    assert!(!out.contains(SOT));
    // Standard input without --yes: refused before anything is sent.
    let (code, _, err) = run(sandbox.sqscan(&["revoke", "-"]));
    assert_eq!(code, 2, "{err}");
}

/// Issue 12: among several candidates, the one whose last connection moves
/// when the token is used again is the token (SonarQube Cloud updates it at
/// once), so it is revoked without --name.
#[test]
fn the_candidate_whose_last_connection_moves_is_the_token() {
    let uses = Arc::new(Mutex::new(0u32));
    let count = uses.clone();
    let cloud = FakeSonar::start(move |request: &Request| {
        let live = request.authorization.as_deref() == Some(&format!("Bearer {}", util::HEX));
        match (request.method.as_str(), request.path.as_str(), live) {
            ("GET", "/api/authentication/validate", live) => {
                if live {
                    *count.lock().unwrap() += 1;
                }
                Reply::json(200, json!({"valid": live}))
            }
            ("GET", "/api/user_tokens/search", true) => {
                let n = *count.lock().unwrap();
                Reply::json(
                    200,
                    json!({"login": "carol", "userTokens": [
                        {"name": "ci", "type": "USER_TOKEN", "lastConnectionDate": format!("2026-12-01T10:00:0{n}+0000")},
                        {"name": "laptop", "type": "USER_TOKEN", "lastConnectionDate": "2026-11-01T10:00:00+0000"}
                    ]}),
                )
            }
            ("GET", "/api/users/current", true) => Reply::json(200, json!({"login": "carol"})),
            ("GET", "/api/organizations/search?member=true", true) => Reply::json(200, json!({"organizations": []})),
            ("POST", "/api/user_tokens/revoke", true) => Reply::text(204, "text/plain", ""),
            _ => Reply::json(401, json!({"errors": []})),
        }
    });
    let sandbox = Sandbox::new();
    let mut command = sandbox.sqscan(&["revoke", "-", "--yes"]);
    command
        .env("SQSCAN_SONARCLOUD_URL", cloud.url())
        .env("SQSCAN_SONARQUBE_US_URL", cloud.url())
        .write_stdin(format!("sonar.login={}\nsonar.host.url=https://sonarcloud.io\n", util::HEX));
    let (_, out, err) = run(command);
    let posts: Vec<Request> = cloud.requests().into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 1, "{out}{err}");
    assert_eq!(posts[0].body, "name=ci", "{out}");
}
