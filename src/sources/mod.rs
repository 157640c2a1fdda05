//! Sources read targets: a working tree, standard input, a git history, a
//! range of it, the index. Each turns its target into items (bytes and an
//! [`Origin`]), hands them to the scanner on as many threads as suits it,
//! and sends the findings to a sink. A source decides what to skip
//! (ignored, binary, too large, unreadable) and counts every skip, so that
//! nothing is skipped silently.
//!
//! Adding a source is one file implementing [`Source`] and one line in the
//! plan (`cli/plan.rs`); nothing downstream changes, but a new kind of
//! [`Origin`] if it has one.

pub mod content;
pub mod fs;
pub mod git;
pub mod paths;
pub mod stdin;
pub mod stream;

use std::fmt;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::findings::{Finding, Origin};
use crate::scan::Scanner;

/// A target read and scanned.
pub trait Source: Sync {
    /// What the summary counts.
    fn unit(&self) -> Unit;

    /// Reads the whole target: every item to `scanner`, every finding to
    /// `sink`, every skip to `tally`. Stops early once the sink says the
    /// report is closed.
    fn scan(&self, scanner: &Scanner, tally: &Tally, sink: Sink) -> anyhow::Result<()>;

    /// Whether the scan is brief (a commit's changes, a few named files):
    /// it then runs on the calling thread, its findings reported when it
    /// ends. A thread of its own costs such a scan more than the scan.
    fn is_brief(&self) -> bool {
        false
    }
}

/// Where a source sends findings, from any thread. It answers whether to
/// go on: `false` once the report can no longer be written (a closed pipe).
pub type Sink<'a> = &'a (dyn Fn(Finding) -> bool + Sync);

/// For sources whose findings need nothing more once found: each item's
/// go straight to the sink, and once it is closed no item is scanned.
pub fn scan_each<'a>(scanner: &'a Scanner, sink: Sink<'a>) -> impl Fn(Item) + Sync + 'a {
    let open = AtomicBool::new(true);
    move |item: Item| {
        if !open.load(Ordering::Relaxed) {
            return;
        }
        for finding in scanner.findings(&item) {
            if !sink(finding) {
                open.store(false, Ordering::Relaxed);
            }
        }
    }
}

/// Several sources read one after another, counted as the first counts
/// (`sqscan scan . -`: a tree and standard input).
pub struct Combined(pub Vec<Box<dyn Source>>);

impl Source for Combined {
    fn unit(&self) -> Unit {
        self.0.first().map_or(Unit::Files, |s| s.unit())
    }

    fn scan(&self, scanner: &Scanner, tally: &Tally, sink: Sink) -> anyhow::Result<()> {
        self.0.iter().try_for_each(|source| source.scan(scanner, tally, sink))
    }

    fn is_brief(&self) -> bool {
        self.0.iter().all(|source| source.is_brief())
    }
}

/// What a source counts as it reads: files (a working tree, stdin, the
/// index) or blobs (a history, a range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    #[default]
    Files,
    Blobs,
}

impl Unit {
    pub fn plural(self) -> &'static str {
        match self {
            Unit::Files => "files",
            Unit::Blobs => "blobs",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            Unit::Files => "file",
            Unit::Blobs => "blob",
        }
    }
}

/// Bytes to scan, and where they come from.
pub struct Item<'a> {
    /// Where the bytes come from; findings carry it on.
    pub origin: &'a Origin,
    pub bytes: &'a [u8],
    /// The line number of the first byte: a chunk of a stream starts mid-way.
    pub first_line: usize,
    /// Only matches that start in this range belong to this item; the rest
    /// of `bytes` is context shared with a neighbouring chunk.
    pub report: Range<usize>,
    /// The input as it was read, when `bytes` is its transcoding (UTF-16):
    /// scanned too, since a decoding is a guess.
    pub raw: Option<&'a [u8]>,
}

impl<'a> Item<'a> {
    /// A whole file.
    pub fn whole(origin: &'a Origin, bytes: &'a [u8]) -> Item<'a> {
        Item { origin, bytes, first_line: 1, report: 0..bytes.len(), raw: None }
    }

    /// A whole file, by its views: the decoded text first, the raw bytes too.
    pub fn of_views(origin: &'a Origin, views: &'a content::Views<'_>) -> Item<'a> {
        match &views.decoded {
            Some(decoded) => Item { raw: Some(views.raw), ..Item::whole(origin, decoded) },
            None => Item::whole(origin, views.raw),
        }
    }
}

/// Something a source did not scan, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
    /// Without it the scan is incomplete: an unknown amount of content was
    /// not read (a ref, commit or tree, and all below it; a target named on
    /// the command line).
    pub incomplete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    Binary,
    TooLarge {
        size: u64,
        limit: u64,
    },
    Unreadable(String),
    SymlinkLoop,
    /// A symbolic link, not followed without `--follow`.
    Symlink,
    /// A FIFO, socket or device found while walking.
    NotAFile,
    /// A git object the repository does not have (a partial clone).
    Missing,
    /// A Git LFS pointer: the content lives outside the repository.
    LfsPointer,
    /// A git submodule: its history is another repository's.
    Submodule,
    /// A tree nested deeper than git allows.
    TooDeep,
    /// A damaged pack: what is intact in it is read, the rest is counted.
    Damaged(String),
    /// A blob no ref reaches (scanned only with `--unreachable`).
    Unreachable,
}

