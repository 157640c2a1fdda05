//! A whole history: every commit reachable from any ref (branches, tags,
//! remotes, the stash, notes) and HEAD, and every blob in their trees, each
//! reported once. Trees are read once too: a tree already walked holds no
//! blob not already reported, so most of each commit's tree is skipped.
//!
//! Commits are read and ordered here, not by libgit2's revwalk, which fails
//! as a whole on one unreadable commit: what is readable is walked, and
//! every ref, commit and tree that is not is counted, marking the scan
//! incomplete.

use std::sync::Arc;

use git2::{ErrorCode, ObjectType, Oid, Repository};

use super::objects::{Objects, ReadError, next_tree_entry, parse_commit, parse_tag};
use super::{OidMap, OidSet};
use crate::sources::{SkipReason, Tally};

/// Git refuses trees nested deeper than this (`core.maxTreeDepth`).
pub const MAX_TREE_DEPTH: usize = 4096;
/// Tags of tags are followed this far.
const MAX_TAG_CHAIN: usize = 32;

/// A blob seen for the first time, and one path it sits at (kept in the
/// walk's [`BlobPaths`]).
#[derive(Debug, Clone)]
pub struct BlobRef {
    pub oid: Oid,
    path: PathRef,
}

/// A path as its directory (kept once for every blob in it) and its name.
#[derive(Debug, Clone)]
struct PathRef {
    dir: u32,
    name: std::ops::Range<u32>,
}

/// The paths of a walk's blobs: a history holds hundreds of thousands of
/// blobs in a few thousand directories, so each directory is kept once and
/// names one after another (28 bytes a blob where a string each took 70).
#[derive(Debug, Default)]
pub struct BlobPaths {
    dirs: Vec<String>,
    dir_ids: std::collections::HashMap<String, u32>,
    names: Vec<u8>,
    /// Paths that did not fit the tables above (more than 4 GiB of names).
    long: Vec<String>,
}

/// `PathRef::dir` of a path kept whole in `BlobPaths::long`.
const LONG: u32 = u32::MAX;

impl BlobPaths {
    /// The path of `blob`, as the walk found it.
    pub fn of(&self, blob: &BlobRef) -> String {
        let PathRef { dir, name } = &blob.path;
        if *dir == LONG {
            return self.long.get(name.start as usize).cloned().unwrap_or_default();
        }
        let name = String::from_utf8_lossy(&self.names[name.start as usize..name.end as usize]);
        match self.dirs.get(*dir as usize).map(String::as_str) {
            None | Some("") => name.into_owned(),
            Some(dir) => format!("{dir}/{name}"),
        }
    }

    /// The id of the directory `dir`, kept once.
    fn dir(&mut self, dir: &str) -> u32 {
        if let Some(&id) = self.dir_ids.get(dir) {
            return id;
        }
        let Ok(id) = u32::try_from(self.dirs.len()) else { return LONG };
        self.dirs.push(dir.to_string());
        self.dir_ids.insert(dir.to_string(), id);
        id
    }

    fn add(&mut self, dir: u32, name: &[u8]) -> PathRef {
        let start = self.names.len();
        let fits = u32::try_from(start + name.len()).is_ok() && dir != LONG;
        if !fits {
            let whole = join(self.dirs.get(dir as usize).map_or("", String::as_str), name);
            let at = u32::try_from(self.long.len()).unwrap_or(u32::MAX);
            self.long.push(whole);
            return PathRef { dir: LONG, name: at..at };
        }
        self.names.extend_from_slice(name);
        PathRef { dir, name: start as u32..self.names.len() as u32 }
    }
}

/// The commits walked, for tracing where blobs came from.
#[derive(Debug, Default)]
pub struct CommitGraph {
    /// Topological order, children before parents.
    pub commits: Vec<CommitNode>,
    pub head_tree: Option<Oid>,
    /// Known commits (walked by an earlier run) where this walk stopped:
    /// tips and parents of new commits, with their trees, so that what a
    /// new commit inherited is not taken for an introduction.
    pub boundary: OidMap<Oid>,
}

