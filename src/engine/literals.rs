//! Tokens split across string literals: `"sqco_AbC…" + "…xyz"` (JS, Java,
//! C#, Kotlin, Go), `'…' . '…'` (PHP), `"…" & _` (VB), `'…' || '…'` (SQL),
//! Python's and C's implicit concatenation, shell's adjacent quotes, on one
//! line or across a line break. A window is read with each such join
//! removed, so that the two halves read as the one token they make.

use super::decode::MappedView;

/// Operators that join two literals, longest first.
const JOINERS: [&[u8]; 6] = [b"..", b"||", b"+", b".", b"&", b"~"];

fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// A token's characters: a split is only worth joining between two of them.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The window with every join between two literals removed (closing quote,
/// operator, line break, opening quote), where both sides of the join are
/// token characters; `None` when there is no such join.
pub(crate) fn joined(window: &[u8]) -> Option<MappedView> {
    let mut view: Option<MappedView> = None;
    let mut copied = 0;
    let mut from = 1;
    while let Some(found) = window.get(from..).and_then(|rest| memchr::memchr3(b'"', b'\'', b'`', rest)) {
        let i = from + found;
        from = i + 1;
        if !is_token_byte(window[i - 1]) {
            continue;
        }
        let Some(open) = opening_quote(window, i + 1) else { continue };
        if !window.get(open + 1).is_some_and(|&b| is_token_byte(b)) {
            continue;
        }
        let view = view.get_or_insert_with(|| MappedView::with_capacity(window.len()));
        for (at, &b) in window.iter().enumerate().take(i).skip(copied) {
            view.push(b, at..at + 1);
        }
        copied = open + 1;
        from = open + 1;
    }
    let mut view = view?;
    for (at, &b) in window.iter().enumerate().skip(copied) {
        view.push(b, at..at + 1);
    }
    Some(view)
}

/// After a closing quote at `from - 1`: the opening quote of the literal it
/// joins, past spaces, at most one operator and at most one line break
/// (with a `\` or VB's `_` continuation before it).
fn opening_quote(window: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let mut joiner = false;
    let mut breaks = 0;
    while let Some(&b) = window.get(i) {
        match b {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\n' if breaks == 0 => {
                breaks += 1;
                i += 1;
            }
            b'\\' | b'_' if window.get(i + 1..i + 2) == Some(b"\n") || window.get(i + 1..i + 3) == Some(b"\r\n") => {
                i += 1
            }
            _ if is_quote(b) => return Some(i),
            _ if !joiner => {
                let op = JOINERS.iter().find(|op| window[i..].starts_with(op))?;
                joiner = true;
                i += op.len();
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined_text(window: &str) -> Option<String> {
        joined(window.as_bytes()).map(|v| String::from_utf8(v.bytes).unwrap())
    }

    #[test]
    fn joins_literals_split_in_a_token() {
        for (written, read) in [
            (r#"t = "sqco_ab" + "cd";"#, r#"t = "sqco_abcd";"#),
            (r#"t = 'sqco_ab' . 'cd';"#, r#"t = 'sqco_abcd';"#),
            ("t = (\"sqco_ab\"\n     \"cd\")", "t = (\"sqco_abcd\")"),
            ("t = \"sqco_ab\" +\n  \"cd\"", "t = \"sqco_abcd\""),
            ("t = \"sqco_ab\"\n  + \"cd\"", "t = \"sqco_abcd\""),
            ("t = \"sqco_ab\" & _\r\n  \"cd\"", "t = \"sqco_abcd\""),
            (r#"T="sqco_ab"'cd'"#, r#"T="sqco_abcd'"#),
            ("a = `x1` ~ `y2` || 'z3'", "a = `x1y2z3'"),
        ] {
            assert_eq!(joined_text(written).as_deref(), Some(read), "{written}");
        }
    }

    #[test]
    fn leaves_everything_else_alone() {
        for text in [
            r#"{"key": "value", "other": "x"}"#,
            r#"f("a", "b") + g("c")"#,
            r#"x = "a " + "b""#,
            r#"x = "" + y"#,
            "- \"abc\"\n- \"def\"",
            "\"ab\"\n\n\"cd\"",
            r#"s = "say \"hi\" + \"there\"""#,
        ] {
            assert_eq!(joined_text(text), None, "{text}");
        }
    }

    #[test]
    fn a_join_maps_back_across_the_fragments() {
        let window = br#"k = "ab" + "cd" ;"#;
        let view = joined(window).unwrap();
        assert_eq!(view.bytes, br#"k = "abcd" ;"#.to_vec());
        assert_eq!(view.to_window(&(5..9)), Some(5..14), "from the first fragment to the last");
        assert_eq!(view.to_window(&(0..1)), None, "untouched text is the plain scan's");
    }
}
