//! Base64: secrets in Kubernetes `Secret` data, `.npmrc` `_auth` blobs and
//! `Authorization: Basic` headers are encoded. The prefilter looks for the
//! encoded forms of each keyword; a window is then read through a
//! [`DecodedView`], in which every base64 run that decodes to text is
//! replaced by that text, so rule patterns see `SONAR_TOKEN: sqco_…` whether
//! or not the value was encoded.
//!
//! Percent-encoding: a token in a query string or form body
//! (`sonar.login%3D…`, `%22token%22%3A%22sqco_…`) is read through a
//! [`MappedView`], the window with its `%XX` escapes (and `+`) decoded.

use std::ops::Range;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Shorter runs are words, not encoded secrets (12 decoded bytes).
const MIN_RUN: usize = 16;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_allow_trailing_bits(true)
    .with_decode_padding_mode(DecodePaddingMode::RequireNone);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Bytes of the standard and URL-safe alphabets, as a table: the view is
/// built over every window, byte by byte.
static BASE64_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
        b += 1;
    }
    table
};

pub(crate) fn is_base64_byte(b: u8) -> bool {
    BASE64_BYTE[b as usize]
}

/// The stretches of base64 text that every encoding of `keyword` contains,
/// whatever bytes surround it: one per alignment (keyword at offset 0, 1 or 2
/// of a 3-byte group) and alphabet. Characters that depend on neighbouring
/// bytes are left out, found by encoding between all-zero and all-one filler.
pub(crate) fn encoded_forms(keyword: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = Vec::new();
    for engine in [&STANDARD, &URL_SAFE] {
        for align in 0..3 {
            let with = |fill: u8| {
                let mut raw = vec![fill; align];
                raw.extend_from_slice(keyword);
                raw.extend([fill; 2]);
                engine.encode(raw).into_bytes()
            };
            let (zeros, ones) = (with(0x00), with(0xff));
            let stable = longest_common_run(&zeros, &ones);
            if stable.len() >= 4 && !forms.contains(&stable) {
                forms.push(stable);
            }
        }
    }
    forms
}

/// The longest run of positions at which `a` and `b` agree.
fn longest_common_run(a: &[u8], b: &[u8]) -> Vec<u8> {
    let (mut best, mut start) = (0..0, 0);
    for i in 0..=a.len().min(b.len()) {
        if i == a.len().min(b.len()) || a[i] != b[i] {
            if i - start > best.len() {
                best = start..i;
            }
            start = i + 1;
        }
    }
    a[best].to_vec()
}

/// The extent of the base64 run around `at`, at most `limit` bytes each way.
pub(crate) fn run_around(hay: &[u8], at: Range<usize>, limit: usize) -> Range<usize> {
    let floor = at.start.saturating_sub(limit);
    let ceiling = (at.end + limit).min(hay.len());
    let start = hay[floor..at.start].iter().rposition(|&b| !is_base64_byte(b)).map_or(floor, |i| floor + i + 1);
    let end = hay[at.end..ceiling].iter().position(|&b| !is_base64_byte(b)).map_or(ceiling, |i| at.end + i);
    start..end
}

/// A window with its base64 runs decoded in place.
pub(crate) struct DecodedView {
    pub bytes: Vec<u8>,
    segments: Vec<Segment>,
}

/// One decoded run: where its text sits in the view and where its base64 sat
/// in the window.
struct Segment {
    view: Range<usize>,
    window: Range<usize>,
}

