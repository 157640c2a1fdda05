//! Runs every rule's examples through the real engine: each example must
//! yield exactly its secret, each counterexample nothing.

use std::fmt;

use super::RuleSet;
use crate::engine;

/// An example that did not behave as its rule says.
#[derive(Debug)]
pub struct ExampleFailure {
    pub rule: String,
    pub what: String,
}

impl fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule `{}`: {}", self.rule, self.what)
    }
}

/// Every failing example of every rule; empty when all pass. Only the rule's
/// own matches count: another rule may also match an example.
pub fn test_examples(rules: &RuleSet) -> Result<Vec<ExampleFailure>, engine::BuildError> {
    let engine = rules.engine()?;
    let mut failures = Vec::new();
    for (index, rule) in rules.rules().iter().enumerate() {
        let found = |text: &str, path: &Option<String>| -> Vec<String> {
            let path = path.as_deref().unwrap_or("");
            engine
                .scan(text.as_bytes())
                .into_iter()
                .filter(|m| m.detector == index && engine.fits_path(m.detector, m.path_pattern, path))
                .map(|m| String::from_utf8_lossy(&m.secret).into_owned())
                .collect()
        };
        for (n, example) in rule.examples.iter().enumerate() {
            let secrets = found(&example.text, &example.path);
            if secrets != [example.secret.as_str()] {
                failures.push(ExampleFailure {
                    rule: rule.id.clone(),
                    what: format!("example {} should find exactly {:?}, found {secrets:?}", n + 1, example.secret),
                });
            }
        }
        for (n, counterexample) in rule.counterexamples.iter().enumerate() {
            let secrets = found(&counterexample.text, &counterexample.path);
            if !secrets.is_empty() {
                failures.push(ExampleFailure {
                    rule: rule.id.clone(),
                    what: format!("counterexample {} should find nothing, found {secrets:?}", n + 1),
                });
            }
        }
    }
    Ok(failures)
}
