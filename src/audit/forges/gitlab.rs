//! GitLab and self-managed GitLab: a group's projects, its subgroups'
//! included. `GITLAB_TOKEN` in the `PRIVATE-TOKEN` header.

use super::http::{Auth, Client};
use super::{Credential, Listed, encoded, host_of, paged, token_from};

const VARIABLE: &str = "GITLAB_TOKEN";

pub(super) fn list(
    client: &Client,
    base: &str,
    group: &str,
    listed: &mut Vec<Listed>,
) -> (Option<Credential>, Result<(), String>) {
    let base = base.trim_end_matches('/');
    let auth = token_from(VARIABLE).map(|token| Auth { header: "PRIVATE-TOKEN", value: token });
    let credential = auth.as_ref().and(host_of(base)).map(|host| Credential {
        host: host.to_string(),
        username: "oauth2",
        variable: VARIABLE,
    });
    let first = format!(
        "{base}/api/v4/groups/{}/projects?include_subgroups=true&per_page=100&order_by=id&sort=asc&page=1",
        encoded(group)
    );
    let outcome = paged(client, first, auth.as_ref(), &mut |item| {
        if let Some(url) = item["http_url_to_repo"].as_str() {
            listed.push(Listed {
                clone_url: url.to_string(),
                archived: item["archived"].as_bool().unwrap_or(false),
                fork: item.get("forked_from_project").is_some_and(|f| !f.is_null()),
            });
        }
    });
    (credential, outcome)
}
