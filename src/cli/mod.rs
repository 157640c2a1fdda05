//! The command line: parse, turn into settings, run, and map the outcome to
//! an exit code (0 no finding, 1 findings, 2 error).

mod args;
mod settings;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

pub use args::Cli;
use args::{Command, GitArgs, RulesArgs, RulesCommand, RulesFormat, ScanArgs, StagedArgs};
use settings::Settings;

use crate::report::{self, Format, escaped, human_bytes, progress, summary_line};
use crate::rules::{RuleSet, test_examples};
use crate::scan::git::GitOptions;
use crate::scan::{self, Emit, Outcome, Scanner};
use crate::sources::fs::{self as walk, WalkOptions};
use crate::sources::git::{self as repository, GitDir};
use crate::sources::paths::{ScanRoot, Target, canonical_output};
use crate::sources::{Tally, Unit, stdin};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan_files(&args, None),
        Command::Git(args) => scan_git(&args),
        Command::Staged(args) => scan_staged(&args),
        Command::Baseline(args) => scan_files(&args, Some(Format::Baseline)),
        Command::Rules(RulesCommand::List(args)) => list_rules(&args),
        Command::Rules(RulesCommand::Test(args)) => test_rules(&args),
    }
}

/// `sqscan scan` and `sqscan baseline`.
fn scan_files(args: &ScanArgs, format: Option<Format>) -> anyhow::Result<ExitCode> {
    let given = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let read_stdin = given.iter().any(|p| p == Path::new("-"));
    let mut targets = Vec::new();
    for path in given.iter().filter(|p| *p != Path::new("-")) {
        targets.push(Target::new(path).with_context(|| format!("{}", path.display()))?);
    }
    let targets = Target::distinct(targets);
    let report = args.common.output.as_deref().and_then(canonical_output);
    if let Some(report) = &report
        && targets.iter().any(|t| t.canonical == *report)
    {
        anyhow::bail!("-o {}: that file is being scanned; write the report elsewhere", report.display());
    }
    let root = ScanRoot::for_targets(&targets).context("finding the current directory")?;
    let config_dir = match targets.as_slice() {
        [only] if only.canonical.is_dir() => only.canonical.clone(),
        _ => PathBuf::from("."),
    };
    let settings = Settings::new(&args.common, &config_dir, format)?;
    let options = WalkOptions {
        honor_ignore_files: !args.walk.no_ignore,
        skip_hidden: args.walk.skip_hidden,
        follow_links: args.walk.follow,
        max_file_size: settings.max_file_size,
        scan_binary: args.walk.binary,
        threads: settings.threads,
        report,
    };
    run_files(&settings, &targets, &root, &options, read_stdin)
}

/// Scans files and directories (and stdin) and reports.
fn run_files(
    settings: &Settings,
    targets: &[Target],
    root: &ScanRoot,
    options: &WalkOptions,
    read_stdin: bool,
) -> anyhow::Result<ExitCode> {
    let scanner = settings.scanner()?;
    let tally = Tally::default();
    let source = |visit: &(dyn Fn(crate::sources::Item) + Sync)| -> anyhow::Result<()> {
        walk::walk(targets, root, options, &tally, visit);
        if read_stdin {
            let mut input = io::stdin().lock();
            stdin::read(&mut input as &mut dyn Read, options.max_file_size, options.scan_binary, &tally, visit)
                .context("reading standard input")?;
        }
        Ok(())
    };
    let root = root.path().map(Path::to_path_buf);
    report_run(settings, &scanner, &tally, Unit::Files, root, scan::items(&scanner, source))
}

/// `sqscan git`: a whole history, or a range of it.
fn scan_git(args: &GitArgs) -> anyhow::Result<ExitCode> {
    let git = GitDir::discover(args.repo.as_deref().unwrap_or(Path::new(".")))?;
    let root = git.root().to_path_buf();
    let settings = Settings::new(&args.common, &root, None)?;
    let range = match (&args.range, &args.since_commit) {
        (Some(range), _) => Some(range.clone()),
        (None, Some(since)) => Some(format!("{since}..HEAD")),
        (None, None) => None,
    };
    if let Some(spec) = &range {
        // Resolved now too, so that a bad range fails before any output.
        repository::resolve_range(&git.open()?, spec)?;
    }
    let options = git_options(&settings, git, args.binary);
    let scanner = settings.scanner()?;
    let tally = Tally::default();
    let produce = |emit: Emit| match &range {
        Some(spec) => scan::git::range(&scanner, &options, spec, &tally, emit),
        None => scan::git::history(&scanner, &options, &tally, emit),
    };
    report_run(&settings, &scanner, &tally, Unit::Blobs, Some(root), produce)
}

