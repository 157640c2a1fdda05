//! What one rule asks of the engine: the keywords that make a place worth a
//! look, the regexes that confirm a secret there, and the checks a candidate
//! must pass. Built from rule files by `rules`; knows nothing of them.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

/// The matching half of a rule.
#[derive(Debug, Clone)]
pub struct Detector {
    /// Literals of which at least one occurs near every secret of this rule.
    pub keywords: Vec<Vec<u8>>,
    /// Keywords match without regard to ASCII case.
    pub ignore_case: bool,
    /// Each pattern can find a secret on its own.
    pub patterns: Vec<Pattern>,
    /// Minimum Shannon entropy (bits per byte) of the secret, prefix excluded.
    pub entropy_min: Option<f64>,
}

/// A regex whose single capture group is the secret, and an optional context
/// that must be found around it.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub regex: LazyRegex,
    pub context: Option<Context>,
    /// Found around a candidate, rejects it: it belongs to another service
    /// (`github:` > `token: HEX` next to a Sonar URL).
    pub veto: Option<Context>,
    /// Set for a pattern that reads a whole small input whatever its
    /// keywords, when the input's name (its path) matches this: a file
    /// named for the token it holds (`.sonar_token`) needs no other context.
    pub path: Option<LazyRegex>,
}

/// A regex that must match within `above` lines before and `below` lines
/// after the secret's line (the secret's own line included); or, when
/// `enclosing`, on what encloses the secret within `above` lines: the text
/// before it on its line, then each line less indented than the last (a
/// YAML, JSON or XML parent), or the `[table]` header above it.
#[derive(Debug, Clone)]
pub struct Context {
    pub regex: LazyRegex,
    pub above: usize,
    pub below: usize,
    pub enclosing: bool,
}

/// A regex compiled on first use, or at once. The built-in rules' regexes
/// take milliseconds to parse and compile, and most runs (a pre-commit hook
/// on a change that mentions no token) never need one; the test suite
/// checks them as it checks a user's rule, so at run time they are trusted
/// and compiled late. A user's rules are compiled when loaded, so that a
/// bad one is an error before anything is scanned.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    source: String,
    compiled: OnceLock<Regex>,
}

impl LazyRegex {
    fn eager(source: &str) -> Result<LazyRegex, PatternError> {
        let compiled = OnceLock::new();
        let _ = compiled.set(compile(source)?);
        Ok(LazyRegex { source: source.to_string(), compiled })
    }

    /// Not even parsed now; compiled on first use.
    fn trusted(source: &str) -> LazyRegex {
        LazyRegex { source: source.to_string(), compiled: OnceLock::new() }
    }

    pub fn get(&self) -> &Regex {
        // A parsed regex that then fails to compile can only exceed the
        // size limit; it then matches nothing rather than panicking.
        self.compiled.get_or_init(|| compile(&self.source).unwrap_or_else(|_| never()))
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// A regex that matches nothing.
fn never() -> Regex {
    static NEVER: OnceLock<Regex> = OnceLock::new();
    NEVER
        .get_or_init(|| RegexBuilder::new(r"[^\x00-\xFF]").unicode(false).build().unwrap_or_else(|_| unreachable!()))
        .clone()
}

/// Why a pattern cannot be used; its text is one line, fit for an error message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PatternError {
    #[error("{0}")]
    Syntax(String),
    #[error("needs exactly one capture group (the secret), found {0}")]
    CaptureGroups(usize),
    #[error("its capture group can match nothing at all: a secret is never empty")]
    EmptySecret,
}

impl Detector {
    /// How many lines around a keyword a secret of this rule may sit: the
    /// widest context any of its patterns asks for.
    pub fn reach_lines(&self) -> usize {
        self.patterns
            .iter()
            .flat_map(|p| p.context.iter().chain(&p.veto))
            .map(|c| c.above.max(c.below))
            .max()
            .unwrap_or(0)
    }

    /// The secret without a leading keyword (`sqco_`), which is not random and
    /// so must not count toward entropy or placeholder checks.
    pub(crate) fn body<'a>(&self, secret: &'a [u8]) -> &'a [u8] {
        self.keywords
            .iter()
            .find(|k| {
                secret.len() >= k.len()
                    && if self.ignore_case { secret[..k.len()].eq_ignore_ascii_case(k) } else { secret.starts_with(k) }
            })
            .map_or(secret, |k| &secret[k.len()..])
    }
}

impl Pattern {
    /// Compiles a secret pattern: it must have exactly one capture group,
    /// which cannot match nothing.
    pub fn new(source: &str, context: Option<Context>) -> Result<Pattern, PatternError> {
        Pattern::checked(LazyRegex::eager(source)?, context)
    }

    /// A pattern of the built-in rules: unchecked (the test suite checks
    /// them as [`Pattern::new`] does), compiled on first use.
    pub fn trusted(source: &str, context: Option<Context>) -> Pattern {
        Pattern { regex: LazyRegex::trusted(source), context, veto: None, path: None }
    }

    fn checked(regex: LazyRegex, context: Option<Context>) -> Result<Pattern, PatternError> {
        let hir = parse(regex.as_str())?;
        let groups = hir.properties().explicit_captures_len();
        if groups != 1 {
            return Err(PatternError::CaptureGroups(groups));
        }
        if secret_may_be_empty(&hir) {
            return Err(PatternError::EmptySecret);
        }
        Ok(Pattern { regex, context, veto: None, path: None })
    }

