//! How paths are shown: relative to the scan root, with `/` separators, so
//! that output, baselines and SARIF read the same on every machine.
//!
//! The scan root is the current directory when every target lies inside it
//! (`sqscan scan src` shows `src/a.rs`); otherwise a lone directory target
//! (`sqscan scan /srv/repo` shows `a.rs`); otherwise there is none and paths
//! are shown absolute.

use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ScanRoot {
    root: Option<PathBuf>,
}

/// A target as the user gave it, and where it really is.
#[derive(Debug, Clone)]
pub struct Target {
    pub given: PathBuf,
    pub canonical: PathBuf,
}

impl Target {
    pub fn new(given: &Path) -> io::Result<Target> {
        Ok(Target { given: given.to_path_buf(), canonical: given.canonicalize()? })
    }

    /// The targets without repeats: one named twice, or lying inside a
    /// directory also named, is scanned once (as the first it came with).
    pub fn distinct(targets: Vec<Target>) -> Vec<Target> {
        let mut kept: Vec<Target> = Vec::with_capacity(targets.len());
        for target in targets {
            let covered = |other: &Target| {
                other.canonical == target.canonical
                    || other.canonical.is_dir() && target.canonical.starts_with(&other.canonical)
            };
            if kept.iter().any(covered) {
                continue;
            }
            kept.retain(|k| !(target.canonical.is_dir() && k.canonical.starts_with(&target.canonical)));
            kept.push(target);
        }
        kept
    }
}

/// Where a file about to be written (`-o`) really is, whether or not it
/// exists yet.
pub fn canonical_output(path: &Path) -> Option<PathBuf> {
    if let Ok(canonical) = path.canonicalize() {
        return Some(canonical);
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(parent.canonicalize().ok()?.join(path.file_name()?))
}

impl ScanRoot {
    pub fn for_targets(targets: &[Target]) -> io::Result<ScanRoot> {
        let cwd = std::env::current_dir()?.canonicalize()?;
        let root = if targets.iter().all(|t| t.canonical.starts_with(&cwd)) {
            Some(cwd)
        } else if let [only] = targets
            && only.canonical.is_dir()
        {
            Some(only.canonical.clone())
        } else {
            None
        };
        Ok(ScanRoot { root })
    }

    /// A root given outright (a git repository's work tree).
    pub fn at(root: PathBuf) -> ScanRoot {
        ScanRoot { root: Some(root) }
    }

    pub fn path(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// How to show `entry`, a path found under `target`.
    pub fn display(&self, target: &Target, entry: &Path) -> String {
        let suffix = entry.strip_prefix(&target.given).unwrap_or(Path::new(""));
        let absolute =
            if suffix.as_os_str().is_empty() { target.canonical.clone() } else { target.canonical.join(suffix) };
        match self.root.as_deref().and_then(|root| absolute.strip_prefix(root).ok()) {
            Some(relative) => slashed(relative),
            None => slashed(&absolute),
        }
    }
}

/// A path with `/` between its components, whatever the platform.
pub fn slashed(path: &Path) -> String {
    let mut out = String::new();
    for component in path.components() {
        match component {
            Component::RootDir => out.push('/'),
            Component::CurDir => continue,
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_relative_to_a_lone_directory_target() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        let target = Target::new(dir.path()).unwrap();
        let root = ScanRoot::at(target.canonical.clone());
        assert_eq!(root.display(&target, &dir.path().join("a/b/c.env")), "a/b/c.env");
    }

    #[test]
    fn without_a_root_paths_are_absolute() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.env");
        std::fs::write(&file, "x").unwrap();
        let target = Target::new(&file).unwrap();
        let root = ScanRoot { root: None };
        assert_eq!(root.display(&target, &file), slashed(&target.canonical));
        assert!(root.display(&target, &file).starts_with('/'));
    }

    /// Issue 14 (low): the same target named twice reported its findings twice.
    #[test]
    fn targets_named_twice_or_inside_another_are_scanned_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.env"), "x").unwrap();
        let target = |p: &str| Target::new(&dir.path().join(p)).unwrap();
        let kept = Target::distinct(vec![target("src/a.env"), target("src"), target("src"), target(".")]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].canonical, dir.path().canonicalize().unwrap());
    }

    #[test]
    fn slashed_drops_dot_components() {
        assert_eq!(slashed(Path::new("./a/./b")), "a/b");
    }
}
