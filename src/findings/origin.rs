//! Where a finding comes from. Sources say it; reporters render it (in
//! `report::Place`, once for every format); nothing between them looks
//! inside. A new kind of source (an archive member, an image layer) is a
//! new variant here, and the compiler points at every place that shows it.

use std::sync::Arc;

use super::History;

#[derive(Debug, Clone)]
pub enum Origin {
    /// A file of a working tree, by its path relative to the scan root.
    File { path: String },
    /// Standard input (`sqscan scan -`).
    Stdin,
    /// A blob of a git repository.
    Blob(Blob),
}

#[derive(Debug, Clone)]
pub struct Blob {
    /// The repository's identity: its normalised remote URL, or its path.
    pub repository: Arc<str>,
    /// Where the blob sits (for a history, the path the secret entered at).
    pub path: String,
    /// The blob's object id.
    pub id: String,
    /// Where and when the secret entered: for history and range scans,
    /// once traced; `None` for a staged blob and an unreachable one.
    pub history: Option<History>,
    /// No ref reaches the blob (force-pushed away, rebased, a dropped
    /// stash): it has no commit and no path, but any copy of the object
    /// store still serves it.
    pub unreachable: bool,
}

/// What standard input is shown as.
pub const STDIN_PATH: &str = "<stdin>";

impl Origin {
    /// The path to show, relative to the scan root, with `/` separators.
    pub fn path(&self) -> &str {
        match self {
            Origin::File { path } => path,
            Origin::Stdin => STDIN_PATH,
            Origin::Blob(blob) => &blob.path,
        }
    }
}
