//! Where a match sits, in the terms people use: line, column, and the line
//! itself as a short snippet in which the secret can be masked.

use std::ops::Range;

use memchr::{memchr, memrchr};

/// 1-based line and columns. Columns count bytes of the line; the `char_`
/// ones count characters (for SARIF viewers), treating each invalid UTF-8
/// byte as one character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub end_column: usize,
    pub char_column: usize,
    pub char_end_column: usize,
}

/// The secret's line, cut to a readable length around the secret, with
/// every secret on it (this finding's and any other) kept apart so that
/// rendering can mask each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A secret: as written in the input, and its redacted form.
    Secret {
        text: String,
        redacted: String,
    },
}

/// A secret's place in the input and how it shows when redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    pub span: Range<usize>,
    pub redacted: String,
}

/// Bytes of context kept on each side of the secret in a snippet.
const SNIPPET_CONTEXT: usize = 60;

/// Turns byte spans of one input into positions. Spans must come in
/// ascending order: lines are counted incrementally, so locating every match
/// of a file reads it once.
pub struct Locator<'a> {
    bytes: &'a [u8],
    first_line: usize,
    counted_to: usize,
    line: usize,
}

impl<'a> Locator<'a> {
    pub fn new(bytes: &'a [u8]) -> Locator<'a> {
        Locator::starting_at_line(bytes, 1)
    }

    /// For an input that continues another, whose first line is `line`.
    pub fn starting_at_line(bytes: &'a [u8], line: usize) -> Locator<'a> {
        Locator { bytes, first_line: line, counted_to: 0, line }
    }

    pub fn position(&mut self, span: &Range<usize>) -> Position {
        if span.start < self.counted_to {
            self.counted_to = 0;
            self.line = self.first_line;
        }
        self.line += memchr::memchr_iter(b'\n', &self.bytes[self.counted_to..span.start]).count();
        self.counted_to = span.start;
        let line = self.line_range(span.start);
        let end = span.end.min(line.end);
        let chars = |r: Range<usize>| self.bytes[r].iter().filter(|&&b| !is_continuation(b)).count();
        Position {
            line: self.line,
            column: span.start - line.start + 1,
            end_column: end - line.start + 1,
            char_column: chars(line.start..span.start) + 1,
            char_end_column: chars(line.start..end) + 1,
        }
    }

    /// The whole line holding `at`, without its line terminator.
    pub fn line_of(&self, at: usize) -> &'a [u8] {
        &self.bytes[self.line_range(at)]
    }

    /// The line around `span`, cut to a readable length. `masks` are every
    /// secret found in the input, sorted by start: those the cut line shows
    /// (even in part) are kept apart for masking, so that a line holding two
    /// tokens never prints the other one in full.
    pub fn snippet(&self, span: &Range<usize>, masks: &[Mask]) -> Snippet {
        let line = self.line_range(span.start);
        let end = span.end.min(line.end);
        let from = char_boundary(self.bytes, span.start.saturating_sub(SNIPPET_CONTEXT).max(line.start));
        let to = char_boundary(self.bytes, (end + SNIPPET_CONTEXT).min(line.end));
        let mut parts = Vec::new();
        if from > line.start {
            parts.push(Part::Text("…".to_string()));
        }
        let mut at = from;
        for mask in shown_masks(masks, from, to) {
            let start = mask.span.start.max(at);
            let stop = mask.span.end.min(to);
            if start >= stop {
                continue;
            }
            parts.push(Part::Text(printable(&self.bytes[at..start])));
            parts.push(Part::Secret { text: printable(&self.bytes[start..stop]), redacted: mask.redacted.clone() });
            at = stop;
        }
        parts.push(Part::Text(printable(&self.bytes[at..to])));
        if to < line.end {
            parts.push(Part::Text("…".to_string()));
        }
        parts.retain(|p| !matches!(p, Part::Text(t) if t.is_empty()));
        Snippet { parts }
    }

    fn line_range(&self, at: usize) -> Range<usize> {
        let start = memrchr(b'\n', &self.bytes[..at]).map_or(0, |i| i + 1);
        let mut end = memchr(b'\n', &self.bytes[at..]).map_or(self.bytes.len(), |i| at + i);
        if end > start && self.bytes[end - 1] == b'\r' {
            end -= 1;
        }
        start..end.max(start)
    }
}

impl Snippet {
    /// The line with every secret on it redacted, or (`redact` false) as
    /// written.
    pub fn render(&self, redact: bool) -> String {
        let mut line = String::new();
        for part in &self.parts {
            line.push_str(match part {
                Part::Text(text) => text,
                Part::Secret { redacted, .. } if redact => redacted,
                Part::Secret { text, .. } => text,
            });
        }
        line
    }
}

/// The masks that reach into `from..to`, in order. A mask starting before
/// the line is found by looking back a little: tokens are short and
/// matches are sorted by start.
fn shown_masks(masks: &[Mask], from: usize, to: usize) -> impl Iterator<Item = &Mask> {
    let first = masks.partition_point(|m| m.span.start < from);
    let back = first.saturating_sub(8);
    masks[back..].iter().take_while(move |m| m.span.start < to).filter(move |m| m.span.end > from)
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Moves back to the start of a UTF-8 character so a cut never splits one.
fn char_boundary(bytes: &[u8], mut at: usize) -> usize {
    let floor = at.saturating_sub(3);
    while at > floor && at < bytes.len() && is_continuation(bytes[at]) {
        at -= 1;
    }
    at
}

/// Text safe to print on a terminal: invalid UTF-8 and control characters
/// (escape sequences in a hostile file) become U+FFFD, tabs spaces.
fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of(hay: &[u8], needle: &str) -> Range<usize> {
        let at = hay.windows(needle.len()).position(|w| w == needle.as_bytes()).unwrap();
        at..at + needle.len()
    }

    #[test]
    fn lines_and_columns_on_crlf_and_without_final_newline() {
        let hay = b"first\r\nsecond TOKEN here\r\nlast TOKEN";
        let mut locator = Locator::new(hay);
        let p = locator.position(&span_of(hay, "TOKEN here"));
        assert_eq!((p.line, p.column, p.end_column), (2, 8, 18));
        let last = hay.len() - 5..hay.len();
        let p = locator.position(&last);
        assert_eq!((p.line, p.column, p.end_column), (3, 6, 11));
        assert_eq!(locator.line_of(last.start), b"last TOKEN");
        assert_eq!(locator.line_of(8), b"second TOKEN here");
    }

    #[test]
    fn char_columns_count_characters() {
        let hay = "é = TOKEN".as_bytes();
        let mut locator = Locator::new(hay);
        let p = locator.position(&span_of(hay, "TOKEN"));
        assert_eq!((p.column, p.char_column, p.char_end_column), (6, 5, 10));
    }

    #[test]
    fn snippets_are_cut_masked_and_printable() {
        let mut hay = "x".repeat(200);
        hay.push_str("\x1b[31m TOKEN\tend");
        hay.push_str(&"y".repeat(200));
        let locator = Locator::new(hay.as_bytes());
        let span = span_of(hay.as_bytes(), "TOKEN");
        let snippet = locator.snippet(&span, &[Mask { span: span.clone(), redacted: "T…N".to_string() }]);
        let text = snippet.render(true);
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.contains("\u{FFFD}[31m T…N end"), "{text}");
        assert!(text.chars().count() < 140, "{text}");
        assert!(snippet.render(false).contains(" TOKEN end"));
    }

