//! A secret value that does not print itself: `Debug` shows a redacted
//! preview, there is no `Display`, and the value comes out only through
//! [`Secret::expose`], so that leaking it takes a deliberate call.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret(String);

impl Secret {
    pub fn new(bytes: &[u8]) -> Secret {
        Secret(String::from_utf8_lossy(bytes).into_owned())
    }

    /// The secret in full: for `--no-redact`, fingerprints and verification.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Enough to recognise the secret, not enough to use it: the type prefix
    /// (`sqco_`) and the first and last four characters, `sqco_d4g8…r83O`.
    pub fn redacted(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let prefix = chars.iter().take(6).position(|&c| c == '_').map_or(0, |i| i + 1);
        let body = &chars[prefix..];
        let shown = match body.len() {
            n if n >= 16 => 4,
            n if n >= 8 => 2,
            _ => 0,
        };
        let head: String = chars[..prefix + shown].iter().collect();
        let tail: String = body[body.len() - shown..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_prefix_and_both_ends() {
        let sot = Secret::new(b"sqco_kY9pF34Qy6nB3Wwd25rq4f5zr3QA7YeEEBY3ABp3e2zS8iq9y7AjzQHb6BA"); // sqscan:allow
        assert_eq!(sot.redacted(), "sqco_kY9p…b6BA");
        let hex = Secret::new(b"ed440e50454f31af3176813e02ea68ef786e4d3c");
        assert_eq!(hex.redacted(), "ed44…4d3c");
        assert_eq!(Secret::new(b"short").redacted(), "…");
        assert_eq!(Secret::new(b"acme_12345678").redacted(), "acme_12…78");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let hex = Secret::new(b"ed440e50454f31af3176813e02ea68ef786e4d3c");
        assert_eq!(format!("{hex:?}"), "Secret(ed44…4d3c)");
    }
}
