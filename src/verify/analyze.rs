//! `--analyze`: for a token verification found active, who owns it and
//! what it reaches, from read-only Web API calls to the host that just
//! answered (the sending policy is verification's: no new host ever gets
//! the token). SonarQube Web API: `GET api/users/current` (login, name,
//! global permissions), `GET api/user_tokens/search` (the owner's tokens:
//! name, type, project, last connection, expiry), and on SonarQube Cloud
//! `GET api/organizations/search?member=true`. An endpoint that refuses
//! (403, 404) makes that part "unknown", never an error.

use serde_json::Value;

use super::endpoint::Endpoint;
use super::http::{Auth, Http};
use crate::findings::{Analysis, Candidate};

/// The token's kind from its shape, and the `type` SonarQube gives that kind.
fn kind_of(secret: &str, cloud: bool) -> (&'static str, Option<&'static str>) {
    match secret.get(..4) {
        Some("sqp_") => ("project analysis token", Some("PROJECT_ANALYSIS_TOKEN")),
        Some("sqa_") => ("global analysis token", Some("GLOBAL_ANALYSIS_TOKEN")),
        _ if secret.starts_with("sqco_") => ("scoped organization token", None),
        _ if cloud => ("SonarQube Cloud user token", Some("USER_TOKEN")),
        _ => ("user token", Some("USER_TOKEN")),
    }
}

/// Asks `endpoint` (which verified `secret` active) what the token reaches.
pub fn analyze(http: &Http, endpoint: &Endpoint, secret: &str, cloud: bool) -> Analysis {
    let auth = if cloud { Auth::Bearer(secret) } else { Auth::Basic(secret) };
    let (kind, token_type) = kind_of(secret, cloud);
    let mut analysis = Analysis { kind: kind.to_string(), ..Analysis::default() };
    match get_json(http, endpoint, "/api/users/current", &auth) {
        Ok(current) => {
            analysis.login = current["login"].as_str().map(str::to_string);
            analysis.name = current["name"].as_str().map(str::to_string);
            if let Some(global) = current["permissions"]["global"].as_array() {
                analysis.permissions = global.iter().filter_map(|p| p.as_str().map(str::to_string)).collect();
                analysis.administrator = Some(analysis.permissions.iter().any(|p| p == "admin"));
            } else if !cloud {
                analysis.unknown.push("global permissions: not in the api/users/current answer".to_string());
            }
        }
        Err(why) => analysis.unknown.push(format!("owner: {why}")),
    }
    match get_json(http, endpoint, "/api/user_tokens/search", &auth) {
        Ok(tokens) => {
            let list = tokens["userTokens"].as_array().cloned().unwrap_or_default();
            analysis.candidates = list
                .iter()
                .filter(|t| match (token_type, t["type"].as_str()) {
                    (Some(wanted), Some(actual)) => wanted == actual,
                    _ => true,
                })
                .filter(|t| t["isExpired"].as_bool() != Some(true))
                .map(|t| Candidate {
                    name: t["name"].as_str().unwrap_or_default().to_string(),
                    kind: t["type"].as_str().map(str::to_string),
                    project: t["project"]["key"].as_str().map(str::to_string),
                    last_used: t["lastConnectionDate"].as_str().map(str::to_string),
                    expires: t["expirationDate"].as_str().map(str::to_string),
                })
                .collect();
        }
        Err(why) => analysis.unknown.push(format!("the owner's tokens: {why}")),
    }
    if cloud {
        match get_json(http, endpoint, "/api/organizations/search?member=true", &auth) {
            Ok(organizations) => {
                analysis.organizations = organizations["organizations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o["key"].as_str().map(str::to_string))
                    .collect();
            }
            Err(why) => analysis.unknown.push(format!("organizations: {why}")),
        }
    }
    analysis
}

/// A GET whose answer must be SonarQube's JSON; a refusal is a reason.
fn get_json(http: &Http, endpoint: &Endpoint, path: &str, auth: &Auth) -> Result<Value, String> {
    let reply = http.get(endpoint, path, auth)?;
    match reply.status {
        200 => serde_json::from_str(&reply.body).map_err(|_| format!("{path} answered something that is not JSON")),
        401 | 403 => Err(format!("{path} refused (HTTP {}): unknown reach", reply.status)),
        status => Err(format!("{path} answered HTTP {status}")),
    }
}
