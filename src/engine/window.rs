//! Windows: the stretches of input around keyword hits where a rule's
//! regexes run. A window spans whole lines (as many around the hit as the
//! rule's contexts reach), capped in bytes so that a megabyte-long minified
//! line costs no more than a short one.

use std::ops::Range;

use memchr::{memchr, memrchr};

use super::decode;

/// Bytes a window may reach each way per line it spans.
const REACH_PER_LINE: usize = 1024;
/// How far an encoded keyword's base64 run is followed each way.
const ENCODED_RUN_REACH: usize = 64 * 1024;

/// A stretch to search for one detector; `encoded` when a base64 form of
/// a keyword led to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    pub range: Range<usize>,
    pub encoded: bool,
}

/// The window for a hit: `lines` lines above and below the hit's line(s).
/// A hit on an encoded keyword first widens to its whole base64 run, so that
/// the run decodes from its true start.
pub(crate) fn around(hay: &[u8], hit: Range<usize>, lines: usize, encoded: bool) -> Range<usize> {
    let core = if encoded { decode::run_around(hay, hit, ENCODED_RUN_REACH) } else { hit };
    let reach = REACH_PER_LINE * (lines + 1);
    let start = lines_up(hay, core.start, lines, core.start.saturating_sub(reach));
    start..end_after(hay, core, lines)
}

/// Where the window for `hit` ends; alone, for a plain hit inside a window
/// already open, whose start is that window's.
pub(crate) fn end_after(hay: &[u8], hit: Range<usize>, lines: usize) -> usize {
    let reach = REACH_PER_LINE * (lines + 1);
    word_end(hay, lines_down(hay, hit.end, lines, (hit.end + reach).min(hay.len())))
}

/// The stretch of lines `above` before and `below` after `span`'s lines.
pub(crate) fn lines_around(hay: &[u8], span: &Range<usize>, above: usize, below: usize) -> Range<usize> {
    let start = lines_up(hay, span.start, above, span.start.saturating_sub(REACH_PER_LINE * (above + 1)));
    let end = lines_down(hay, span.end, below, (span.end + REACH_PER_LINE * (below + 1)).min(hay.len()));
    start..end
}

/// What encloses `at`, nearest first, within `above` lines up: the text
/// before it on its line (an inline `"key": {`), then each line less
/// indented than the one it encloses (a YAML, JSON or XML parent), up to
/// one at the margin, or a `[table]` header, which encloses everything
/// below it. Blank and comment lines are passed over.
pub(crate) fn enclosing_lines(hay: &[u8], at: usize, above: usize) -> Vec<Range<usize>> {
    let floor = at.saturating_sub(REACH_PER_LINE * (above + 1));
    let mut start = lines_up(hay, at, 0, floor);
    let mut indent = indentation(&hay[start..]);
    // The text before `at` on its line comes first.
    let own_line = start..at;
    let mut found = Vec::with_capacity(4);
    found.push(own_line);
    for _ in 0..above {
        if start <= floor || indent == 0 && found.len() > 1 {
            break;
        }
        let end = start - 1;
        start = lines_up(hay, end, 0, floor);
        let line = &hay[start..end];
        let text = line.trim_ascii();
        if text.is_empty() || text.starts_with(b"#") || text.starts_with(b"//") {
            continue;
        }
        if text.starts_with(b"[") && text.ends_with(b"]") && !text.contains(&b',') {
            found.push(start..end);
            break;
        }
        let this = indentation(line);
        if this < indent {
            found.push(start..end);
            indent = this;
        }
    }
    found
}