impl SkipReason {
    /// A stable name, used as a key in JSON stats.
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge { .. } => "too-large",
            SkipReason::Unreadable(_) => "unreadable",
            SkipReason::SymlinkLoop => "symlink-loop",
            SkipReason::Symlink => "symlink",
            SkipReason::NotAFile => "not-a-file",
            SkipReason::Missing => "missing",
            SkipReason::LfsPointer => "lfs-pointer",
            SkipReason::Submodule => "submodule",
            SkipReason::TooDeep => "too-deep",
            SkipReason::Damaged(_) => "damaged",
            SkipReason::Unreachable => "unreachable",
        }
    }

    /// Whether the user should hear of it as it happens: content that may
    /// hold a secret was not read.
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            SkipReason::TooLarge { .. }
                | SkipReason::Unreadable(_)
                | SkipReason::SymlinkLoop
                | SkipReason::Missing
                | SkipReason::TooDeep
                | SkipReason::Damaged(_)
        )
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Binary => write!(f, "binary"),
            SkipReason::TooLarge { size, limit } => {
                write!(f, "larger than --max-file-size ({size} bytes > {limit})")
            }
            SkipReason::Unreadable(why) => write!(f, "cannot read: {why}"),
            SkipReason::SymlinkLoop => write!(f, "symbolic link loop"),
            SkipReason::Symlink => write!(f, "symbolic link (use --follow to follow)"),
            SkipReason::NotAFile => write!(f, "not a regular file"),
            SkipReason::Missing => write!(f, "object missing from the repository (a partial clone?)"),
            SkipReason::LfsPointer => write!(f, "Git LFS pointer (the content is stored outside the repository)"),
            SkipReason::Submodule => write!(f, "submodule (not followed; scan its repository on its own)"),
            SkipReason::TooDeep => {
                write!(f, "tree nested deeper than {} levels (git refuses such trees; not walked)", git::MAX_TREE_DEPTH)
            }
            SkipReason::Damaged(why) => write!(f, "damaged pack: {why}; its intact objects are read"),
            SkipReason::Unreachable => write!(f, "no ref reaches this blob (--unreachable scans it)"),
        }
    }
}

/// What sources read and skipped, shared by every worker thread.
#[derive(Debug, Default)]
pub struct Tally {
    queued: AtomicU64,
    scanned: AtomicU64,
    /// Items scanned ahead of knowing whether they count (packed blobs
    /// before the walk says which are reachable): for progress only.
    ahead: AtomicU64,
    /// What the source is doing now, and how much of it there is, for
    /// progress: a phase name, and the number of steps once known.
    phase: Mutex<(&'static str, Option<u64>)>,
    steps: AtomicU64,
    bytes: AtomicU64,
    skipped: Mutex<Vec<Skipped>>,
}

impl Tally {
    /// An item found that will be scanned (for progress).
    pub fn queued(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    pub fn queued_count(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    pub fn scanned(&self, bytes: u64) {
        self.scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Bytes read of an item counted once by [`Tally::scanned`] (a stream).
    pub fn more_bytes(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn skip(&self, path: impl Into<String>, reason: SkipReason) {
        self.record(Skipped { path: path.into(), reason, incomplete: false });
    }

    /// A skip that leaves the scan incomplete (see [`Skipped::incomplete`]).
    pub fn skip_incomplete(&self, path: impl Into<String>, reason: SkipReason) {
        self.record(Skipped { path: path.into(), reason, incomplete: true });
    }

    fn record(&self, skipped: Skipped) {
        self.skipped.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(skipped);
    }

    pub fn scanned_count(&self) -> u64 {
        self.scanned.load(Ordering::Relaxed)
    }

    /// An item scanned before it is known to count (see [`Tally::scanned`]).
    pub fn scanned_ahead(&self) {
        self.ahead.fetch_add(1, Ordering::Relaxed);
    }

    /// How far a run has come, for progress: items scanned, counted or not yet.
    pub fn progress_count(&self) -> u64 {
        self.scanned_count().max(self.ahead.load(Ordering::Relaxed))
    }

    /// A new phase (`listing`, `scanning`, `tracing`), of `steps` steps
    /// when known (for an estimate of the time left).
    pub fn phase(&self, name: &'static str, steps: Option<u64>) {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = (name, steps);
        self.steps.store(0, Ordering::Relaxed);
    }

    /// One step of the phase done.
    pub fn step(&self) {
        self.steps.fetch_add(1, Ordering::Relaxed);
    }

    /// The phase, and its steps done and in all (when known).
    pub fn phase_progress(&self) -> (&'static str, u64, Option<u64>) {
        let (name, total) = *self.phase.lock().unwrap_or_else(|p| p.into_inner());
        (name, self.steps.load(Ordering::Relaxed), total)
    }

    pub fn bytes_count(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Everything skipped, sorted by path.
    pub fn skipped(&self) -> Vec<Skipped> {
        let mut skipped = self.skipped.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        skipped
    }
}
