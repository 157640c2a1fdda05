//! Provenance, computed only for the blobs that matched: every commit that
//! introduced one of them at a path (the blob is at that path in the commit
//! and in none of its parents), oldest first by the commit graph, and which
//! of them HEAD still holds.
//!
//! Each tree is read at most once: what a tree holds of the matched blobs
//! (path and blob) is remembered by tree id, and most trees hold none.

use std::rc::Rc;

use git2::{ObjectType, Oid};

use super::history::CommitGraph;
use super::history::MAX_TREE_DEPTH;
use super::objects::{Objects, tree_entries};
use super::{OidMap, OidSet};

/// One commit putting one matched blob at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introduction {
    /// Index into the graph's commits.
    pub commit: usize,
    pub path: String,
}

#[derive(Debug, Default)]
pub struct Provenance {
    /// For each matched blob, its introductions, oldest first.
    pub introductions: OidMap<Vec<Introduction>>,
    /// (blob, path) pairs present in HEAD's tree.
    pub at_head: Vec<(Oid, String)>,
}

type Holdings = Option<Rc<[(String, Oid)]>>;

struct Tracer<'a, 'p> {
    objects: &'a mut Objects<'p>,
    targets: &'a OidSet,
    memo: OidMap<Holdings>,
}

/// Traces `targets` through `graph`.
pub fn trace(objects: &mut Objects, graph: &CommitGraph, targets: &OidSet) -> Provenance {
    let mut provenance = Provenance::default();
    if targets.is_empty() {
        return provenance;
    }
    let mut tracer = Tracer { objects, targets, memo: OidMap::default() };
    let trees: OidMap<Oid> = graph.commits.iter().map(|c| (c.id, c.tree)).collect();
    // Oldest first: parents before children.
    for (index, commit) in graph.commits.iter().enumerate().rev() {
        let Some(held) = tracer.holdings(commit.tree, 1) else {
            continue;
        };
        let parents: Vec<Holdings> =
            commit.parents.iter().filter_map(|p| trees.get(p)).map(|&tree| tracer.holdings(tree, 1)).collect();
        for (path, blob) in held.iter() {
            let inherited = parents.iter().flatten().any(|p| p.iter().any(|(pp, pb)| pp == path && pb == blob));
            if !inherited {
                provenance
                    .introductions
                    .entry(*blob)
                    .or_default()
                    .push(Introduction { commit: index, path: path.clone() });
            }
        }
    }
    // Walked from the end, each list runs oldest first.
    if let Some(head) = graph.head_tree
        && let Some(held) = tracer.holdings(head, 1)
    {
        provenance.at_head = held.iter().map(|(path, blob)| (*blob, path.clone())).collect();
    }
    provenance
}

impl Tracer<'_, '_> {
    /// The matched blobs under `tree`, at `depth` in its commit's tree,
    /// with their paths relative to it. Trees deeper than git allows were
    /// not walked, and hold nothing here.
    fn holdings(&mut self, tree: Oid, depth: usize) -> Holdings {
        if let Some(known) = self.memo.get(&tree) {
            return known.clone();
        }
        if depth > MAX_TREE_DEPTH {
            return None;
        }
        let mut held = Vec::new();
        if let Ok((ObjectType::Tree, data)) = self.objects.read(tree, None) {
            for entry in tree_entries(&data) {
                let name = || String::from_utf8_lossy(entry.name).into_owned();
                match entry.kind {
                    ObjectType::Blob if self.targets.contains(&entry.id) => held.push((name(), entry.id)),
                    ObjectType::Tree => {
                        if let Some(below) = self.holdings(entry.id, depth + 1) {
                            let name = name();
                            held.extend(below.iter().map(|(path, blob)| (format!("{name}/{path}"), *blob)));
                        }
                    }
                    _ => {}
                }
            }
        }
        let held: Holdings = (!held.is_empty()).then(|| Rc::from(held));
        self.memo.insert(tree, held.clone());
        held
    }
}
