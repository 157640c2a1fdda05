//! The command line as clap parses it: raw, unchecked. `settings` turns it
//! into what a run needs, and reports every problem before any scanning.

use std::path::PathBuf;

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::report::Format;
use crate::scan::FailOn;

#[derive(Debug, Parser)]
#[command(
    name = "sqscan",
    version,
    about = "Find leaked SonarQube tokens in source trees, staged changes and git histories.",
    after_help = "Exit codes: 0 no finding, 1 findings, 2 error.",
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (a working tree); `-` reads standard input
    Scan(Deferred<ScanArgs>),
    /// Scan a git history: every blob reachable from any ref, or what a range of commits added
    Git(Deferred<GitArgs>),
    /// Scan the changes staged for commit (pre-commit): only the lines they add
    Staged(Deferred<StagedArgs>),
    /// Write the current findings as a baseline file (takes the options of `scan`)
    Baseline(Deferred<BaselineArgs>),
    /// Audit many repositories: local ones, directories of them, URLs, whole organizations
    Audit(Deferred<Box<AuditArgs>>),
    /// Combine the JSON reports of an audit's shards into one report, in any format
    Merge(Deferred<MergeArgs>),
    /// Revoke found tokens where the token itself may (asks first; never guesses a name)
    Revoke(Deferred<RevokeArgs>),
    /// List the rules, or run every rule's examples through the engine
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for `man -l -` or a man directory
    Man,
}

/// A subcommand's arguments, built only when it is the one given: building
/// every subcommand's is most of the time a pre-commit hook spends parsing
/// its command line.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Args> Args for Deferred<T> {
    fn augment_args(command: clap::Command) -> clap::Command {
        command.defer(T::augment_args)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        command.defer(T::augment_args_for_update)
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

/// `scan`'s arguments, without those a baseline has no use for.
#[derive(Debug)]
pub struct BaselineArgs(pub ScanArgs);

impl std::ops::Deref for BaselineArgs {
    type Target = ScanArgs;

    fn deref(&self) -> &ScanArgs {
        &self.0
    }
}

impl Args for BaselineArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        ScanArgs::augment_args(command)
            .mut_arg("format", |a| a.hide(true))
            .mut_arg("fail_on", |a| a.hide(true))
            .mut_arg("exit_code", |a| a.hide(true))
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        BaselineArgs::augment_args(command)
    }
}

