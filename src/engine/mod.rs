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
mod literals;
mod prefilter;
mod window;

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::{RegexSet, RegexSetBuilder};

pub use detector::{Context, Detector, Pattern, PatternError, compile};

use decode::{DecodedView, MappedView};
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
    /// The pattern (of the detector) that found the secret because of the
    /// input's name: the match stands only where [`Engine::fits_path`] says
    /// that name fits.
    pub path_pattern: Option<usize>,
}

/// How a secret was written in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Encoding {
    Plain,
    Base64,
    /// Percent-encoded (a URL's query, a form body).
    Url,
    /// Split across adjacent string literals (`"sqco_…" + "…"`).
    Split,
}

/// Where a secret found in a searched text (a window, a view of one) sits
/// in the input, and how it is written there; `None` drops it.
type Place<'a> = dyn Fn(&Range<usize>) -> Option<(Range<usize>, Encoding)> + 'a;

/// Inputs larger than this are not files named for the token they hold.
const NAMED_INPUT_MAX: usize = 64 * 1024;

/// Matches every detector against any input; cheap to share across threads.
pub struct Engine {
    detectors: Vec<Detector>,
    reach_lines: Vec<usize>,
    /// For detectors with several patterns, all of them in one set, built
    /// when first needed.
    pattern_sets: Vec<OnceLock<Option<RegexSet>>>,
    prefilter: Prefilter,
    /// (detector, pattern) of every pattern that reads inputs by their name.
    path_patterns: Vec<(usize, usize)>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the keyword automaton: {0}")]
pub struct BuildError(#[from] aho_corasick::BuildError);

impl Engine {
    pub fn new(detectors: Vec<Detector>) -> Result<Engine, BuildError> {
        let prefilter = Prefilter::new(&detectors)?;
        let reach_lines = detectors.iter().map(Detector::reach_lines).collect();
        let pattern_sets = detectors.iter().map(|_| OnceLock::new()).collect();
        let path_patterns = detectors
            .iter()
            .enumerate()
            .flat_map(|(d, detector)| {
                detector.patterns.iter().enumerate().filter(|(_, p)| p.path.is_some()).map(move |(p, _)| (d, p))
            })
            .collect();
        Ok(Engine { detectors, reach_lines, pattern_sets, prefilter, path_patterns })
    }

    /// Whether a match of `detector` (found by `path_pattern` because of its
    /// input's name, if set) stands for an input of this name (a path,
    /// with `/` separators).
    pub fn fits_path(&self, detector: usize, path_pattern: Option<usize>, path: &str) -> bool {
        path_pattern.is_none_or(|p| {
            let pattern = self.detectors.get(detector).and_then(|d| d.patterns.get(p));
            pattern.and_then(|p| p.path.as_ref()).is_none_or(|r| r.get().is_match(path.as_bytes()))
        })
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
                let lines = self.reach_lines[detector];
                let list = &mut windows[detector];
                any = true;
                // A plain hit inside the open window (keyword-dense text)
                // can only move its end: the lines above are in it already.
                if let Some(last) = list.last_mut()
                    && !literal.encoded
                    && hit.range.start >= last.range.start
                    && hit.range.end <= last.range.end
                {
                    last.range.end = last.range.end.max(window::end_after(hay, hit.range.clone(), lines));
                    continue;
                }
                let range = window::around(hay, hit.range.clone(), lines, literal.encoded);
                match list.last_mut() {
                    Some(last) if range.start >= last.range.start && range.start <= last.range.end => {
                        last.range.end = last.range.end.max(range.end);
                        last.encoded |= literal.encoded;
                    }
                    _ => list.push(Window { range, encoded: literal.encoded }),
                }
            }
        }
        let mut matches = Vec::new();
        if hay.len() <= NAMED_INPUT_MAX {
            for &(detector, pattern) in &self.path_patterns {
                self.search_named(hay, detector, pattern, &mut matches);
            }
        }
        if !any && matches.is_empty() {
            return matches;
        }
        for (detector, list) in windows.iter_mut().enumerate() {
            window::merge(list);
            for w in list.iter() {
                self.search_window(hay, detector, w, &mut matches);
            }
        }
        // The same secret found twice at one place is one match: as written
        // rather than decoded, and regardless of the input's name if it can.
        matches.sort_unstable_by(|a, b| {
            (a.span.start, a.span.end, a.detector, a.encoding, a.path_pattern.is_some()).cmp(&(
                b.span.start,
                b.span.end,
                b.detector,
                b.encoding,
                b.path_pattern.is_some(),
            ))
        });
        matches.dedup_by(|later, kept| later.detector == kept.detector && later.span == kept.span);
        matches
    }

    /// Runs a pattern that reads inputs by name over the whole input.
    fn search_named(&self, hay: &[u8], detector: usize, pattern: usize, out: &mut Vec<Match>) {
        self.search_pattern(detector, pattern, hay, 0..hay.len(), out, &|secret| {
            Some((secret.clone(), Encoding::Plain))
        });
    }

