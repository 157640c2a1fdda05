//! Fingerprints: a stable name for a secret that does not reveal it.
//!
//! A fingerprint depends on the rule id and the secret only (no path, line or
//! offset), so the same token found in 40 commits or 3 files is one secret,
//! and a baseline entry survives the code moving around it.

use sha2::{Digest, Sha256};

/// Hex characters kept: 128 bits, ample against collisions.
const LENGTH: usize = 32;

pub fn fingerprint(rule_id: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"sqscan-fingerprint-v1\0");
    hasher.update(rule_id.as_bytes());
    hasher.update(b"\0");
    hasher.update(secret.as_bytes());
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(LENGTH);
    for byte in &digest[..LENGTH / 2] {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_sensitive_to_rule_and_secret() {
        let a = fingerprint("rule-a", "secret");
        assert_eq!(a.len(), LENGTH);
        assert_eq!(a, fingerprint("rule-a", "secret"));
        assert_ne!(a, fingerprint("rule-b", "secret"));
        assert_ne!(a, fingerprint("rule-a", "secreT"));
        assert!(!a.contains("secret"));
    }
}