impl FromArgMatches for BaselineArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        ScanArgs::from_arg_matches(matches).map(BaselineArgs)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan [default: .]; `-` reads standard input
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repository: its work tree, any directory in it, or a bare repository [default: .]
    pub repo: Option<PathBuf>,
    /// Every ref: branches, tags, remotes, the stash (the default)
    #[arg(long, conflicts_with_all = ["range", "since_commit"])]
    pub all: bool,
    /// Only what the commits in A..B added (a pull request: origin/main..HEAD)
    #[arg(long, value_name = "A..B", conflicts_with = "since_commit")]
    pub range: Option<String>,
    /// Shorthand for --range SHA..HEAD
    #[arg(long, value_name = "SHA")]
    pub since_commit: Option<String>,
    /// Also scan blobs no ref reaches (force-pushed, rebased away, dropped
    /// stashes); they are counted as skipped otherwise
    #[arg(long, conflicts_with_all = ["range", "since_commit"])]
    pub unreachable: bool,
    /// Scan binary blobs too (skipped and counted by default)
    #[arg(long)]
    pub binary: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct StagedArgs {
    /// The repository [default: .]; or files, which are then scanned whole
    /// (what `pre-commit` passes)
    pub paths: Vec<PathBuf>,
    /// Scan binary files too (skipped and counted by default)
    #[arg(long)]
    pub binary: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Repositories: work trees, bare repositories, directories holding
    /// many (searched below), or URLs to mirror (https, ssh, git://, file://)
    pub targets: Vec<String>,
    /// A file of repositories, one path or URL a line (`#` starts a comment)
    #[arg(long, value_name = "FILE")]
    pub repos: Option<PathBuf>,
    /// Every repository of a GitHub organization or user (GITHUB_TOKEN; repeatable)
    #[arg(long, value_name = "ORG", help_heading = "Organizations")]
    pub github_org: Vec<String>,
    /// Every project of a GitLab group and its subgroups (GITLAB_TOKEN; repeatable)
    #[arg(long, value_name = "GROUP", help_heading = "Organizations")]
    pub gitlab_group: Vec<String>,
    /// Every repository of an Azure DevOps organization or project (AZURE_DEVOPS_EXT_PAT; repeatable)
    #[arg(long, value_name = "ORG[/PROJECT]", help_heading = "Organizations")]
    pub azure_devops: Vec<String>,
    /// The GitHub API (GitHub Enterprise: https://HOST/api/v3)
    #[arg(long, value_name = "URL", default_value = "https://api.github.com", help_heading = "Organizations")]
    pub github_api_url: String,
    /// The GitLab instance
    #[arg(long, value_name = "URL", default_value = "https://gitlab.com", help_heading = "Organizations")]
    pub gitlab_url: String,
    /// The Azure DevOps service
    #[arg(long, value_name = "URL", default_value = "https://dev.azure.com", help_heading = "Organizations")]
    pub azure_devops_url: String,
    /// Also audit forks
    #[arg(long, help_heading = "Organizations")]
    pub include_forks: bool,
    /// Also audit archived (GitLab, GitHub) and disabled (Azure DevOps) repositories
    #[arg(long, help_heading = "Organizations")]
    pub include_archived: bool,
    /// The longest a forge's rate limit is waited out, in seconds; past it the listing stops (and says so)
    #[arg(long, value_name = "SECONDS", default_value_t = 300, help_heading = "Organizations")]
    pub rate_limit_wait: u64,
    /// Where remote repositories are mirrored [default: the user's cache directory, sqscan/mirrors]
    #[arg(long, value_name = "DIR", help_heading = "Incremental and sharded audits")]
    pub cache: Option<PathBuf>,
    /// Remember what was scanned here; a later run scans only new blobs
    #[arg(long, value_name = "DIR", help_heading = "Incremental and sharded audits")]
    pub state: Option<PathBuf>,
    /// Append a JSON line per repository event (discovered, fetched, scanned, failed) to FILE
    #[arg(long, value_name = "FILE", help_heading = "Incremental and sharded audits")]
    pub audit_log: Option<PathBuf>,
    /// Audit only shard K of N (by a stable hash of each repository's identity)
    #[arg(long, value_name = "K/N", conflicts_with = "shards", help_heading = "Incremental and sharded audits")]
    pub shard: Option<String>,
    /// N shards, this one picked by JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)
    #[arg(long, value_name = "N", help_heading = "Incremental and sharded audits")]
    pub shards: Option<u64>,
    /// Repositories scanned at once [default: one per core, at most 8]
    #[arg(long, value_name = "N", help_heading = "Performance")]
    pub jobs: Option<usize>,
    /// Scan binary blobs too (skipped and counted by default)
    #[arg(long)]
    pub binary: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The JSON reports of an audit's shards (`sqscan audit --format json`)
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Output format [default: human]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Extra rule files the shards ran with (for SARIF and HTML rule help)
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// When to colour the human format
    #[arg(long, value_enum, default_value_t = When::Auto, value_name = "WHEN")]
    pub color: When,
    /// Print no summary line on standard error
    #[arg(short, long)]
    pub quiet: bool,
    /// Exit code when incidents are reported
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,
    /// Exit as usual (0 or 1) even when a shard's audit was incomplete
    #[arg(long)]
    pub allow_incomplete: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Where the tokens are (files or directories, read as `scan` reads
    /// them), or `-`: one token on standard input (with --yes)
    #[arg(required = true)]
    pub targets: Vec<PathBuf>,
    /// The fingerprint of a token to revoke, from any report (repeatable)
    #[arg(long = "fingerprint", value_name = "FP")]
    pub fingerprints: Vec<String>,
    /// Which of the owner's tokens this is, when several could be
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Revoke without asking (needed when there is no terminal to ask on)
    #[arg(long)]
    pub yes: bool,
    /// The SonarQube Server that Server tokens belong to
    #[arg(long, value_name = "URL")]
    pub sonar_url: Option<String>,
    /// Also use a sonar.host.url found next to the token
    #[arg(long)]
    pub verify_found_hosts: bool,
    /// Time budget for all calls, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Extra rule files, or directories of them (repeatable)
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Walking")]
pub struct WalkArgs {
    /// Do not honour .gitignore, .ignore and .sqscanignore files
    #[arg(long)]
    pub no_ignore: bool,
    /// Hidden files are scanned by default (`.env`, `.github/`); kept for ripgrep habits
    #[arg(long, conflicts_with = "skip_hidden")]
    pub hidden: bool,
    /// Skip hidden files and directories
    #[arg(long)]
    pub skip_hidden: bool,
    /// Follow symbolic links
    #[arg(short = 'L', long)]
    pub follow: bool,
    /// Scan binary files too (skipped and counted by default)
    #[arg(long)]
    pub binary: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("verification").args(["verify", "analyze"]).multiple(true)))]