    /// Runs one detector's patterns over a window, as written and decoded.
    /// A window from plain keyword hits only is read decoded just for
    /// detectors whose keywords have no encoded forms (an encoded secret of
    /// the others brings its own encoded keyword, and so its own window).
    fn search_window(&self, hay: &[u8], detector: usize, w: &Window, out: &mut Vec<Match>) {
        let window = &w.range;
        self.search(detector, hay, window.clone(), out, |secret| Some((secret.clone(), Encoding::Plain)));
        // A literal split at the window's last line goes on below it.
        let joinable = window.start..window::one_line_more(hay, window.end);
        let rewritten = [
            (MappedView::percent_decoded(&hay[window.clone()]), Encoding::Url),
            (literals::joined(&hay[joinable]), Encoding::Split),
        ];
        for (view, encoding) in rewritten {
            let Some(view) = view else { continue };
            let start = window.start;
            self.search(detector, &view.bytes, 0..view.bytes.len(), out, |secret| {
                let written = view.to_window(secret)?;
                Some((start + written.start..start + written.end, encoding))
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
        for pattern in candidates.into_iter().filter(|&i| detector.patterns[i].path.is_none()) {
            self.search_pattern(detector_index, pattern, text, range.clone(), out, &place);
        }
    }

    /// Runs one pattern over `range` of `text`, keeping the candidates that
    /// pass its rule's checks; a match of a pattern that reads inputs by
    /// name says so.
    fn search_pattern(
        &self,
        detector_index: usize,
        pattern_index: usize,
        text: &[u8],
        range: Range<usize>,
        out: &mut Vec<Match>,
        place: &Place<'_>,
    ) {
        let detector = &self.detectors[detector_index];
        let pattern = &detector.patterns[pattern_index];
        for secret in captures(pattern, text, range) {
            let Some((span, encoding)) = place(&secret) else {
                continue;
            };
            if accepts(detector, pattern, text, &secret) {
                out.push(Match {
                    detector: detector_index,
                    secret: text[secret].to_vec(),
                    span,
                    encoding,
                    path_pattern: pattern.path.is_some().then_some(pattern_index),
                });
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
    pattern.context.as_ref().is_none_or(|context| found(context, text, secret))
        && !pattern.veto.as_ref().is_some_and(|veto| found(veto, text, secret))
}

/// Whether a context's regex matches where it looks around `secret`.
fn found(context: &Context, text: &[u8], secret: &Range<usize>) -> bool {
    let regex = context.regex.get();
    if context.enclosing {
        let lines = window::enclosing_lines(text, secret.start, context.above);
        return lines.into_iter().any(|line| regex.is_match_at(&text[..line.end], line.start));
    }
    let around = window::lines_around(text, secret, context.above, context.below);
    regex.is_match_at(&text[..around.end], around.start)
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

    #[test]
    fn a_token_split_across_literals_is_found_at_its_first_fragment() {
        let engine = Engine::new(vec![sot_detector()]).unwrap();
        let hay = format!("t = \"{}\" +\n    \"{}\";\n", &SOT[..30], &SOT[30..]);
        let found = engine.scan(hay.as_bytes());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].secret, SOT.as_bytes());
        assert_eq!(found[0].encoding, Encoding::Split);
        assert_eq!(found[0].span.start, 5, "at the first fragment");
        assert_eq!(&hay.as_bytes()[found[0].span.end - 4..found[0].span.end], &SOT.as_bytes()[60..]);
        let whole = format!("t = \"{SOT}\" + \"x\";");
        let found = engine.scan(whole.as_bytes());
        assert_eq!(
            found.iter().map(|m| m.encoding).collect::<Vec<_>>(),
            vec![Encoding::Plain],
            "one literal: once, plain"
        );
    }

    #[test]
    fn a_path_pattern_reads_a_small_input_whole_and_stands_only_at_its_path() {
        let hex = "3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e"; // sqscan:allow (a fake token)
        let detector = Detector {
            keywords: vec![b"sonar".to_vec()],
            ignore_case: true,
            patterns: vec![
                Pattern::new(r"\A\s*([0-9a-f]{40})\s*\z", None).unwrap().with_path(r"(?:^|/)\.sonar_token$").unwrap(),
            ],
            entropy_min: Some(2.9),
        };
        let engine = Engine::new(vec![detector]).unwrap();
        let found = engine.scan(format!("{hex}\n").as_bytes());
        assert_eq!(found.len(), 1, "no keyword needed");
        assert_eq!(found[0].path_pattern, Some(0));
        assert!(engine.fits_path(0, found[0].path_pattern, "home/.sonar_token"));
        assert!(!engine.fits_path(0, found[0].path_pattern, "REVISION"));
        assert!(engine.fits_path(0, None, "REVISION"), "other matches stand anywhere");
        let big = format!("{hex}{}", " ".repeat(NAMED_INPUT_MAX));
        assert!(engine.scan(big.as_bytes()).is_empty(), "a large input is not a token file");
    }

    #[test]
    fn a_veto_rejects_a_candidate_in_another_services_section() {
        let veto = Context::new(r"(?m)^github:$", 20, 0).unwrap().enclosing();
        let detector = Detector {
            keywords: vec![b"sonar".to_vec()],
            ignore_case: true,
            patterns: vec![
                Pattern::new(r"token: ([0-9a-f]{40})\b", Some(Context::new(r"sonarcloud", 3, 0).unwrap()))
                    .unwrap()
                    .with_veto(veto),
            ],
            entropy_min: Some(2.9),
        };
        let engine = Engine::new(vec![detector]).unwrap();
        let token = "ed440e50454f31af3176813e02ea68ef786e4d3c"; // sqscan:allow (a fake token)
        let sonar = format!("sonarcloud:\n  url: x\n  token: {token}\n");
        assert_eq!(engine.scan(sonar.as_bytes()).len(), 1);
        let github = format!("sonarcloud:\n  url: x\ngithub:\n  token: {token}\n");
        assert!(engine.scan(github.as_bytes()).is_empty());
    }
}
