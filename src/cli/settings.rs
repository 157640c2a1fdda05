//! Arguments turned into what a run needs: config, rules and baseline
//! loaded, output opened, every flag checked. All problems surface here,
//! before the first byte is scanned.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::args::{CommonArgs, When};
use crate::config::{self, Config};
use crate::filters::{Baseline, Suppressor};
use crate::report::{Format, ReportContext};
use crate::rules::RuleSet;
use crate::scan::{FailOn, Policy};
use crate::verify::{Verifier, VerifyOptions};

/// The most worker threads a run starts, per core.
const THREADS_PER_CORE: usize = 8;

pub struct Settings {
    /// The first report's format (what exit codes and listing go by).
    pub format: Format,
    /// Every report: a format, and its file (or standard output).
    pub reports: Vec<(Format, Option<PathBuf>)>,
    pub redact: bool,
    pub color: bool,
    pub progress: bool,
    pub quiet: bool,
    pub exit_code: u8,
    pub allow_incomplete: bool,
    pub threads: usize,
    pub max_file_size: u64,
    pub rules: RuleSet,
    pub suppressor: Suppressor,
    pub verifier: Option<Verifier>,
    pub fail_on: FailOn,
}

impl Settings {
    /// `config_dir` is the scan root, where `.sqscan.toml` is looked for
    /// by default, then in each parent up to the repository's root (an
    /// audit has none: only `--config` or `SQSCAN_CONFIG`); `format`
    /// overrides `--format` (the `baseline` command).
    pub fn new(args: &CommonArgs, config_dir: Option<&Path>, format: Option<Format>) -> anyhow::Result<Settings> {
        let from_env = std::env::var_os("SQSCAN_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from);
        let (config_file, below) = match (&args.config, from_env, config_dir) {
            (Some(path), _, _) => (Some(path.clone()), String::new()),
            (None, Some(path), _) => (Some(path), String::new()),
            (None, None, Some(dir)) => match discover_config(dir) {
                Some((path, below)) => (Some(path), below),
                None => (None, String::new()),
            },
            (None, None, None) => (None, String::new()),
        };
        let config = match &config_file {
            Some(path) => Config::load(path).with_context(|| format!("reading config {}", path.display()))?,
            None => Config::default(),
        };
        let mut rule_paths = config.rules.paths.clone();
        rule_paths.extend(args.rules.iter().cloned());
        let rules = RuleSet::load(&rule_paths).context("loading rules")?;
        let baseline = match &args.baseline {
            Some(path) => Some(Baseline::load(path).with_context(|| format!("reading baseline {}", path.display()))?),
            None => None,
        };
        let suppressor =
            Suppressor::new(&config.allow, config.honor_nosonar, baseline).with_context(|| match &config_file {
                Some(path) => format!("reading config {}", path.display()),
                None => "config".to_string(),
            })?;
        let suppressor = suppressor.with_paths_below(&below);
        let reports = pair_reports(format, &args.format, &args.output)?;
        let format = reports[0].0;
        let to_terminal = reports.iter().any(|(_, file)| file.is_none()) && io::stdout().is_terminal();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = match args.threads {
            Some(0) | None => cores,
            // More threads than this only contend: every one reads and scans.
            Some(n) if n > cores * THREADS_PER_CORE => {
                let cap = cores * THREADS_PER_CORE;
                if !args.quiet {
                    eprintln!("sqscan: warning: --threads {n} capped at {cap} ({THREADS_PER_CORE} per core)");
                }
                cap
            }
            Some(n) => n,
        };
        let verify = args.verify || args.analyze;
        if args.fail_on == FailOn::Active && !verify {
            anyhow::bail!("--fail-on active needs --verify: without it no token is known to be active");
        }
        let verifier = if verify {
            Some(Verifier::new(VerifyOptions {
                sonar_url: args.sonar_url.clone(),
                found_hosts: args.verify_found_hosts,
                budget: std::time::Duration::from_secs(args.verify_timeout),
                concurrency: usize::from(args.verify_concurrency),
                analyze: args.analyze,
            })?)
        } else {
            None
        };
        Ok(Settings {
            format,
            reports,
            redact: !args.no_redact,
            color: args.color.colours(to_terminal),
            progress: match args.progress {
                When::Always => true,
                When::Never => false,
                When::Auto => io::stderr().is_terminal() && !args.quiet,
            },
            quiet: args.quiet,
            exit_code: args.exit_code,
            allow_incomplete: args.allow_incomplete,
            threads,
            max_file_size: args.max_file_size,
            rules,
            suppressor,
            verifier,
            fail_on: args.fail_on,
        })
    }

    /// Where each report goes, with its format: its `--output` file
    /// (created now, so that a bad path fails before scanning) or
    /// standard output.
    pub fn open_outputs(&self) -> anyhow::Result<Vec<(Format, Box<dyn Write>)>> {
        self.reports.iter().map(|(format, file)| Ok((*format, open(file.as_deref())?))).collect()
    }

    /// What a run does besides reporting: verification, what fails, progress.
    pub fn policy(&self) -> Policy<'_> {
        // A report written to a file leaves the log with a count alone:
        // list what was found there too.
        let list = self.reports.iter().all(|(_, file)| file.is_some()) && !self.quiet;
        Policy { verifier: self.verifier.as_ref(), fail_on: self.fail_on, progress: self.progress, list }
    }

