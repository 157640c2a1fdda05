//! Pack indexes found sound before, remembered between runs by the
//! identity of their files. Git writes a pack and its index once and
//! renames them into place; any later write, in place or by rename,
//! changes a file's inode or its change time, which no process can set.
//! So an index and pack whose device, inode, size and change time are
//! those of a pair found sound are that pair, unchanged, and its offsets
//! need no second check: a pre-commit hook checks git/git's 1.7 MB offset
//! table once, not on every commit. What is cheap (the pack's header and
//! checksum against its index) is still checked on every run.
//!
//! Kept in the user's cache directory (`sqscan/sound-packs`): identities
//! and when each was checked, no paths, at most [`KEPT`], newest last; a
//! pair is checked again once a day all the same (a disk's own decay
//! changes no file's identity, and some file systems let any process set
//! the change time). Unix only: elsewhere every index is checked every time.

use std::fs::File;
use std::path::PathBuf;

/// Identities kept; older ones are forgotten (and their packs checked again).
const KEPT: usize = 4096;
/// How long ago a file must have changed for its identity to be kept.
const SETTLED_SECONDS: i64 = 2;
/// How long a check holds.
const HOLDS_SECONDS: i64 = 24 * 3600;

/// What identifies an index file and its pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity([i64; 10]);

impl Identity {
    /// `None` where the platform gives no change time.
    pub fn of(index: &File, pack: &File) -> Option<Identity> {
        let (index, pack) = (stamp(index)?, stamp(pack)?);
        let mut fields = [0; 10];
        fields[..5].copy_from_slice(&index);
        fields[5..].copy_from_slice(&pack);
        Some(Identity(fields))
    }
}

#[cfg(unix)]
fn stamp(file: &File) -> Option<[i64; 5]> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = file.metadata().ok()?;
    // Stored as they are, bit for bit.
    Some([meta.dev() as i64, meta.ino() as i64, meta.size() as i64, meta.ctime(), meta.ctime_nsec()])
}

#[cfg(not(unix))]
fn stamp(_: &File) -> Option<[i64; 5]> {
    None
}

/// The identities remembered, oldest first, each with when it was checked
/// (seconds since the epoch), and those found sound in this run.
pub struct SoundPacks {
    file: Option<PathBuf>,
    known: Vec<(Identity, i64)>,
    added: bool,
}

impl SoundPacks {
    /// What the user's cache holds (nothing when it cannot be read).
    pub fn load() -> SoundPacks {
        SoundPacks::at(cache_file())
    }

    fn at(file: Option<PathBuf>) -> SoundPacks {
        let text = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()).unwrap_or_default();
        SoundPacks { file, known: text.lines().filter_map(parse).collect(), added: false }
    }

    /// Whether `identity` was found sound within the last day.
    pub fn contains(&self, identity: Identity) -> bool {
        // A time to come (a clock set back, a damaged file) holds nothing.
        let age = |checked: i64| now().checked_sub(checked);
        let checked = self.known.iter().rev().find(|(known, _)| *known == identity).map(|&(_, checked)| checked);
        checked.and_then(age).is_some_and(|a| (0..HOLDS_SECONDS).contains(&a))
    }

    /// Remembers a pair found sound, unless it changed too recently to
    /// tell apart from a change made within the same clock tick (as git
    /// treats a racily clean index entry): it is checked again next time.
    pub fn add(&mut self, identity: Identity) {
        let now = now();
        let Identity(fields) = identity;
        if fields[3].max(fields[8]) > now.saturating_sub(SETTLED_SECONDS) {
            return;
        }
        self.known.retain(|(known, _)| *known != identity);
        self.known.push((identity, now));
        self.added = true;
    }

    /// Writes what this run added, if anything: to a temporary file renamed
    /// over the old, so that concurrent runs never read half a file. A cache
    /// that cannot be written costs only the checks next time.
    pub fn save(self) {
        let Some(file) = self.file.filter(|_| self.added) else { return };
        let Some(dir) = file.parent() else { return };
        let skip = self.known.len().saturating_sub(KEPT);
        let text: String = self.known[skip..]
            .iter()
            .map(|(Identity(fields), checked)| {
                let fields: Vec<String> = fields.iter().chain([checked]).map(i64::to_string).collect();
                fields.join(" ") + "\n"
            })
            .collect();
        let written = std::fs::create_dir_all(dir).and_then(|_| {
            let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(&mut temporary, text.as_bytes())?;
            temporary.persist(&file).map_err(|e| e.error)?;
            Ok(())
        });
        drop(written);
    }
}

/// A line: the ten fields of an identity, then when it was checked.
fn parse(line: &str) -> Option<(Identity, i64)> {
    let mut fields = [0i64; 10];
    let mut parts = line.split_ascii_whitespace();
    for field in &mut fields {
        *field = parts.next()?.parse().ok()?;
    }
    let checked = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((Identity(fields), checked))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn cache_file() -> Option<PathBuf> {
    Some(crate::config::user_cache_dir()?.join("sound-packs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_remembered_across_runs_and_only_the_newest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sqscan").join("sound-packs");
        let mut sound = SoundPacks::at(Some(file.clone()));
        let ids: Vec<Identity> = (0..KEPT as i64 + 2).map(|i| Identity([i, 1, 2, 3, 4, 5, 6, -7, 8, 9])).collect();
        for &id in &ids {
            assert!(!sound.contains(id));
            sound.add(id);
        }
        let recent = Identity([0, 0, 0, now(), 0, 0, 0, 0, 3, 0]);
        sound.add(recent);
        assert!(!sound.contains(recent), "a file changed a moment ago may change again within the same tick");
        sound.save();
        let again = SoundPacks::at(Some(file.clone()));
        assert!(!again.contains(ids[0]) && !again.contains(ids[1]), "the oldest are forgotten");
        assert!(ids[2..].iter().all(|&id| again.contains(id)));
        let stale = format!("{} {}\n", ["1"; 10].join(" "), now() - HOLDS_SECONDS - 1);
        std::fs::write(&file, stale).unwrap();
        assert!(!SoundPacks::at(Some(file.clone())).contains(Identity([1; 10])), "a day-old check is done again");
        for checked in [i64::MIN, i64::MAX, now() + 3600] {
            std::fs::write(&file, format!("{} {checked}\n", ["1"; 10].join(" "))).unwrap();
            assert!(!SoundPacks::at(Some(file.clone())).contains(Identity([1; 10])), "checked at {checked}");
        }
        std::fs::write(&file, "1 2 3\nnot numbers at all\n").unwrap();
        assert!(SoundPacks::at(Some(file)).known.is_empty(), "a damaged cache is an empty one");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_written_again_is_another_identity() {
        let dir = tempfile::tempdir().unwrap();
        let (index, pack) = (dir.path().join("a.idx"), dir.path().join("a.pack"));
        std::fs::write(&index, b"index").unwrap();
        std::fs::write(&pack, b"pack").unwrap();
        let of = || Identity::of(&File::open(&index).unwrap(), &File::open(&pack).unwrap()).unwrap();
        let first = of();
        assert_eq!(of(), first);
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&index, b"INDEX").unwrap();
        assert_ne!(of(), first, "same size, written in place");
    }
}
