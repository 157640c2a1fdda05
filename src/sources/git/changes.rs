//! Changes: what a range of commits, or the index, adds. A change is a blob
//! at a path and the blobs it replaced there; only lines it adds count, so
//! a token that was already there, or that the change deletes, is not new.

use std::collections::{BTreeSet, HashMap};

use anyhow::{anyhow, bail};
use git2::{Delta, Diff, DiffFindOptions, DiffOptions, Oid, Patch, Repository, Sort, Tree};

use super::history::{CommitGraph, CommitNode, shallow_commits};
use super::index;

/// One blob a commit (or the index) put at a path.
#[derive(Debug, Clone)]
pub struct Change {
    pub path: String,
    pub new: Oid,
    /// What was at that path (or the path it was renamed from) before, in
    /// each parent; empty for a new file.
    pub old: Vec<Oid>,
    /// Index into the graph's commits; `None` for a staged change.
    pub commit: Option<usize>,
    /// A staged new file that may be a rename or copy not yet looked for
    /// (the index's own diff finds no similar files): paired, with
    /// [`paired_old`], once it is known to hold a secret.
    pub unpaired: bool,
}

/// `A..B` resolved to commits.
#[derive(Debug, Clone)]
pub struct RangeEnds {
    /// As the user wrote it, for messages.
    pub spec: String,
    pub from: Oid,
    pub to: Oid,
}

const SHALLOW_HINT: &str = "this looks like a shallow clone: fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` with actions/checkout)";

/// The two ends of `A..B`, refusing what would silently scan the wrong
/// commits (`A...B`, no `..`).
pub fn split_range(spec: &str) -> anyhow::Result<(&str, &str)> {
    let Some((from, to)) = spec.split_once("..") else {
        bail!("--range {spec:?}: expected A..B");
    };
    if to.starts_with('.') {
        bail!("--range {spec:?}: A...B (symmetric difference) is not supported; use A..B");
    }
    Ok((from, to))
}

/// Resolves `from..to` (an empty end is HEAD) to commits; `spec` is how
/// the user wrote it (`--since-commit A` is `A..HEAD`).
pub fn resolve_range(repo: &Repository, from: &str, to: &str, spec: &str) -> anyhow::Result<RangeEnds> {
    let resolve = |name: &str| -> anyhow::Result<Oid> {
        let name = if name.is_empty() { "HEAD" } else { name };
        let object = repo.revparse_single(name).map_err(|e| {
            if repo.is_shallow() {
                anyhow!("--range {spec:?}: cannot find {name:?}; {SHALLOW_HINT}")
            } else {
                anyhow!("--range {spec:?}: cannot find {name:?} ({})", e.message())
            }
        })?;
        let commit = object.peel_to_commit().map_err(|_| anyhow!("--range {spec:?}: {name:?} is not a commit"))?;
        Ok(commit.id())
    };
    Ok(RangeEnds { spec: spec.to_string(), from: resolve(from)?, to: resolve(to)? })
}

/// The commits in the range (reachable from B, not from A), children first,
/// and the changes each made, sent in that order.
pub fn range_changes(
    repo: &Repository,
    range: &RangeEnds,
    send: &mut dyn FnMut(Change),
) -> anyhow::Result<CommitGraph> {
    let shallow = shallow_commits(repo);
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL)?;
    walk.push(range.to)?;
    walk.hide(range.from).map_err(|e| anyhow!("--range {:?}: {}; {SHALLOW_HINT}", range.spec, e.message()))?;
    let mut graph = CommitGraph::default();
    for id in walk {
        let id = id.map_err(|e| anyhow!("--range {:?}: {}; {SHALLOW_HINT}", range.spec, e.message()))?;
        if shallow.contains(&id) {
            bail!(
                "--range {:?} reaches commit {} at the edge of a shallow clone, whose parents are missing; {SHALLOW_HINT}",
                range.spec,
                &id.to_string()[..12]
            );
        }
        let commit = repo.find_commit(id)?;
        graph.commits.push(CommitNode { id, tree: commit.tree_id(), parents: commit.parent_ids().collect() });
    }
    if graph.commits.is_empty() {
        bail!(
            "--range {:?} holds no commits: every commit of the right side is already in the left (check the order, A..B scans what B adds to A)",
            range.spec
        );
    }
    for (index, node) in graph.commits.iter().enumerate() {
        let commit = repo.find_commit(node.id)?;
        let tree = commit.tree()?;
        let parents: Vec<Tree> = commit.parents().map(|p| p.tree()).collect::<Result<_, _>>()?;
        if parents.is_empty() {
            for change in tree_changes(repo, None, &tree)? {
                send(Change { commit: Some(index), ..change });
            }
            continue;
        }
        // A path counts as changed by a merge only if it differs from every
        // parent: what a merge brings from one side is that side's change.
        let mut per_parent: Vec<HashMap<String, Change>> = Vec::new();
        for parent in &parents {
            let changes = tree_changes(repo, Some(parent), &tree)?;
            per_parent.push(changes.into_iter().map(|c| (c.path.clone(), c)).collect());
        }
        let (first, rest) = per_parent.split_first().ok_or_else(|| anyhow!("no parent"))?;
        for (path, change) in first {
            let in_all = rest.iter().all(|other| other.get(path).is_some_and(|c| c.new == change.new));
            if !in_all {
                continue;
            }
            let mut old: Vec<Oid> = change.old.clone();
            for other in rest.iter().filter_map(|other| other.get(path)) {
                old.extend(other.old.iter().copied());
            }
            send(Change { path: path.clone(), new: change.new, old, commit: Some(index), unpaired: false });
        }
    }
    Ok(graph)
}

