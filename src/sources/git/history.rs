//! A whole history: every commit reachable from any ref (branches, tags,
//! remotes, the stash, notes) and HEAD, and every blob in their trees, each
//! reported once. Trees are read once too: a tree already walked holds no
//! blob not already reported, so most of each commit's tree is skipped.

use git2::{ObjectType, Oid, Repository, Sort};

use super::objects::{Objects, ReadError, tree_entries};
use super::{OidSet, root};
use crate::sources::{SkipReason, Tally};

/// A blob seen for the first time, and one path it sits at.
#[derive(Debug, Clone)]
pub struct BlobRef {
    pub oid: Oid,
    pub path: String,
}

/// The commits walked, for tracing where blobs came from.
#[derive(Debug, Default)]
pub struct CommitGraph {
    /// Topological order, children before parents.
    pub commits: Vec<CommitNode>,
    pub head_tree: Option<Oid>,
}

#[derive(Debug, Clone)]
pub struct CommitNode {
    pub id: Oid,
    pub tree: Oid,
    pub parents: Vec<Oid>,
}

/// Walks every commit and tree, calling `send` with each blob once.
pub fn walk_all(objects: &mut Objects, tally: &Tally, send: &mut dyn FnMut(BlobRef)) -> anyhow::Result<CommitGraph> {
    // A handle of its own for commits, while `objects` reads trees.
    let repo = &Repository::open(objects.repo().path())?;
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL)?;
    let mut walker = TreeWalker {
        objects,
        tally,
        seen_trees: OidSet::default(),
        seen_blobs: OidSet::default(),
        submodules: Default::default(),
    };
    let mut graph = CommitGraph::default();
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    graph.head_tree = head.as_ref().map(|c| c.tree_id());
    let mut push = |id: Oid, name: &str| {
        if let Err(e) = walk.push(id) {
            tally.skip(name.to_string(), SkipReason::Unreadable(e.message().to_string()));
        }
    };
    if let Some(head) = &head {
        push(head.id(), "HEAD");
    }
    for reference in repo.references()?.flatten() {
        let name = reference.name().unwrap_or("<ref>").to_string();
        match reference.peel(ObjectType::Any) {
            Ok(object) => match object.kind() {
                Some(ObjectType::Commit) => push(object.id(), &name),
                // A tag may name a tree or a blob directly.
                Some(ObjectType::Tree) => walker.tree(object.id(), "", send),
                Some(ObjectType::Blob) => walker.blob(object.id(), &name, send),
                _ => {}
            },
            Err(e) => tally.skip(name, SkipReason::Unreadable(e.message().to_string())),
        }
    }
    for id in walk {
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                tally.skip(format!("{}", root(repo).display()), SkipReason::Unreadable(e.message().to_string()));
                break;
            }
        };
        let commit = match repo.find_commit(id) {
            Ok(commit) => commit,
            Err(e) => {
                tally.skip(format!("commit {id}"), SkipReason::Unreadable(e.message().to_string()));
                continue;
            }
        };
        walker.tree(commit.tree_id(), "", send);
        graph.commits.push(CommitNode { id, tree: commit.tree_id(), parents: commit.parent_ids().collect() });
    }
    Ok(graph)
}

struct TreeWalker<'a, 'p> {
    objects: &'a mut Objects<'p>,
    tally: &'a Tally,
    seen_trees: OidSet,
    seen_blobs: OidSet,
    submodules: std::collections::HashSet<String>,
}

impl TreeWalker<'_, '_> {
    fn tree(&mut self, id: Oid, prefix: &str, send: &mut dyn FnMut(BlobRef)) {
        if !self.seen_trees.insert(id) {
            return;
        }
        let data = match self.objects.read(id, None) {
            Ok((ObjectType::Tree, data)) => data,
            outcome => {
                let shown = if prefix.is_empty() { format!("tree {id}") } else { prefix.to_string() };
                let reason = match outcome {
                    Err(ReadError::Missing) => SkipReason::Missing,
                    Err(ReadError::Corrupt(why)) => SkipReason::Unreadable(why),
                    Ok((kind, _)) => SkipReason::Unreadable(format!("object {id} is a {kind}, not a tree")),
                };
                self.tally.skip(shown, reason);
                return;
            }
        };
        // Most entries were seen in an earlier commit: test before building paths.
        for entry in tree_entries(&data) {
            let id = entry.id;
            let path = || join(prefix, entry.name);
            match entry.kind {
                ObjectType::Blob if !self.seen_blobs.contains(&id) => self.blob(id, &path(), send),
                ObjectType::Tree if !self.seen_trees.contains(&id) => self.tree(id, &path(), send),
                // A submodule: its commit lives in another repository.
                ObjectType::Commit => {
                    let path = path();
                    if self.submodules.insert(path.clone()) {
                        self.tally.skip(path, SkipReason::Submodule);
                    }
                }
                _ => {}
            }
        }
    }

    fn blob(&mut self, oid: Oid, path: &str, send: &mut dyn FnMut(BlobRef)) {
        if self.seen_blobs.insert(oid) {
            self.tally.queued();
            send(BlobRef { oid, path: path.to_string() });
        }
    }
}

/// `prefix/name`, or `name` at the root.
fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() { name.into_owned() } else { format!("{prefix}/{name}") }
}
