//! Arguments resolved, once, into a plan: the settings of a run (config,
//! rules, filters, output, verification) and the source it reads, with
//! the scan root and the config decided here and nowhere else. Every
//! problem with the arguments, a range that cannot be answered included,
//! surfaces before the first byte is scanned (ripgrep's LowArgs → HiArgs).
//!
//! A new source is one more arm here: build it, and box it.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::args::{GitArgs, ScanArgs, StagedArgs};
use super::settings::Settings;
use crate::report::Format;
use crate::sources::fs::{WalkOptions, WorkingTree};
use crate::sources::git::{self, BlobOptions, CommitRange, GitDir, StagedChanges, Unreachable, WholeHistory};
use crate::sources::paths::{ScanRoot, Target, canonical_output};
use crate::sources::stdin::Stdin;
use crate::sources::{Combined, Source};

pub struct Plan {
    pub settings: Settings,
    pub source: Box<dyn Source>,
    /// Where shown paths are relative to (SARIF's `%SRCROOT%`).
    pub root: Option<PathBuf>,
    /// What kind of run: `scan`, `git`, `range` or `staged`.
    pub analysis: &'static str,
}

impl Plan {
    /// `sqscan scan` (and `sqscan baseline`, whose `format` is fixed).
    pub fn scan(args: &ScanArgs, format: Option<Format>) -> anyhow::Result<Plan> {
        if let (Some(_), Some(&asked)) = (format, args.common.format.first()) {
            let asked =
                clap::ValueEnum::to_possible_value(&asked).map(|v| v.get_name().to_string()).unwrap_or_default();
            anyhow::bail!("sqscan baseline writes a baseline; for --format {asked}, use sqscan scan");
        }
        let given = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
        let read_stdin = given.iter().any(|p| p == Path::new("-"));
        let mut targets = Vec::new();
        for path in given.iter().filter(|p| *p != Path::new("-")) {
            targets.push(Target::new(path).with_context(|| format!("{}", path.display()))?);
        }
        let targets = Target::distinct(targets);
        let reports: Vec<PathBuf> = args.common.output.iter().filter_map(|o| canonical_output(o)).collect();
        if let Some(report) = reports.iter().find(|r| targets.iter().any(|t| t.canonical == **r)) {
            anyhow::bail!("-o {}: that file is being scanned; write the report elsewhere", report.display());
        }
        let root = ScanRoot::for_targets(&targets).context("finding the current directory")?;
        let config_dir = match targets.as_slice() {
            [only] if only.canonical.is_dir() => only.canonical.clone(),
            _ => PathBuf::from("."),
        };
        let settings = Settings::new(&args.common, Some(&config_dir), format)?;
        let options = WalkOptions {
            honor_ignore_files: !args.walk.no_ignore,
            skip_hidden: args.walk.skip_hidden,
            follow_links: args.walk.follow,
            max_file_size: settings.max_file_size,
            scan_binary: args.walk.binary,
            threads: settings.threads,
            reports,
        };
        let shown_root = root.path().map(Path::to_path_buf);
        let mut sources: Vec<Box<dyn Source>> = vec![Box::new(WorkingTree { targets, root, options })];
        if read_stdin {
            sources.push(Box::new(Stdin { max_size: settings.max_file_size, scan_binary: args.walk.binary }));
        }
        Ok(Plan { settings, source: Box::new(Combined(sources)), root: shown_root, analysis: "scan" })
    }

    /// `sqscan git`: a whole history, or what a range of commits added.
    pub fn git(args: &GitArgs) -> anyhow::Result<Plan> {
        let git = GitDir::discover(args.repo.as_deref().unwrap_or(Path::new(".")))?;
        let root = git.root().to_path_buf();
        let settings = Settings::new(&args.common, Some(&root), None)?;
        let options = blob_options(&settings, args.binary);
        let analysis = if args.range.is_some() || args.since_commit.is_some() { "range" } else { "git" };
        let source: Box<dyn Source> = match (&args.range, &args.since_commit) {
            (Some(spec), _) => {
                let (from, to) = git::split_range(spec)?;
                Box::new(CommitRange::new(git, from, to, spec, options)?)
            }
            (None, Some(since)) => Box::new(CommitRange::new(git, since, "HEAD", &format!("{since}..HEAD"), options)?),
            (None, None) => {
                let unreachable = if args.unreachable { Unreachable::Scan } else { Unreachable::Count };
                Box::new(WholeHistory { git, options, unreachable, ledger: None })
            }
        };
        Ok(Plan { settings, source, root: Some(root), analysis })
    }

    /// `sqscan staged`: the index against HEAD; or, given files, those
    /// files whole (what `pre-commit` passes).
    pub fn staged(args: &StagedArgs) -> anyhow::Result<Plan> {
        let (repo_path, files): (&Path, &[PathBuf]) = match args.paths.as_slice() {
            [] => (Path::new("."), &[]),
            [only] if only.is_dir() => (only.as_path(), &[]),
            files => (Path::new("."), files),
        };
        let git = GitDir::discover(repo_path)?;
        let root = git.root().to_path_buf();
        let settings = Settings::new(&args.common, Some(&root), None)?;
        if files.is_empty() {
            let source = StagedChanges::new(git, blob_options(&settings, args.binary))?;
            return Ok(Plan { settings, source: Box::new(source), root: Some(root), analysis: "staged" });
        }
        let targets = files
            .iter()
            .map(|f| Target::new(f).with_context(|| f.display().to_string()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let root = ScanRoot::at(root.canonicalize().unwrap_or(root));
        let options = WalkOptions {
            honor_ignore_files: false,
            skip_hidden: false,
            follow_links: false,
            max_file_size: settings.max_file_size,
            scan_binary: args.binary,
            threads: settings.threads,
            reports: Vec::new(),
        };
        let shown_root = root.path().map(Path::to_path_buf);
        let source = Box::new(WorkingTree { targets, root, options });
        Ok(Plan { settings, source, root: shown_root, analysis: "staged" })
    }
}

fn blob_options(settings: &Settings, scan_binary: bool) -> BlobOptions {
    BlobOptions { threads: settings.threads, max_file_size: settings.max_file_size, scan_binary }
}
