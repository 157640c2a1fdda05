//! Any bytes as a pack and its index: the cheap damage check, the index
//! repair libgit2 is given, and the pack reader on every object the index
//! lists. Nothing may panic, abort or allocate past the reader's limit.
//!
//! Input: a 4-byte big-endian length, that many bytes of `.idx`, and the
//! rest as the `.pack`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sqscan::sources::git::pack::{PackReader, PackSet, damaged_packs, repaired_index};

/// What the reader rebuilds at most: small, so that the fuzzer's memory
/// limit is never the one that holds.
const LIMIT: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((length, rest)) = data.split_first_chunk::<4>() else { return };
    let length = (u32::from_be_bytes(*length) as usize).min(rest.len());
    let (idx, pack) = rest.split_at(length);
    let Ok(dir) = tempfile::tempdir() else { return };
    let packs = dir.path().join("objects/pack");
    if std::fs::create_dir_all(&packs).is_err() {
        return;
    }
    let name = packs.join("pack-fuzz");
    if std::fs::write(name.with_extension("idx"), idx).is_err() || std::fs::write(name.with_extension("pack"), pack).is_err()
    {
        return;
    }
    let _ = damaged_packs(dir.path());
    let _ = repaired_index(&name.with_extension("idx"));
    let set = PackSet::open(dir.path());
    let mut reader = PackReader::new(&set, 1 << 20, LIMIT);
    // The ids the index lists, wherever its fan-out says they are.
    let count = idx.get(8 + 255 * 4..8 + 256 * 4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    for i in 0..count.min(4096) {
        let Some(id) = idx.get(1032 + i * 20..1032 + i * 20 + 20) else { break };
        let Ok(oid) = git2::Oid::from_bytes(id) else { break };
        if let Some(position) = set.locate(oid) {
            let _ = reader.size(position);
            if let Ok(object) = reader.read(position) {
                assert!(object.data.len() as u64 <= LIMIT);
            }
        }
    }
});
