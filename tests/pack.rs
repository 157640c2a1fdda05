//! The pack reader rebuilds exactly what libgit2 (and git) read, for every
//! object of repositories packed with offset deltas, reference deltas and
//! deep chains.

mod util;

use git2::{ObjectType, Repository};
use sqscan::sources::git::pack::{PackReader, PackSet};
use util::GitRepo;

/// A repository with many versions of a few files, so that packing deltas them.
fn history() -> GitRepo {
    let repo = GitRepo::new();
    let mut text: Vec<String> = (0..300).map(|i| format!("line {i} of a file that changes a little\n")).collect();
    for round in 0..60 {
        text[(round * 7) % 300] = format!("changed in round {round}\n");
        text.push(format!("appended in round {round}\n"));
        let body = text.concat();
        repo.commit(
            &format!("round {round}"),
            &[("a.txt", Some(&body)), ("sub/b.txt", Some(&body.replace("line", "row")))],
        );
    }
    repo
}

fn assert_pack_reads_match_libgit2(repo: &GitRepo) {
    let git = Repository::open(repo.path()).unwrap();
    let packs = PackSet::open(git.path());
    assert!(!packs.is_empty(), "the repository is packed");
    let mut reader = PackReader::new(&packs, 1 << 20, 1 << 30);
    let odb = git.odb().unwrap();
    let mut checked = 0;
    odb.foreach(|oid| {
        let position = packs.locate(*oid).expect("every object is in the pack");
        let ours = reader.read(position).expect("rebuilt");
        let theirs = odb.read(*oid).unwrap();
        assert_eq!(ours.kind, theirs.kind(), "{oid}");
        assert_eq!(&ours.data[..], theirs.data(), "{oid}");
        if ours.kind == ObjectType::Blob {
            assert_eq!(reader.size(position).unwrap(), theirs.data().len() as u64);
        }
        checked += 1;
        true
    })
    .unwrap();
    assert_eq!(checked, 300, "60 commits, 120 trees, 120 blobs");
    // And the pack really holds long delta chains.
    let pack = std::fs::read_dir(repo.path().join(".git/objects/pack"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let stats = repo.git(&["verify-pack", "-s", pack.to_str().unwrap()]);
    assert!(stats.contains("chain length = 10:"), "{stats}");
}

#[test]
fn offset_deltas_with_deep_chains_read_back_exactly() {
    let repo = history();
    repo.git(&["repack", "-adfq", "--depth=50", "--window=50"]);
    assert_pack_reads_match_libgit2(&repo);
}

#[test]
fn reference_deltas_read_back_exactly() {
    let repo = history();
    repo.git(&["-c", "repack.useDeltaBaseOffset=false", "repack", "-adfq"]);
    assert_pack_reads_match_libgit2(&repo);
}

#[test]
fn a_tiny_cache_still_rebuilds_everything() {
    let repo = history();
    repo.git(&["repack", "-adfq", "--depth=50"]);
    let git = Repository::open(repo.path()).unwrap();
    let packs = PackSet::open(git.path());
    let mut reader = PackReader::new(&packs, 0, 1 << 30);
    let head = git.head().unwrap().peel_to_tree().unwrap();
    let entry = head.get_path(std::path::Path::new("a.txt")).unwrap();
    let position = packs.locate(entry.id()).unwrap();
    let blob = git.find_blob(entry.id()).unwrap();
    assert_eq!(&reader.read(position).unwrap().data[..], blob.content());
}