    /// A scanner for these settings.
    pub fn scanner(&self) -> anyhow::Result<crate::scan::Scanner<'_>> {
        Ok(crate::scan::Scanner::new(&self.rules, &self.suppressor)?.with_hints(self.verifier.is_some()))
    }

    /// `kind`: what run this is (`scan`, `git`, `range`, `staged`, `audit`).
    pub fn report_context(&self, root: Option<PathBuf>, kind: &str) -> ReportContext<'_> {
        let automation = crate::report::Automation::of(kind, |name| std::env::var(name).ok());
        let within_repository = root.as_deref().map(within_repository).unwrap_or_default();
        ReportContext {
            rules: &self.rules,
            redact: self.redact,
            root,
            color: self.color,
            automation,
            within_repository,
        }
    }
}

/// `--format` and `-o` paired in order; one format at most without a file
/// (standard output). `forced` is the only format a command writes.
fn pair_reports(
    forced: Option<Format>,
    formats: &[Format],
    outputs: &[PathBuf],
) -> anyhow::Result<Vec<(Format, Option<PathBuf>)>> {
    let formats: Vec<Format> = match (forced, formats.is_empty()) {
        (Some(forced), _) => vec![forced],
        (None, true) => vec![Format::Human],
        (None, false) => formats.to_vec(),
    };
    if outputs.len() > formats.len() {
        anyhow::bail!("{} -o files for {} --format: give each -o its --format", outputs.len(), formats.len());
    }
    if formats.len() - outputs.len() > 1 {
        anyhow::bail!("more than one --format would go to standard output: give all but one an -o FILE");
    }
    for (n, a) in outputs.iter().enumerate() {
        if outputs[..n].iter().any(|b| b == a) {
            anyhow::bail!("-o {}: named twice", a.display());
        }
    }
    let mut files = outputs.iter().cloned().map(Some);
    Ok(formats.into_iter().map(|format| (format, files.next().flatten())).collect())
}

/// A report's destination: a file, created now, or standard output.
pub(super) fn open(file: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match file {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
            Box::new(io::BufWriter::new(file))
        }
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    })
}

/// `.sqscan.toml` in `root` or, inside a git work tree, in the nearest
/// parent up to the tree's root; with where `root` lies below it.
fn discover_config(root: &Path) -> Option<(PathBuf, String)> {
    let root = root.canonicalize().ok()?;
    let top = work_tree_root(&root).unwrap_or(&root);
    for dir in root.ancestors() {
        let candidate = dir.join(config::FILE_NAME);
        if candidate.is_file() {
            let below = root.strip_prefix(dir).map(crate::sources::paths::slashed).unwrap_or_default();
            return Some((candidate, below));
        }
        if dir == top {
            break;
        }
    }
    None
}

/// Where `root` lies below the root of the git work tree holding it
/// (`services/api`); empty at the root, or outside any work tree.
fn within_repository(root: &Path) -> String {
    let Some(top) = work_tree_root(root) else { return String::new() };
    root.strip_prefix(top).map(crate::sources::paths::slashed).unwrap_or_default()
}

/// The root of the git work tree holding `path`: the nearest directory with `.git`.
fn work_tree_root(path: &Path) -> Option<&Path> {
    path.ancestors().find(|dir| dir.join(".git").exists())
}
