//! The state directory (`--state DIR`): per repository, what the last run
//! learned (see `sources::git::Memory`), under the digest of everything
//! that changes what a scan finds. One file per repository, written to a
//! temporary name and renamed, so a killed run loses only the
//! repositories in flight; a lock on `DIR/lock`, held while the run
//! lives and released by the system if it dies, keeps two runs apart.
//!
//! A file: the line `sqscan-state 1`, a line of JSON (identity, digest,
//! memory, the counts of ids that follow), then 20-byte commit ids and
//! 20-byte blob ids. No secret is ever in it.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::sources::git::{Memory, decode_ids, encode_ids};

const MAGIC: &str = "sqscan-state 1";
/// The JSON line of a repository whose secrets fill it; far past any real one.
const META_LIMIT: u64 = 256 << 20;

pub struct StateDir {
    root: PathBuf,
    /// Held for the run's life.
    _lock: File,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    identity: String,
    digest: String,
    memory: Memory,
    commits: usize,
    blobs: usize,
}

impl StateDir {
    /// Opens (creating) the directory and takes its lock; checks every
    /// repository file's header, so that a damaged one stops the run
    /// before any work.
    pub fn open(root: &Path) -> anyhow::Result<StateDir> {
        std::fs::create_dir_all(root.join("repositories"))
            .with_context(|| format!("creating the state directory {}", root.display()))?;
        let lock_path = root.join("lock");
        let lock = File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "the state directory {} is in use by another sqscan audit (it holds {}); wait for it, or give this run another --state",
                root.display(),
                lock_path.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", lock_path.display()));
            }
        }
        let state = StateDir { root: root.to_path_buf(), _lock: lock };
        for entry in std::fs::read_dir(root.join("repositories"))?.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "state") {
                read_meta(&mut BufReader::new(File::open(&path)?)).with_context(|| {
                    format!("state file {}: damaged; remove it to rescan that repository", path.display())
                })?;
            }
        }
        Ok(state)
    }

    fn file(&self, identity: &str) -> PathBuf {
        let digest = sha2::Sha256::digest(identity.as_bytes());
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.root.join("repositories").join(format!("{name}.state"))
    }

    /// What the last run under `digest` learned of `identity`; empty when
    /// there was none, or it ran under other rules or options.
    pub fn load(&self, identity: &str, digest: &str) -> anyhow::Result<Memory> {
        let path = self.file(identity);
        let Ok(file) = File::open(&path) else { return Ok(Memory::default()) };
        let mut reader = BufReader::new(file);
        let meta = read_meta(&mut reader).with_context(|| format!("state file {}", path.display()))?;
        if meta.identity != identity || meta.digest != digest {
            return Ok(Memory::default());
        }
        let mut ids = Vec::new();
        reader.read_to_end(&mut ids)?;
        let expected = (meta.commits + meta.blobs) * 20;
        let ids = (ids.len() == expected).then(|| decode_ids(&ids)).flatten().with_context(|| {
            format!("state file {}: {} bytes of ids, not {expected}: damaged", path.display(), ids.len())
        })?;
        let mut memory = meta.memory;
        memory.commits = ids[..meta.commits].to_vec();
        memory.blobs = ids[meta.commits..].to_vec();
        Ok(memory)
    }

    /// Records `memory` for `identity`, atomically.
    pub fn save(&self, identity: &str, digest: &str, memory: &Memory) -> anyhow::Result<()> {
        let path = self.file(identity);
        let meta = Meta {
            identity: identity.to_string(),
            digest: digest.to_string(),
            memory: memory.clone(),
            commits: memory.commits.len(),
            blobs: memory.blobs.len(),
        };
        let dir = path.parent().unwrap_or(&self.root);
        let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
        {
            let out = temporary.as_file_mut();
            writeln!(out, "{MAGIC}")?;
            serde_json::to_writer(&mut *out, &meta)?;
            out.write_all(b"\n")?;
            out.write_all(&encode_ids(&memory.commits))?;
            out.write_all(&encode_ids(&memory.blobs))?;
            out.sync_all()?;
        }
        temporary.persist(&path).map_err(|e| e.error).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}

fn read_meta(reader: &mut BufReader<File>) -> anyhow::Result<Meta> {
    let mut magic = String::new();
    reader.take(64).read_line(&mut magic)?;
    if magic.trim_end() != MAGIC {
        anyhow::bail!("not an sqscan state file ({MAGIC})");
    }
    let mut line = Vec::new();
    reader.take(META_LIMIT).read_until(b'\n', &mut line)?;
    serde_json::from_slice(&line)
        .map_err(|e| anyhow::anyhow!("not an sqscan state file: {}", crate::config::without_values(&e.to_string())))
}
