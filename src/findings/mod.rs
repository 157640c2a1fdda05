//! Findings: engine matches placed in their origin (path, line, column),
//! fingerprinted, and ready to show without revealing the secret.

mod fingerprint;
mod history;
mod location;
mod origin;
mod secret;
mod verification;

pub use fingerprint::fingerprint;
pub use history::{Commit, History, Occurrence, rfc3339};
pub use location::{Locator, Mask, Position, Snippet};
pub use origin::{Blob, Origin, STDIN_PATH};
pub use secret::Secret;
pub use verification::{Analysis, Candidate, Hints, Liveness, Verification};

use crate::engine::{Encoding, Match};
use crate::rules::Rule;

/// One occurrence of a secret.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Index of the rule in the run's rule set.
    pub rule: usize,
    pub rule_id: String,
    pub fingerprint: String,
    pub secret: Secret,
    pub encoding: Encoding,
    /// Set when the rule's pattern at this index found the secret because
    /// of the input's name: the finding stands only at a path that fits
    /// (judged once the path is known, see `Scanner::fits_path`).
    pub path_pattern: Option<usize>,
    pub origin: Origin,
    pub position: Position,
    pub snippet: Snippet,
    /// The secret's line carries an allow comment: a fact noted while the
    /// line is at hand, judged with every other filter in one place.
    pub allowed_inline: bool,
    /// What the text around it says of where the token is used (collected
    /// only for `--verify`).
    pub hints: Option<Hints>,
    /// Whether the token is live (with `--verify`).
    pub verification: Option<Verification>,
}

/// Why a finding is not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Suppression {
    /// `sqscan:allow` (or `NOSONAR` where the config honours it) on the line.
    InlineComment,
    /// `[allow] paths` in the config.
    AllowedPath,
    /// `[allow] secrets` (fingerprints) in the config.
    AllowedSecret,
    /// `[allow] regexes` in the config.
    AllowedRegex,
    /// Listed in the `--baseline` file.
    Baseline,
}

impl Suppression {
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::InlineComment => "inline-comment",
            Suppression::AllowedPath => "allowed-path",
            Suppression::AllowedSecret => "allowed-secret",
            Suppression::AllowedRegex => "allowed-regex",
            Suppression::Baseline => "baseline",
        }
    }
}

impl Finding {
    /// A finding for `m`, found by `rule` (at index `rule_index`) in the input
    /// that `locator` reads, which came from `origin`. `masks` are every
    /// secret found in that input, sorted, so that the snippet masks them all.
    pub fn new(
        rule_index: usize,
        rule: &Rule,
        m: &Match,
        origin: &Origin,
        locator: &mut Locator,
        masks: &[Mask],
    ) -> Finding {
        let secret = Secret::new(&m.secret);
        Finding {
            rule: rule_index,
            fingerprint: fingerprint(&rule.id, secret.expose()),
            rule_id: rule.id.clone(),
            secret,
            encoding: m.encoding,
            path_pattern: m.path_pattern,
            origin: origin.clone(),
            position: locator.position(&m.span),
            snippet: locator.snippet(&m.span, masks),
            allowed_inline: false,
            hints: None,
            verification: None,
        }
    }

    /// The path to show, relative to the scan root.
    pub fn path(&self) -> &str {
        self.origin.path()
    }

    /// The secret as output shows it: redacted unless the user asked otherwise.
    pub fn shown_secret(&self, redact: bool) -> String {
        if redact { self.secret.redacted() } else { self.secret.expose().to_string() }
    }

    /// The line as output shows it: every secret on it redacted, unless the
    /// user asked otherwise. A redacted encoded secret is replaced whole,
    /// since its base64 reveals it as surely as plain text.
    pub fn shown_line(&self, redact: bool) -> String {
        self.snippet.render(redact)
    }
}