/// What an earlier run already walked: its commits are not walked again,
/// its blobs not sent again.
#[derive(Debug, Default)]
pub struct Known {
    pub commits: OidSet,
    pub blobs: OidSet,
}

#[derive(Debug, Clone)]
pub struct CommitNode {
    pub id: Oid,
    pub tree: Oid,
    pub parents: Vec<Oid>,
}

/// Walks every commit from `tips` and every tree, but what `known` says
/// an earlier run walked, calling `send` with each blob once.
pub fn walk_all(
    repo: &Repository,
    objects: &mut Objects,
    tally: &Tally,
    tips: &Tips,
    known: Known,
    send: &mut dyn FnMut(BlobRef),
) -> anyhow::Result<(CommitGraph, BlobPaths)> {
    let mut walker = TreeWalker {
        objects,
        tally,
        seen_trees: OidSet::default(),
        seen_blobs: known.blobs,
        submodules: Default::default(),
        found: Vec::new(),
        paths: BlobPaths::default(),
    };
    let Tips { head, named } = tips;
    let (head, named) = (*head, named.clone());
    let mut starts = Vec::new();
    for (name, id) in named {
        match walker.peel(id) {
            Ok((ObjectType::Commit, id)) => starts.push(id),
            // A tag may name a tree or a blob directly.
            Ok((ObjectType::Tree, id)) => walker.tree(id, ""),
            Ok((ObjectType::Blob, id)) => {
                let root = walker.paths.dir("");
                walker.blob(id, root, name.as_bytes());
            }
            Ok(_) => {}
            Err(reason) => tally.skip_incomplete(name, reason),
        }
        walker.flush(send);
    }
    let (nodes, boundary) = read_commits(walker.objects, &starts, &shallow_commits(repo), &known.commits, tally);
    let commits = topological(&starts, nodes);
    for commit in &commits {
        walker.tree(commit.tree, "");
        walker.flush(send);
    }
    let head_tree =
        head.and_then(|id| commits.iter().find(|c| c.id == id).map(|c| c.tree).or(boundary.get(&id).copied()));
    Ok((CommitGraph { commits, head_tree, boundary }, walker.paths))
}

/// Where a walk starts: what HEAD names, and every ref's target (HEAD
/// first, then by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tips {
    pub head: Option<Oid>,
    pub named: Vec<(String, Oid)>,
}

/// A ref that does not resolve is counted, and the scan incomplete.
pub fn tips(repo: &Repository, tally: &Tally) -> anyhow::Result<Tips> {
    let mut tips = Vec::new();
    let head = match repo.head() {
        Ok(head) => head.target(),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => {
            tally.skip_incomplete("HEAD", SkipReason::Unreadable(e.message().to_string()));
            None
        }
    };
    tips.extend(head.map(|id| ("HEAD".to_string(), id)));
    let mut named = Vec::new();
    for reference in repo.references()? {
        let reference = match reference {
            Ok(reference) => reference,
            Err(e) => {
                tally.skip_incomplete("<ref>", SkipReason::Unreadable(e.message().to_string()));
                continue;
            }
        };
        let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
        match reference.resolve().map(|r| r.target()) {
            Ok(Some(id)) => named.push((name, id)),
            Ok(None) => {}
            Err(e) => tally.skip_incomplete(name, SkipReason::Unreadable(e.message().to_string())),
        }
    }
    named.sort();
    tips.extend(named);
    Ok(Tips { head, named: tips })
}

