//! Opening a repository safely. libgit2 trusts a pack index's offsets and
//! crashes on one past the end of its pack, so every index is checked
//! first (headers, offsets and checksums only: cheap), and when a pack is
//! damaged every libgit2 handle gets a shadow object database: links to
//! each object directory's loose objects and sound packs, and for a
//! damaged pack a repaired copy of its index whose impossible offsets
//! point where reading fails cleanly. sqscan's own pack reader reads
//! damaged packs entry by entry with bounds checks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::anyhow;
use git2::{Odb, Repository};

use super::pack::{Damage, damaged_packs, object_directories, repaired_index};

/// A repository as sqscan reads it.
pub struct GitDir {
    /// The git directory (`.git`, or a bare repository).
    path: PathBuf,
    /// Where shown paths are relative to: the work tree, or for a bare
    /// repository the repository itself.
    root: PathBuf,
    /// What audits and reports call the repository: its normalised
    /// `origin` URL, or, without one, its root's absolute path.
    identity: Arc<str>,
    damage: Vec<Damage>,
    /// Object directories without the damaged packs, for libgit2.
    shadow: Option<Shadow>,
    /// A handle no one is using (discovery's, or one given back), for the
    /// next [`GitDir::open`]: a pre-commit hook opens the repository once.
    idle: std::sync::Mutex<Option<Repository>>,
}

impl std::fmt::Debug for GitDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitDir").field("path", &self.path).field("damage", &self.damage).finish()
    }
}

struct Shadow {
    /// Removed when the run ends.
    _dir: tempfile::TempDir,
    objects: Vec<PathBuf>,
}

impl GitDir {
    /// The repository holding `path`: a work tree, any directory in it, a
    /// bare repository or a linked worktree.
    pub fn discover(path: &Path) -> anyhow::Result<GitDir> {
        if !path.exists() {
            return Err(anyhow!("{}: No such file or directory", path.display()));
        }
        let repo = Repository::discover(path)
            .map_err(|e| anyhow!("{}: not a git repository ({})", path.display(), e.message()))?;
        let git_dir = repo.path().to_path_buf();
        let root = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
        let remote = repo.find_remote("origin").ok().and_then(|r| r.url().ok().map(normalised_url));
        let identity = remote.unwrap_or_else(|| crate::sources::paths::slashed(&root)).into();
        let damage = damaged_packs(&git_dir);
        // libgit2 re-hashes every object it reads to check it; git does not,
        // and for a scan that reads every blob it is a quarter of the time:
        // a corrupt object still fails to inflate, and is reported. With a
        // damaged pack it checks, since a repaired index (see above) maps
        // the objects it lost to another object's place.
        strict_hashes(!damage.is_empty());
        let shadow =
            if damage.is_empty() {
                None
            } else {
                Some(Shadow::build(&git_dir, &damage).map_err(|e| {
                    anyhow!("{}: damaged packs, and no way to read around them: {e}", git_dir.display())
                })?)
            };
        let git = GitDir { path: git_dir, root, identity, damage, shadow, idle: Default::default() };
        git.give_back(git.configure(repo).map_err(|e| anyhow!("{}: {}", git.path.display(), e.message()))?);
        Ok(git)
    }

    /// A libgit2 handle that never reads a damaged pack, nor the index:
    /// sqscan reads the index itself (it is diffed explicitly where
    /// libgit2 must), while libgit2 would load it for attribute lookups in
    /// a blob diff and refuse a split one.
    pub fn open(&self) -> Result<Repository, git2::Error> {
        match self.idle.lock().ok().and_then(|mut idle| idle.take()) {
            Some(repo) => Ok(repo),
            None => self.configure(Repository::open(&self.path)?),
        }
    }

