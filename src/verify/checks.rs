//! The liveness checks of TOKENS.md, one per token family. A token is
//! called active only on an answer whose body says so in SonarQube's own
//! shape; everything else that is not a clear "no" is unknown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use super::endpoint::{CloudRegions, Endpoint};
use super::http::{Auth, Http, Reply};
use crate::findings::{Hints, Liveness, Verification};

const VALIDATE: &str = "/api/authentication/validate";
const STATUS: &str = "/api/system/status";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A SonarQube Cloud user token (40-hex in a Cloud context).
    CloudUser,
    /// A SonarQube Cloud Scoped Organization Token (`sqco_`).
    ScopedOrg,
    /// A SonarQube Server token (`squ_`, `sqp_`, `sqa_`, or 40-hex next to a Server).
    Server,
    /// A 40-hex token nothing ties to Cloud or a server, with `--sonar-url`
    /// given: that server first, and only if it says the token is not
    /// valid there, SonarQube Cloud (a token dead on the user's own server
    /// is no secret of that server's, so sending it on leaks nothing).
    ServerThenCloud,
}

pub struct Checks<'a> {
    pub http: &'a Http,
    pub regions: &'a CloudRegions,
    /// `--sonar-url`.
    pub server: Option<&'a Endpoint>,
    /// `--verify-found-hosts`.
    pub found_hosts: bool,
    /// Organization key for the Scoped Organization Token probe: random,
    /// so that it names no real organization.
    pub probe_organization: String,
    /// A well-formed, random, never-valid `sqco_` token for the probe's control.
    pub fake_token: String,
    /// Control calls, made once per host and kind per run.
    pub controls: Mutex<HashMap<String, Control>>,
}

/// A control call's outcome, shared by every check that needs it.
pub type Control = Arc<OnceLock<Result<(), String>>>;

impl Checks<'_> {
    pub fn check(&self, family: Family, secret: &str, hints: &Hints) -> Verification {
        match family {
            Family::CloudUser => self.cloud_user(secret, hints),
            Family::ScopedOrg => self.scoped_org(secret, hints),
            Family::Server => self.server(secret, hints),
            Family::ServerThenCloud => {
                let on_server = self.server(secret, hints);
                if on_server.status != Liveness::Inactive {
                    return on_server;
                }
                let server = on_server.host.unwrap_or_default();
                let mut in_cloud = self.cloud_user(secret, hints);
                in_cloud.detail = match in_cloud.status {
                    Liveness::Inactive => format!("inactive on {server} and on {}", cloud_of(&in_cloud.detail)),
                    _ => format!("{}; inactive on {server}", in_cloud.detail),
                };
                in_cloud
            }
        }
    }

    /// The regions to ask, in order: the one the text names, else EU then US.
    fn cloud_regions(&self, hints: &Hints) -> Vec<(&'static str, &Endpoint)> {
        if hints.region_us {
            vec![("US", &self.regions.us)]
        } else {
            vec![("EU", &self.regions.eu), ("US", &self.regions.us)]
        }
    }

    /// `validate` with `Authorization: Bearer`, region by region.
    fn cloud_user(&self, secret: &str, hints: &Hints) -> Verification {
        let mut unknown = None;
        let regions = self.cloud_regions(hints);
        let asked = cloud_names(&regions);
        for (region, endpoint) in regions {
            let answer = self
                .control(endpoint, "validate", || self.anonymous_is_refused(endpoint))
                .and_then(|()| self.http.get(endpoint, VALIDATE, &Auth::Bearer(secret)))
                .and_then(|reply| validity(&reply).map(|valid| (valid, reply)));
            match answer {
                Ok((true, reply)) => return active(format!("SonarQube Cloud user token ({region})"), endpoint, reply),
                Ok((false, _)) => {}
                Err(reason) => unknown = Some(format!("{region}: {reason}")),
            }
        }
        unknown.map_or_else(|| inactive(&asked, None), Verification::unknown)
    }

    /// The differential probe: an endpoint that needs authentication, asked
    /// once with a fake token (it must refuse it) and once with the real one.
    fn scoped_org(&self, secret: &str, hints: &Hints) -> Verification {
        let path = format!("/api/projects/search?organization={}", self.probe_organization);
        let mut unknown = None;
        let regions = self.cloud_regions(hints);
        let asked = cloud_names(&regions);
        for (region, endpoint) in regions {
            let control = self.control(endpoint, "probe", || {
                let reply = self.http.get(endpoint, &path, &Auth::Bearer(&self.fake_token))?;
                match reply.status {
                    401 => Ok(()),
                    other => Err(format!("the control call with a fake token answered HTTP {other}, not 401")),
                }
            });
            let answer = control.and_then(|()| self.http.get(endpoint, &path, &Auth::Bearer(secret)));
            match answer {
                Ok(reply) if reply.status == 401 => {}
                Ok(reply)
                    if matches!(reply.status, 200 | 403 | 404) && sonar_json(&reply.body, reply.status != 200) =>
                {
                    return active(format!("SonarQube Cloud Scoped Organization Token ({region})"), endpoint, reply);
                }
                Ok(reply) => unknown = Some(format!("{region}: unexpected answer: {}", describe(&reply))),
                Err(reason) => unknown = Some(format!("{region}: {reason}")),
            }
        }
        unknown.map_or_else(|| inactive(&asked, None), Verification::unknown)
    }

    /// `validate` with `Authorization: Basic token:` on a checked server,
    /// after an anonymous control call.
    fn server(&self, secret: &str, hints: &Hints) -> Verification {
        let endpoint = match self.server_endpoint(hints) {
            Ok(endpoint) => endpoint,
            Err(reason) => return Verification::unknown(reason),
        };
        if self.regions.is_cloud(&endpoint) {
            return Verification::unknown("a SonarQube Server token is never sent to SonarQube Cloud");
        }
        let answer = self
            .control(&endpoint, "status", || self.is_sonarqube(&endpoint))
            .and_then(|()| self.control(&endpoint, "validate", || self.anonymous_is_refused(&endpoint)))
            .and_then(|()| self.http.get(&endpoint, VALIDATE, &Auth::Basic(secret)))
            .and_then(|reply| validity(&reply).map(|valid| (valid, reply)));
        match answer {
            Ok((true, reply)) => active("SonarQube Server token".to_string(), &endpoint, reply),
            Ok((false, _)) => inactive(endpoint.base(), Some(endpoint.base())),
            Err(reason) => Verification::unknown(reason),
        }
    }

    fn server_endpoint(&self, hints: &Hints) -> Result<Endpoint, String> {
        if let Some(server) = self.server {
            return Ok(server.clone());
        }
        match (&hints.host, self.found_hosts) {
            (Some(host), true) => Endpoint::parse(host).map_err(|e| format!("the server found next to the token: {e}")),
            (Some(_), false) => {
                Err("no server URL: pass --sonar-url, or --verify-found-hosts to use the one found next to the token"
                    .to_string())
            }
            (None, _) => Err("no server URL: pass --sonar-url".to_string()),
        }
    }

    /// `GET /api/system/status` answers like SonarQube: `status` and `version`.
    fn is_sonarqube(&self, endpoint: &Endpoint) -> Result<(), String> {
        let reply = self.http.get(endpoint, STATUS, &Auth::Anonymous)?;
        let json: Option<Value> = serde_json::from_str(&reply.body).ok();
        let shaped = json.as_ref().is_some_and(|j| j["status"].is_string() && j["version"].is_string());
        if reply.status == 200 && shaped {
            Ok(())
        } else {
            Err(format!("not a SonarQube server: {STATUS} answered {}", describe(&reply)))
        }
    }

    /// An anonymous `validate` must say `valid: false`; if it says true the
    /// server does not force authentication, and validate proves nothing.
    fn anonymous_is_refused(&self, endpoint: &Endpoint) -> Result<(), String> {
        let reply = self.http.get(endpoint, VALIDATE, &Auth::Anonymous)?;
        match validity(&reply) {
            Ok(false) => Ok(()),
            Ok(true) => {
                Err("the server answers anonymous calls as authenticated, so validate proves nothing".to_string())
            }
            Err(reason) => Err(format!("control call: {reason}")),
        }
    }

    /// Runs a control once per endpoint and kind; later callers share it.
    fn control(&self, endpoint: &Endpoint, kind: &str, run: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        let cell = {
            let mut controls = self.controls.lock().unwrap_or_else(|p| p.into_inner());
            controls.entry(format!("{kind} {}", endpoint.base())).or_default().clone()
        };
        cell.get_or_init(run).clone()
    }
}