/// Every commit reachable from `starts` but through a `known` one, read
/// through `objects`, and the trees of the known ones where the walk
/// stopped. Parents of a shallow clone's edge are not followed (the clone
/// lacks them); every other commit that cannot be read is counted, and
/// the walk goes on with the rest.
fn read_commits(
    objects: &mut Objects,
    starts: &[Oid],
    shallow: &OidSet,
    known: &OidSet,
    tally: &Tally,
) -> (OidMap<CommitNode>, OidMap<Oid>) {
    let mut nodes: OidMap<CommitNode> = OidMap::default();
    let mut boundary: OidMap<Oid> = OidMap::default();
    let mut failed = OidSet::default();
    let mut stack: Vec<Oid> = starts.iter().rev().copied().collect();
    while let Some(id) = stack.pop() {
        if nodes.contains_key(&id) || failed.contains(&id) || boundary.contains_key(&id) {
            continue;
        }
        if known.contains(&id) {
            if let Ok((ObjectType::Commit, data)) = objects.read(id, None)
                && let Some(fields) = parse_commit(&data)
            {
                boundary.insert(id, fields.tree);
            }
            continue;
        }
        let fields = match objects.read(id, None) {
            Ok((ObjectType::Commit, data)) => parse_commit(&data)
                .ok_or_else(|| SkipReason::Unreadable(format!("object {id} is not a well-formed commit"))),
            Ok((kind, _)) => Err(SkipReason::Unreadable(format!("object {id} is a {kind}, not a commit"))),
            Err(e) => Err(skip_reason(e)),
        };
        match fields {
            Ok(fields) => {
                let parents = if shallow.contains(&id) { Vec::new() } else { fields.parents };
                stack.extend(parents.iter().rev());
                nodes.insert(id, CommitNode { id, tree: fields.tree, parents });
            }
            Err(reason) => {
                failed.insert(id);
                tally.skip_incomplete(format!("commit {id}"), reason);
            }
        }
    }
    (nodes, boundary)
}

/// Children before parents, starting from the tips in their order.
fn topological(starts: &[Oid], mut nodes: OidMap<CommitNode>) -> Vec<CommitNode> {
    let mut children: OidMap<usize> = OidMap::default();
    for node in nodes.values() {
        for parent in node.parents.iter().filter(|p| nodes.contains_key(p)) {
            *children.entry(*parent).or_default() += 1;
        }
    }
    let mut order = Vec::with_capacity(nodes.len());
    let mut ready: Vec<Oid> = starts.iter().rev().filter(|id| !children.contains_key(id)).copied().collect();
    let mut queued = OidSet::default();
    while let Some(id) = ready.pop() {
        if !queued.insert(id) {
            continue;
        }
        let Some(node) = nodes.remove(&id) else { continue };
        for parent in node.parents.iter().rev() {
            if let Some(count) = children.get_mut(parent) {
                *count -= 1;
                if *count == 0 {
                    ready.push(*parent);
                }
            }
        }
        order.push(node);
    }
    // Only a cycle, which no real history has, leaves anything behind.
    let mut rest: Vec<CommitNode> = nodes.into_values().collect();
    rest.sort_by_key(|n| n.id);
    order.extend(rest);
    order
}

/// Commits at the edge of a shallow clone (listed in `.git/shallow`).
pub fn shallow_commits(repo: &Repository) -> OidSet {
    if !repo.is_shallow() {
        return OidSet::default();
    }
    let text = std::fs::read_to_string(repo.path().join("shallow")).unwrap_or_default();
    text.lines().filter_map(|l| Oid::from_str(l.trim()).ok()).collect()
}

fn skip_reason(error: ReadError) -> SkipReason {
    match error {
        ReadError::Missing => SkipReason::Missing,
        ReadError::Corrupt(why) => SkipReason::Unreadable(why),
    }
}

struct TreeWalker<'a, 'p> {
    objects: &'a mut Objects<'p>,
    tally: &'a Tally,
    seen_trees: OidSet,
    seen_blobs: OidSet,
    submodules: std::collections::HashSet<String>,
    /// Blobs found and not yet sent.
    found: Vec<BlobRef>,
    paths: BlobPaths,
}