/// `sqscan staged`: the index against HEAD; or, given files, those files whole.
fn scan_staged(args: &StagedArgs) -> anyhow::Result<ExitCode> {
    let (repo_path, files): (&Path, &[PathBuf]) = match args.paths.as_slice() {
        [] => (Path::new("."), &[]),
        [only] if only.is_dir() => (only.as_path(), &[]),
        files => (Path::new("."), files),
    };
    let git = GitDir::discover(repo_path)?;
    let root = git.root().to_path_buf();
    let settings = Settings::new(&args.common, &root, None)?;
    if !files.is_empty() {
        let targets = files
            .iter()
            .map(|f| Target::new(f).with_context(|| f.display().to_string()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let scan_root = ScanRoot::at(root.canonicalize().unwrap_or(root));
        let options = WalkOptions {
            honor_ignore_files: false,
            skip_hidden: false,
            follow_links: false,
            max_file_size: settings.max_file_size,
            scan_binary: args.binary,
            threads: settings.threads,
            report: None,
        };
        return run_files(&settings, &targets, &scan_root, &options, false);
    }
    if git.is_bare() {
        anyhow::bail!("{}: a bare repository has no index to scan (try `sqscan git`)", root.display());
    }
    let options = git_options(&settings, git, args.binary);
    let scanner = settings.scanner()?;
    let tally = Tally::default();
    let produce = |emit: Emit| scan::git::staged(&scanner, &options, &tally, emit);
    report_run(&settings, &scanner, &tally, Unit::Files, Some(root), produce)
}

fn git_options(settings: &Settings, git: GitDir, scan_binary: bool) -> GitOptions {
    GitOptions { git, threads: settings.threads, max_file_size: settings.max_file_size, scan_binary }
}

/// Runs a producer through the reporter, with progress, then finishes.
fn report_run(
    settings: &Settings,
    scanner: &Scanner,
    tally: &Tally,
    unit: Unit,
    root: Option<PathBuf>,
    produce: impl FnOnce(Emit) -> anyhow::Result<()> + Send,
) -> anyhow::Result<ExitCode> {
    let out = settings.open_output()?;
    let reporter = report::reporter(settings.format, out, settings.report_context(root));
    let status = || {
        let scanned = tally.scanned_count();
        let queued = tally.queued_count().max(scanned);
        format!("{scanned}/{queued} {} scanned, {}", unit.plural(), human_bytes(tally.bytes_count()))
    };
    let outcome = progress::while_running(settings.progress, status, || {
        scan::run(scanner, tally, unit, &settings.policy(), produce, reporter)
    })?;
    Ok(finish(settings, &outcome))
}

/// Warnings and the summary on stderr; the exit code.
fn finish(settings: &Settings, outcome: &Outcome) -> ExitCode {
    if !settings.quiet {
        let mut err = io::stderr().lock();
        for note in &outcome.notes {
            let _ = writeln!(err, "sqscan: warning: {note}");
        }
        for skipped in outcome.summary.skipped.iter().filter(|s| s.reason.is_warning()) {
            let (path, reason) = (escaped(&skipped.path), skipped.reason.to_string());
            let _ = writeln!(err, "sqscan: warning: skipped {path}: {}", escaped(&reason));
        }
        let _ = writeln!(err, "sqscan: {}", summary_line(&outcome.summary));
    }
    // Not reading what was asked is an error, after the report is written.
    if let Some(why) = outcome.incomplete()
        && !settings.allow_incomplete
    {
        eprintln!("sqscan: error: incomplete scan: {why} (listed above; --allow-incomplete accepts this)");
        return ExitCode::from(2);
    }
    if settings.format == Format::Baseline || outcome.failing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(settings.exit_code)
    }
}

fn list_rules(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let rules = RuleSet::load(&args.rules).context("loading rules")?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        RulesFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .rules()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "name": r.name,
                        "sonar_key": r.sonar_key,
                        "severity": r.severity.as_str(),
                        "description": r.description,
                        "keywords": r.detector.keywords.iter().map(|k| String::from_utf8_lossy(k)).collect::<Vec<_>>(),
                        "verify": r.verify,
                        "origin": r.origin,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        RulesFormat::Human => {
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(2);
            writeln!(out, "{:width$}  {:5}  {:8}  NAME", "ID", "SONAR", "SEVERITY")?;
            for r in rules.rules() {
                let key = r.sonar_key.as_deref().unwrap_or("-");
                writeln!(out, "{:width$}  {key:5}  {:8}  {}", r.id, r.severity.as_str(), r.name)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn test_rules(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let rules = RuleSet::load(&args.rules).context("loading rules")?;
    let failures = test_examples(&rules)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let (mut passed, mut failed) = (0, 0);
    for rule in rules.rules() {
        let own: Vec<_> = failures.iter().filter(|f| f.rule == rule.id).collect();
        let total = rule.examples.len() + rule.counterexamples.len();
        if own.is_empty() {
            passed += total;
            writeln!(
                out,
                "ok    {} ({} examples, {} counterexamples)",
                rule.id,
                rule.examples.len(),
                rule.counterexamples.len()
            )?;
        } else {
            failed += own.len();
            passed += total - own.len();
            writeln!(out, "FAIL  {}", rule.id)?;
            for failure in own {
                writeln!(out, "      {}", failure.what)?;
            }
        }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    out.flush()?;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
