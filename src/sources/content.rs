//! What a file's bytes are, and which views of them to scan: the bytes as
//! they are, and for UTF-16 or UTF-32 text its transcoding to UTF-8 as
//! well. A decoding is a guess (a byte order mark can begin a Latin-1 or
//! binary file), so it never replaces the raw bytes: both are scanned.
//! "Text" here means anything that is not UTF-16/32 and has no NUL byte
//! near its start.

/// How much of a file is looked at to decide (as git and ripgrep do).
const SNIFF: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Utf16 { big_endian: bool, bom: bool },
    Utf32 { big_endian: bool, bom: bool },
    Binary,
}

/// Decides from the start of `bytes`; UTF-32 marks are tested before the
/// UTF-16 ones they begin with.
pub fn classify(bytes: &[u8]) -> Kind {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => return Kind::Utf32 { big_endian: false, bom: true },
        [0, 0, 0xFE, 0xFF, ..] => return Kind::Utf32 { big_endian: true, bom: true },
        [0xFF, 0xFE, ..] => return Kind::Utf16 { big_endian: false, bom: true },
        [0xFE, 0xFF, ..] => return Kind::Utf16 { big_endian: true, bom: true },
        _ => {}
    }
    let head = &bytes[..bytes.len().min(SNIFF)];
    if memchr::memchr(0, head).is_none() {
        return Kind::Text;
    }
    unmarked_wide_text(head).unwrap_or(Kind::Binary)
}

/// UTF-32 or UTF-16 without a byte order mark, told by where its NULs
/// fall. In UTF-32 the top byte of every unit is NUL. In UTF-16LE every
/// character below U+0100 has a NUL high byte, so NULs fall at odd offsets
/// only (even ones for BE), however much of the text is CJK; binary data
/// has them at both. `sample` starts at a multiple of 4.
fn unmarked_wide_text(sample: &[u8]) -> Option<Kind> {
    let mut zeros = [0usize; 4];
    for (i, &b) in sample.iter().enumerate() {
        if b == 0 {
            zeros[i % 4] += 1;
        }
    }
    let units = sample.len() / 4;
    // Below U+10000 the next byte is NUL too, which UTF-16 text never has.
    let utf32 = |top: usize, next: usize, low: usize| {
        units >= 2 && zeros[top] >= units && zeros[next] * 10 >= units * 9 && zeros[low] * 10 < units
    };
    if utf32(3, 2, 0) {
        return Some(Kind::Utf32 { big_endian: false, bom: false });
    }
    if utf32(0, 1, 3) {
        return Some(Kind::Utf32 { big_endian: true, bom: false });
    }
    let (even, odd) = (zeros[0] + zeros[2], zeros[1] + zeros[3]);
    // A stray NUL in fifty is allowed (U+xx00 characters); a handful of
    // NULs says nothing.
    let only = |these: usize, those: usize| these >= 4 && those * 50 <= these;
    if only(odd, even) {
        return Some(Kind::Utf16 { big_endian: false, bom: false });
    }
    if only(even, odd) {
        return Some(Kind::Utf16 { big_endian: true, bom: false });
    }
    None
}

/// The views of a whole input to scan, or `None` for a binary file when
/// binaries are skipped.
pub struct Views<'a> {
    pub raw: &'a [u8],
    /// The transcoding of UTF-16/32 text, when the input looks like it.
    pub decoded: Option<Vec<u8>>,
}

/// [`classify`], and past the sniffed start for text: wide text whose
/// first 8 KiB happen to hold no NUL (CJK, say) has them further on, so
/// the bytes from the first NUL on are looked at too.
pub fn kind_of(bytes: &[u8]) -> Kind {
    match classify(bytes) {
        Kind::Text => match memchr::memchr(0, bytes) {
            Some(at) => {
                let from = at & !3;
                unmarked_wide_text(&bytes[from..bytes.len().min(from + SNIFF)]).unwrap_or(Kind::Text)
            }
            None => Kind::Text,
        },
        kind => kind,
    }
}