    /// Keeps `repo`, a handle from [`GitDir::open`], for the next open.
    pub fn give_back(&self, repo: Repository) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.get_or_insert(repo);
        }
    }

    fn configure(&self, repo: Repository) -> Result<Repository, git2::Error> {
        repo.set_index(&mut git2::Index::new()?)?;
        if let Some(shadow) = &self.shadow {
            let odb = Odb::new()?;
            for objects in &shadow.objects {
                odb.add_disk_alternate(&objects.to_string_lossy())?;
            }
            repo.set_odb(&odb)?;
        }
        Ok(repo)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn identity(&self) -> Arc<str> {
        self.identity.clone()
    }

    pub fn is_bare(&self) -> bool {
        self.path == self.root
    }

    /// The packs found damaged, and why.
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// How to show a file of the repository's (a pack): relative to the root.
    pub fn show(&self, path: &Path) -> String {
        crate::sources::paths::slashed(path.strip_prefix(&self.root).unwrap_or(path))
    }
}

impl Shadow {
    fn build(git_dir: &Path, damage: &[Damage]) -> std::io::Result<Shadow> {
        let dir = tempfile::Builder::new().prefix("sqscan-odb-").tempdir()?;
        let mut objects = Vec::new();
        for (n, source) in object_directories(git_dir).into_iter().enumerate() {
            let Ok(entries) = std::fs::read_dir(&source) else {
                continue;
            };
            let target = dir.path().join(n.to_string());
            std::fs::create_dir_all(target.join("pack"))?;
            for entry in entries.flatten() {
                let name = entry.file_name();
                let loose_fanout = name.len() == 2 && name.to_string_lossy().bytes().all(|b| b.is_ascii_hexdigit());
                if loose_fanout {
                    link(&entry.path(), &target.join(&name))?;
                }
            }
            for entry in std::fs::read_dir(source.join("pack")).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|x| x != "idx") {
                    continue;
                }
                let pack = path.with_extension("pack");
                let (Some(idx_name), Some(pack_name)) = (path.file_name(), pack.file_name()) else {
                    continue;
                };
                if damage.iter().any(|d| d.pack == pack) {
                    // Only with an index libgit2 can trust; else not at all.
                    let Some(repaired) = repaired_index(&path) else { continue };
                    std::fs::write(target.join("pack").join(idx_name), repaired)?;
                } else {
                    link(&path, &target.join("pack").join(idx_name))?;
                }
                link(&pack, &target.join("pack").join(pack_name))?;
            }
            objects.push(target);
        }
        Ok(Shadow { _dir: dir, objects })
    }
}

/// libgit2's hash verification is one switch for the whole process, and an
/// audit opens many repositories at once: once any is damaged it stays on
/// (slower for the rest, never unsafe for that one).
fn strict_hashes(damaged: bool) {
    static STRICT: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut strict = STRICT.lock().unwrap_or_else(|p| p.into_inner());
    *strict |= damaged;
    git2::opts::strict_hash_verification(*strict);
}

/// A remote URL as a stable name: scheme, lower-case host and path, no
/// credentials (`https://TOKEN@host/…` must never be shown), no `.git`,
/// no trailing `/`; `git@host:org/repo` is `ssh://host/org/repo`.
pub fn normalised_url(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest.to_string()),
        // scp-like: [user@]host:path
        None => match url.split_once(':') {
            Some((host, path)) if !host.contains('/') && !path.starts_with("//") => {
                ("ssh".to_string(), format!("{host}/{}", path.trim_start_matches('/')))
            }
            _ => return url.trim_end_matches('/').trim_end_matches(".git").to_string(),
        },
    };
    let (authority, path) = rest.split_once('/').unwrap_or((&rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_ascii_lowercase();
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    format!("{scheme}://{host}/{path}")
}

#[cfg(unix)]
fn link(original: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(original, link)
}

#[cfg(windows)]
fn link(original: &Path, link: &Path) -> std::io::Result<()> {
    if original.is_dir() {
        std::os::windows::fs::symlink_dir(original, link)
    } else {
        std::fs::hard_link(original, link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_normalise_to_one_name_without_credentials() {
        for url in [
            "https://github.com/Acme/App.git",
            "https://x-access-token:ghp_secret@GitHub.com/Acme/App",
            "https://github.com/Acme/App/",
        ] {
            assert_eq!(normalised_url(url), "https://github.com/Acme/App", "{url}");
        }
        assert_eq!(normalised_url("git@github.com:Acme/App.git"), "ssh://github.com/Acme/App");
        assert_eq!(normalised_url("ssh://git@GitLab.example:2222/g/p.git"), "ssh://gitlab.example:2222/g/p");
    }
}
