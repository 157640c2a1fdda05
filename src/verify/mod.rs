//! Verification (`--verify`): asks the SonarQube API whether a found token
//! still works, under a strict policy of where a token may go: Cloud tokens
//! only to SonarQube Cloud's official hosts; Server tokens only to the URL
//! the user names (`--sonar-url`), or to the server named next to the token
//! when the user opts in (`--verify-found-hosts`); never over plain HTTP but
//! to this machine. Each distinct secret is checked once, a few at a time,
//! within a time budget; verification annotates findings and never fails a
//! scan. Tokens leave the process only in an `Authorization` header.

mod analyze;
mod checks;
mod endpoint;
pub mod hints;
mod http;
mod revoke;

pub use revoke::Revocation;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::anyhow;

use checks::{Checks, Family};
use endpoint::{CloudRegions, Endpoint};
use http::Http;

use crate::findings::{Finding, Hints, Verification};
use crate::rules::{LivenessCheck, RuleSet};

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub sonar_url: Option<String>,
    pub found_hosts: bool,
    /// For all of verification, however many tokens.
    pub budget: Duration,
    /// Tokens checked at once.
    pub concurrency: usize,
    /// For each active token, ask its host who owns it and what it reaches.
    pub analyze: bool,
}

pub struct Verifier {
    options: VerifyOptions,
    regions: CloudRegions,
    server: Option<Endpoint>,
}

impl Verifier {
    /// Checks the options against the policy before anything is scanned.
    pub fn new(options: VerifyOptions) -> anyhow::Result<Verifier> {
        let regions = CloudRegions::from_env().map_err(|e| anyhow!(e))?;
        let server = match &options.sonar_url {
            Some(url) => Some(Endpoint::parse(url).map_err(|e| anyhow!("--sonar-url {e}"))?),
            None => None,
        };
        Ok(Verifier { options, regions, server })
    }

    /// Annotates every finding with its token's liveness.
    pub fn verify(&self, findings: &mut [Finding], rules: &RuleSet) {
        let http = Http::new(self.options.budget);
        let checks = self.checks(&http);
        // One check per distinct secret (a fingerprint is rule and secret).
        let mut jobs: Vec<(String, Family, &str, Hints)> = Vec::new();
        let mut results: HashMap<String, Verification> = HashMap::new();
        for finding in findings.iter() {
            if jobs.iter().any(|j| j.0 == finding.fingerprint) || results.contains_key(&finding.fingerprint) {
                continue;
            }
            let hints = finding.hints.clone().unwrap_or_default();
            match self.family(rules.get(finding.rule).verify, &hints) {
                Some(family) => jobs.push((finding.fingerprint.clone(), family, finding.secret.expose(), hints)),
                None => {
                    let reason = "this kind of token has no liveness check";
                    results.insert(finding.fingerprint.clone(), Verification::unknown(reason));
                }
            }
        }
        let queue = Mutex::new(jobs.into_iter());
        let done = Mutex::new(results);
        std::thread::scope(|scope| {
            for _ in 0..self.options.concurrency.max(1) {
                scope.spawn(|| {
                    loop {
                        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                        let Some((fingerprint, family, secret, hints)) = job else {
                            break;
                        };
                        let mut outcome = checks.check(family, secret, &hints);
                        // Only the host that just said "active" is asked more.
                        if self.options.analyze
                            && outcome.status == crate::findings::Liveness::Active
                            && let Some(endpoint) = outcome.host.as_deref().and_then(|h| Endpoint::parse(h).ok())
                        {
                            let cloud = self.regions.is_cloud(&endpoint);
                            outcome.analysis = Some(analyze::analyze(&http, &endpoint, secret, cloud));
                        }
                        done.lock().unwrap_or_else(|p| p.into_inner()).insert(fingerprint, outcome);
                    }
                });
            }
        });
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let results: HashMap<String, Verification> = done
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .into_iter()
            .map(|(fingerprint, verification)| (fingerprint, verification.with_lifetime(now)))
            .collect();
        for finding in findings.iter_mut() {
            finding.verification = results.get(&finding.fingerprint).cloned();
        }
    }

    /// The checks of one run, over `http`.
    fn checks<'a>(&'a self, http: &'a Http) -> Checks<'a> {
        Checks {
            http,
            regions: &self.regions,
            server: self.server.as_ref(),
            found_hosts: self.options.found_hosts,
            probe_organization: format!("sqscan-probe-{:016x}", random()),
            fake_token: fake_scoped_org_token(),
            controls: Mutex::default(),
        }
    }

