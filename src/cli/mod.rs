//! The command line: arguments into a [`Plan`], the plan into a run, the
//! run's outcome into an exit code (0 no finding, 1 findings, 2 error or
//! incomplete). It builds no source by hand and writes no report.

mod args;
mod audit;
mod plan;
mod revoke;
mod settings;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;

pub use args::Cli;
use args::{Command, RulesArgs, RulesCommand, RulesFormat};
use plan::Plan;
use settings::Settings;

use crate::report::{self, Format, escaped, summary_line};
use crate::rules::{RuleSet, test_examples};
use crate::scan::{self, Outcome};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Scan(args) => execute(Plan::scan(args, None)?),
        Command::Baseline(args) => execute(Plan::scan(args, Some(Format::Baseline))?),
        Command::Git(args) => execute(Plan::git(args)?),
        Command::Staged(args) => execute(Plan::staged(args)?),
        Command::Audit(args) => audit::audit(args),
        Command::Merge(args) => audit::merge(args),
        Command::Revoke(args) => revoke::revoke(args),
        Command::Rules(RulesCommand::List(args)) => list_rules(args),
        Command::Rules(RulesCommand::Test(args)) => test_rules(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "sqscan", &mut io::stdout().lock());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs a plan's source through its reporter; the exit code.
fn execute(plan: Plan) -> anyhow::Result<ExitCode> {
    let settings = &plan.settings;
    let scanner = settings.scanner()?;
    let mut reporters = Vec::new();
    for (format, out) in settings.open_outputs()? {
        reporters.push(report::reporter(format, out, settings.report_context(plan.root.clone(), plan.analysis)));
    }
    let reporter = report::fan_out(reporters);
    let outcome = scan::run(&scanner, plan.source.as_ref(), &settings.policy(), reporter)?;
    Ok(finish(settings, &outcome))
}

/// Warnings and the summary on stderr; the exit code.
fn finish(settings: &Settings, outcome: &Outcome) -> ExitCode {
    if !settings.quiet {
        let mut err = io::stderr().lock();
        for note in &outcome.notes {
            let _ = writeln!(err, "sqscan: warning: {note}");
        }
        const LISTED: usize = 50;
        for line in outcome.listed.iter().take(LISTED) {
            let _ = writeln!(err, "sqscan: found {line}");
        }
        if outcome.listed.len() > LISTED {
            let _ = writeln!(err, "sqscan: … and {} more in the report", outcome.listed.len() - LISTED);
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