    #[test]
    fn every_secret_on_the_line_is_masked_even_when_cut() {
        let hay = format!("A=FIRSTSECRET B=SECONDSECRET C={}THIRDSECRET", "z".repeat(70));
        let bytes = hay.as_bytes();
        let masks: Vec<Mask> = ["FIRSTSECRET", "SECONDSECRET", "THIRDSECRET"]
            .iter()
            .map(|s| Mask { span: span_of(bytes, s), redacted: format!("<{}>", &s[..1]) })
            .collect();
        let locator = Locator::new(bytes);
        let text = locator.snippet(&masks[1].span, &masks).render(true);
        assert!(text.starts_with("A=<F> B=<S> C=zz"), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
        // The third secret is cut off at the snippet's edge, and still masked.
        let cut = format!("A=SECONDSECRET {}THIRDSECRET", "z".repeat(53));
        let bytes = cut.as_bytes();
        let masks: Vec<Mask> = ["SECONDSECRET", "THIRDSECRET"]
            .iter()
            .map(|s| Mask { span: span_of(bytes, s), redacted: "<x>".to_string() })
            .collect();
        let text = Locator::new(bytes).snippet(&masks[0].span, &masks).render(true);
        assert!(!text.contains("THIRD") && text.contains("<x>"), "{text}");
    }
}
