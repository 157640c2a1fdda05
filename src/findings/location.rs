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

/// The secret's line, cut to a readable length around the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub before: String,
    pub secret: String,
    pub after: String,
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

    pub fn snippet(&self, span: &Range<usize>) -> Snippet {
        let line = self.line_range(span.start);
        let end = span.end.min(line.end);
        let from = char_boundary(self.bytes, span.start.saturating_sub(SNIPPET_CONTEXT).max(line.start));
        let to = char_boundary(self.bytes, (end + SNIPPET_CONTEXT).min(line.end));
        let mut before = printable(&self.bytes[from..span.start]);
        if from > line.start {
            before.insert(0, '…');
        }
        let mut after = printable(&self.bytes[end..to]);
        if to < line.end {
            after.push('…');
        }
        Snippet { before, secret: printable(&self.bytes[span.start..end]), after }
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
    /// The line with the secret shown as `shown` (its redacted form, or itself).
    pub fn render(&self, shown: &str) -> String {
        format!("{}{shown}{}", self.before, self.after)
    }
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
        let snippet = locator.snippet(&span_of(hay.as_bytes(), "TOKEN"));
        let text = snippet.render("T…N");
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.contains("\u{FFFD}[31m T…N end"), "{text}");
        assert!(text.chars().count() < 140, "{text}");
    }
}
