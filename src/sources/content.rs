//! What a file's bytes are: text to scan as it is, UTF-16 text to transcode
//! first, or binary. The engine reads bytes, so "text" here means anything
//! that is not UTF-16 and has no NUL byte near its start.

use std::borrow::Cow;

/// How much of a file is looked at to decide (as git and ripgrep do).
const SNIFF: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Utf16 { big_endian: bool, bom: bool },
    Binary,
}

pub fn classify(bytes: &[u8]) -> Kind {
    match bytes {
        [0xFF, 0xFE, ..] => {
            return Kind::Utf16 { big_endian: false, bom: true };
        }
        [0xFE, 0xFF, ..] => {
            return Kind::Utf16 { big_endian: true, bom: true };
        }
        _ => {}
    }
    let head = &bytes[..bytes.len().min(SNIFF)];
    if memchr::memchr(0, head).is_none() {
        return Kind::Text;
    }
    // UTF-16 without a byte order mark: mostly-ASCII text has a NUL in
    // every other byte, on the same side throughout.
    let pairs = head.len() / 2;
    if pairs >= 2 {
        let zero_high = head.chunks_exact(2).filter(|p| p[1] == 0 && p[0] != 0).count();
        let zero_low = head.chunks_exact(2).filter(|p| p[0] == 0 && p[1] != 0).count();
        if zero_high * 10 >= pairs * 9 {
            return Kind::Utf16 { big_endian: false, bom: false };
        }
        if zero_low * 10 >= pairs * 9 {
            return Kind::Utf16 { big_endian: true, bom: false };
        }
    }
    Kind::Binary
}

/// The bytes to scan, or `None` for a binary file when binaries are skipped.
pub fn text(bytes: &[u8], scan_binary: bool) -> Option<Cow<'_, [u8]>> {
    match classify(bytes) {
        Kind::Text => Some(Cow::Borrowed(bytes)),
        Kind::Binary if scan_binary => Some(Cow::Borrowed(bytes)),
        Kind::Binary => None,
        Kind::Utf16 { big_endian, bom } => {
            Some(Cow::Owned(transcode_utf16(&bytes[if bom { 2 } else { 0 }..], big_endian)))
        }
    }
}

/// UTF-16 to UTF-8; unpaired surrogates become U+FFFD, and so does an odd
/// final byte.
fn transcode_utf16(bytes: &[u8], big_endian: bool) -> Vec<u8> {
    let units = bytes.chunks_exact(2).map(|p| {
        let pair = [p[0], p[1]];
        if big_endian { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) }
    });
    let mut text: String = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    if bytes.len() % 2 == 1 {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn utf16_with_and_without_bom_is_transcoded() {
        for bom in [true, false] {
            let bytes = utf16le("SONAR_TOKEN=abc\r\n", bom);
            assert_eq!(&*text(&bytes, false).unwrap(), b"SONAR_TOKEN=abc\r\n");
        }
        let mut be = vec![0xFE, 0xFF];
        be.extend("hé".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(&*text(&be, false).unwrap(), "hé".as_bytes());
    }

    #[test]
    fn nul_bytes_mean_binary_unless_asked() {
        let bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\x01\x02\x03\x04";
        assert_eq!(classify(bytes), Kind::Binary);
        assert!(text(bytes, false).is_none());
        assert!(text(bytes, true).is_some());
    }

    #[test]
    fn invalid_utf8_without_nul_is_text() {
        assert_eq!(classify(b"caf\xe9 sqco_"), Kind::Text);
    }
}
