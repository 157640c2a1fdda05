//! Azure DevOps: every project of an organization (or the one named as
//! `ORG/PROJECT`), and each project's git repositories.
//! `AZURE_DEVOPS_EXT_PAT` as HTTP Basic with an empty user name.

use base64::Engine as _;

use super::http::{Auth, Client};
use super::{Credential, Listed, encoded, host_of, token_from};

const VARIABLE: &str = "AZURE_DEVOPS_EXT_PAT";
const API_VERSION: &str = "7.1";

pub(super) fn list(
    client: &Client,
    base: &str,
    scope: &str,
    listed: &mut Vec<Listed>,
) -> (Option<Credential>, Result<(), String>) {
    let base = base.trim_end_matches('/');
    let auth = token_from(VARIABLE).map(|token| Auth {
        header: "Authorization",
        value: format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!(":{token}"))),
    });
    let credential = auth.as_ref().and(host_of(base)).map(|host| Credential {
        host: host.to_string(),
        username: "sqscan",
        variable: VARIABLE,
    });
    let (organization, project) = match scope.split_once('/') {
        Some((organization, project)) => (organization, Some(project.to_string())),
        None => (scope, None),
    };
    let outcome = (|| {
        let projects = match project {
            Some(project) => vec![project],
            None => projects(client, base, organization, auth.as_ref())?,
        };
        for project in projects {
            let url = format!(
                "{base}/{}/{}/_apis/git/repositories?api-version={API_VERSION}",
                encoded(organization),
                encoded(&project)
            );
            let page = client.get(&url, auth.as_ref())?;
            for item in page.body["value"].as_array().into_iter().flatten() {
                if let Some(url) = item["remoteUrl"].as_str() {
                    listed.push(Listed {
                        clone_url: url.to_string(),
                        archived: item["isDisabled"].as_bool().unwrap_or(false),
                        fork: item["isFork"].as_bool().unwrap_or(false),
                    });
                }
            }
        }
        Ok(())
    })();
    (credential, outcome)
}

/// Every project's name, following `x-ms-continuationtoken`.
fn projects(client: &Client, base: &str, organization: &str, auth: Option<&Auth>) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut continuation: Option<String> = None;
    for _ in 0..10_000 {
        let mut url = format!("{base}/{}/_apis/projects?api-version={API_VERSION}&$top=100", encoded(organization));
        if let Some(token) = &continuation {
            url.push_str(&format!("&continuationToken={}", encoded(token)));
        }
        let page = client.get(&url, auth)?;
        names.extend(
            page.body["value"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str().map(str::to_string)),
        );
        continuation = page.header("x-ms-continuationtoken").map(str::to_string).filter(|t| !t.is_empty());
        if continuation.is_none() {
            return Ok(names);
        }
    }
    Err("more than 10,000 pages of projects: stopped".to_string())
}
