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
/// Larger than any real configuration.
const CONFIG_LIMIT: u64 = 1 << 20;

/// Where sqscan keeps what it remembers between runs (audit mirrors, packs
/// found sound): `$XDG_CACHE_HOME/sqscan`, else `$HOME/.cache/sqscan`; an
/// empty variable counts as unset.
pub fn user_cache_dir() -> Option<PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    Some(set("XDG_CACHE_HOME").or_else(|| set("HOME").map(|home| home.join(".cache")))?.join("sqscan"))
}

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
        let text = read_settings_file(path, CONFIG_LIMIT)?;
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let message = without_values(e.message());
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

/// Reads a file that configures a run (a config, rule file or baseline):
/// a regular file, at most `limit` bytes, in UTF-8. A FIFO, a device or
/// `/dev/zero` named by mistake or by a hostile repository is refused
/// rather than read without end.
pub fn read_settings_file(path: &Path, limit: u64) -> anyhow::Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        anyhow::bail!("not a regular file");
    }
    if meta.len() > limit {
        anyhow::bail!("{} bytes, more than the {limit} a file of this kind may have", meta.len());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        anyhow::bail!("more than the {limit} bytes a file of this kind may have");
    }
    String::from_utf8(bytes).map_err(|e| anyhow::anyhow!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

/// A parser's message without the values it quotes (`invalid type:
/// string "…"`): a token pasted into a config or baseline by mistake must
/// not be printed. Names in backquotes (fields, keys) stay.
pub fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.trim().chars() {
        match c {
            '"' => {
                out.push_str(if quoted { "…\"" } else { "\"" });
                quoted = !quoted;
            }
            _ if quoted => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
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

    /// Issue 14 (low): parse errors echoed a config's values verbatim.
    #[test]
    fn errors_never_echo_a_value() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        let token = "sqp_29b8430691cc5324ca89165999b4c60fdb505a45"; // sqscan:allow
        std::fs::write(&file, format!("honor_nosonar = \"{token}\"\n")).unwrap();
        let error = format!("{:#}", Config::load(&file).unwrap_err());
        assert!(error.starts_with("line 1: ") && !error.contains("sqp_29"), "{error}");
    }

    /// Issue 14.13: `[rules] paths = ["/dev/zero"]` was read without end.
    #[test]
    fn settings_files_must_be_small_regular_files() {
        let error = read_settings_file(Path::new("/dev/zero"), 1 << 20).unwrap_err().to_string();
        assert_eq!(error, "not a regular file");
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 2048]).unwrap();
        assert!(read_settings_file(&big, 1024).unwrap_err().to_string().contains("more than the 1024"));
        assert_eq!(read_settings_file(&big, 4096).unwrap().len(), 2048);
    }
}