/// Leading spaces and tabs of a line.
fn indentation(line: &[u8]) -> usize {
    line.iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

/// The end of the line after the one that ends at `end`: where a literal
/// split at the end of a window's last line goes on.
pub(crate) fn one_line_more(hay: &[u8], end: usize) -> usize {
    lines_down(hay, end, 1, (end + REACH_PER_LINE).min(hay.len()))
}

/// Start of the line `lines` lines above the one holding `at`, not before `floor`.
fn lines_up(hay: &[u8], at: usize, lines: usize, floor: usize) -> usize {
    let mut start = at;
    for step in 0..=lines {
        start = memrchr(b'\n', &hay[floor..start]).map_or(floor, |i| floor + i + 1);
        if step == lines || start <= floor {
            break;
        }
        start -= 1;
    }
    start
}

/// End of the line `lines` lines below the one holding `at` (before its
/// newline), not after `ceiling`.
fn lines_down(hay: &[u8], at: usize, lines: usize, ceiling: usize) -> usize {
    let mut end = at.min(ceiling);
    for step in 0..=lines {
        end = memchr(b'\n', &hay[end..ceiling]).map_or(ceiling, |i| end + i);
        if step == lines || end >= ceiling {
            break;
        }
        end += 1;
    }
    end
}

/// Moves a window's end past any word it cuts, so that a `\b` at the end of
/// the window is a real word boundary. Bounded, like everything here.
fn word_end(hay: &[u8], end: usize) -> usize {
    let limit = (end + ENCODED_RUN_REACH).min(hay.len());
    hay[end..limit].iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'_')).map_or(limit, |i| end + i)
}

/// Merges one detector's windows that overlap or touch, so that no byte is
/// searched twice for the same rule; sorts them first if they came out of
/// order (an encoded keyword's window reaches back over its run).
pub(crate) fn merge(windows: &mut Vec<Window>) {
    if !windows.is_sorted_by_key(|w| w.range.start) {
        windows.sort_unstable_by_key(|w| w.range.start);
    }
    let mut merged: Vec<Window> = Vec::with_capacity(windows.len());
    for w in windows.drain(..) {
        match merged.last_mut() {
            Some(last) if w.range.start <= last.range.end => {
                last.range.end = last.range.end.max(w.range.end);
                last.encoded |= w.encoded;
            }
            _ => merged.push(w),
        }
    }
    *windows = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] = b"one\ntwo\nthree KEY here\nfour\nfive\n";

    fn key() -> Range<usize> {
        let at = TEXT.windows(3).position(|w| w == b"KEY").unwrap();
        at..at + 3
    }

    #[test]
    fn a_window_spans_whole_lines() {
        let w = around(TEXT, key(), 0, false);
        assert_eq!(&TEXT[w], b"three KEY here");
        let w = around(TEXT, key(), 1, false);
        assert_eq!(&TEXT[w], b"two\nthree KEY here\nfour");
        let w = around(TEXT, key(), 9, false);
        assert_eq!(&TEXT[w], TEXT, "reaches the empty line after the last newline");
    }

    #[test]
    fn a_window_on_a_huge_line_is_capped() {
        let mut hay = b"abc;".repeat(2_500_000);
        hay[5_000_000..5_000_003].copy_from_slice(b"KEY");
        let w = around(&hay, 5_000_000..5_000_003, 0, false);
        assert!(w.len() <= 2 * REACH_PER_LINE + 100, "{w:?}");
        assert!(w.contains(&5_000_000));
    }

    #[test]
    fn enclosing_lines_climb_the_indentation() {
        let text = b"top: 1\nsonar:\n  url: x\n  # note\n  auth:\n\n    user: u\n    token: T\n";
        let at = text.windows(1).position(|w| w == b"T").unwrap();
        let lines: Vec<&[u8]> = enclosing_lines(text, at, 20).into_iter().map(|r| &text[r]).collect();
        assert_eq!(lines, vec![&b"    token: "[..], b"  auth:", b"sonar:"]);
        assert_eq!(enclosing_lines(text, at, 3).len(), 2, "within `above` lines only");
        let toml = b"[sonar.auth]\nurl = 1\ntoken = T\n";
        let at = toml.len() - 2;
        let lines: Vec<&[u8]> = enclosing_lines(toml, at, 20).into_iter().map(|r| &toml[r]).collect();
        assert_eq!(lines, vec![&b"token = "[..], b"[sonar.auth]"]);
    }

    #[test]
    fn overlapping_and_touching_windows_merge() {
        let w = |range: Range<usize>, encoded| Window { range, encoded };
        let mut windows = vec![w(10..20, false), w(12..14, true), w(0..10, false), w(30..40, false)];
        merge(&mut windows);
        assert_eq!(windows, vec![w(0..20, true), w(30..40, false)]);
    }
}