impl<'a> Views<'a> {
    pub fn of(bytes: &'a [u8], scan_binary: bool) -> Option<Views<'a>> {
        let decoded = match kind_of(bytes) {
            Kind::Text => None,
            Kind::Binary if scan_binary => None,
            Kind::Binary => return None,
            Kind::Utf16 { big_endian, bom } => Some(transcode_utf16(&bytes[if bom { 2 } else { 0 }..], big_endian)),
            Kind::Utf32 { big_endian, bom } => Some(transcode_utf32(&bytes[if bom { 4 } else { 0 }..], big_endian)),
        };
        Some(Views { raw: bytes, decoded })
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

/// UTF-32 to UTF-8; invalid code points and a partial final unit become U+FFFD.
fn transcode_utf32(bytes: &[u8], big_endian: bool) -> Vec<u8> {
    let mut text: String = bytes
        .chunks_exact(4)
        .map(|q| {
            let unit = [q[0], q[1], q[2], q[3]];
            let value = if big_endian { u32::from_be_bytes(unit) } else { u32::from_le_bytes(unit) };
            char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect();
    if !bytes.len().is_multiple_of(4) {
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

    fn decoded(bytes: &[u8]) -> Vec<u8> {
        Views::of(bytes, false).unwrap().decoded.unwrap()
    }

    #[test]
    fn utf16_with_and_without_bom_is_transcoded() {
        for bom in [true, false] {
            let bytes = utf16le("SONAR_TOKEN=abc\r\n", bom);
            assert_eq!(decoded(&bytes), b"SONAR_TOKEN=abc\r\n");
        }
        let mut be = vec![0xFE, 0xFF];
        be.extend("hé".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decoded(&be), "hé".as_bytes());
    }

    /// Issue 14.8: UTF-32 lost its tokens (decoded as UTF-16).
    #[test]
    fn utf32_with_and_without_bom_is_transcoded() {
        let text = "SONAR_TOKEN=abc\n";
        let le: Vec<u8> = text.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        let be: Vec<u8> = text.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        for (bom, body) in
            [(&[0xFF, 0xFE, 0, 0][..], &le), (&[0, 0, 0xFE, 0xFF][..], &be), (&[][..], &le), (&[][..], &be)]
        {
            let bytes = [bom, body.as_slice()].concat();
            assert_eq!(decoded(&bytes), text.as_bytes(), "{:?}", classify(&bytes));
        }
    }

    /// Issue 14.8: a byte order mark in front of text that is not UTF-16
    /// hid the text; the raw bytes are always a view too.
    #[test]
    fn a_failed_decode_never_hides_the_raw_bytes() {
        let bytes = b"\xFF\xFESONAR_TOKEN=abc\n";
        let views = Views::of(bytes, false).unwrap();
        assert!(views.decoded.is_some());
        assert_eq!(views.raw, bytes);
    }

    /// Issue 14.8: UTF-16 without a BOM whose first 8 KiB hold no NUL.
    #[test]
    fn wide_text_is_found_past_the_sniffed_start() {
        let mut text: String = "漢字".repeat(3000);
        text.push_str("\nSONAR_TOKEN=abc\n");
        let bytes = utf16le(&text, false);
        assert_eq!(classify(&bytes), Kind::Text, "no NUL in the first 8 KiB");
        assert!(decoded(&bytes).ends_with(b"\nSONAR_TOKEN=abc\n"));
    }

    #[test]
    fn nul_bytes_mean_binary_unless_asked() {
        let bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\x01\x02\x03\x04";
        assert_eq!(classify(bytes), Kind::Binary);
        assert!(Views::of(bytes, false).is_none());
        assert!(Views::of(bytes, true).is_some_and(|v| v.decoded.is_none()));
    }

    #[test]
    fn invalid_utf8_without_nul_is_text() {
        assert_eq!(classify(b"caf\xe9 sqco_"), Kind::Text);
    }
}
