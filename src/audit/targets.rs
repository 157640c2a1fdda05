//! What an audit reads: repositories on this machine (work trees, bare
//! repositories, directories holding many), and remote URLs to mirror.
//! Each has an identity — its normalised remote URL, or its absolute path
//! — which shards, state and merge key on.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::sources::git::normalised_url;
use crate::sources::paths::slashed;

/// One repository to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub identity: String,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A repository on this machine.
    Local(PathBuf),
    /// A URL the git CLI clones (https, ssh, git://, file://, `host:path`),
    /// and the host whose forge token, if any, may be sent with it.
    Remote { url: String, forge: Option<super::forges::Credential> },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", crate::report::escaped(&slashed(path))),
            Location::Remote { url, .. } => write!(f, "{}", crate::report::escaped(&normalised_url(url))),
        }
    }
}

/// The most lines a `--repos` file may hold.
const LIST_LIMIT: u64 = 64 << 20;
/// How deep a directory of repositories is searched.
const SEARCH_DEPTH: usize = 16;

/// Whether `text` names a remote repository rather than a path.
pub fn is_url(text: &str) -> bool {
    if text.contains("://") {
        return true;
    }
    // scp-like `git@host:org/repo`; not `C:\…`, not `./a:b`.
    match text.split_once(':') {
        Some((host, _)) => host.contains('@') && !host.contains('/'),
        None => false,
    }
}

/// The repositories a command-line target names: a URL, a repository, or
/// every repository under a directory.
pub fn resolve(target: &str) -> anyhow::Result<Vec<Repository>> {
    if is_url(target) {
        return Ok(vec![remote(target, None)]);
    }
    let path = Path::new(target);
    if !path.exists() {
        anyhow::bail!("{target}: No such file or directory");
    }
    let found = discover(path).with_context(|| target.to_string())?;
    if found.is_empty() {
        anyhow::bail!("{target}: no git repository here or below");
    }
    Ok(found)
}

pub fn remote(url: &str, forge: Option<super::forges::Credential>) -> Repository {
    Repository { identity: normalised_url(url), location: Location::Remote { url: url.to_string(), forge } }
}

/// The lines of a `--repos` file: one path or URL a line; blank lines
/// and `#` comments ignored.
pub fn read_list(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = crate::config::read_settings_file(path, LIST_LIMIT)
        .with_context(|| format!("reading the repository list {}", path.display()))?;
    Ok(text
        .lines()
        .map(|line| line.split_once(" #").map_or(line, |(kept, _)| kept).trim())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// Repositories at or below `path`, not descending into one found (its
/// work tree's directories are its own), sorted by path.
fn discover(path: &Path) -> anyhow::Result<Vec<Repository>> {
    let mut found = Vec::new();
    let mut stack = vec![(path.canonicalize()?, 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        if is_repository(&dir) {
            found.push(local(&dir));
            continue;
        }
        if depth >= SEARCH_DEPTH {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut below: Vec<PathBuf> =
            entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()).collect();
        below.sort();
        stack.extend(below.into_iter().rev().map(|d| (d, depth + 1)));
    }
    found.sort_by(|a, b| a.identity.cmp(&b.identity));
    found.dedup_by(|a, b| a.identity == b.identity);
    Ok(found)
}

/// A work tree (holds `.git`) or a bare repository (`HEAD`, `objects/`, `refs/`).
fn is_repository(dir: &Path) -> bool {
    dir.join(".git").exists() || dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

/// A local repository by its identity: its `origin` URL normalised, or its path.
fn local(dir: &Path) -> Repository {
    let origin = git2::Repository::open(dir)
        .ok()
        .and_then(|repo| repo.find_remote("origin").ok().and_then(|r| r.url().ok().map(normalised_url)));
    let identity = origin.unwrap_or_else(|| slashed(dir));
    Repository { identity, location: Location::Local(dir.to_path_buf()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths() {
        for url in ["https://github.com/a/b", "git@github.com:a/b.git", "file:///srv/x.git", "git://h/x"] {
            assert!(is_url(url), "{url}");
        }
        for path in ["repos", "./a:b", "/srv/repos", "C:\\src"] {
            assert!(!is_url(path), "{path}");
        }
    }
}