/// The `valid` of a validate answer: 200 with `{"valid": bool}`, or a 401.
fn validity(reply: &Reply) -> Result<bool, String> {
    if reply.status == 401 {
        return Ok(false);
    }
    let json: Option<Value> = serde_json::from_str(&reply.body).ok();
    match (reply.status, json.as_ref().and_then(|j| j["valid"].as_bool())) {
        (200, Some(valid)) => Ok(valid),
        _ => Err(format!("unexpected answer: {}", describe(reply))),
    }
}

/// A JSON object as SonarQube writes it: errors as `{"errors": [...]}`.
fn sonar_json(body: &str, error: bool) -> bool {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => !error || map.get("errors").is_some_and(Value::is_array),
        _ => false,
    }
}

/// A safe description of an answer: status and what the body looks like.
fn describe(reply: &Reply) -> String {
    let body = reply.body.trim_start();
    let shape = if body.is_empty() {
        "an empty body"
    } else if body.starts_with('<') {
        "an HTML page"
    } else if serde_json::from_str::<Value>(body).is_ok() {
        "JSON of another shape"
    } else {
        "a body that is not JSON"
    };
    format!("HTTP {} with {shape}", reply.status)
}

fn active(kind: String, endpoint: &Endpoint, reply: Reply) -> Verification {
    Verification {
        status: Liveness::Active,
        detail: kind,
        host: Some(endpoint.base().to_string()),
        expires: reply.expires,
        expires_in_days: None,
        lifetime: None,
        analysis: None,
    }
}

/// Not valid where it was asked (`at`): revoked, expired, or never valid.
fn inactive(at: &str, host: Option<&str>) -> Verification {
    Verification {
        status: Liveness::Inactive,
        detail: format!("inactive on {at} (revoked, expired, or never valid)"),
        host: host.map(str::to_string),
        expires: None,
        expires_in_days: None,
        lifetime: None,
        analysis: None,
    }
}

/// `SonarQube Cloud (EU, US)`: the regions asked.
fn cloud_names(regions: &[(&'static str, &Endpoint)]) -> String {
    let names: Vec<&str> = regions.iter().map(|(name, _)| *name).collect();
    format!("SonarQube Cloud ({})", names.join(", "))
}

/// The `SonarQube Cloud (…)` part of an inactive outcome's detail.
fn cloud_of(detail: &str) -> &str {
    let start = detail.find("SonarQube Cloud").unwrap_or(0);
    let rest = &detail[start..];
    rest.find(')').map_or(rest, |end| &rest[..=end])
}
