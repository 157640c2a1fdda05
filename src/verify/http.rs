//! HTTP for verification: every request goes through here, so the limits
//! hold everywhere: a time budget for the whole run, a per-host pace,
//! bounded retries with backoff on 429, 5xx and network errors, Retry-After
//! honoured, no redirects (a redirect could carry a token elsewhere), and a
//! bounded body. Failures come back as reasons that never hold a token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::endpoint::Endpoint;

/// Attempts after the first.
const RETRIES: u32 = 2;
/// Longest a single request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Least time between two requests to one host.
const HOST_INTERVAL: Duration = Duration::from_millis(200);
/// First backoff; doubled on each retry.
const BACKOFF: Duration = Duration::from_millis(250);
/// Larger answers are not a SonarQube API's.
const BODY_LIMIT: u64 = 256 * 1024;
const EXPIRATION_HEADER: &str = "sonarqube-authentication-token-expiration";

/// How a request authenticates. The token appears only in the header.
pub enum Auth<'a> {
    Anonymous,
    Bearer(&'a str),
    /// `token:` (empty password), which every SonarQube Server version reads.
    Basic(&'a str),
}

/// An answer: status, body, and the headers verification reads.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub expires: Option<String>,
    /// `Retry-After`, in seconds (its HTTP-date form is left to backoff).
    pub retry_after: Option<Duration>,
}

pub struct Http {
    agent: ureq::Agent,
    deadline: Instant,
    next_slot: Mutex<HashMap<String, Instant>>,
}

enum Failure {
    /// Worth another try: a timeout, a reset connection.
    Transient(String),
    /// Not worth one: TLS, an unresolvable host.
    Final(String),
}

impl Http {
    pub fn new(budget: Duration) -> Http {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("sqscan/", env!("CARGO_PKG_VERSION")))
            .build();
        Http { agent: config.into(), deadline: Instant::now() + budget, next_slot: Mutex::new(HashMap::new()) }
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// GET `path` under `endpoint`, retried within the budget as needed.
    /// 429 and 5xx that persist, and every transport failure, come back as
    /// `Err(reason)`.
    pub fn get(&self, endpoint: &Endpoint, path: &str, auth: &Auth) -> Result<Reply, String> {
        let url = endpoint.url(path);
        let mut attempt = 0;
        loop {
            // Pacing waits count against the budget: a turn past the
            // deadline is not waited for.
            if !self.pace(endpoint.host()) {
                return Err("the verification time budget (--verify-timeout) ran out".to_string());
            }
            let remaining = self.remaining();
            if remaining.is_zero() {
                return Err("the verification time budget (--verify-timeout) ran out".to_string());
            }
            let outcome = self.once(&url, auth, remaining.min(REQUEST_TIMEOUT));
            let last = attempt == RETRIES;
            let backoff = BACKOFF * 2u32.pow(attempt);
            attempt += 1;
            let wait = match outcome {
                Ok(reply) if reply.status == 429 => {
                    if last {
                        return Err("rate limited (HTTP 429)".to_string());
                    }
                    reply.retry_after.unwrap_or(backoff)
                }
                Ok(reply) if reply.status >= 500 => {
                    if last {
                        return Err(format!("server error (HTTP {})", reply.status));
                    }
                    backoff
                }
                Ok(reply) => return Ok(reply),
                Err(Failure::Final(reason)) => return Err(reason),
                Err(Failure::Transient(reason)) if last => return Err(reason),
                Err(Failure::Transient(_)) => backoff,
            };
            if wait >= self.remaining() {
                return Err(
                    "the verification time budget (--verify-timeout) ran out while waiting to retry".to_string()
                );
            }
            std::thread::sleep(wait);
        }
    }

    /// POSTs a form once (`sqscan revoke`: a change is never retried
    /// blindly); the answer, or why there is none.
    pub fn post_form(
        &self,
        endpoint: &Endpoint,
        path: &str,
        form: &[(&str, &str)],
        auth: &Auth,
    ) -> Result<Reply, String> {
        if !self.pace(endpoint.host()) || self.remaining().is_zero() {
            return Err("the time budget ran out".to_string());
        }
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{}={}", form_encoded(k), form_encoded(v))).collect();
        let request = self
            .agent
            .post(endpoint.url(path))
            .config()
            .timeout_global(Some(self.remaining().min(REQUEST_TIMEOUT)))
            .build()
            .header("Content-Type", "application/x-www-form-urlencoded");
        let request = match authorization(auth) {
            Some(value) => request.header("Authorization", value),
            None => request,
        };
        reply(request.send(body.join("&"))).map_err(|failure| match failure {
            Failure::Transient(reason) | Failure::Final(reason) => reason,
        })
    }

    fn once(&self, url: &str, auth: &Auth, timeout: Duration) -> Result<Reply, Failure> {
        let mut request = self.agent.get(url).config().timeout_global(Some(timeout)).build();
        if let Some(value) = authorization(auth) {
            request = request.header("Authorization", value);
        }
        reply(request.call())
    }
}

/// The `Authorization` header's value for `auth`; the token appears nowhere else.
fn authorization(auth: &Auth) -> Option<String> {
    match auth {
        Auth::Anonymous => None,
        Auth::Bearer(token) => Some(format!("Bearer {token}")),
        Auth::Basic(token) => {
            let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{token}:"));
            Some(format!("Basic {credentials}"))
        }
    }
}

/// An answer read within limits, or why there is none.
fn reply(outcome: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Reply, Failure> {
    match outcome {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
            let expires = header(EXPIRATION_HEADER);
            let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
            let body = response.body_mut().with_config().limit(BODY_LIMIT).read_to_string().unwrap_or_default();
            Ok(Reply { status, body, expires, retry_after })
        }
        Err(ureq::Error::Timeout(_)) => Err(Failure::Transient("timed out".to_string())),
        Err(ureq::Error::Io(e)) => Err(Failure::Transient(format!("connection failed: {}", e.kind()))),
        Err(ureq::Error::ConnectionFailed) => Err(Failure::Transient("connection failed".to_string())),
        Err(ureq::Error::HostNotFound) => Err(Failure::Final("host not found".to_string())),
        Err(ureq::Error::Tls(what)) => Err(Failure::Final(format!("TLS error: {what}"))),
        Err(ureq::Error::Rustls(e)) => Err(Failure::Final(format!("TLS error: {e}"))),
        Err(ureq::Error::Protocol(e)) => Err(Failure::Final(format!("not an HTTP answer: {e}"))),
        Err(e) => Err(Failure::Final(format!("request failed: {e}"))),
    }
}

/// `text` in an `application/x-www-form-urlencoded` body.
fn form_encoded(text: &str) -> String {
    crate::url::percent_encoded(text, b"")
}

impl Http {
    /// Waits until this host may be asked again; `false`, without
    /// waiting or taking the turn, when that would be past the deadline.
    fn pace(&self, host: &str) -> bool {
        let wait = {
            let mut slots = self.next_slot.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = slots.get(host).copied().unwrap_or(now).max(now);
            if slot >= self.deadline {
                return false;
            }
            slots.insert(host.to_string(), slot + HOST_INTERVAL);
            slot - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        true
    }
}