    /// Rejects candidates around which `veto` is found.
    pub fn with_veto(mut self, veto: Context) -> Pattern {
        self.veto = Some(veto);
        self
    }

    /// Restricts the pattern to inputs whose path matches `source`, and lets
    /// it read them whole; checked now, compiled when first needed.
    pub fn with_path(self, source: &str) -> Result<Pattern, PatternError> {
        parse(source)?;
        Ok(self.with_trusted_path(source))
    }

    /// [`Pattern::with_path`] for the built-in rules: not even parsed now.
    pub fn with_trusted_path(mut self, source: &str) -> Pattern {
        self.path = Some(LazyRegex::trusted(source));
        self
    }
}

impl Context {
    pub fn new(source: &str, above: usize, below: usize) -> Result<Context, PatternError> {
        Ok(Context { regex: LazyRegex::eager(source)?, above, below, enclosing: false })
    }

    /// Unchecked, compiled on first use (built-in rules, as [`Pattern::trusted`]).
    pub fn trusted(source: &str, above: usize, below: usize) -> Context {
        Context { regex: LazyRegex::trusted(source), above, below, enclosing: false }
    }

    /// Tried on the enclosing lines within `above` lines up, not on every line.
    pub fn enclosing(self) -> Context {
        Context { enclosing: true, below: 0, ..self }
    }
}

/// A pattern parsed as the engine reads it (bytes, Unicode off).
fn parse(source: &str) -> Result<regex_syntax::hir::Hir, PatternError> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(source)
        .map_err(|e| PatternError::Syntax(one_line(&e.to_string())))
}

/// Whether the pattern's capture group (the secret) can match the empty
/// string, judged on the parsed pattern.
fn secret_may_be_empty(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Hir, HirKind};
    fn group(hir: &Hir) -> Option<&Hir> {
        match hir.kind() {
            HirKind::Capture(capture) if capture.index == 1 => Some(hir),
            HirKind::Capture(capture) => group(&capture.sub),
            HirKind::Repetition(repetition) => group(&repetition.sub),
            HirKind::Concat(all) | HirKind::Alternation(all) => all.iter().find_map(group),
            _ => None,
        }
    }
    group(hir).is_some_and(|g| g.properties().minimum_len() == Some(0))
}

/// Compiles a regex the way the engine runs every regex: over bytes, with
/// Unicode off, so `\b`, `\w` and `(?i)` are ASCII and invalid UTF-8 is fine.
pub fn compile(source: &str) -> Result<Regex, PatternError> {
    RegexBuilder::new(source)
        .unicode(false)
        .size_limit(16 << 20)
        .build()
        .map_err(|e| PatternError::Syntax(one_line(&e.to_string())))
}

/// The regex crate explains a syntax error over several lines (pattern, caret,
/// message); keep the message and the caret's column.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message.lines().collect();
    let what = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| lines.last().copied().unwrap_or(message));
    match lines.iter().position(|l| l.trim_start().starts_with('^')) {
        Some(caret) => {
            let column = (lines[caret].find('^').unwrap_or(4) + 1).saturating_sub(4);
            format!("{what} (at column {column})")
        }
        None => what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 (low): a rule whose capture group can match empty was accepted.
    #[test]
    fn a_capture_group_that_can_match_empty_is_refused() {
        for bad in ["key=(\\w*)", "x(a?)", "(?:k=(|sqp_[0-9a-f]{40}))"] {
            assert_eq!(Pattern::new(bad, None).err(), Some(PatternError::EmptySecret), "{bad}");
        }
        for good in ["key=(\\w+)", "(sqp_[0-9a-f]{40})\\b", "(?:a|b)=(x+)"] {
            assert!(Pattern::new(good, None).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_trusted_pattern_is_compiled_on_first_use() {
        let pattern = Pattern::trusted(r"key=(\w+)", None);
        assert!(pattern.regex.compiled.get().is_none());
        assert!(pattern.regex.get().is_match(b"key=abc"));
        assert!(!never().is_match(b"") && !never().is_match(b"\x00\xff anything"));
    }

    #[test]
    fn a_pattern_needs_exactly_one_capture_group() {
        assert_eq!(Pattern::new(r"sqco_\w+", None).unwrap_err(), PatternError::CaptureGroups(0));
        assert_eq!(Pattern::new(r"(a)(b)", None).unwrap_err(), PatternError::CaptureGroups(2));
        assert!(Pattern::new(r"(?:x)(sqco_\w+)", None).is_ok());
    }

    #[test]
    fn syntax_errors_are_one_line_with_a_column() {
        let PatternError::Syntax(text) = compile(r"ab(cd").unwrap_err() else {
            panic!("expected a syntax error");
        };
        assert!(!text.contains('\n'), "{text}");
        assert!(text.contains("unclosed group"), "{text}");
        assert!(text.contains("column 3"), "{text}");
    }

    #[test]
    fn body_strips_a_leading_keyword() {
        let detector =
            Detector { keywords: vec![b"sqco_".to_vec()], ignore_case: false, patterns: vec![], entropy_min: None };
        assert_eq!(detector.body(b"sqco_abc"), b"abc");
        assert_eq!(detector.body(b"SQCO_abc"), b"SQCO_abc");
    }
}
