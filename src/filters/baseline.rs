//! Baselines: findings a team has already triaged. An entry is a
//! fingerprint and a path, never a secret, line number or timestamp, so the
//! file is safe to commit, stable across unrelated edits, and merges well:
//! entries are sorted, one to a line.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 1;
/// A baseline of a million findings is about 100 MiB.
const BASELINE_LIMIT: u64 = 256 << 20;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    tool: String,
    findings: Vec<BaselineEntry>,
}

#[derive(Debug, Default)]
pub struct Baseline {
    known: HashSet<(String, String)>,
}

impl Baseline {
    pub fn load(path: &Path) -> anyhow::Result<Baseline> {
        let text = crate::config::read_settings_file(path, BASELINE_LIMIT)?;
        let file: BaselineFile = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("line {}: {}", e.line(), crate::config::without_values(&e.to_string())))?;
        if file.version != FORMAT_VERSION || file.tool != "sqscan" {
            anyhow::bail!("not an sqscan baseline (version {FORMAT_VERSION})");
        }
        Ok(Baseline { known: file.findings.into_iter().map(|e| (e.fingerprint, e.path)).collect() })
    }

    pub fn contains(&self, fingerprint: &str, path: &str) -> bool {
        self.known.contains(&(fingerprint.to_string(), path.to_string()))
    }

    /// The baseline file for `entries`: sorted, deduplicated, one per line.
    pub fn render(entries: impl IntoIterator<Item = BaselineEntry>) -> String {
        let mut entries: Vec<BaselineEntry> = entries.into_iter().collect();
        entries.sort_by(|a, b| (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint)));
        entries.dedup();
        let lines: Vec<String> =
            entries.iter().map(|e| format!("    {}", serde_json::to_string(e).unwrap_or_default())).collect();
        let body = if lines.is_empty() { String::new() } else { format!("\n{}\n  ", lines.join(",\n")) };
        format!("{{\n  \"version\": {FORMAT_VERSION},\n  \"tool\": \"sqscan\",\n  \"findings\": [{body}]\n}}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fingerprint: &str, path: &str) -> BaselineEntry {
        BaselineEntry { fingerprint: fingerprint.into(), rule: "r".into(), path: path.into() }
    }

    #[test]
    fn render_is_sorted_deduplicated_and_loads_back() {
        let text = Baseline::render([entry("bb", "z.env"), entry("aa", "a.env"), entry("bb", "z.env")]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[4], r#"    {"fingerprint":"aa","rule":"r","path":"a.env"},"#);
        assert_eq!(lines[5], r#"    {"fingerprint":"bb","rule":"r","path":"z.env"}"#);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baseline.json");
        std::fs::write(&file, &text).unwrap();
        let baseline = Baseline::load(&file).unwrap();
        assert!(baseline.contains("aa", "a.env"));
        assert!(!baseline.contains("aa", "z.env"));
    }

    #[test]
    fn an_empty_baseline_is_valid_json() {
        let text = Baseline::render([]);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["findings"], serde_json::json!([]));
    }

    #[test]
    fn a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.json");
        std::fs::write(&file, "{\"version\": 1, \"tool\": \"other\", \"findings\": []}").unwrap();
        assert!(Baseline::load(&file).unwrap_err().to_string().contains("not an sqscan baseline"));
        std::fs::write(&file, "{\n\"version\": 1,\n\"nope\": 2}").unwrap();
        assert!(Baseline::load(&file).unwrap_err().to_string().starts_with("line 3:"));
    }
}
