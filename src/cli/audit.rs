//! `sqscan audit` and `sqscan merge`: arguments into an [`Audit`] (every
//! flag, list and state file checked before any work), the audit's report
//! written, and its exit code: 1 for reported incidents, 2 when it is
//! incomplete (after the report), 0 otherwise.

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use sha2::Digest as _;

use super::args::{AuditArgs, MergeArgs, When};
use super::settings::Settings;
use crate::audit::forges::{ListOptions, Query};
use crate::audit::log::AuditLog;
use crate::audit::shard::Shard;
use crate::audit::state::StateDir;
use crate::audit::targets::{self, Repository};
use crate::audit::{self, Audit, Progress};
use crate::findings::Liveness;
use crate::report::audit::AuditReport;
use crate::report::{self, Format, ReportContext, escaped, human_bytes};
use crate::rules::RuleSet;
use crate::scan::FailOn;
use crate::sources::git::BlobOptions;

/// At most this many repositories are scanned at once by default.
const MAX_DEFAULT_JOBS: usize = 8;

pub fn audit(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    // Many repositories, one run: a config only when named (--config).
    let settings = Settings::new(&args.common, None, None)?;
    if let Some((format, _)) = settings.reports.iter().find(|(f, _)| matches!(f, Format::Gitlab | Format::Sonarqube)) {
        let name = clap::ValueEnum::to_possible_value(format).map(|v| v.get_name().to_string()).unwrap_or_default();
        anyhow::bail!(
            "--format {name} reports one repository to its own pipeline; an audit writes json, sarif, html, csv…"
        );
    }
    let plan = plan(args, &settings)?;
    let scanner = settings.scanner()?;
    let mut outputs = settings.open_outputs()?;
    let report = audit::run(&plan, &scanner, settings.verifier.as_ref(), settings.redact);
    let context = settings.report_context(None, "audit");
    let mut notes = Vec::new();
    for (format, out) in &mut outputs {
        notes.extend(report::write_audit(*format, out, &report, &context).context("writing the report")?);
    }
    drop(outputs);
    let failing = failing(&report, settings.fail_on);
    finish(&report, &notes, settings.quiet, settings.allow_incomplete, settings.exit_code, settings.format, failing)
}

/// Everything an audit needs, checked now.
fn plan(args: &AuditArgs, settings: &Settings) -> anyhow::Result<Audit> {
    if args.targets.is_empty()
        && args.repos.is_none()
        && args.github_org.is_empty()
        && args.gitlab_group.is_empty()
        && args.azure_devops.is_empty()
    {
        anyhow::bail!(
            "nothing to audit: give repositories, directories or URLs, --repos FILE, --github-org, --gitlab-group or --azure-devops"
        );
    }
    let mut named: Vec<String> = args.targets.clone();
    if let Some(list) = &args.repos {
        named.extend(targets::read_list(list)?);
    }
    let mut repositories: Vec<Repository> = Vec::new();
    for target in &named {
        repositories.extend(targets::resolve(target)?);
    }
    let mut queries: Vec<Query> = args.github_org.iter().cloned().map(Query::GitHub).collect();
    queries.extend(args.gitlab_group.iter().cloned().map(Query::GitLab));
    queries.extend(args.azure_devops.iter().cloned().map(Query::Azure));
    for url in [&args.github_api_url, &args.gitlab_url, &args.azure_devops_url] {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            anyhow::bail!("{url}: not an http(s) URL");
        }
    }
    let shard = match (&args.shard, args.shards) {
        (Some(text), _) => Some(Shard::parse(text).map_err(anyhow::Error::msg)?),
        (None, Some(count)) => Some(Shard::from_job_index(count).map_err(anyhow::Error::msg)?),
        (None, None) => None,
    };
    let state = args.state.as_deref().map(StateDir::open).transpose()?;
    let log = args.audit_log.as_deref().map(AuditLog::open).transpose()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.filter(|&n| n > 0).unwrap_or(cores.min(MAX_DEFAULT_JOBS));
    let blobs = BlobOptions {
        // The thread budget is shared: each repository gets its part.
        threads: (settings.threads / jobs).max(1),
        max_file_size: settings.max_file_size,
        scan_binary: args.binary,
    };
    let progress = match (settings.quiet, args.common.progress) {
        (true, _) | (_, When::Never) => Progress::Quiet,
        _ if settings.progress => Progress::Bar,
        _ => Progress::Lines,
    };
    Ok(Audit {
        targets: repositories,
        queries,
        listing: ListOptions {
            forks: args.include_forks,
            archived: args.include_archived,
            github_api: args.github_api_url.clone(),
            gitlab_url: args.gitlab_url.clone(),
            azure_url: args.azure_devops_url.clone(),
            max_wait: Duration::from_secs(args.rate_limit_wait),
        },
        cache: args.cache.clone().unwrap_or_else(default_cache),
        state,
        log,
        shard,
        jobs,
        digest: digest(settings, &blobs),
        blobs,
        progress,
    })
}

