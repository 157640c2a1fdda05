//! The working tree: a parallel walk that honours .gitignore, .ignore and
//! .sqscanignore, never enters `.git/`, and hands every readable text file
//! to the scanner on the walking thread itself.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use ignore::{WalkBuilder, WalkState};

use super::content::Views;
use super::paths::{ScanRoot, Target};
use super::{Item, Sink, SkipReason, Source, Tally, Unit, scan_each, stream};
use crate::findings::Origin;
use crate::scan::Scanner;

/// Files and directories, walked.
pub struct WorkingTree {
    pub targets: Vec<Target>,
    pub root: ScanRoot,
    pub options: WalkOptions,
}

impl Source for WorkingTree {
    fn unit(&self) -> Unit {
        Unit::Files
    }

    fn scan(&self, scanner: &Scanner, tally: &Tally, sink: Sink) -> anyhow::Result<()> {
        walk(&self.targets, &self.root, &self.options, tally, &scan_each(scanner, sink));
        Ok(())
    }

    fn is_brief(&self) -> bool {
        let bytes = self.targets.iter().map(|t| std::fs::metadata(&t.given).map_or(u64::MAX, |m| m.len()));
        few_files(&self.targets) && bytes.fold(0u64, u64::saturating_add) <= BRIEF_BYTES
    }
}

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Honour .gitignore, .ignore and .sqscanignore files.
    pub honor_ignore_files: bool,
    /// Skip hidden files and directories (`.env`, `.github/`).
    pub skip_hidden: bool,
    pub follow_links: bool,
    pub max_file_size: u64,
    pub scan_binary: bool,
    pub threads: usize,
    /// The report being written (`-o`), when it may lie in the tree: it is
    /// sqscan's own output, not the user's content, and is not scanned.
    pub reports: Vec<std::path::PathBuf>,
}

/// Walks every target and calls `visit` with each file to scan, from as
/// many threads as `options.threads`.
fn walk(targets: &[Target], root: &ScanRoot, options: &WalkOptions, tally: &Tally, visit: &(dyn Fn(Item) + Sync)) {
    let Some((first, rest)) = targets.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(&first.given);
    for target in rest {
        builder.add(&target.given);
    }
    builder
        .standard_filters(options.honor_ignore_files)
        .hidden(options.skip_hidden)
        .follow_links(options.follow_links)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    if options.honor_ignore_files {
        builder.add_custom_ignore_filename(".sqscanignore");
    }
    let show = |path: &Path| {
        let target = targets.iter().find(|t| path.starts_with(&t.given)).unwrap_or(first);
        root.display(target, path)
    };
    // A few files and no directory (a pre-commit hook's list, `scan FILE`):
    // one thread reads them sooner than a pool starts, and the parallel
    // walk's idle workers wait a millisecond before they stop.
    let each = |result: Result<ignore::DirEntry, ignore::Error>, buffer: &mut Vec<u8>| match result {
        Ok(entry) => visit_entry(&entry, &show, options, tally, buffer, visit),
        Err(error) => record_error(&error, &show, tally),
    };
    if few_files(targets) || options.threads <= 1 {
        let mut buffer = Vec::new();
        builder.build().for_each(|result| each(result, &mut buffer));
        return;
    }
    let each = &each;
    builder.build_parallel().run(|| {
        let mut buffer = Vec::new();
        Box::new(move |result| {
            each(result, &mut buffer);
            WalkState::Continue
        })
    });
}

/// Up to this many named files (and no directory) are read on one thread.
const SERIAL_FILES: usize = 16;
/// Named files up to this size in all are a brief scan (see
/// [`Source::is_brief`]); larger ones show progress and stream findings.
const BRIEF_BYTES: u64 = 16 << 20;

fn few_files(targets: &[Target]) -> bool {
    targets.len() <= SERIAL_FILES && targets.iter().all(|t| !t.given.is_dir())
}