pub struct CommonArgs {
    /// Output format [default: human]; repeatable, each paired in order
    /// with an -o (`--format sarif -o a.sarif --format human`)
    #[arg(long, value_enum, action = clap::ArgAction::Append, help_heading = "Output")]
    pub format: Vec<Format>,
    /// Write the report to FILE instead of standard output (one per --format)
    #[arg(short, long, value_name = "FILE", action = clap::ArgAction::Append, help_heading = "Output")]
    pub output: Vec<PathBuf>,
    /// Show secrets in full instead of redacted
    #[arg(long, help_heading = "Output")]
    pub no_redact: bool,
    /// When to colour the human format
    #[arg(long, value_enum, default_value_t = When::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: When,
    /// When to show a progress bar on standard error
    #[arg(long, value_enum, default_value_t = When::Auto, value_name = "WHEN", help_heading = "Output")]
    pub progress: When,
    /// Print no summary line or warnings on standard error
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,
    /// Exit code when findings are reported
    #[arg(long, value_name = "N", default_value_t = 1, help_heading = "Output")]
    pub exit_code: u8,
    /// Exit as usual (0 or 1) even when part of what was asked could not be read
    #[arg(long, help_heading = "Output")]
    pub allow_incomplete: bool,

    /// Extra rule files, or directories of them (repeatable)
    #[arg(long, value_name = "PATH", help_heading = "Rules and filters")]
    pub rules: Vec<PathBuf>,
    /// Configuration file [default: .sqscan.toml at the scan root, if present]
    #[arg(long, value_name = "FILE", help_heading = "Rules and filters")]
    pub config: Option<PathBuf>,
    /// Do not report findings listed in this baseline file
    #[arg(long, value_name = "FILE", help_heading = "Rules and filters")]
    pub baseline: Option<PathBuf>,

    /// Ask SonarQube whether each found token is still live (see README: what is sent where)
    #[arg(long, help_heading = "Verification")]
    pub verify: bool,
    /// For each live token, ask who owns it and what it reaches (implies --verify; read-only calls)
    #[arg(long, help_heading = "Verification")]
    pub analyze: bool,
    /// The SonarQube Server that Server tokens may be checked against
    #[arg(long, value_name = "URL", requires = "verification", help_heading = "Verification")]
    pub sonar_url: Option<String>,
    /// Also check Server tokens against a sonar.host.url found next to them
    #[arg(long, requires = "verification", help_heading = "Verification")]
    pub verify_found_hosts: bool,
    /// Time budget for all verification, in seconds
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30,
        requires = "verification",
        help_heading = "Verification"
    )]
    pub verify_timeout: u64,
    /// Tokens checked at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64), help_heading = "Verification")]
    pub verify_concurrency: u16,
    /// Which findings set the failing exit code: any, or only verified-active ones
    #[arg(long, value_enum, default_value_t = FailOn::Any, value_name = "WHICH", help_heading = "Verification")]
    pub fail_on: FailOn,

    /// Worker threads [default: one per core]
    #[arg(short = 'j', long, value_name = "N", help_heading = "Performance")]
    pub threads: Option<usize>,
    /// Skip (and report) files larger than this: bytes, or with K, M, G (binary) suffix
    #[arg(long, value_name = "SIZE", default_value = "50MiB", value_parser = parse_size, help_heading = "Performance")]
    pub max_file_size: u64,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule in force
    List(RulesArgs),
    /// Run every rule's examples and counterexamples through the engine
    Test(RulesArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Extra rule files, or directories of them (repeatable)
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum When {
    Auto,
    Always,
    Never,
}

impl When {
    /// Whether to colour output that goes to a terminal when `to_terminal`
    /// (auto: yes, unless `NO_COLOR` is set).
    pub fn colours(self, to_terminal: bool) -> bool {
        match self {
            When::Always => true,
            When::Never => false,
            When::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// `50MiB`, `50M`, `2G`, `1024`: sizes in bytes, suffixes binary.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| format!("not a size: {text:?} (try 50MiB)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("unknown size unit {unit:?} (use K, M or G)")),
    };
    number.checked_mul(1 << shift).ok_or_else(|| format!("size too large: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("50MiB"), Ok(50 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("10 K"), Ok(10 << 10));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10X").is_err());
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
