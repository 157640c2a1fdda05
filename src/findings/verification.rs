//! What verification says of a finding, and what the text around it says of
//! where its token is used. Data only: `verify` fills them in.

/// Where the scanned text suggests the token is used: the server it goes
/// with, and whether that is SonarQube Cloud (and which region).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// A SonarQube base URL found next to the token (`sonar.host.url=…`).
    pub host: Option<String>,
    /// The text points at SonarQube Cloud (`sonarcloud.io`, `sonar.organization`).
    pub cloud: bool,
    /// The text points at SonarQube Cloud's US region (`sonar.region=us`).
    pub region_us: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liveness {
    Active,
    Inactive,
    Unknown,
}

impl Liveness {
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Active => "active",
            Liveness::Inactive => "inactive",
            Liveness::Unknown => "unknown",
        }
    }
}

/// As reports write it (JSON, and the audit model `merge` reads back).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verification {
    pub status: Liveness,
    /// For an active token, what kind it is; for an unknown one, why.
    pub detail: String,
    /// The base URL that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `SonarQube-Authentication-Token-Expiration`, when an answer carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whole days until `expires` (negative once past), as of the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<i64>,
    /// What the token's kind says of its lifetime, for an active token:
    /// no expiry date, a 60-day window that this very check renewed, or
    /// an expiry under a week away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<String>,
    /// With `--analyze`, for an active token: owner and reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
}

/// What an active token can do, as far as the API would say.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Analysis {
    /// The owner's login and name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The token's kind, from its prefix: user, project analysis, global
    /// analysis, scoped organization.
    pub kind: String,
    /// Global permissions (`admin`, `scan`, `provisioning`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    /// Whether the owner administers the instance (holds `admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub administrator: Option<bool>,
    /// Organizations the owner belongs to (SonarQube Cloud).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organizations: Vec<String>,
    /// The owner's tokens that could be this one: name, type, project,
    /// last connection and expiry (a value never maps to a name directly).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// What the API would not say, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Analysis {
    /// One line for people: who, and what they reach.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.kind.clone()];
        match (&self.login, &self.name) {
            (Some(login), Some(name)) if name != login => parts.push(format!("owner {login} ({name})")),
            (Some(login), _) => parts.push(format!("owner {login}")),
            _ => {}
        }
        match self.administrator {
            Some(true) => parts.push("an ADMINISTRATOR".to_string()),
            Some(false) if !self.permissions.is_empty() => {
                parts.push(format!("permissions {}", self.permissions.join(", ")))
            }
            _ => {}
        }
        if !self.organizations.is_empty() {
            parts.push(format!("organizations {}", self.organizations.join(", ")));
        }
        match self.candidates.as_slice() {
            [one] => parts.push(format!("token name {:?}", one.name)),
            [] => {}
            many => parts.push(format!("one of {} tokens of its kind", many.len())),
        }
        if !self.unknown.is_empty() {
            parts.push(format!("unknown: {}", self.unknown.join("; ")));
        }
        parts.join("; ")
    }
}

impl Verification {
    pub fn unknown(reason: impl Into<String>) -> Verification {
        Verification {
            status: Liveness::Unknown,
            detail: reason.into(),
            host: None,
            expires: None,
            expires_in_days: None,
            lifetime: None,
            analysis: None,
        }
    }

    /// An active SonarQube Cloud user token: one whose 60-day window
    /// every use, this check's too, renews.
    pub fn is_cloud_user_token(&self) -> bool {
        self.status == Liveness::Active && self.detail.starts_with("SonarQube Cloud user token")
    }

    /// The lifetime facts of TOKENS.md for an active token, as of `now`
    /// (seconds since the epoch).
    pub fn with_lifetime(mut self, now: i64) -> Verification {
        if self.status != Liveness::Active {
            return self;
        }
        self.expires_in_days = self.expires.as_deref().and_then(epoch_seconds).map(|at| (at - now).div_euclid(86_400));
        let cloud_user = self.is_cloud_user_token();
        let scoped = self.detail.starts_with("SonarQube Cloud Scoped Organization Token");
        self.lifetime = Some(match (self.expires_in_days, cloud_user, scoped) {
            (Some(days), _, _) if days < 7 => format!("expires in {days} days: about to expire, but live now; revoke it"),
            (_, true, _) => "a SonarQube Cloud user token lives until 60 days unused, and every use renews it: this check just did. Revoke it now".to_string(),
            (None, _, true) => "no expiry date: SonarQube Cloud removes it only after 60 days unused. Revoke it now".to_string(),
            (None, _, _) => "no expiry date: it works until revoked. Revoke it now".to_string(),
            (Some(days), _, _) => format!("expires in {days} days; revoke it now rather than wait"),
        });
        self
    }
}

/// `2027-01-01T00:00:00+0000` (or `+00:00`, or `Z`) as seconds since the epoch.
fn epoch_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let zone = text.get(19..)?.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match zone {
        "" | "Z" => 0,
        zone => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
            let (h, m) = (digits.get(0..2)?.parse::<i64>().ok()?, digits.get(2..4).unwrap_or("0").parse::<i64>().ok()?);
            sign * (h * 3600 + m * 60)
        }
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_headers_read_as_epoch_seconds() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00+0000"), Some(0));
        assert_eq!(epoch_seconds("2027-01-01T00:00:00+0000"), Some(1_798_761_600));
        assert_eq!(epoch_seconds("2027-01-01T01:00:00+01:00"), Some(1_798_761_600));
        assert_eq!(epoch_seconds("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        assert_eq!(epoch_seconds("soon"), None);
    }

    #[test]
    fn active_tokens_get_their_lifetime() {
        let active = |detail: &str, expires: Option<&str>| {
            Verification {
                status: Liveness::Active,
                detail: detail.to_string(),
                host: None,
                expires: expires.map(str::to_string),
                expires_in_days: None,
                lifetime: None,
                analysis: None,
            }
            .with_lifetime(1_798_761_600 - 3 * 86_400)
        };
        let soon = active("SonarQube Server token", Some("2027-01-01T00:00:00+0000"));
        assert_eq!(soon.expires_in_days, Some(3));
        assert!(soon.lifetime.as_deref().is_some_and(|l| l.contains("about to expire")));
        let renewed = active("SonarQube Cloud user token (EU)", None);
        assert!(renewed.lifetime.as_deref().is_some_and(|l| l.contains("renews")));
        let scoped = active("SonarQube Cloud Scoped Organization Token (EU)", None);
        assert!(scoped.lifetime.as_deref().is_some_and(|l| l.contains("no expiry date")));
        assert_eq!(Verification::unknown("x").with_lifetime(0).lifetime, None);
    }
}
