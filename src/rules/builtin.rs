//! The rule files of `rules/`, embedded at build time by `build.rs`.

/// One rule file of `rules/`.
pub struct BuiltinRuleFile {
    /// `rules/NAME.toml`.
    pub origin: &'static str,
    /// As written.
    pub toml: &'static str,
    /// The same, as JSON: what start-up parses.
    pub json: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
