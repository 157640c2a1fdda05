//! Remote repositories mirrored into the cache directory with the git
//! CLI — `git clone --mirror` the first time, `git fetch --prune` after —
//! since git carries the user's credential helpers, proxies and SSH keys.
//! A clone goes to a temporary directory first and is renamed into place,
//! so an interrupted one leaves nothing half-made.
//!
//! A forge's token reaches git only through `GIT_ASKPASS`, in the child's
//! environment, for clones from the forge's own host; git never prompts
//! (`GIT_TERMINAL_PROMPT=0`). What git says on failure is shown without
//! any credentials a URL held.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

use super::forges::{Credential, host_of};

/// What a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synced {
    Cloned,
    Fetched,
}

impl Synced {
    pub fn as_str(self) -> &'static str {
        match self {
            Synced::Cloned => "clone",
            Synced::Fetched => "fetch",
        }
    }
}

/// Where `url`'s mirror lives under `cache`: readable, and unique.
pub fn mirror_path(cache: &Path, identity: &str) -> PathBuf {
    let digest = sha2::Sha256::digest(identity.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let name: String = identity
        .rsplit('/')
        .next()
        .unwrap_or("repository")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
        .take(64)
        .collect();
    cache.join(format!("{name}-{short}.git"))
}

/// Brings the mirror of `url` up to date; its path.
pub fn sync(
    url: &str,
    identity: &str,
    cache: &Path,
    credential: Option<&Credential>,
) -> Result<(PathBuf, Synced), String> {
    std::fs::create_dir_all(cache).map_err(|e| format!("creating the cache {}: {e}", cache.display()))?;
    let path = mirror_path(cache, identity);
    if path.join("HEAD").is_file() {
        let mut fetch = git(cache, credential, url);
        fetch.arg("--git-dir").arg(&path).args(["fetch", "--prune", "--quiet", "origin"]);
        run(fetch, url)?;
        return Ok((path, Synced::Fetched));
    }
    let partial = cache.join(format!(
        ".partial-{}-{}",
        std::process::id(),
        path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    let _ = std::fs::remove_dir_all(&partial);
    let mut clone = git(cache, credential, url);
    clone.args(["clone", "--mirror", "--quiet", "--", url]).arg(&partial);
    let cloned = run(clone, url);
    if let Err(why) = cloned {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(why);
    }
    std::fs::rename(&partial, &path).map_err(|e| format!("moving the clone into {}: {e}", path.display()))?;
    Ok((path, Synced::Cloned))
}

/// A git command that never prompts, and answers the forge's host with
/// its token when asked.
fn git(cache: &Path, credential: Option<&Credential>, url: &str) -> Command {
    let mut command = Command::new("git");
    command.env("GIT_TERMINAL_PROMPT", "0").env("GCM_INTERACTIVE", "never").stdin(std::process::Stdio::null());
    if let Some(credential) = credential
        && host_of(url) == Some(credential.host.as_str())
        && let Some(token) = credential.token()
        && let Ok(askpass) = askpass_script(cache)
    {
        command
            .env("GIT_ASKPASS", askpass)
            .env("SQSCAN_ASKPASS_HOST", &credential.host)
            .env("SQSCAN_ASKPASS_USER", credential.username)
            .env("SQSCAN_ASKPASS_TOKEN", token);
    }
    command
}

/// A script git runs for a user name or password: it answers only for
/// the forge's host, from variables set for that one git process.
fn askpass_script(cache: &Path) -> std::io::Result<PathBuf> {
    let path = cache.join(".sqscan-askpass");
    let script = "#!/bin/sh\ncase \"$1\" in\n  *\"$SQSCAN_ASKPASS_HOST\"*) ;;\n  *) exit 1 ;;\nesac\ncase \"$1\" in\n  Username*) printf '%s\\n' \"$SQSCAN_ASKPASS_USER\" ;;\n  *) printf '%s\\n' \"$SQSCAN_ASKPASS_TOKEN\" ;;\nesac\n";
    if std::fs::read_to_string(&path).ok().as_deref() != Some(script) {
        std::fs::write(&path, script)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(path)
}

fn run(mut command: Command, url: &str) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("running git: {e} (is git installed?)"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    let said = lines().find(|l| l.starts_with("fatal:")).or_else(|| lines().next_back()).unwrap_or("git failed");
    let shown = crate::sources::git::normalised_url(url);
    Err(format!("git could not fetch {shown}: {}", without_credentials(said)))
}

/// `scheme://user:secret@host` as `scheme://host`, wherever it appears.
pub fn without_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"').unwrap_or(tail.len());
        let authority = &tail[..end];
        out.push_str(authority.rsplit_once('@').map_or(authority, |(_, host)| host));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_survive_in_messages() {
        assert_eq!(
            without_credentials("fatal: unable to access 'https://x-access-token:ghp_abc@github.com/a/b/': 403"),
            "fatal: unable to access 'https://github.com/a/b/': 403"
        );
        assert_eq!(without_credentials("no url here"), "no url here");
    }

    #[test]
    fn mirrors_get_distinct_readable_names() {
        let a = mirror_path(Path::new("/c"), "https://github.com/acme/app");
        let b = mirror_path(Path::new("/c"), "https://gitlab.com/acme/app");
        assert_ne!(a, b);
        assert!(a.file_name().is_some_and(|n| n.to_string_lossy().starts_with("app-")));
    }
}