    /// Revokes `finding`'s token where the token itself may (see
    /// `revoke`); `confirm` is asked with the name and host first.
    pub fn revoke(
        &self,
        finding: &Finding,
        rules: &RuleSet,
        name: Option<&str>,
        confirm: &dyn Fn(&str, &str) -> bool,
    ) -> Revocation {
        let http = Http::new(self.options.budget);
        let checks = self.checks(&http);
        let hints = finding.hints.clone().unwrap_or_default();
        match self.family(rules.get(finding.rule).verify, &hints) {
            Some(family) => revoke::revoke(&checks, family, finding.secret.expose(), &hints, name, confirm),
            None => Revocation::NotLive("this kind of token has no liveness check".to_string()),
        }
    }

    /// Which check a token gets. A 40-hex token is a Server token next to a
    /// Server URL (or, with nothing saying Cloud, when `--sonar-url` names
    /// one), and a Cloud user token otherwise.
    fn family(&self, verify: Option<LivenessCheck>, hints: &Hints) -> Option<Family> {
        match verify? {
            LivenessCheck::SonarcloudScopedOrg => Some(Family::ScopedOrg),
            LivenessCheck::SonarqubeServer => Some(Family::Server),
            LivenessCheck::SonarUserToken => {
                let found_cloud = hints.host.as_deref().map(|url| self.is_cloud_url(url));
                Some(match found_cloud {
                    Some(true) => Family::CloudUser,
                    Some(false) => Family::Server,
                    None if hints.cloud || hints.region_us => Family::CloudUser,
                    None if self.server.is_some() => Family::ServerThenCloud,
                    None => Family::CloudUser,
                })
            }
        }
    }

    /// Whether a URL found in text names SonarQube Cloud; read leniently,
    /// since a plain-HTTP server URL still says "Server".
    fn is_cloud_url(&self, url: &str) -> bool {
        let https = url.split_once("://").map_or(url.to_string(), |(_, rest)| format!("https://{rest}"));
        Endpoint::parse(&https).is_ok_and(|e| self.regions.is_cloud(&e))
    }
}

/// Randomness enough for a probe's names: the standard library's random
/// hash keys.
fn random() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::process::id().into());
    hasher.finish()
}

fn fake_scoped_org_token() -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut token = String::from("sqco_");
    let mut state = random();
    while token.len() < 64 {
        if state < 62 {
            state = random();
        }
        token.push(BASE62[(state % 62) as usize] as char);
        state /= 62;
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(sonar_url: Option<&str>) -> Verifier {
        Verifier::new(VerifyOptions {
            sonar_url: sonar_url.map(str::to_string),
            found_hosts: false,
            budget: Duration::from_secs(1),
            concurrency: 1,
            analyze: false,
        })
        .unwrap()
    }

    #[test]
    fn forty_hex_goes_to_cloud_unless_a_server_is_named() {
        let v = verifier(None);
        let hints = |host: Option<&str>, cloud: bool| Hints { host: host.map(str::to_string), cloud, region_us: false };
        let family = |v: &Verifier, h: Hints| v.family(Some(LivenessCheck::SonarUserToken), &h);
        assert_eq!(family(&v, hints(None, false)), Some(Family::CloudUser));
        assert_eq!(family(&v, hints(Some("https://sonarcloud.io"), true)), Some(Family::CloudUser));
        assert_eq!(family(&v, hints(Some("http://sonar.corp:9000"), false)), Some(Family::Server));
        let with_server = verifier(Some("https://sonar.corp"));
        assert_eq!(family(&with_server, hints(None, false)), Some(Family::ServerThenCloud));
        assert_eq!(family(&with_server, hints(Some("http://sonar.corp:9000"), false)), Some(Family::Server));
        assert_eq!(family(&with_server, hints(None, true)), Some(Family::CloudUser));
    }

    #[test]
    fn a_fake_scoped_org_token_is_well_formed() {
        let token = fake_scoped_org_token();
        assert_eq!(token.len(), 64);
        assert!(token[5..].bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn sonar_url_must_be_https_or_loopback() {
        let error = Verifier::new(VerifyOptions {
            sonar_url: Some("http://sonar.corp".into()),
            found_hosts: false,
            budget: Duration::from_secs(1),
            concurrency: 1,
            analyze: false,
        })
        .err()
        .unwrap();
        assert!(error.to_string().contains("HTTPS"), "{error}");
    }
}
