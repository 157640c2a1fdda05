//! The rule file format (TOML) and its validation into [`Rule`]s.

use serde::Deserialize;

use super::{Counterexample, Example, LivenessCheck, Rule, RuleError, Severity};
use crate::engine::{Context, Detector, Pattern, PatternError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    name: String,
    description: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    help_uri: Option<String>,
    #[serde(default)]
    sonar_key: Option<String>,
    #[serde(default = "default_severity")]
    severity: Severity,
    #[serde(default)]
    cwe: Option<String>,
    #[serde(default)]
    verify: Option<String>,
    keywords: Vec<String>,
    #[serde(default)]
    ignore_case: bool,
    /// One pattern (with an optional `context`), or a list in `patterns`.
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    context: Option<ContextSpec>,
    #[serde(default)]
    patterns: Vec<PatternSpec>,
    #[serde(default)]
    entropy_min: Option<f64>,
    #[serde(default)]
    examples: Vec<ExampleSpec>,
    #[serde(default)]
    counterexamples: Vec<CounterexampleSpec>,
}

fn default_severity() -> Severity {
    Severity::Critical
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternSpec {
    regex: String,
    #[serde(default)]
    context: Option<ContextSpec>,
    /// A context that, found, rejects the candidate.
    #[serde(default)]
    unless: Option<ContextSpec>,
    /// Only in inputs whose path matches this, read whole.
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextSpec {
    regex: String,
    /// Shorthand for `above = below = lines`.
    #[serde(default)]
    lines: Option<usize>,
    #[serde(default)]
    above: Option<usize>,
    #[serde(default)]
    below: Option<usize>,
    /// Tried on the lines enclosing the secret's (by indentation, or a
    /// `[table]` header) within `above` lines, not on every line around.
    #[serde(default)]
    enclosing: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleSpec {
    text: String,
    secret: String,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CounterexampleSpec {
    text: String,
    #[serde(default)]
    path: Option<String>,
}

/// How far a context may reach; more would make windows, and scans, slow.
const MAX_CONTEXT_LINES: usize = 20;

/// Parses and validates one rule file.
/// `compiled`: check and compile every regex now (a user's rules, so that a
/// bad one is an error before scanning), or trust them and compile each on
/// first use (the built-in rules, which the test suite loads as a user's).
pub(super) fn parse(origin: &str, text: &str, compiled: bool) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| RuleError {
        origin: origin.to_string(),
        line: e.span().map(|span| line_of(text, span.start)),
        rule: None,
        message: crate::config::without_values(e.message()),
    })?;
    rules_of(origin, file, compiled)
}

/// A built-in rule file, from the JSON `build.rs` made of its TOML;
/// trusted, as [`parse`] with `compiled` false.
pub(super) fn parse_builtin(origin: &str, json: &str) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFile = serde_json::from_str(json).map_err(|e| RuleError {
        origin: origin.to_string(),
        line: None,
        rule: None,
        message: e.to_string(),
    })?;
    rules_of(origin, file, false)
}

fn rules_of(origin: &str, file: RuleFile, compiled: bool) -> Result<Vec<Rule>, RuleError> {
    if file.rule.is_empty() {
        return Err(RuleError {
            origin: origin.to_string(),
            line: None,
            rule: None,
            message: "no [[rule]] in this file".to_string(),
        });
    }
    file.rule.into_iter().map(|spec| validate(origin, spec, compiled)).collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

fn validate(origin: &str, spec: RuleSpec, compiled: bool) -> Result<Rule, RuleError> {
    let error =
        |message: String| RuleError { origin: origin.to_string(), line: None, rule: Some(spec.id.clone()), message };
    let kebab = !spec.id.is_empty()
        && spec
            .id
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if !kebab {
        return Err(error("the id must be kebab-case: lowercase letters, digits and single dashes".into()));
    }
    if spec.keywords.is_empty() || spec.keywords.iter().any(String::is_empty) {
        return Err(error("`keywords` must list at least one non-empty literal".into()));
    }
    let verify = match &spec.verify {
        None => None,
        Some(name) => Some(LivenessCheck::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = LivenessCheck::ALL.iter().map(|c| c.name()).collect();
            error(format!("unknown verifier `{name}`; known: {}", known.join(", ")))
        })?),
    };
    if let Some(min) = spec.entropy_min
        && !(0.0..=8.0).contains(&min)
    {
        return Err(error(format!("`entropy_min` must be between 0 and 8 bits, not {min}")));
    }
    let pattern_specs = match (spec.pattern, spec.patterns.is_empty()) {
        (Some(regex), true) => vec![PatternSpec { regex, context: spec.context, unless: None, path: None }],
        (None, false) if spec.context.is_none() => spec.patterns,
        (None, false) => {
            return Err(error("`context` goes with `pattern`; give each of `patterns` its own".into()));
        }
        (Some(_), false) => {
            return Err(error("give either `pattern` or `patterns`, not both".into()));
        }
        (None, true) => return Err(error("missing `pattern` (or `patterns`)".into())),
    };
    let mut patterns = Vec::with_capacity(pattern_specs.len());
    for (n, p) in pattern_specs.into_iter().enumerate() {
        let at = |e: PatternError, what: &str| error(format!("pattern {}: {what}{e}", n + 1));
        let reach = |c: ContextSpec, what: &str| -> Result<Context, RuleError> {
            let above = c.above.or(c.lines).unwrap_or(0);
            let below = c.below.or(c.lines).unwrap_or(0);
            if above.max(below) > MAX_CONTEXT_LINES {
                return Err(error(format!("pattern {}: {what}reaches at most {MAX_CONTEXT_LINES} lines", n + 1)));
            }
            let context = if compiled {
                Context::new(&c.regex, above, below).map_err(|e| at(e, what))?
            } else {
                Context::trusted(&c.regex, above, below)
            };
            Ok(if c.enclosing { context.enclosing() } else { context })
        };
        let context = p.context.map(|c| reach(c, "context: ")).transpose()?;
        let veto = p.unless.map(|c| reach(c, "unless: ")).transpose()?;
        let mut pattern = if compiled {
            Pattern::new(&p.regex, context).map_err(|e| at(e, ""))?
        } else {
            Pattern::trusted(&p.regex, context)
        };
        if let Some(veto) = veto {
            pattern = pattern.with_veto(veto);
        }
        if let Some(path) = &p.path {
            pattern = if compiled {
                pattern.with_path(path).map_err(|e| at(e, "path: "))?
            } else {
                pattern.with_trusted_path(path)
            };
        }
        patterns.push(pattern);
    }
    if spec.examples.iter().any(|e| e.secret.is_empty()) {
        return Err(error("an example's `secret` must not be empty".into()));
    }
    Ok(Rule {
        detector: Detector {
            keywords: spec.keywords.into_iter().map(String::into_bytes).collect(),
            ignore_case: spec.ignore_case,
            patterns,
            entropy_min: spec.entropy_min,
        },
        examples: spec.examples.into_iter().map(|e| Example { text: e.text, secret: e.secret, path: e.path }).collect(),
        counterexamples: spec
            .counterexamples
            .into_iter()
            .map(|c| Counterexample { text: c.text, path: c.path })
            .collect(),
        id: spec.id,
        name: spec.name,
        description: spec.description,
        help: spec.help,
        help_uri: spec.help_uri,
        sonar_key: spec.sonar_key,
        severity: spec.severity,
        cwe: spec.cwe,
        verify,
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        parse("extra.toml", text, true).unwrap_err().to_string()
    }

    const GOOD: &str = r#"
[[rule]]
id = "acme-token"
name = "Acme token"
description = "d"
keywords = ["acme_"]
pattern = '''\b(acme_[0-9a-f]{8})\b'''
"#;

    #[test]
    fn a_minimal_rule_parses() {
        let rules = parse("extra.toml", GOOD, true).unwrap();
        assert_eq!(rules[0].id, "acme-token");
        assert_eq!(rules[0].severity, Severity::Critical);
    }

    #[test]
    fn an_unknown_field_names_file_line_and_field() {
        let text = GOOD.replace("pattern =", "patern =");
        let message = error_of(&text);
        assert!(message.starts_with("extra.toml: line "), "{message}");
        assert!(message.contains("unknown field `patern`"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn a_bad_regex_names_the_rule_and_pattern() {
        let message = error_of(&GOOD.replace("{8})", "{8}"));
        assert!(message.starts_with("extra.toml: rule `acme-token`: pattern 1: "), "{message}");
        assert!(message.contains("unclosed group"), "{message}");
    }

    #[test]
    fn a_pattern_without_a_capture_group_is_refused() {
        let message = error_of(&GOOD.replace("(acme_[0-9a-f]{8})", "acme_[0-9a-f]{8}"));
        assert!(message.contains("needs exactly one capture group"), "{message}");
    }

    #[test]
    fn ids_must_be_kebab_case_and_keywords_present() {
        assert!(error_of(&GOOD.replace("acme-token", "Acme_Token")).contains("kebab-case"));
        assert!(error_of(&GOOD.replace(r#"["acme_"]"#, "[]")).contains("keywords"));
    }

    #[test]
    fn unknown_verifier_and_severity_are_refused() {
        let with_verify = GOOD.replace("keywords", "verify = \"nope\"\nkeywords");
        assert!(error_of(&with_verify).contains("unknown verifier `nope`"));
        let with_severity = GOOD.replace("keywords", "severity = \"dire\"\nkeywords");
        assert!(error_of(&with_severity).contains("unknown variant `dire`"));
    }

    #[test]
    fn an_empty_file_is_an_error() {
        assert!(error_of("").contains("no [[rule]]"));
    }
}