/// The changes staged in the index, against HEAD (or nothing, before the
/// first commit). The index is read directly, its cache tree sparing the
/// trees of HEAD that nothing changed; an index that reader does not follow
/// is diffed by libgit2.
pub fn staged_changes(repo: &Repository) -> anyhow::Result<Vec<Change>> {
    let head = head_tree(repo)?;
    let direct = index::Index::read(&[repo.path(), repo.commondir()], &index_path(repo));
    let Some(index) = direct else {
        return libgit2_staged(repo, head.as_ref());
    };
    let Some(diff) = index.staged(repo, head.as_ref().map(Tree::id))? else {
        return libgit2_staged(repo, head.as_ref());
    };
    let path = |p: Vec<u8>| String::from_utf8(p).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok(diff
        .staged
        .into_iter()
        .map(|s| Change {
            unpaired: s.old.is_none() && diff.may_pair,
            path: path(s.path),
            new: s.new,
            old: s.old.into_iter().collect(),
            commit: None,
        })
        .collect())
}

/// What a staged new file at `path` was renamed or copied from, by
/// libgit2's similarity search over the whole staged diff.
pub fn paired_old(repo: &Repository, path: &str) -> anyhow::Result<Vec<Oid>> {
    let head = head_tree(repo)?;
    Ok(libgit2_staged(repo, head.as_ref())?.into_iter().find(|c| c.path == path).map(|c| c.old).unwrap_or_default())
}

fn libgit2_staged(repo: &Repository, head: Option<&Tree>) -> anyhow::Result<Vec<Change>> {
    let index = git2::Index::open(&index_path(repo))?;
    let mut diff = repo.diff_tree_to_index(head, Some(&index), Some(&mut diff_options()))?;
    find_renames(&mut diff);
    Ok(deltas(&diff))
}

/// HEAD's tree; `None` before the first commit.
fn head_tree(repo: &Repository) -> anyhow::Result<Option<Tree<'_>>> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_tree()?)),
        Err(e) if matches!(e.code(), git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The index git itself would read: `GIT_INDEX_FILE` (set by `git commit`
/// for its hooks when it commits through a temporary index), else the
/// repository's.
fn index_path(repo: &Repository) -> std::path::PathBuf {
    match std::env::var_os("GIT_INDEX_FILE") {
        Some(path) if !path.is_empty() => std::path::PathBuf::from(path),
        _ => repo.path().join("index"),
    }
}

fn tree_changes(repo: &Repository, old: Option<&Tree>, new: &Tree) -> anyhow::Result<Vec<Change>> {
    let mut diff = repo.diff_tree_to_tree(old, Some(new), Some(&mut diff_options()))?;
    find_renames(&mut diff);
    Ok(deltas(&diff))
}

fn diff_options() -> DiffOptions {
    let mut options = DiffOptions::new();
    options.ignore_submodules(true).include_typechange(true);
    options
}

/// Renamed and copied files keep their history: their old lines are not
/// new. Finding similar files reads their content; where a blob is missing
/// (a partial clone) only identical ones are paired, which needs ids
/// alone, and failing that every file counts as new: a known token
/// reported again rather than a new one missed.
fn find_renames(diff: &mut Diff) {
    let mut options = DiffFindOptions::new();
    options.renames(true).copies(true);
    if diff.find_similar(Some(&mut options)).is_err() {
        // Without even that, no pairs: see above.
        let _ = diff.find_similar(Some(options.exact_match_only(true)));
    }
}

fn deltas(diff: &Diff) -> Vec<Change> {
    diff.deltas()
        .filter(|d| {
            matches!(d.status(), Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange)
        })
        .filter(|d| !d.new_file().id().is_zero() && d.new_file().mode() != git2::FileMode::Commit)
        .map(|d| {
            let path = d.new_file().path_bytes().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
            let old = d.old_file();
            let old = if old.id().is_zero() || old.mode() == git2::FileMode::Commit { vec![] } else { vec![old.id()] };
            Change { path, new: d.new_file().id(), old, commit: None, unpaired: false }
        })
        .collect()
}

/// The line numbers (1-based) of `new` that are added relative to every one
/// of `old`; `None` when all lines are (a new file, or a diff git cannot
/// make line by line, such as UTF-16 text).
pub fn added_lines(repo: &Repository, old: &[Oid], new: Oid) -> anyhow::Result<Option<BTreeSet<usize>>> {
    if old.is_empty() {
        return Ok(None);
    }
    let new_blob = repo.find_blob(new)?;
    let mut result: Option<BTreeSet<usize>> = None;
    for &old in old {
        let old_blob = repo.find_blob(old)?;
        let mut options = DiffOptions::new();
        options.context_lines(0);
        let patch = Patch::from_blobs(&old_blob, None, &new_blob, None, Some(&mut options))?;
        if patch.delta().flags().is_binary() {
            return Ok(None);
        }
        let mut added = BTreeSet::new();
        for hunk in 0..patch.num_hunks() {
            for line in 0..patch.num_lines_in_hunk(hunk)? {
                let line = patch.line_in_hunk(hunk, line)?;
                if line.origin() == '+'
                    && let Some(number) = line.new_lineno()
                {
                    added.insert(number as usize);
                }
            }
        }
        result = Some(match result {
            None => added,
            Some(before) => before.intersection(&added).copied().collect(),
        });
    }
    Ok(result)
}
