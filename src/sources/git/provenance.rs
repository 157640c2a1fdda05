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

/// A tracing thread's stack: room to read trees as deep as git allows.
const TRACER_STACK: usize = 64 << 20;

struct Tracer<'a, 'p> {
    objects: &'a mut Objects<'p>,
    targets: &'a OidSet,
    memo: OidMap<Holdings>,
}

/// Traces `targets` through `graph`, the commits split into as many
/// contiguous runs as there are readers, each run on a thread of its own
/// (adjacent commits share most trees, so each run's memo still serves).
pub fn trace(readers: &mut [Objects], graph: &CommitGraph, targets: &OidSet) -> std::io::Result<Provenance> {
    let mut provenance = Provenance::default();
    if targets.is_empty() || readers.is_empty() {
        return Ok(provenance);
    }
    let mut tracer = Tracer { objects: &mut readers[0], targets, memo: OidMap::default() };
    if let Some(head) = graph.head_tree
        && let Some(held) = tracer.holdings(head, 1)
    {
        provenance.at_head = held.iter().map(|(path, blob)| (*blob, path.clone())).collect();
    }
    if graph.commits.is_empty() {
        return Ok(provenance);
    }
    let mut trees: OidMap<Oid> = graph.commits.iter().map(|c| (c.id, c.tree)).collect();
    trees.extend(graph.boundary.iter().map(|(commit, tree)| (*commit, *tree)));
    let count = graph.commits.len();
    let runs = readers.len().min(count.max(1));
    let found: std::io::Result<Vec<Vec<(Oid, Introduction)>>> = std::thread::scope(|scope| {
        let threads: Vec<_> = readers
            .iter_mut()
            .take(runs)
            .enumerate()
            .map(|(run, objects)| {
                let range = run * count / runs..(run + 1) * count / runs;
                let trees = &trees;
                // Trees are read recursively, as deep as git allows.
                std::thread::Builder::new().stack_size(TRACER_STACK).spawn_scoped(scope, move || {
                    let mut tracer = Tracer { objects, targets, memo: OidMap::default() };
                    tracer.introductions(graph, trees, range)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| Ok(thread?.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))))
            .collect()
    });
    // Oldest first: the last run holds the oldest commits.
    for (blob, introduction) in found?.into_iter().rev().flatten() {
        provenance.introductions.entry(blob).or_default().push(introduction);
    }
    Ok(provenance)
}

impl Tracer<'_, '_> {
    /// The introductions made by the commits of `range` (indices into the
    /// graph), oldest first: parents before children.
    fn introductions(
        &mut self,
        graph: &CommitGraph,
        trees: &OidMap<Oid>,
        range: std::ops::Range<usize>,
    ) -> Vec<(Oid, Introduction)> {
        let mut found = Vec::new();
        for index in range.rev() {
            let commit = &graph.commits[index];
            let Some(held) = self.holdings(commit.tree, 1) else {
                continue;
            };
            let parents: Vec<Holdings> =
                commit.parents.iter().filter_map(|p| trees.get(p)).map(|&tree| self.holdings(tree, 1)).collect();
            for (path, blob) in held.iter() {
                let inherited = parents.iter().flatten().any(|p| p.iter().any(|(pp, pb)| pp == path && pb == blob));
                if !inherited {
                    found.push((*blob, Introduction { commit: index, path: path.clone() }));
                }
            }
        }
        found
    }

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
