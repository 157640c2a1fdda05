//! The one pass over every byte: find where any rule keyword (or a base64
//! form of one) occurs. What it reports are candidates; regexes decide.
//!
//! The fast path is Aho-Corasick's packed (Teddy, SIMD) searcher over every
//! literal, with case-insensitive keywords spelled out in each case variant;
//! where Teddy cannot be built (too many variants, no SIMD on this CPU) a
//! classic Aho-Corasick automaton does the same job more slowly.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind, packed};

use super::decode;
use super::detector::Detector;

/// Keywords shorter than this get no base64 forms: their encodings would be
/// too short to be distinctive.
const MIN_ENCODED_KEYWORD: usize = 4;

/// Teddy's own limit on how many literals it searches at full speed.
const PACKED_LIMIT: usize = 64;

/// A case-insensitive keyword is searched for by the case variants of its
/// last this many bytes, and confirmed in full: `sonar` is 16 spellings of
/// `onar`, not 32 of `sonar`, which keeps the searcher at its fastest (slim
/// Teddy) and the end of a word is rarer than its start (`sona` is in every
/// `personal`).
const SPELLED_CASE_INSENSITIVE: usize = 4;

pub(crate) struct Prefilter {
    finder: Finder,
    literals: Vec<Literal>,
    /// Per detector: some keyword has no base64 form (it ignores case or
    /// is short), so an encoded secret may come with no encoded keyword.
    unencodable: Vec<bool>,
}

/// A keyword (or a base64 form of one) and the detectors it speaks for.
pub(crate) struct Literal {
    bytes: Vec<u8>,
    ignore_case: bool,
    /// A base64 form: its window must cover the whole run.
    pub encoded: bool,
    pub detectors: Vec<usize>,
    /// Other literals whose searched parts can occur at the same position
    /// (one is a prefix of the other): a leftmost-first search reports only
    /// one of them.
    partners: Vec<usize>,
    /// Where in `bytes` the part the searcher looks for starts.
    anchor: usize,
}

pub(crate) struct Hit {
    pub literal: usize,
    pub range: Range<usize>,
}

enum Finder {
    /// The searcher, and the literal each of its spellings stands for.
    Packed(packed::Searcher, Vec<usize>),
    Automaton(AhoCorasick),
}

impl Prefilter {
    pub fn new(detectors: &[Detector]) -> Result<Prefilter, aho_corasick::BuildError> {
        let mut literals: Vec<Literal> = Vec::new();
        let mut known: HashMap<(Vec<u8>, bool, bool), usize> = HashMap::new();
        let mut add = |bytes: Vec<u8>, ignore_case: bool, encoded: bool, detector: usize| match known.entry((
            bytes,
            ignore_case,
            encoded,
        )) {
            Entry::Occupied(at) => {
                let literal = &mut literals[*at.get()];
                if !literal.detectors.contains(&detector) {
                    literal.detectors.push(detector);
                }
            }
            Entry::Vacant(slot) => {
                let bytes = slot.key().0.clone();
                slot.insert(literals.len());
                let anchor = if ignore_case { bytes.len().saturating_sub(SPELLED_CASE_INSENSITIVE) } else { 0 };
                literals.push(Literal {
                    bytes,
                    ignore_case,
                    encoded,
                    detectors: vec![detector],
                    partners: vec![],
                    anchor,
                });
            }
        };
        let encodable =
            |detector: &Detector, keyword: &[u8]| !detector.ignore_case && keyword.len() >= MIN_ENCODED_KEYWORD;
        let unencodable = detectors.iter().map(|d| d.keywords.iter().any(|k| !encodable(d, k))).collect();
        for (index, detector) in detectors.iter().enumerate() {
            for keyword in &detector.keywords {
                add(keyword.clone(), detector.ignore_case, false, index);
                if encodable(detector, keyword) {
                    for form in decode::encoded_forms(keyword) {
                        add(form, false, true, index);
                    }
                }
            }
        }
        link_partners(&mut literals);
        let finder = match packed_searcher(&literals) {
            Some((searcher, owners)) => Finder::Packed(searcher, owners),
            None => Finder::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .ascii_case_insensitive(literals.iter().any(|l| l.ignore_case))
                    .build(literals.iter().map(Literal::searched))?,
            ),
        };
        Ok(Prefilter { finder, literals, unencodable })
    }

    /// Whether plain-keyword windows of `detector` must also be read with
    /// their base64 decoded.
    pub fn decodes_plain_windows(&self, detector: usize) -> bool {
        self.unencodable[detector]
    }

    pub fn literal(&self, index: usize) -> &Literal {
        &self.literals[index]
    }

    /// Every occurrence of every literal, overlapping ones included, so that
    /// one rule's keyword never hides another's.
    pub fn hits<'h>(&'h self, hay: &'h [u8]) -> impl Iterator<Item = Hit> + 'h {
        let mut from = 0;
        let mut pending: Vec<Hit> = Vec::new();
        std::iter::from_fn(move || {
            while pending.is_empty() {
                // Where the searched part of a literal was found.
                let (at, index) = self.next(hay, from)?;
                // Resuming one byte on, not after the hit, finds overlaps.
                from = at + 1;
                for candidate in std::iter::once(index).chain(self.literals[index].partners.iter().copied()) {
                    let literal = &self.literals[candidate];
                    let Some(start) = at.checked_sub(literal.anchor) else { continue };
                    if literal.occurs_at(hay, start) {
                        pending.push(Hit { literal: candidate, range: start..start + literal.bytes.len() });
                    }
                }
            }
            pending.pop()
        })
    }

    /// The leftmost occurrence at or after `from` of a literal's searched
    /// part: where it starts, and the literal.
    fn next(&self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        if from >= hay.len() {
            return None;
        }
        match &self.finder {
            Finder::Packed(searcher, owners) => searcher
                .find_in(hay, aho_corasick::Span::from(from..hay.len()))
                .map(|m| (m.start(), owners[m.pattern().as_usize()])),
            Finder::Automaton(automaton) => {
                automaton.find(Input::new(hay).range(from..)).map(|m| (m.start(), m.pattern().as_usize()))
            }
        }
    }
}

