//! `sqscan revoke`: revoke a found token where the token itself may, by
//! its name (`POST api/user_tokens/revoke`: a user token may revoke its own
//! user's tokens). A value never maps to a name directly, so the name is
//! the one candidate `--analyze` finds of the token's type, or the one the
//! user chooses with `--name` among several, or the only one whose last
//! connection moved when the token was used again: never a guess. Scoped
//! Organization Tokens cannot revoke themselves; an organization
//! administrator must, and what to do is said instead.

use super::analyze::analyze;
use super::checks::{Checks, Family};
use super::endpoint::Endpoint;
use super::http::Auth;
use crate::findings::{Candidate, Hints, Liveness};

/// How a revocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Verification did not find it live: nothing to revoke (why).
    NotLive(String),
    /// The token cannot revoke itself: what an administrator must do.
    ForAnAdministrator(String),
    /// Several of the owner's tokens could be this one: `--name` chooses.
    Ambiguous(Vec<Candidate>),
    /// `--name` names none of the candidates.
    NoSuchName(String, Vec<Candidate>),
    /// The user said no.
    Declined(String),
    /// Revoked by this name; `now_inactive` when re-verification agrees.
    Revoked {
        name: String,
        host: String,
        now_inactive: bool,
    },
    Failed(String),
}

pub(super) fn revoke(
    checks: &Checks,
    family: Family,
    secret: &str,
    hints: &Hints,
    name: Option<&str>,
    confirm: &dyn Fn(&str, &str) -> bool,
) -> Revocation {
    let verified = checks.check(family, secret, hints);
    if verified.status != Liveness::Active {
        return Revocation::NotLive(verified.detail);
    }
    let Some(endpoint) = verified.host.as_deref().and_then(|h| Endpoint::parse(h).ok()) else {
        return Revocation::Failed("verification named no host".to_string());
    };
    if family == Family::ScopedOrg {
        return Revocation::ForAnAdministrator(format!(
            "a Scoped Organization Token cannot revoke itself: an administrator of its organization revokes it in SonarQube Cloud ({} > your organization > Administration > Scoped Organization Tokens)",
            endpoint.base()
        ));
    }
    let cloud = checks.regions.is_cloud(&endpoint);
    let analysis = analyze(checks.http, &endpoint, secret, cloud);
    // Among several, the one whose last connection moves when the token is
    // used once more is this one (where the server updates it at once).
    let moved = if name.is_none() && analysis.candidates.len() > 1 {
        let _ = checks.check(family, secret, hints);
        let after = analyze(checks.http, &endpoint, secret, cloud);
        let changed: Vec<&Candidate> = after
            .candidates
            .iter()
            .filter(|c| analysis.candidates.iter().any(|b| b.name == c.name && b.last_used != c.last_used))
            .collect();
        match changed.as_slice() {
            [one] => Some(one.name.clone()),
            _ => None,
        }
    } else {
        None
    };
    let chosen = match (name.or(moved.as_deref()), analysis.candidates.as_slice()) {
        (Some(name), candidates) => match candidates.iter().find(|c| c.name == name) {
            Some(candidate) => candidate.name.clone(),
            None => return Revocation::NoSuchName(name.to_string(), candidates.to_vec()),
        },
        (None, [one]) => one.name.clone(),
        (None, []) => {
            let why = analysis.unknown.join("; ");
            return Revocation::Failed(format!("the owner's tokens could not be listed, so no name is known ({why})"));
        }
        (None, many) => return Revocation::Ambiguous(many.to_vec()),
    };
    if !confirm(&chosen, endpoint.base()) {
        return Revocation::Declined(chosen);
    }
    let auth = if cloud { Auth::Bearer(secret) } else { Auth::Basic(secret) };
    match checks.http.post_form(&endpoint, "/api/user_tokens/revoke", &[("name", &chosen)], &auth) {
        Ok(reply) if (200..300).contains(&reply.status) => {
            let after = checks.check(family, secret, hints);
            Revocation::Revoked {
                name: chosen,
                host: endpoint.base().to_string(),
                now_inactive: after.status == Liveness::Inactive,
            }
        }
        Ok(reply) => Revocation::Failed(format!("api/user_tokens/revoke answered HTTP {}", reply.status)),
        Err(why) => Revocation::Failed(why),
    }
}