impl DecodedView {
    /// `None` when no run in the window decodes to text.
    pub fn build(window: &[u8]) -> Option<DecodedView> {
        let mut view = DecodedView { bytes: Vec::new(), segments: Vec::new() };
        let mut copied = 0;
        let mut i = 0;
        while i < window.len() {
            if !is_base64_byte(window[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < window.len() && is_base64_byte(window[i]) {
                i += 1;
            }
            let run = start..i;
            while i < window.len() && i - run.end < 2 && window[i] == b'=' {
                i += 1;
            }
            if run.len() < MIN_RUN {
                continue;
            }
            let Some(text) = decode_text(&window[run.clone()]) else {
                continue;
            };
            view.bytes.extend_from_slice(&window[copied..run.start]);
            let at = view.bytes.len();
            view.bytes.extend_from_slice(&text);
            view.segments.push(Segment { view: at..view.bytes.len(), window: run.clone() });
            copied = run.end;
        }
        if view.segments.is_empty() {
            return None;
        }
        view.bytes.extend_from_slice(&window[copied..]);
        Some(view)
    }

    /// Where a secret found in the view sits in the window: the base64
    /// characters that encode it. `None` for text that was not decoded (the
    /// plain scan already covers it) or that straddles a run's edge.
    pub fn to_window(&self, secret: &Range<usize>) -> Option<Range<usize>> {
        let segment = self.segments.iter().find(|s| s.view.start <= secret.start && secret.end <= s.view.end)?;
        let from = secret.start - segment.view.start;
        let to = secret.end - segment.view.start;
        let start = segment.window.start + from / 3 * 4;
        let end = (segment.window.start + to.div_ceil(3) * 4).min(segment.window.end);
        Some(start..end)
    }
}

/// A window rewritten byte by byte (percent-escapes decoded, string
/// literals joined), each byte of the view knowing where it was written.
pub(crate) struct MappedView {
    pub bytes: Vec<u8>,
    /// For each byte of the view: the range it was written as.
    written: Vec<Range<usize>>,
}

impl MappedView {
    pub fn with_capacity(len: usize) -> MappedView {
        MappedView { bytes: Vec::with_capacity(len), written: Vec::with_capacity(len) }
    }

    pub fn push(&mut self, byte: u8, written: Range<usize>) {
        self.bytes.push(byte);
        self.written.push(written);
    }

    /// The window with its `%XX` escapes (and `+`) decoded; `None` when it
    /// holds no escape.
    pub fn percent_decoded(window: &[u8]) -> Option<MappedView> {
        memchr::memchr(b'%', window)?;
        let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        let mut view = MappedView::with_capacity(window.len());
        let mut escapes = 0;
        let mut i = 0;
        while i < window.len() {
            let escaped =
                (window[i] == b'%').then(|| Some(hex(*window.get(i + 1)?)? << 4 | hex(*window.get(i + 2)?)?)).flatten();
            match escaped {
                Some(byte) => {
                    view.push(byte, i..i + 3);
                    escapes += 1;
                    i += 3;
                }
                None => {
                    view.push(if window[i] == b'+' { b' ' } else { window[i] }, i..i + 1);
                    i += 1;
                }
            }
        }
        (escapes > 0).then_some(view)
    }

    /// Where a secret found in the view was written, from its first byte to
    /// its last; `None` when it and its neighbours read as written (the
    /// plain scan covers it).
    pub fn to_window(&self, secret: &Range<usize>) -> Option<Range<usize>> {
        let first = self.written.get(secret.start)?;
        let last = self.written.get(secret.end.checked_sub(1)?)?;
        let touched = &self.written[secret.start.saturating_sub(1)..(secret.end + 1).min(self.written.len())];
        let rewritten = touched.iter().any(|r| r.len() != 1) || touched.windows(2).any(|w| w[0].end != w[1].start);
        rewritten.then_some(first.start..last.end)
    }
}

/// Decodes a run if it is base64 of printable text.
fn decode_text(run: &[u8]) -> Option<Vec<u8>> {
    let url_safe = run.iter().any(|&b| b == b'-' || b == b'_');
    let standard = run.iter().any(|&b| b == b'+' || b == b'/');
    let engine = match (standard, url_safe) {
        (true, true) => return None,
        (false, true) => &URL_SAFE,
        _ => &STANDARD,
    };
    let usable = if run.len() % 4 == 1 { &run[..run.len() - 1] } else { run };
    let text = engine.decode(usable).ok()?;
    let printable = |&b: &u8| matches!(b, b' '..=b'~' | b'\t' | b'\n' | b'\r');
    text.iter().all(printable).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn every_alignment_of_a_keyword_yields_a_form_found_in_its_encoding() {
        let forms = encoded_forms(b"sqco_");
        assert!(forms.len() >= 3, "{forms:?}");
        for prefix in ["", "x", "ab", "user:", "abcd:"] {
            let encoded = b64(&format!("{prefix}sqco_abcdef"));
            assert!(
                forms.iter().any(|f| encoded.as_bytes().windows(f.len()).any(|w| w == f.as_slice())),
                "no form of sqco_ in {encoded} (prefix {prefix:?})"
            );
        }
    }

    #[test]
    fn a_view_decodes_text_runs_and_maps_back() {
        let window = format!("SONAR_TOKEN: {}\nnext", b64("squ_0123abcd and more"));
        let view = DecodedView::build(window.as_bytes()).expect("decodes");
        let text = String::from_utf8(view.bytes.clone()).unwrap();
        assert_eq!(text, "SONAR_TOKEN: squ_0123abcd and more\nnext");
        let secret = 13..26;
        let original = view.to_window(&secret).expect("inside a decoded run");
        assert_eq!(original.start, 13);
        assert_eq!(original.end, 13 + 20);
        assert_eq!(view.to_window(&(0..5)), None, "plain text is not mapped");
    }

    #[test]
    fn percent_escapes_decode_and_map_back() {
        let window = b"q=sonar.login%3D6dba1c50884adffa01738a06e8b26034a7e6592d&x=1"; // sqscan:allow (a fake token)
        let view = MappedView::percent_decoded(window).expect("an escape");
        assert_eq!(view.bytes, b"q=sonar.login=6dba1c50884adffa01738a06e8b26034a7e6592d&x=1".to_vec()); // sqscan:allow
        let secret = 14..54;
        assert_eq!(view.to_window(&secret), Some(16..56), "next to the escape, mapped to what was written");
        assert_eq!(view.to_window(&(0..1)), None, "nothing escaped around it");
        assert!(MappedView::percent_decoded(b"100% sure").is_none(), "a bare % is not an escape");
    }

    #[test]
    fn binary_and_short_runs_are_left_alone() {
        assert!(DecodedView::build(b"sha1: 3732881584d8c4fa2815d2802827283e0ad84173").is_none());
        assert!(DecodedView::build(b"SONAR_TOKEN and sqco_short").is_none());
    }
}
