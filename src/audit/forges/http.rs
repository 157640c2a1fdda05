//! HTTP for listing repositories: JSON pages, with the forge's token in a
//! header and nowhere else, no redirects (one could carry the token to
//! another host), a bounded body, and rate limits waited out when the
//! wait is short enough (`Retry-After`, `X-RateLimit-Reset`,
//! `RateLimit-Reset`), and otherwise reported as why the listing stopped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A page of repositories is a few hundred KiB; nothing a forge sends is larger.
const BODY_LIMIT: u64 = 32 << 20;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Server errors and dropped connections are retried this often.
const RETRIES: u32 = 3;

pub struct Client {
    agent: ureq::Agent,
    /// The longest a rate limit is waited out.
    max_wait: Duration,
}

/// A header carrying a credential, by name: its value never leaves here.
pub struct Auth {
    pub header: &'static str,
    pub value: String,
}

pub struct Page {
    pub body: serde_json::Value,
    headers: Vec<(String, String)>,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The `rel="next"` target of a `Link` header.
    pub fn next_link(&self) -> Option<String> {
        self.header("link")?.split(',').find_map(|part| {
            let (target, params) = part.split_once(';')?;
            params
                .contains("rel=\"next\"")
                .then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_string())
        })
    }
}

impl Client {
    pub fn new(max_wait: Duration) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .user_agent(concat!("sqscan/", env!("CARGO_PKG_VERSION")))
            .build();
        Client { agent: config.into(), max_wait }
    }

    /// GETs one JSON page; `Err` says why the listing must stop, in words
    /// fit for a report (never the token).
    pub fn get(&self, url: &str, auth: Option<&Auth>) -> Result<Page, String> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.agent.get(url).header("Accept", "application/json");
            if let Some(auth) = auth {
                request = request.header(auth.header, &auth.value);
            }
            let mut response = match request.call() {
                Ok(response) => response,
                Err(e) if attempt <= RETRIES && transient(&e) => {
                    std::thread::sleep(Duration::from_millis(250 << attempt));
                    continue;
                }
                Err(e) => return Err(format!("{}: {e}", shown(url))),
            };
            let status = response.status().as_u16();
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let page = Page { body: serde_json::Value::Null, headers };
            if let Some(wait) = rate_limited(status, &page) {
                if wait > self.max_wait {
                    return Err(format!(
                        "{}: rate limited (HTTP {status}) for {}s more, longer than --rate-limit-wait {}s",
                        shown(url),
                        wait.as_secs(),
                        self.max_wait.as_secs()
                    ));
                }
                std::thread::sleep(wait);
                continue;
            }
            if status >= 500 && attempt <= RETRIES {
                std::thread::sleep(Duration::from_millis(250 << attempt));
                continue;
            }
            match status {
                200..=299 => {}
                401 => return Err(format!("{}: HTTP 401: the token was refused, or one is needed", shown(url))),
                403 => return Err(format!("{}: HTTP 403: the token may not list this", shown(url))),
                404 => return Err(format!("{}: HTTP 404: no such organization, user, group or project", shown(url))),
                _ => return Err(format!("{}: HTTP {status}", shown(url))),
            }
            let text = response
                .body_mut()
                .with_config()
                .limit(BODY_LIMIT)
                .read_to_string()
                .map_err(|e| format!("{}: reading the answer: {e}", shown(url)))?;
            let body = serde_json::from_str(&text).map_err(|_| format!("{}: the answer is not JSON", shown(url)))?;
            return Ok(Page { body, ..page });
        }
    }
}

fn transient(error: &ureq::Error) -> bool {
    matches!(error, ureq::Error::Timeout(_) | ureq::Error::Io(_) | ureq::Error::ConnectionFailed)
}

/// How long a rate-limit answer asks to wait, if it is one: 429, or 403
/// with no requests left (GitHub's primary limit).
fn rate_limited(status: u16, page: &Page) -> Option<Duration> {
    let exhausted = page.header("x-ratelimit-remaining").is_some_and(|v| v.trim() == "0");
    if status != 429 && !(status == 403 && (exhausted || page.header("retry-after").is_some())) {
        return None;
    }
    let seconds = |name: &str| page.header(name).and_then(|v| v.trim().parse::<u64>().ok());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // A reset is an epoch time (GitHub, GitLab) or, when small, seconds to go.
    let until_reset = |name: &str| seconds(name).map(|t| if t > 1_000_000_000 { t.saturating_sub(now) } else { t });
    let wait = seconds("retry-after")
        .or_else(|| until_reset("x-ratelimit-reset"))
        .or_else(|| until_reset("ratelimit-reset"))
        .unwrap_or(60);
    Some(Duration::from_secs(wait.max(1)))
}

/// A URL as a report may show it: no query (page cursors), no userinfo.
fn shown(url: &str) -> String {
    let url = url.split('?').next().unwrap_or(url);
    crate::sources::git::normalised_url(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_give_the_next_page() {
        let page = Page {
            body: serde_json::Value::Null,
            headers: vec![(
                "Link".to_string(),
                "<https://api.x/o?page=3>; rel=\"next\", <https://api.x/o?page=9>; rel=\"last\"".to_string(),
            )],
        };
        assert_eq!(page.next_link().as_deref(), Some("https://api.x/o?page=3"));
    }
}
