//! `sqscan revoke`: find the tokens again by fingerprint (reports never
//! hold secrets) or read one from standard input, then revoke each where
//! the token itself may, after asking. Exit 0 when none of them is live
//! any more, 1 when one still is (a name to choose, a refusal, an
//! administrator's job), 2 on bad input.

use std::io::{self, BufRead as _, IsTerminal as _, Read as _, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use super::args::RevokeArgs;
use crate::config::Allow;
use crate::filters::Suppressor;
use crate::findings::{Finding, Origin};
use crate::report::{self, escaped};
use crate::rules::RuleSet;
use crate::scan::{self, FailOn, Policy, Scanner};
use crate::sources::Item;
use crate::sources::fs::{WalkOptions, WorkingTree};
use crate::sources::paths::{ScanRoot, Target};
use crate::verify::{Revocation, Verifier, VerifyOptions};

/// A token on standard input is at most a line.
const STDIN_LIMIT: u64 = 64 << 10;

pub fn revoke(args: &RevokeArgs) -> anyhow::Result<ExitCode> {
    let from_stdin = args.targets.iter().any(|t| t == Path::new("-"));
    if from_stdin && !args.yes {
        anyhow::bail!("a token read from standard input leaves no terminal to ask on: pass --yes to revoke it");
    }
    if !from_stdin && args.fingerprints.is_empty() {
        anyhow::bail!("which tokens? pass --fingerprint FP (from a report) for each, or `-` to read one token");
    }
    if !args.yes && !io::stdin().is_terminal() {
        anyhow::bail!("no terminal to ask on: pass --yes to revoke without asking");
    }
    let rules = RuleSet::load(&args.rules).context("loading rules")?;
    let suppressor = Suppressor::new(&Allow::default(), false, None)?;
    let scanner = Scanner::new(&rules, &suppressor)?.with_hints(true);
    let verifier = Verifier::new(VerifyOptions {
        sonar_url: args.sonar_url.clone(),
        found_hosts: args.verify_found_hosts,
        budget: Duration::from_secs(args.timeout),
        concurrency: 1,
        analyze: false,
    })?;
    let found = if from_stdin { from_standard_input(&scanner)? } else { from_targets(&scanner, args)? };
    let confirm = |name: &str, host: &str| {
        if args.yes {
            return true;
        }
        eprint!("sqscan: revoke the token named {:?} at {host}? [y/N] ", escaped(name));
        let _ = io::stderr().flush();
        let mut answer = String::new();
        io::stdin().lock().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
    };
    let mut still_live = 0;
    for finding in &found {
        let shown =
            format!("{} ({})", finding.secret.redacted(), &finding.fingerprint[..finding.fingerprint.len().min(8)]);
        let outcome = verifier.revoke(finding, &rules, args.name.as_deref(), &confirm);
        let (line, live) = describe(&outcome);
        println!("{shown}: {line}");
        still_live += usize::from(live);
    }
    Ok(if still_live == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// What happened, for people, and whether the token may still be live.
fn describe(outcome: &Revocation) -> (String, bool) {
    let list = |candidates: &[crate::findings::Candidate]| {
        candidates
            .iter()
            .map(|c| {
                let mut text = format!("{:?}", escaped(&c.name));
                if let Some(project) = &c.project {
                    text.push_str(&format!(" (project {})", escaped(project)));
                }
                if let Some(used) = &c.last_used {
                    text.push_str(&format!(" (last used {used})"));
                }
                text
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match outcome {
        Revocation::NotLive(why) => (format!("not live, nothing to revoke ({why})"), false),
        Revocation::ForAnAdministrator(what) => (what.clone(), true),
        Revocation::Ambiguous(candidates) => {
            (format!("several of the owner's tokens could be this one: {}; choose with --name", list(candidates)), true)
        }
        Revocation::NoSuchName(name, candidates) => {
            (format!("no token named {:?} among the candidates: {}", escaped(name), list(candidates)), true)
        }
        Revocation::Declined(name) => (format!("not revoked ({:?}: you said no)", escaped(name)), true),
        Revocation::Revoked { name, host, now_inactive: true } => {
            (format!("revoked the token named {:?} at {host}; verified inactive now", escaped(name)), false)
        }
        Revocation::Revoked { name, host, now_inactive: false } => (
            format!(
                "revoked the token named {:?} at {host}, but it still verifies as live: check it there",
                escaped(name)
            ),
            true,
        ),
        Revocation::Failed(why) => (format!("not revoked: {why}"), true),
    }
}

fn from_standard_input(scanner: &Scanner) -> anyhow::Result<Vec<Finding>> {
    let mut bytes = Vec::new();
    io::stdin().lock().take(STDIN_LIMIT).read_to_end(&mut bytes).context("reading standard input")?;
    let origin = Origin::Stdin;
    let mut findings = scanner.findings(&Item::whole(&origin, &bytes));
    findings.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    match findings.len() {
        0 => anyhow::bail!("no SonarQube token on standard input"),
        1 => Ok(findings),
        n => anyhow::bail!("{n} different tokens on standard input: give one at a time"),
    }
}

/// The tokens of `args.fingerprints`, found again in the targets.
fn from_targets(scanner: &Scanner, args: &RevokeArgs) -> anyhow::Result<Vec<Finding>> {
    let targets = args
        .targets
        .iter()
        .map(|t| Target::new(t).with_context(|| t.display().to_string()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let targets = Target::distinct(targets);
    let root = ScanRoot::for_targets(&targets).context("finding the current directory")?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = WalkOptions {
        honor_ignore_files: false,
        skip_hidden: false,
        follow_links: false,
        max_file_size: 50 << 20,
        scan_binary: false,
        threads: cores,
        reports: Vec::new(),
    };
    let source = WorkingTree { targets, root, options };
    let policy = Policy { verifier: None, fail_on: FailOn::Any, progress: false, list: false };
    let mut findings = Vec::new();
    scan::run(scanner, &source, &policy, Box::new(report::Gather(&mut findings)))?;
    let mut wanted = Vec::new();
    for fingerprint in &args.fingerprints {
        match findings.iter().find(|f| f.fingerprint.starts_with(fingerprint.as_str()) && fingerprint.len() >= 8) {
            Some(finding) => wanted.push(finding.clone()),
            None => {
                anyhow::bail!("no token with fingerprint {fingerprint} in the targets (give at least 8 characters)")
            }
        }
    }
    Ok(wanted)
}
