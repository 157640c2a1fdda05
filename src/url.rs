//! Percent-encoding, the one way every URL piece sqscan builds is written:
//! API paths and queries (forge listings), form bodies (revocation) and
//! SARIF artifact URIs.

/// `text` with every byte but ASCII letters, digits, `-._~` and those in
/// `keep` written as `%XX`.
pub fn percent_encoded(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_bytes_are_escaped() {
        assert_eq!(percent_encoded("grp/sub a", b""), "grp%2Fsub%20a");
        assert_eq!(percent_encoded("a b/c#d.env", b"/"), "a%20b/c%23d.env");
        assert_eq!(percent_encoded("é", b""), "%C3%A9");
    }
}
