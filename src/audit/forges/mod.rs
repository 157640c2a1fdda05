//! Listing an organization's repositories: GitHub (organizations and
//! users, Enterprise too), GitLab (groups with their subgroups,
//! self-managed too) and Azure DevOps (organizations or one project). One
//! file per forge; each pages through its API and says what it left out
//! (forks, archived or disabled repositories, unless asked for) and, when
//! it stopped early, why.
//!
//! Tokens come from the forges' conventional variables (`GITHUB_TOKEN`,
//! `GITLAB_TOKEN`, `AZURE_DEVOPS_EXT_PAT`), go in a header to the forge's
//! own API host, and to git only for clones from the forge's own host
//! (`mirror` hands them over through `GIT_ASKPASS`). Never in a URL.

mod azure;
mod github;
mod gitlab;
mod http;

use std::collections::BTreeMap;
use std::time::Duration;

use super::targets::{self, Repository};
use crate::report::audit::Enumeration;

/// An organization, user, group or project to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    GitHub(String),
    GitLab(String),
    /// `ORG` or `ORG/PROJECT`.
    Azure(String),
}

#[derive(Debug, Clone)]
pub struct ListOptions {
    pub forks: bool,
    pub archived: bool,
    pub github_api: String,
    pub gitlab_url: String,
    pub azure_url: String,
    /// The longest a rate limit is waited out before the listing stops.
    pub max_wait: Duration,
}

/// Who may receive a forge's token: git, for clones from `host`, as
/// `username`, the token read from `variable` when git asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub host: String,
    pub username: &'static str,
    pub variable: &'static str,
}

impl Credential {
    /// The token, if its variable is set.
    pub fn token(&self) -> Option<String> {
        token_from(self.variable)
    }
}

fn token_from(variable: &str) -> Option<String> {
    std::env::var(variable).ok().filter(|t| !t.trim().is_empty()).map(|t| t.trim().to_string())
}

/// A repository as a forge lists it.
struct Listed {
    clone_url: String,
    archived: bool,
    fork: bool,
}

/// Lists `query`'s repositories: what is kept, and an account of the listing.
pub fn list(query: &Query, options: &ListOptions) -> (Vec<Repository>, Enumeration) {
    let client = http::Client::new(options.max_wait);
    let mut listed = Vec::new();
    let (forge, target, credential, outcome) = match query {
        Query::GitHub(owner) => {
            let (credential, outcome) = github::list(&client, &options.github_api, owner, &mut listed);
            ("github", owner, credential, outcome)
        }
        Query::GitLab(group) => {
            let (credential, outcome) = gitlab::list(&client, &options.gitlab_url, group, &mut listed);
            ("gitlab", group, credential, outcome)
        }
        Query::Azure(scope) => {
            let (credential, outcome) = azure::list(&client, &options.azure_url, scope, &mut listed);
            ("azure-devops", scope, credential, outcome)
        }
    };
    let mut excluded: BTreeMap<String, u64> = BTreeMap::new();
    let mut kept = Vec::new();
    for repository in &listed {
        if repository.archived && !options.archived {
            *excluded.entry("archived".to_string()).or_default() += 1;
        } else if repository.fork && !options.forks {
            *excluded.entry("forks".to_string()).or_default() += 1;
        } else {
            let forge = credential.clone().filter(|c| host_of(&repository.clone_url) == Some(c.host.as_str()));
            kept.push(targets::remote(&repository.clone_url, forge));
        }
    }
    let enumeration = Enumeration {
        forge: forge.to_string(),
        target: target.clone(),
        listed: listed.len() as u64,
        excluded,
        stopped: outcome.err(),
    };
    (kept, enumeration)
}

/// The lower-case host of a URL (`https://user@Host:443/…` → `host`).
pub fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// Whether `url` is served by the same scheme, host and port as `base`:
/// a next-page link elsewhere does not get the token.
fn same_origin(url: &str, base: &str) -> bool {
    let origin = |u: &str| {
        let (scheme, rest) = u.split_once("://")?;
        Some((scheme.to_ascii_lowercase(), rest.split('/').next()?.to_ascii_lowercase()))
    };
    origin(url).is_some() && origin(url) == origin(base)
}

/// `text` for a URL path segment or query value.
fn encoded(text: &str) -> String {
    crate::url::percent_encoded(text, b"")
}

/// Follows `Link: rel="next"` pages from `first`, on the API's own origin,
/// handing each page's array to `each`.
fn paged(
    client: &http::Client,
    first: String,
    auth: Option<&http::Auth>,
    each: &mut dyn FnMut(&serde_json::Value),
) -> Result<(), String> {
    let mut url = Some(first.clone());
    let mut pages = 0;
    while let Some(next) = url.take() {
        pages += 1;
        if pages > 100_000 {
            return Err("more than 100,000 pages: stopped".to_string());
        }
        let page = client.get(&next, auth)?;
        let items = page
            .body
            .as_array()
            .ok_or_else(|| format!("{}: not a list of repositories", host_of(&next).unwrap_or("?")))?;
        items.iter().for_each(&mut *each);
        url = match (page.next_link(), page.header("x-next-page").filter(|p| !p.trim().is_empty())) {
            (Some(link), _) if link == next => return Err("a page links to itself: stopped".to_string()),
            (Some(link), _) if same_origin(&link, &first) => Some(link),
            (Some(_), _) => return Err("a next-page link points to another host: not followed".to_string()),
            (None, Some(number)) if !items.is_empty() => {
                let following = with_page(&first, number.trim());
                if following == next {
                    return Err("a page names itself as the next: stopped".to_string());
                }
                Some(following)
            }
            _ => None,
        };
    }
    Ok(())
}

/// `url` with its `page` parameter set.
fn with_page(url: &str, page: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut parts: Vec<String> =
        query.split('&').filter(|p| !p.is_empty() && !p.starts_with("page=")).map(str::to_string).collect();
    parts.push(format!("page={}", encoded(page)));
    format!("{base}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        assert_eq!(host_of("https://org@dev.azure.com/org/p/_git/r"), Some("dev.azure.com"));
        assert_eq!(host_of("http://127.0.0.1:8080/x.git"), Some("127.0.0.1"));
        assert!(same_origin("https://api.github.com/x?page=2", "https://API.github.com/orgs/a/repos"));
        assert!(!same_origin("https://evil.example/x", "https://api.github.com/orgs/a/repos"));
        assert_eq!(with_page("http://h/api?per_page=100&page=1", "2"), "http://h/api?per_page=100&page=2");
    }
}
