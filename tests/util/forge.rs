//! Damaged and hostile repositories, made on purpose: loose objects
//! written byte by byte, and packs rebuilt from a repository's objects
//! with any entry's header or data replaced. Each test states what it
//! breaks; this only writes what it is told to.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::ZlibEncoder;
use sha1::{Digest, Sha1};

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).expect("compress");
    encoder.finish().expect("compress")
}

fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

pub fn hex(id: &[u8; 20]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a loose object into `git_dir` and returns its id.
pub fn write_loose(git_dir: &Path, kind: &str, data: &[u8]) -> [u8; 20] {
    let header = format!("{kind} {}\0", data.len());
    let id = sha1(&[header.as_bytes(), data]);
    let name = hex(&id);
    let dir = git_dir.join("objects").join(&name[..2]);
    std::fs::create_dir_all(&dir).expect("object directory");
    let mut raw = header.into_bytes();
    raw.extend_from_slice(data);
    std::fs::write(dir.join(&name[2..]), zlib(&raw)).expect("write object");
    id
}

/// A tree of one entry.
pub fn tree_entry(mode: &str, name: &str, id: &[u8; 20]) -> Vec<u8> {
    let mut entry = format!("{mode} {name}\0").into_bytes();
    entry.extend_from_slice(id);
    entry
}

/// One pack entry: a whole object, with the header and data to write.
pub struct Entry {
    pub id: [u8; 20],
    /// 1 commit, 2 tree, 3 blob, 4 tag.
    pub kind: u8,
    /// The size the header states.
    pub declared: u64,
    /// The zlib stream written after the header.
    pub data: Vec<u8>,
}

/// Every object of a repository, as pack entries that state the truth.
pub fn entries_of(repo: &Path) -> Vec<Entry> {
    let output = std::process::Command::new("git")
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .current_dir(repo)
        .output()
        .expect("git cat-file");
    let mut rest = &output.stdout[..];
    let mut entries = Vec::new();
    while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
        let header = std::str::from_utf8(&rest[..newline]).expect("header");
        let fields: Vec<&str> = header.split(' ').collect();
        let size: usize = fields[2].parse().expect("size");
        let data = &rest[newline + 1..newline + 1 + size];
        let kind = match fields[1] {
            "commit" => 1,
            "tree" => 2,
            "blob" => 3,
            _ => 4,
        };
        let mut id = [0u8; 20];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&fields[0][i * 2..i * 2 + 2], 16).expect("hex");
        }
        entries.push(Entry { id, kind, declared: size as u64, data: zlib(data) });
        rest = &rest[newline + 1 + size + 1..];
    }
    entries
}

/// The id of `spec` (`HEAD:a.env`).
pub fn id_of(repo: &Path, spec: &str) -> [u8; 20] {
    let text = super::git_in(repo, &["rev-parse", spec]);
    let mut id = [0u8; 20];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text.trim()[i * 2..i * 2 + 2], 16).expect("hex");
    }
    id
}

/// Replaces every pack and loose object of `repo` by one pack of `entries`
/// (version 2 index, no deltas). Returns the pack's path.
pub fn replace_objects(repo: &Path, entries: &[Entry]) -> PathBuf {
    let objects = repo.join(".git/objects");
    for entry in std::fs::read_dir(&objects).expect("objects").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.len() == 2 || name == "pack" {
            std::fs::remove_dir_all(entry.path()).expect("remove objects");
        }
    }
    let mut pack = b"PACK".to_vec();
    pack.extend(2u32.to_be_bytes());
    pack.extend((entries.len() as u32).to_be_bytes());
    let mut offsets = Vec::new();
    for entry in entries {
        offsets.push(pack.len() as u32);
        let mut size = entry.declared;
        let mut byte = (entry.kind << 4) | (size & 15) as u8;
        size >>= 4;
        while size > 0 {
            pack.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        pack.push(byte);
        pack.extend(&entry.data);
    }
    let checksum = sha1(&[&pack]);
    pack.extend(checksum);
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].id);
    let mut idx = b"\xfftOc".to_vec();
    idx.extend(2u32.to_be_bytes());
    for first in 0..256usize {
        let count = order.iter().filter(|&&i| usize::from(entries[i].id[0]) <= first).count();
        idx.extend((count as u32).to_be_bytes());
    }
    for &i in &order {
        idx.extend(entries[i].id);
    }
    for _ in &order {
        idx.extend(0u32.to_be_bytes());
    }
    for &i in &order {
        idx.extend(offsets[i].to_be_bytes());
    }
    idx.extend(checksum);
    let idx_checksum = sha1(&[&idx]);
    idx.extend(idx_checksum);
    let dir = objects.join("pack");
    std::fs::create_dir_all(&dir).expect("pack directory");
    let name = format!("pack-{}", hex(&checksum));
    std::fs::write(dir.join(format!("{name}.idx")), idx).expect("write idx");
    let path = dir.join(format!("{name}.pack"));
    std::fs::write(&path, pack).expect("write pack");
    path
}

/// Sets the offset the index states for `id` (small offsets only).
pub fn set_index_offset(pack: &Path, id: &[u8; 20], offset: u32) {
    let idx = pack.with_extension("idx");
    let mut data = std::fs::read(&idx).expect("read idx");
    let count = u32::from_be_bytes(data[8 + 255 * 4..8 + 256 * 4].try_into().expect("count")) as usize;
    let position = (0..count).find(|i| data[1032 + i * 20..1032 + i * 20 + 20] == id[..]).expect("id in index");
    let at = 1032 + count * 24 + position * 4;
    data[at..at + 4].copy_from_slice(&offset.to_be_bytes());
    std::fs::write(&idx, data).expect("write idx");
}