/// What a remembered scan is valid under: sqscan's version, the rules, and
/// the options that change what is read.
fn digest(settings: &Settings, blobs: &BlobOptions) -> String {
    let mut digest = sha2::Sha256::new();
    digest.update(env!("CARGO_PKG_VERSION").as_bytes());
    digest.update(settings.rules.digest().as_bytes());
    digest.update(format!("max-file-size={};binary={}", blobs.max_file_size, blobs.scan_binary).as_bytes());
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn default_cache() -> PathBuf {
    crate::config::user_cache_dir().unwrap_or_else(|| std::env::temp_dir().join("sqscan")).join("mirrors")
}

/// Incidents that fail the run.
fn failing(report: &AuditReport, fail_on: FailOn) -> usize {
    report
        .incidents
        .iter()
        .filter(|i| i.severity.fails_scan())
        .filter(|i| fail_on == FailOn::Any || i.verification.as_ref().is_none_or(|v| v.status != Liveness::Inactive))
        .count()
}

pub fn merge(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let mut parts = Vec::new();
    for path in &args.reports {
        let text = crate::config::read_settings_file(path, 4 << 30)
            .with_context(|| format!("reading the report {}", path.display()))?;
        let part: AuditReport = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not an sqscan audit JSON report (line {}: {})",
                path.display(),
                e.line(),
                crate::config::without_values(&e.to_string())
            )
        })?;
        if part.version != report::audit::AUDIT_VERSION || part.tool.name != "sqscan" {
            anyhow::bail!("{}: not an sqscan audit report of version {}", path.display(), report::audit::AUDIT_VERSION);
        }
        parts.push(part);
    }
    let merged = AuditReport::merge(parts);
    let rules = RuleSet::load(&args.rules).context("loading rules")?;
    let format = args.format.unwrap_or(Format::Human);
    let color = args.color.colours(args.output.is_none() && std::io::IsTerminal::is_terminal(&io::stdout()));
    let context = ReportContext {
        rules: &rules,
        redact: true,
        root: None,
        color,
        automation: Default::default(),
        within_repository: String::new(),
    };
    let mut out = super::settings::open(args.output.as_deref())?;
    let notes = report::write_audit(format, &mut out, &merged, &context).context("writing the report")?;
    drop(out);
    let failing = failing(&merged, FailOn::Any);
    finish(&merged, &notes, args.quiet, args.allow_incomplete, args.exit_code, format, failing)
}

/// Notes, each repository that was not read whole, and the summary on
/// stderr; the exit code.
fn finish(
    report: &AuditReport,
    notes: &[String],
    quiet: bool,
    allow_incomplete: bool,
    exit_code: u8,
    format: Format,
    failing: usize,
) -> anyhow::Result<ExitCode> {
    let s = &report.stats;
    if !quiet {
        let mut err = io::stderr().lock();
        for note in notes {
            let _ = writeln!(err, "sqscan: warning: {note}");
        }
        for r in report.repositories.iter().filter(|r| r.status != report::audit::Status::Complete) {
            let why = r.reason.as_deref().unwrap_or_default();
            let _ =
                writeln!(err, "sqscan: warning: {} {}: {}", escaped(&r.repository), r.status.as_str(), escaped(why));
        }
        for e in report.enumerations.iter() {
            if let Some(why) = &e.stopped {
                let _ = writeln!(
                    err,
                    "sqscan: warning: listing {} {} stopped: {}",
                    e.forge,
                    escaped(&e.target),
                    escaped(why)
                );
            }
        }
        let _ = writeln!(
            err,
            "sqscan: {} incidents ({} locations) in {} repositories ({} complete, {} partial, {} failed); {} blobs scanned, {} already scanned, {}; {:.2}s",
            s.incidents,
            s.locations,
            s.repositories,
            s.complete,
            s.partial,
            s.failed,
            s.blobs_scanned,
            s.blobs_reused,
            human_bytes(s.bytes),
            s.elapsed_ms as f64 / 1000.0
        );
    }
    if let Some(why) = report.incomplete()
        && !allow_incomplete
    {
        eprintln!("sqscan: error: incomplete audit: {why} (listed above; --allow-incomplete accepts this)");
        return Ok(ExitCode::from(2));
    }
    Ok(if failing == 0 || format == Format::Baseline { ExitCode::SUCCESS } else { ExitCode::from(exit_code) })
}
