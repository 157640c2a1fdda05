//! The project configuration file, `.sqscan.toml`.
//!
//! ```toml
//! honor_nosonar = false          # let NOSONAR silence findings too
//! [allow]
//! paths = ["tests/fixtures/**"]  # globs, matched against shown paths
//! secrets = ["<fingerprint>"]    # fingerprints from a report
//! regexes = ['''^sqp_0{8}''']    # matched against the secret
//! [rules]
//! paths = ["ci/sqscan-rules"]    # extra rule files, relative to this file
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const FILE_NAME: &str = ".sqscan.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub honor_nosonar: bool,
    #[serde(default)]
    pub allow: Allow,
    #[serde(default)]
    pub rules: RulePaths,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulePaths {
    #[serde(default)]
    pub paths: Vec<PathBuf>,
}

impl Config {
    /// Reads a config file; rule paths come back relative to its directory.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)?;
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().trim().replace('\n', " ");
            match line {
                Some(line) => anyhow::anyhow!("line {line}: {message}"),
                None => anyhow::anyhow!("{message}"),
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for rule_path in &mut config.rules.paths {
            *rule_path = base.join(&*rule_path);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_loads_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        std::fs::write(&file, "honor_nosonar = true\n[allow]\npaths = [\"a/**\"]\n[rules]\npaths = [\"r\"]\n").unwrap();
        let config = Config::load(&file).unwrap();
        assert!(config.honor_nosonar);
        assert_eq!(config.allow.paths, ["a/**"]);
        assert_eq!(config.rules.paths, [dir.path().join("r")]);

        std::fs::write(&file, "[allow]\npath = []\n").unwrap();
        let error = Config::load(&file).unwrap_err().to_string();
        assert!(error.starts_with("line 2: unknown field `path`"), "{error}");
    }
}
