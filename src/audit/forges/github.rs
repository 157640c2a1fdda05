//! GitHub and GitHub Enterprise: an organization's repositories, or, when
//! the name is a user's, theirs. `GITHUB_TOKEN` as a Bearer token.

use super::http::{Auth, Client};
use super::{Credential, Listed, encoded, host_of, paged, token_from};

const VARIABLE: &str = "GITHUB_TOKEN";

pub(super) fn list(
    client: &Client,
    api: &str,
    owner: &str,
    listed: &mut Vec<Listed>,
) -> (Option<Credential>, Result<(), String>) {
    let api = api.trim_end_matches('/');
    let auth = token_from(VARIABLE).map(|token| Auth { header: "Authorization", value: format!("Bearer {token}") });
    // Clones come from the web host: github.com for api.github.com, the
    // Enterprise host itself for https://HOST/api/v3.
    let web_host = match host_of(api) {
        Some("api.github.com") => Some("github.com".to_string()),
        host => host.map(str::to_string),
    };
    let credential =
        auth.as_ref().and(web_host).map(|host| Credential { host, username: "x-access-token", variable: VARIABLE });
    let mut each = |item: &serde_json::Value| {
        if let Some(url) = item["clone_url"].as_str() {
            listed.push(Listed {
                clone_url: url.to_string(),
                archived: item["archived"].as_bool().unwrap_or(false),
                fork: item["fork"].as_bool().unwrap_or(false),
            });
        }
    };
    let owner = encoded(owner);
    let org = format!("{api}/orgs/{owner}/repos?per_page=100&type=all");
    let outcome = match paged(client, org, auth.as_ref(), &mut each) {
        // Not an organization: a user.
        Err(why) if why.contains("HTTP 404") => {
            paged(client, format!("{api}/users/{owner}/repos?per_page=100&type=owner"), auth.as_ref(), &mut each)
        }
        outcome => outcome,
    };
    (credential, outcome)
}