impl Literal {
    fn occurs_at(&self, hay: &[u8], start: usize) -> bool {
        hay.get(start..start + self.bytes.len()).is_some_and(|head| {
            if self.ignore_case { head.eq_ignore_ascii_case(&self.bytes) } else { head == self.bytes }
        })
    }

    /// The part the searcher looks for.
    fn searched(&self) -> &[u8] {
        &self.bytes[self.anchor..]
    }

    /// Whether the searched parts of both can match at one position: one is
    /// a prefix of the other.
    fn shares_prefix_with(&self, other: &Literal) -> bool {
        let (a, b) = (self.searched(), other.searched());
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        if self.ignore_case || other.ignore_case { a.eq_ignore_ascii_case(b) } else { a == b }
    }
}

/// Sets each literal's partners: the others that can match where it does
/// (one a prefix of the other). Each literal looks up its own prefixes, in
/// lower case, so a rule with 100,000 keywords costs their total length,
/// not the square of their number.
fn link_partners(literals: &mut [Literal]) {
    let mut by_lowercase: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (index, literal) in literals.iter().enumerate() {
        by_lowercase.entry(literal.searched().to_ascii_lowercase()).or_default().push(index);
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (index, literal) in literals.iter().enumerate() {
        let lower = literal.searched().to_ascii_lowercase();
        for length in 1..=lower.len() {
            for &other in by_lowercase.get(&lower[..length]).into_iter().flatten() {
                if other != index && literal.shares_prefix_with(&literals[other]) {
                    pairs.push((index, other));
                }
            }
        }
    }
    for (a, b) in pairs {
        literals[a].partners.push(b);
        literals[b].partners.push(a);
    }
    for literal in literals.iter_mut() {
        literal.partners.sort_unstable();
        literal.partners.dedup();
    }
}

/// A Teddy searcher over every literal, case-insensitive ones spelled out in
/// every case; `None` when there would be too many for Teddy or Teddy is not
/// available on this CPU.
fn packed_searcher(literals: &[Literal]) -> Option<(packed::Searcher, Vec<usize>)> {
    let mut spelled: Vec<Vec<u8>> = Vec::new();
    let mut owners = Vec::new();
    for (index, literal) in literals.iter().enumerate() {
        let variants = if literal.ignore_case {
            case_variants(literal.searched(), PACKED_LIMIT)?
        } else {
            vec![literal.bytes.clone()]
        };
        owners.extend(std::iter::repeat_n(index, variants.len()));
        spelled.extend(variants);
        if spelled.len() > PACKED_LIMIT {
            return None;
        }
    }
    let searcher = packed::Config::new()
        .match_kind(packed::MatchKind::LeftmostFirst)
        .only_teddy_fat(Some(false))
        .builder()
        .extend(&spelled)
        .build()?;
    Some((searcher, owners))
}

/// Every spelling of `word` in upper and lower ASCII case, or `None` if
/// there are more than `limit`.
fn case_variants(word: &[u8], limit: usize) -> Option<Vec<Vec<u8>>> {
    let letters = word.iter().filter(|b| b.is_ascii_alphabetic()).count();
    if letters >= usize::BITS as usize || 1usize << letters > limit {
        return None;
    }
    let mut variants = vec![Vec::with_capacity(word.len())];
    for &b in word {
        if b.is_ascii_alphabetic() {
            let upper: Vec<Vec<u8>> =
                variants.iter().map(|v| [v.as_slice(), &[b.to_ascii_uppercase()]].concat()).collect();
            for v in &mut variants {
                v.push(b.to_ascii_lowercase());
            }
            variants.extend(upper);
        } else {
            for v in &mut variants {
                v.push(b);
            }
        }
    }
    Some(variants)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Pattern;

    fn detector(keywords: &[&str], ignore_case: bool) -> Detector {
        Detector {
            keywords: keywords.iter().map(|k| k.as_bytes().to_vec()).collect(),
            ignore_case,
            patterns: vec![Pattern::new("(x)", None).unwrap()],
            entropy_min: None,
        }
    }

    fn hits(prefilter: &Prefilter, hay: &str) -> Vec<(usize, Range<usize>)> {
        let mut found: Vec<_> = prefilter.hits(hay.as_bytes()).map(|h| (h.literal, h.range)).collect();
        found.sort_by_key(|(l, r)| (r.start, *l));
        found
    }

    #[test]
    fn case_variants_spell_every_case() {
        let variants = case_variants(b"a_b", 64).unwrap();
        assert_eq!(variants.len(), 4);
        assert!(variants.contains(&b"A_b".to_vec()) && variants.contains(&b"a_B".to_vec()));
        assert!(case_variants(b"abcdefghijklmnop", 64).is_none());
    }

    #[test]
    fn overlapping_and_case_insensitive_hits_are_all_reported() {
        let prefilter =
            Prefilter::new(&[detector(&["sqco_"], false), detector(&["sonar"], true), detector(&["qco"], false)])
                .unwrap();
        let found = hits(&prefilter, "x SoNaR sqco_ y");
        let literals: Vec<&[u8]> = found.iter().map(|(l, _)| prefilter.literal(*l).bytes.as_slice()).collect();
        assert_eq!(literals, vec![b"sonar".as_slice(), b"sqco_", b"qco"]);
        assert_eq!(found[0].1, 2..7);
    }

    #[test]
    fn the_automaton_fallback_finds_the_same_hits() {
        let many = ["alphabet", "bravo", "charlie", "delta", "echo"];
        let prefilter = Prefilter::new(&[detector(&["sqco_"], false), detector(&many, true)]).unwrap();
        assert!(matches!(prefilter.finder, Finder::Automaton(_)), "5 x 16 spellings are too many for Teddy");
        let hay = "sqco_ ALPHAbet sqco_ ecHO";
        let found = hits(&prefilter, hay);
        assert_eq!(found.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(), vec![0..5, 6..14, 15..20, 21..25]);
    }

    #[test]
    fn a_case_insensitive_keyword_is_searched_by_its_end_and_confirmed_whole() {
        let prefilter = Prefilter::new(&[detector(&["sonar"], true), detector(&["onar_x"], false)]).unwrap();
        assert!(matches!(prefilter.finder, Finder::Packed(..)));
        let found = hits(&prefilter, "sonar_x monarch SoNaR");
        let named: Vec<(&[u8], Range<usize>)> =
            found.iter().map(|(l, r)| (prefilter.literal(*l).bytes.as_slice(), r.clone())).collect();
        assert_eq!(named, vec![(b"sonar".as_slice(), 0..5), (b"onar_x", 1..7), (b"sonar", 16..21)]);
    }

    /// Issue 14 (low): partners were found by comparing every pair of
    /// literals; now each literal looks up its prefixes. Same answer.
    #[test]
    fn partners_are_every_literal_that_can_match_at_the_same_place() {
        let prefilter = Prefilter::new(&[
            detector(&["sonar", "sonar_token", "son"], false),
            detector(&["SON"], true),
            detector(&["SONAR"], false),
        ])
        .unwrap();
        let name = |i: usize| String::from_utf8_lossy(&prefilter.literal(i).bytes).into_owned();
        let index = |text: &str| (0..prefilter.literals.len()).find(|&i| name(i) == text).unwrap();
        let partners = |text: &str| {
            let mut list: Vec<String> = prefilter.literal(index(text)).partners.iter().map(|&i| name(i)).collect();
            list.sort();
            list
        };
        // The brute-force answer, pair by pair.
        for i in 0..prefilter.literals.len() {
            let expected: Vec<usize> = (0..prefilter.literals.len())
                .filter(|&j| j != i && prefilter.literals[i].shares_prefix_with(&prefilter.literals[j]))
                .collect();
            assert_eq!(prefilter.literals[i].partners, expected, "{}", name(i));
        }
        assert_eq!(partners("SONAR"), ["SON"]);
        let mut expected = vec!["SONAR", "son", "sonar", "sonar_token"];
        expected.sort();
        assert_eq!(partners("SON"), expected);
    }
}