fn visit_entry(
    entry: &ignore::DirEntry,
    show: &dyn Fn(&Path) -> String,
    options: &WalkOptions,
    tally: &Tally,
    buffer: &mut Vec<u8>,
    visit: &(dyn Fn(Item) + Sync),
) {
    let Some(file_type) = entry.file_type() else {
        return;
    };
    if file_type.is_dir() {
        return;
    }
    let path = entry.path();
    if options
        .reports
        .iter()
        .any(|report| path.file_name() == report.file_name() && path.canonicalize().is_ok_and(|p| p == *report))
    {
        return;
    }
    if file_type.is_symlink() {
        tally.skip(show(path), SkipReason::Symlink);
        return;
    }
    // A FIFO named on the command line (`<(git show …)`) is read; one met
    // while walking would block the walk, so it is skipped.
    let named = entry.depth() == 0;
    if !(file_type.is_file() || named && is_fifo(&file_type)) {
        tally.skip(show(path), SkipReason::NotAFile);
        return;
    }
    let origin = Origin::File { path: show(path) };
    match read_file(path, &origin, options, tally, buffer, visit) {
        Ok(()) => {}
        // A file named on the command line that cannot be read leaves the
        // scan incomplete; one met while walking is counted.
        Err(error) if named => tally.skip_incomplete(origin.path(), SkipReason::Unreadable(error.to_string())),
        Err(error) => tally.skip(origin.path(), SkipReason::Unreadable(error.to_string())),
    }
}

/// Reads one file and hands it to `visit`: whole, or (when larger than a
/// stream chunk) chunk by chunk, so that memory stays bounded whatever
/// `--max-file-size` allows.
fn read_file(
    path: &Path,
    origin: &Origin,
    options: &WalkOptions,
    tally: &Tally,
    buffer: &mut Vec<u8>,
    visit: &(dyn Fn(Item) + Sync),
) -> std::io::Result<()> {
    let display = origin.path();
    let mut file = File::open(path)?;
    // A FIFO has no size: it is streamed, as a large file is.
    let size = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
    match size {
        Some(size) if size > options.max_file_size => {
            tally.skip(display, SkipReason::TooLarge { size, limit: options.max_file_size });
            return Ok(());
        }
        Some(size) if size <= stream::CHUNK as u64 => {}
        _ => return stream::read(&mut file, origin, options.max_file_size, options.scan_binary, tally, visit),
    }
    buffer.clear();
    buffer.reserve(size.unwrap_or(0) as usize + 1);
    file.take(options.max_file_size + 1).read_to_end(buffer)?;
    if buffer.len() as u64 > options.max_file_size {
        tally.skip(display, SkipReason::TooLarge { size: buffer.len() as u64, limit: options.max_file_size });
        return Ok(());
    }
    match Views::of(buffer, options.scan_binary) {
        Some(views) => {
            tally.scanned(buffer.len() as u64);
            visit(Item::of_views(origin, &views));
        }
        None => tally.skip(display, SkipReason::Binary),
    }
    Ok(())
}

#[cfg(unix)]
fn is_fifo(file_type: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    file_type.is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}

/// Walk errors name a path when they can; each becomes a counted skip.
fn record_error(error: &ignore::Error, show: &dyn Fn(&Path) -> String, tally: &Tally) {
    let mut path = None;
    let mut current = error;
    let reason = loop {
        match current {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert_with(|| p.clone());
                current = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => current = err,
            ignore::Error::Loop { child, .. } => {
                path.get_or_insert_with(|| child.clone());
                break SkipReason::SymlinkLoop;
            }
            ignore::Error::Io(io) => break SkipReason::Unreadable(io.to_string()),
            other => break SkipReason::Unreadable(other.to_string()),
        }
    };
    let shown = path.as_deref().map_or_else(|| "<walk>".to_string(), show);
    if depth_of(error) == Some(0) {
        tally.skip_incomplete(shown, reason);
    } else {
        tally.skip(shown, reason);
    }
}

/// How deep below a named target a walk error happened, when it says.
fn depth_of(error: &ignore::Error) -> Option<usize> {
    match error {
        ignore::Error::WithDepth { depth, .. } => Some(*depth),
        ignore::Error::WithPath { err, .. } | ignore::Error::WithLineNumber { err, .. } => depth_of(err),
        _ => None,
    }
}
