//! The command line: parse, turn into settings, run, and map the outcome to
//! an exit code (0 no finding, 1 findings, 2 error).

mod args;
mod settings;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

pub use args::Cli;
use args::{Command, RulesArgs, RulesCommand, RulesFormat, ScanArgs};
use settings::Settings;

use crate::report::{self, Format, summary_line};
use crate::rules::{RuleSet, test_examples};
use crate::scan::{self, Outcome, Scanner};
use crate::sources::fs::{self as walk, WalkOptions};
use crate::sources::paths::{ScanRoot, Target};
use crate::sources::{Tally, stdin};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan_files(&args, None),
        Command::Baseline(args) => scan_files(&args, Some(Format::Baseline)),
        Command::Rules(RulesCommand::List(args)) => list_rules(&args),
        Command::Rules(RulesCommand::Test(args)) => test_rules(&args),
    }
}

/// `sqscan scan` and `sqscan baseline`.
fn scan_files(args: &ScanArgs, format: Option<Format>) -> anyhow::Result<ExitCode> {
    let given = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let read_stdin = given.iter().any(|p| p == Path::new("-"));
    let mut targets = Vec::new();
    for path in given.iter().filter(|p| *p != Path::new("-")) {
        targets.push(Target::new(path).with_context(|| format!("{}", path.display()))?);
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
    };
    let out = settings.open_output()?;
    let scanner = Scanner::new(&settings.rules, &settings.suppressor)?;
    let tally = Tally::default();
    let reporter = report::reporter(
        settings.format,
        out,
        settings.report_context(root.path().map(Path::to_path_buf)),
    );
    let source = |visit: &(dyn Fn(crate::sources::Item) + Sync)| -> anyhow::Result<()> {
        walk::walk(&targets, &root, &options, &tally, visit);
        if read_stdin {
            stdin::read(
                &mut io::stdin().lock() as &mut dyn Read,
                options.max_file_size,
                options.scan_binary,
                &tally,
                visit,
            )
            .context("reading standard input")?;
        }
        Ok(())
    };
    let outcome = scan::run(&scanner, &tally, "files", source, reporter)?;
    Ok(finish(&settings, &outcome))
}

/// Warnings and the summary on stderr; the exit code.
fn finish(settings: &Settings, outcome: &Outcome) -> ExitCode {
    if !settings.quiet {
        let mut err = io::stderr().lock();
        for skipped in outcome
            .summary
            .skipped
            .iter()
            .filter(|s| s.reason.is_warning())
        {
            let _ = writeln!(
                err,
                "sqscan: warning: skipped {}: {}",
                skipped.path, skipped.reason
            );
        }
        let _ = writeln!(err, "sqscan: {}", summary_line(&outcome.summary));
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
            writeln!(
                out,
                "{:width$}  {:5}  {:8}  NAME",
                "ID", "SONAR", "SEVERITY"
            )?;
            for r in rules.rules() {
                let key = r.sonar_key.as_deref().unwrap_or("-");
                writeln!(
                    out,
                    "{:width$}  {key:5}  {:8}  {}",
                    r.id,
                    r.severity.as_str(),
                    r.name
                )?;
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
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