/// A tree being read: its data and how far.
struct Frame {
    data: Arc<[u8]>,
    at: usize,
    prefix: String,
    /// `prefix` in the walk's [`BlobPaths`], once a blob needs it.
    dir: Option<u32>,
    depth: usize,
}

impl TreeWalker<'_, '_> {
    /// Follows annotated tags to what they name.
    fn peel(&mut self, mut id: Oid) -> Result<(ObjectType, Oid), SkipReason> {
        for _ in 0..MAX_TAG_CHAIN {
            match self.objects.read(id, None).map_err(skip_reason)? {
                (ObjectType::Tag, data) => {
                    id = parse_tag(&data)
                        .ok_or_else(|| SkipReason::Unreadable(format!("object {id} is not a well-formed tag")))?
                        .0;
                }
                (kind, _) => return Ok((kind, id)),
            }
        }
        Err(SkipReason::Unreadable(format!("tag {id}: more than {MAX_TAG_CHAIN} tags of tags")))
    }

    /// Walks a tree and every tree below it not seen before, depth first,
    /// without recursion: a hostile tree may nest thousands deep.
    fn tree(&mut self, root: Oid, prefix: &str) {
        if !self.seen_trees.insert(root) {
            return;
        }
        let mut stack: Vec<Frame> = Vec::new();
        if let Some(data) = self.read_tree(root, prefix) {
            stack.push(Frame { data, at: 0, prefix: prefix.to_string(), dir: None, depth: 1 });
        }
        while let Some(frame) = stack.last_mut() {
            let Some(entry) = next_tree_entry(&frame.data, &mut frame.at) else {
                stack.pop();
                continue;
            };
            let id = entry.id;
            // Most entries were seen in an earlier commit: test before building paths.
            match entry.kind {
                ObjectType::Blob if !self.seen_blobs.contains(&id) => {
                    let dir = *frame.dir.get_or_insert_with(|| self.paths.dir(&frame.prefix));
                    self.blob(id, dir, entry.name);
                }
                ObjectType::Tree if !self.seen_trees.contains(&id) => {
                    let (path, depth) = (join(&frame.prefix, entry.name), frame.depth + 1);
                    self.seen_trees.insert(id);
                    if depth > MAX_TREE_DEPTH {
                        self.tally.skip_incomplete(path, SkipReason::TooDeep);
                    } else if let Some(data) = self.read_tree(id, &path) {
                        stack.push(Frame { data, at: 0, prefix: path, dir: None, depth });
                    }
                }
                // A submodule: its commit lives in another repository.
                ObjectType::Commit => {
                    let path = join(&frame.prefix, entry.name);
                    if self.submodules.insert(path.clone()) {
                        self.tally.skip(path, SkipReason::Submodule);
                    }
                }
                _ => {}
            }
        }
    }

    fn read_tree(&mut self, id: Oid, prefix: &str) -> Option<Arc<[u8]>> {
        match self.objects.read(id, None) {
            Ok((ObjectType::Tree, data)) => Some(data),
            outcome => {
                let shown = if prefix.is_empty() { format!("tree {id}") } else { prefix.to_string() };
                let reason = match outcome {
                    Err(error) => skip_reason(error),
                    Ok((kind, _)) => SkipReason::Unreadable(format!("object {id} is a {kind}, not a tree")),
                };
                self.tally.skip_incomplete(shown, reason);
                None
            }
        }
    }

    fn blob(&mut self, oid: Oid, dir: u32, name: &[u8]) {
        if self.seen_blobs.insert(oid) {
            self.tally.queued();
            let path = self.paths.add(dir, name);
            self.found.push(BlobRef { oid, path });
        }
    }

    fn flush(&mut self, send: &mut dyn FnMut(BlobRef)) {
        for blob in self.found.drain(..) {
            send(blob);
        }
    }
}

/// `prefix/name`, or `name` at the root.
fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() { name.into_owned() } else { format!("{prefix}/{name}") }
}
