//! The matching engine: bytes in, matches out.
//!
//! One Aho-Corasick pass over the input finds every rule keyword and every
//! base64 form of one; each rule's regexes then run only in windows of lines
//! around those hits, over the text as it is and as it reads with its base64
//! runs decoded. Candidates must then pass the rule's checks (entropy,
//! placeholders, context).
//!
//! The engine performs no I/O and knows nothing of files, git, terminals or
//! rule files; it never requires its input to be UTF-8.

mod checks;
mod decode;
mod detector;
mod prefilter;
mod window;

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::{RegexSet, RegexSetBuilder};

pub use detector::{Context, Detector, Pattern, PatternError, compile};

use decode::{DecodedView, PercentView};
use prefilter::Prefilter;
use window::Window;

/// A secret found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the detector (rule) that found it.
    pub detector: usize,
    /// Where the secret sits in the input; for an encoded secret, the base64
    /// characters that encode it.
    pub span: Range<usize>,
    /// The secret itself, decoded if it was encoded.
    pub secret: Vec<u8>,
    pub encoding: Encoding,
}

/// How a secret was written in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Encoding {
    Plain,
    Base64,
    /// Percent-encoded (a URL's query, a form body).
    Url,
}

/// Matches every detector against any input; cheap to share across threads.
pub struct Engine {
    detectors: Vec<Detector>,
    reach_lines: Vec<usize>,
    /// For detectors with several patterns, all of them in one set, built
    /// when first needed.
    pattern_sets: Vec<OnceLock<Option<RegexSet>>>,
    prefilter: Prefilter,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the keyword automaton: {0}")]
pub struct BuildError(#[from] aho_corasick::BuildError);

impl Engine {
    pub fn new(detectors: Vec<Detector>) -> Result<Engine, BuildError> {
        let prefilter = Prefilter::new(&detectors)?;
        let reach_lines = detectors.iter().map(Detector::reach_lines).collect();
        let pattern_sets = detectors.iter().map(|_| OnceLock::new()).collect();
        Ok(Engine { detectors, reach_lines, pattern_sets, prefilter })
    }

    /// Every secret in `hay`, ordered by position.
    pub fn scan(&self, hay: &[u8]) -> Vec<Match> {
        // Windows per detector. Hits come in order, so a window mostly
        // extends the detector's last one; `window::merge` settles the rest.
        let mut windows: Vec<Vec<Window>> = vec![Vec::new(); self.detectors.len()];
        let mut any = false;
        for hit in self.prefilter.hits(hay) {
            let literal = self.prefilter.literal(hit.literal);
            for &detector in &literal.detectors {
                let range = window::around(hay, hit.range.clone(), self.reach_lines[detector], literal.encoded);
                let list = &mut windows[detector];
                match list.last_mut() {
                    Some(last) if range.start >= last.range.start && range.start <= last.range.end => {
                        last.range.end = last.range.end.max(range.end);
                        last.encoded |= literal.encoded;
                    }
                    _ => list.push(Window { range, encoded: literal.encoded }),
                }
                any = true;
            }
        }
        if !any {
            return Vec::new();
        }
        let mut matches = Vec::new();
        for (detector, list) in windows.iter_mut().enumerate() {
            window::merge(list);
            for w in list.iter() {
                self.search_window(hay, detector, w, &mut matches);
            }
        }
        matches.sort_unstable_by(|a, b| {
            (a.span.start, a.span.end, a.detector).cmp(&(b.span.start, b.span.end, b.detector))
        });
        matches.dedup_by(|a, b| a.detector == b.detector && a.span == b.span);
        matches
    }

    /// Runs one detector's patterns over a window, as written and decoded.
    /// A window from plain keyword hits only is read decoded just for
    /// detectors whose keywords have no encoded forms (an encoded secret of
    /// the others brings its own encoded keyword, and so its own window).
    fn search_window(&self, hay: &[u8], detector: usize, w: &Window, out: &mut Vec<Match>) {
        let window = &w.range;
        self.search(detector, hay, window.clone(), out, |secret| Some((secret.clone(), Encoding::Plain)));
        if let Some(view) = PercentView::build(&hay[window.clone()]) {
            let start = window.start;
            self.search(detector, &view.bytes, 0..view.bytes.len(), out, |secret| {
                let written = view.to_window(secret)?;
                Some((start + written.start..start + written.end, Encoding::Url))
            });
        }
        if !(w.encoded || self.prefilter.decodes_plain_windows(detector)) {
            return;
        }
        if let Some(view) = DecodedView::build(&hay[window.clone()]) {
            let start = window.start;
            self.search(detector, &view.bytes, 0..view.bytes.len(), out, |secret| {
                let encoded = view.to_window(secret)?;
                Some((start + encoded.start..start + encoded.end, Encoding::Base64))
            });
        }
    }

    /// Runs a detector's patterns over `range` of `text`. `place` says where
    /// a secret found there sits in the input, and how it is written; `None`
    /// drops it (text a decoded view did not change).
    fn search(
        &self,
        detector_index: usize,
        text: &[u8],
        range: Range<usize>,
        out: &mut Vec<Match>,
        place: impl Fn(&Range<usize>) -> Option<(Range<usize>, Encoding)>,
    ) {
        let detector = &self.detectors[detector_index];
        // One pass tells which patterns can match at all; most windows need
        // none of a many-pattern rule's regexes run on their own.
        let set = self.pattern_sets[detector_index].get_or_init(|| pattern_set(detector));
        let candidates: Vec<usize> = match set {
            Some(set) => set.matches_at(&text[..range.end], range.start).into_iter().collect(),
            None => (0..detector.patterns.len()).collect(),
        };
        for pattern in candidates.into_iter().map(|i| &detector.patterns[i]) {
            for secret in captures(pattern, text, range.clone()) {
                let Some((span, encoding)) = place(&secret) else {
                    continue;
                };
                if accepts(detector, pattern, text, &secret) {
                    out.push(Match { detector: detector_index, secret: text[secret].to_vec(), span, encoding });
                }
            }
        }
    }
}

/// The detector's patterns as one set, when it has several; `None` also
/// when the set cannot be built (each pattern then runs on its own).
fn pattern_set(detector: &Detector) -> Option<RegexSet> {
    if detector.patterns.len() < 2 {
        return None;
    }
    RegexSetBuilder::new(detector.patterns.iter().map(|p| p.regex.as_str()))
        .unicode(false)
        .size_limit(64 << 20)
        .build()
        .ok()
}

/// The secret (capture group 1) of every match of `pattern` that starts in
/// `range`. Text before the range stays visible to `\b` and `^`.
fn captures(pattern: &Pattern, hay: &[u8], range: Range<usize>) -> Vec<Range<usize>> {
    let text = &hay[..range.end];
    let regex = pattern.regex.get();
    let mut locations = regex.capture_locations();
    let mut found = Vec::new();
    let mut at = range.start;
    while at <= text.len() {
        let Some(m) = regex.captures_read_at(&mut locations, text, at) else {
            break;
        };
        if let Some((start, end)) = locations.get(1) {
            found.push(start..end);
        }
        at = if m.end() > m.start() { m.end() } else { m.end() + 1 };
    }
    found
}

/// Whether a candidate passes its rule's checks.
fn accepts(detector: &Detector, pattern: &Pattern, text: &[u8], secret: &Range<usize>) -> bool {
    let body = detector.body(&text[secret.clone()]);
    if detector.entropy_min.is_some_and(|min| checks::shannon_entropy(body) < min) {
        return false;
    }
    if checks::looks_like_placeholder(body) {
        return false;
    }
    pattern.context.as_ref().is_none_or(|context| {
        let around = window::lines_around(text, secret, context.above, context.below);
        context.regex.get().is_match_at(&text[..around.end], around.start)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sot_detector() -> Detector {
        Detector {
            keywords: vec![b"sqco_".to_vec()],
            ignore_case: false,
            patterns: vec![Pattern::new(r"\b(sqco_[0-9A-Za-z]{59})\b", None).unwrap()],
            entropy_min: Some(4.0),
        }
    }

    const SOT: &str = "sqco_kY9pF34Qy6nB3Wwd25rq4f5zr3QA7YeEEBY3ABp3e2zS8iq9y7AjzQHb6BA"; // sqscan:allow

    fn secrets(engine: &Engine, hay: &[u8]) -> Vec<(Range<usize>, String)> {
        engine.scan(hay).into_iter().map(|m| (m.span, String::from_utf8(m.secret).unwrap())).collect()
    }

    #[test]
    fn finds_a_token_and_its_exact_span() {
        let engine = Engine::new(vec![sot_detector()]).unwrap();
        let hay = format!("a\nSONAR_TOKEN={SOT}\r\nb");
        assert_eq!(secrets(&engine, hay.as_bytes()), vec![(14..14 + 64, SOT.to_string())]);
    }

    #[test]
    fn needs_word_boundaries_on_both_sides() {
        let engine = Engine::new(vec![sot_detector()]).unwrap();
        for hay in [format!("t{SOT}"), format!("Copy_{SOT}"), format!("{SOT}x"), format!("{SOT}_x")] {
            assert!(engine.scan(hay.as_bytes()).is_empty(), "{hay}");
        }
    }

    #[test]
    fn the_same_token_twice_is_two_matches_and_overlapping_hits_one() {
        let engine = Engine::new(vec![sot_detector()]).unwrap();
        let hay = format!("{SOT} {SOT}");
        assert_eq!(engine.scan(hay.as_bytes()).len(), 2);
    }

    #[test]
    fn invalid_utf8_around_a_token_is_fine() {
        let engine = Engine::new(vec![sot_detector()]).unwrap();
        let mut hay = vec![0xff, 0xfe, b' '];
        hay.extend_from_slice(SOT.as_bytes());
        hay.extend_from_slice(&[b' ', 0xc3, 0x28]);
        assert_eq!(secrets(&engine, &hay), vec![(3..67, SOT.to_string())]);
    }

    #[test]
    fn a_token_deep_in_a_huge_line_is_found() {
        let engine = Engine::new(vec![sot_detector()]).unwrap();
        let mut hay = b"var a=1;".repeat(500_000);
        let at = hay.len() / 2;
        hay.splice(at..at, format!("t=\"{SOT}\";").bytes());
        assert_eq!(secrets(&engine, &hay), vec![(at + 3..at + 67, SOT.to_string())]);
    }

    #[test]
    fn base64_tokens_are_decoded_at_any_alignment() {
        use base64::Engine as _;
        let engine = Engine::new(vec![sot_detector()]).unwrap();
        for prefix in ["", "u:", "ci:", "user:"] {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{prefix}{SOT}"));
            let hay = format!("data:\n  auth: {encoded}\n");
            let found = engine.scan(hay.as_bytes());
            assert_eq!(found.len(), 1, "{prefix:?}: {hay}");
            assert_eq!(found[0].secret, SOT.as_bytes());
            assert_eq!(found[0].encoding, Encoding::Base64);
            let span = &hay.as_bytes()[found[0].span.clone()];
            assert!(encoded.as_bytes().windows(span.len()).any(|w| w == span));
        }
    }

    #[test]
    fn a_context_gates_a_match() {
        let detector = Detector {
            keywords: vec![b"sonar".to_vec()],
            ignore_case: true,
            patterns: vec![
                Pattern::new(r"token: ([0-9a-f]{40})\b", Some(Context::new(r"(?m)^sonar:$", 2, 0).unwrap())).unwrap(),
            ],
            entropy_min: Some(2.9),
        };
        let engine = Engine::new(vec![detector]).unwrap();
        let token = "ed440e50454f31af3176813e02ea68ef786e4d3c";
        let near = format!("sonar:\n  url: x\n  token: {token}\n");
        assert_eq!(engine.scan(near.as_bytes()).len(), 1);
        let far = format!("sonar:\n  a: 1\n  b: 2\n  token: {token}\n");
        assert!(engine.scan(far.as_bytes()).is_empty());
        let other = format!("SONAR_SCANNER:\n  token: {token}\n");
        assert!(engine.scan(other.as_bytes()).is_empty());
    }
}
