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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub status: Liveness,
    /// For an active token, what kind it is; for an unknown one, why.
    pub detail: String,
    /// The base URL that answered.
    pub host: Option<String>,
    /// `SonarQube-Authentication-Token-Expiration`, when an answer carried it.
    pub expires: Option<String>,
}

impl Verification {
    pub fn unknown(reason: impl Into<String>) -> Verification {
        Verification { status: Liveness::Unknown, detail: reason.into(), host: None, expires: None }
    }
}
