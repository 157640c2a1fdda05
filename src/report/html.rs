//! One self-contained HTML page for people: a summary, a timeline of when
//! secrets entered, and every incident (one secret, wherever it was found),
//! most urgent first, with search and filters.
//!
//! What the page must never do: show a secret in full (whatever
//! `--no-redact` says: a page gets mailed and archived), ask any host for
//! anything (styles and script are inline, a Content-Security-Policy says
//! so, the chart is inline SVG), or let scanned content become markup (a
//! file or author named `<script>` is text: everything is escaped here).
//! Without JavaScript every incident shows; with it, filters hide rows and
//! follow the address's `#kind=…&state=…&repository=…&head=…&q=…`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::audit::AuditReport;
use super::incident::{Incident, incidents};
use super::{Document, Notes, ReportContext, Summary, human_bytes};
use crate::findings::{Finding, Liveness};
use crate::rules::{RuleSet, Severity};

pub struct Html<'a> {
    pub context: ReportContext<'a>,
}

/// What a page says of what was read, besides its incidents.
pub struct Overview {
    /// The line under the title: what was scanned, how much.
    pub headline: String,
    /// The coverage card: label → count.
    pub coverage: Vec<(String, usize)>,
    /// What was skipped or went wrong, and why (path or repository, text).
    pub gaps: Vec<(String, String)>,
    /// For an audit: each repository, its status and why.
    pub repositories: Vec<(String, String, String)>,
}

/// Text made safe for HTML, in content and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Most urgent first: live tokens, then the unknown and the unchecked,
/// dead ones last; within each, the most severe, then the oldest.
fn urgency(incident: &Incident) -> (u8, std::cmp::Reverse<Severity>, String) {
    let state = match incident.verification.as_ref().map(|v| v.status) {
        Some(Liveness::Active) => 0,
        Some(Liveness::Unknown) => 1,
        None => 2,
        Some(Liveness::Inactive) => 3,
    };
    let date = incident.first().and_then(|l| l.date.clone()).unwrap_or_default();
    (state, std::cmp::Reverse(incident.severity), date)
}

/// What locations outside any repository are listed under.
const WORKING_TREE: &str = "working tree";

fn repositories(incident: &Incident) -> Vec<&str> {
    if incident.repositories.is_empty() {
        return vec![WORKING_TREE];
    }
    incident.repositories.iter().map(String::as_str).collect()
}

const STYLE: &str = r#"
:root { --fg:#1d2330; --muted:#5d6778; --line:#d9dee7; --bg:#fff; --band:#f5f7fa;
  --critical:#b3261e; --high:#d9480f; --medium:#b7791f; --low:#4a5568; --active:#b3261e; --inactive:#2f855a; }
* { box-sizing:border-box; }
body { font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); margin:0; }
header, section { padding:16px 28px; }
header { background:var(--band); border-bottom:1px solid var(--line); }
h1 { font-size:22px; margin:0 0 4px; } h2 { font-size:17px; margin:0 0 10px; }
.muted { color:var(--muted); }
.cards { display:flex; flex-wrap:wrap; gap:12px; }
.card { border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:190px; }
.card h3 { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:0 0 6px; }
.card .big { font-size:28px; font-weight:600; }
.card table td { padding:1px 8px 1px 0; }
/* Rows are grid blocks, not table rows: a browser lays out ten thousand
   of these, skipping those off screen, far faster than a table. */
.incidents .row { display:grid; grid-template-columns:7em 2.2fr 2fr 1.3fr 2.4fr 2.2fr; gap:0 10px;
  border-bottom:1px solid var(--line); padding:6px 0; content-visibility:auto; contain-intrinsic-size:auto 72px; }
.incidents .head { font-size:12px; color:var(--muted); border-bottom:2px solid var(--line); content-visibility:visible; }
.incidents .row > div { min-width:0; overflow-wrap:anywhere; }
.sev-critical { color:var(--critical); font-weight:600; } .sev-high { color:var(--high); font-weight:600; }
.sev-medium { color:var(--medium); } .sev-low { color:var(--low); }
.state { display:inline-block; padding:0 6px; border-radius:4px; border:1px solid var(--line); font-size:12px; }
.state-active { background:var(--active); color:#fff; border-color:var(--active); }
.state-inactive { color:var(--inactive); }
code { font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; word-break:break-all; }
.js .more { display:none; } .js .open .more { display:block; }
a.toggle { color:var(--muted); font-size:12px; } html:not(.js) a.toggle { display:none; }
.remedy h3 { font-size:14px; margin:12px 0 4px; }
.filters { display:flex; flex-wrap:wrap; gap:8px; margin-bottom:10px; }
.filters input, .filters select { font:inherit; padding:4px 6px; }
svg text { font-size:10px; fill:var(--muted); }
svg rect.bar { fill:#3b5bdb; }
@media print { .filters, a.toggle { display:none; } .js .more { display:block; } }
"#;

const SCRIPT: &str = r#"
(function () {
  document.documentElement.className = 'js';
  var rows = Array.prototype.slice.call(document.querySelectorAll('.incident'));
  document.getElementById('incident-table').addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a.toggle');
    if (!link) { return; }
    event.preventDefault();
    link.closest('.incident').classList.toggle('open');
  });
  var fields = ['q', 'kind', 'state', 'repository', 'head'];
  var controls = {};
  fields.forEach(function (f) { controls[f] = document.getElementById('filter-' + f); });
  function read() {
    var wanted = {};
    fields.forEach(function (f) { wanted[f] = controls[f].value; });
    return wanted;
  }
  function apply() {
    var w = read(), shown = 0, q = w.q.toLowerCase();
    rows.forEach(function (row) {
      var ok = (!w.kind || row.dataset.kind === w.kind) && (!w.state || row.dataset.state === w.state) &&
        (!w.repository || (' ' + row.dataset.repositories + ' ').indexOf(' ' + w.repository + ' ') >= 0) &&
        (!w.head || row.dataset.head === w.head) && (!q || row.textContent.toLowerCase().indexOf(q) >= 0);
      row.hidden = !ok;
      if (ok) { shown++; }
    });
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' incidents shown';
    var hash = fields.filter(function (f) { return w[f]; })
      .map(function (f) { return f + '=' + encodeURIComponent(w[f]); }).join('&');
    if (history.replaceState) { history.replaceState(null, '', hash ? '#' + hash : location.pathname); }
  }
  var initial = {};
  location.hash.replace(/^#/, '').split('&').forEach(function (pair) {
    var at = pair.indexOf('=');
    if (at > 0) { initial[pair.slice(0, at)] = decodeURIComponent(pair.slice(at + 1)); }
  });
  fields.forEach(function (f) {
    if (initial[f] !== undefined) { controls[f].value = initial[f]; }
    controls[f].addEventListener('input', apply);
    controls[f].addEventListener('change', apply);
  });
  document.getElementById('filters').hidden = false;
  apply();
})();
"#;

/// The whole page: incidents most urgent first, after an overview.
pub fn page(mut incidents: Vec<Incident>, overview: &Overview, rules: &RuleSet) -> String {
    incidents.sort_by_cached_key(|i| (urgency(i), i.fingerprint.clone()));
    let mut page = String::with_capacity(16 * 1024 + incidents.len() * 2048);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    let _ = writeln!(page, "<meta name=\"generator\" content=\"sqscan {}\">", env!("CARGO_PKG_VERSION"));
    page.push_str("<title>sqscan report</title>\n<style>");
    page.push_str(STYLE);
    page.push_str("</style>\n</head>\n<body>\n");
    page.push_str("<header>\n<h1>sqscan report</h1>\n");
    let _ =
        writeln!(page, "<p class=\"muted\">{}; sqscan {}</p>", escape(&overview.headline), env!("CARGO_PKG_VERSION"));
    page.push_str("<p class=\"muted\">Secrets are always redacted here.</p>\n</header>\n");
    summary_section(&mut page, &incidents, overview);
    timeline_section(&mut page, &incidents);
    incidents_section(&mut page, &incidents, rules);
    page.push_str("<script>");
    page.push_str(SCRIPT);
    page.push_str("</script>\n</body>\n</html>\n");
    page
}

/// A card of counts: label → number, in the order given.
fn card(page: &mut String, id: &str, title: &str, counts: &[(String, usize)]) {
    let _ = write!(page, "<div class=\"card\" id=\"{id}\"><h3>{}</h3><table>", escape(title));
    for (label, count) in counts {
        let _ = write!(
            page,
            "<tr><td>{}</td><td data-count=\"{}\"><strong>{count}</strong></td></tr>",
            escape(label),
            escape(label)
        );
    }
    page.push_str("</table></div>\n");
}

fn counted<T: Ord + Clone>(items: impl Iterator<Item = T>) -> BTreeMap<T, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_insert(0) += 1;
    }
    counts
}

fn summary_section(page: &mut String, incidents: &[Incident], overview: &Overview) {
    page.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
    let _ = writeln!(
        page,
        "<div class=\"card\" id=\"total\"><h3>Incidents</h3><div class=\"big\" data-count=\"incidents\">{}</div><div class=\"muted\">distinct secrets</div></div>",
        incidents.len()
    );
    let severities = counted(incidents.iter().map(|i| std::cmp::Reverse(i.severity)));
    let severities: Vec<(String, usize)> = severities.into_iter().map(|(s, n)| (s.0.as_str().to_string(), n)).collect();
    card(page, "by-severity", "By severity", &severities);
    let order = ["active", "unknown", "unchecked", "inactive"];
    let states = counted(incidents.iter().map(|i| i.state()));
    let states: Vec<(String, usize)> =
        order.iter().filter_map(|s| states.get(s).map(|n| (s.to_string(), *n))).collect();
    card(page, "by-state", "By verification", &states);
    let kinds = counted(incidents.iter().map(|i| i.rule_name.clone()));
    card(page, "by-kind", "By kind", &kinds.into_iter().collect::<Vec<_>>());
    let by_repository = counted(incidents.iter().flat_map(repositories).map(str::to_string));
    card(page, "by-repository", "By repository", &by_repository.into_iter().collect::<Vec<_>>());
    card(page, "coverage", "Coverage", &overview.coverage);
    page.push_str("</div>\n");
    if !overview.repositories.is_empty() {
        page.push_str("<details id=\"repositories\"><summary>Repositories and their coverage</summary><ul>\n");
        for (repository, status, why) in &overview.repositories {
            let why = if why.is_empty() { String::new() } else { format!(": {}", escape(why)) };
            let _ = writeln!(
                page,
                "<li data-status=\"{}\"><code>{}</code> {}{why}</li>",
                escape(status),
                escape(repository),
                escape(status)
            );
        }
        page.push_str("</ul></details>\n");
    }
    if !overview.gaps.is_empty() {
        page.push_str("<details><summary>What was skipped, and why</summary><ul>\n");
        for (what, why) in overview.gaps.iter().take(1000) {
            let _ = writeln!(page, "<li><code>{}</code>: {}</li>", escape(what), escape(why));
        }
        if overview.gaps.len() > 1000 {
            let _ = writeln!(page, "<li>… and {} more (see the JSON report)</li>", overview.gaps.len() - 1000);
        }
        page.push_str("</ul></details>\n");
    }
    page.push_str("</section>\n");
}

/// Bars of first introductions per month, as inline SVG.
fn timeline_section(page: &mut String, incidents: &[Incident]) {
    page.push_str("<section id=\"timeline\">\n<h2>When secrets entered</h2>\n");
    let months = counted(incidents.iter().filter_map(|i| i.first().and_then(|l| l.date.as_deref())).filter_map(month));
    let (Some(&first), Some(&last)) = (months.keys().next(), months.keys().next_back()) else {
        page.push_str("<p class=\"muted\">No commit dates: this report is not of a git history.</p>\n</section>\n");
        return;
    };
    let span: Vec<(i32, u32)> = month_range(first, last);
    let highest = months.values().copied().max().unwrap_or(1).max(1);
    let (bar, height, top) = (12usize.min(900 / span.len().max(1)).max(2), 120usize, 10usize);
    let width = (span.len() * bar + 40).max(240);
    let _ = writeln!(
        page,
        "<svg role=\"img\" aria-label=\"first introductions per month\" width=\"{width}\" height=\"{}\" viewBox=\"0 0 {width} {}\">",
        height + top + 30,
        height + top + 30
    );
    for (n, (year, m)) in span.iter().enumerate() {
        let count = months.get(&(*year, *m)).copied().unwrap_or(0);
        let h = count * height / highest;
        let x = 30 + n * bar;
        if count > 0 {
            let _ = writeln!(
                page,
                "<rect class=\"bar\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\" data-month=\"{year:04}-{m:02}\" data-count=\"{count}\"><title>{year:04}-{m:02}: {count}</title></rect>",
                top + height - h,
                bar.saturating_sub(1).max(1)
            );
        }
        if *m == 1 || n == 0 {
            let _ = writeln!(page, "<text x=\"{x}\" y=\"{}\">{year}</text>", top + height + 14);
        }
    }
    let _ =
        writeln!(page, "<text x=\"0\" y=\"{}\">{highest}</text><text x=\"0\" y=\"{}\">0</text>", top + 8, top + height);
    page.push_str("</svg>\n</section>\n");
}

/// `2024-01-31T…` as (2024, 1).
fn month(date: &str) -> Option<(i32, u32)> {
    let year = date.get(..4)?.parse().ok()?;
    let month = date.get(5..7)?.parse().ok().filter(|m| (1..=12).contains(m))?;
    Some((year, month))
}

/// Every month from `first` to `last`, at most 50 years of them.
fn month_range(first: (i32, u32), last: (i32, u32)) -> Vec<(i32, u32)> {
    let mut months = Vec::new();
    let (mut year, mut m) = first;
    while (year, m) <= last && months.len() < 600 {
        months.push((year, m));
        (year, m) = if m == 12 { (year + 1, 1) } else { (year, m + 1) };
    }
    months
}

fn select(page: &mut String, field: &str, label: &str, options: &[(String, String)]) {
    let _ = write!(page, "<label>{} <select id=\"filter-{field}\"><option value=\"\">any</option>", escape(label));
    for (value, text) in options {
        let _ = write!(page, "<option value=\"{}\">{}</option>", escape(value), escape(text));
    }
    page.push_str("</select></label>\n");
}

fn incidents_section(page: &mut String, incidents: &[Incident], rules: &RuleSet) {
    page.push_str("<section id=\"incidents\">\n<h2>Incidents, most urgent first</h2>\n");
    page.push_str("<div class=\"filters\" id=\"filters\" hidden>\n");
    page.push_str(
        "<label>Search <input id=\"filter-q\" type=\"search\" placeholder=\"path, author, rule…\"></label>\n",
    );
    let kinds = counted(incidents.iter().map(|i| (i.rule.clone(), i.rule_name.clone())));
    select(page, "kind", "Kind", &kinds.into_keys().collect::<Vec<_>>());
    let states = ["active", "unknown", "unchecked", "inactive"].map(|s| (s.to_string(), s.to_string()));
    select(page, "state", "Verification", &states);
    let by_repository = counted(incidents.iter().flat_map(repositories).map(str::to_string));
    let by_repository: Vec<(String, String)> = by_repository.into_keys().map(|r| (r.clone(), r)).collect();
    select(page, "repository", "Repository", &by_repository);
    let heads = [("head", "still at HEAD"), ("history", "history only"), ("tree", "working tree")]
        .map(|(v, t)| (v.to_string(), t.to_string()));
    select(page, "head", "Where", &heads);
    page.push_str("<span class=\"muted\" id=\"shown\"></span>\n</div>\n");
    page.push_str("<div class=\"incidents\" id=\"incident-table\" role=\"table\">\n<div class=\"row head\" role=\"row\"><div role=\"columnheader\">Severity</div><div role=\"columnheader\">Kind</div><div role=\"columnheader\">Secret</div><div role=\"columnheader\">Verification</div><div role=\"columnheader\">First introduced</div><div role=\"columnheader\">Locations</div></div>\n");
    for incident in incidents {
        incident_row(page, incident);
    }
    page.push_str("</div>\n</section>\n");
    remedies_section(page, incidents, rules);
}

/// What to do, once per kind of token found.
fn remedies_section(page: &mut String, incidents: &[Incident], rules: &RuleSet) {
    page.push_str("<section id=\"remedies\">\n<h2>What to do</h2>\n");
    let kinds: BTreeMap<&str, &str> = incidents.iter().map(|i| (i.rule.as_str(), i.rule_name.as_str())).collect();
    for (id, name) in kinds {
        let rule = rules.by_id(id);
        let help =
            rule.map(|r| r.help.as_deref().unwrap_or(&r.description)).unwrap_or("Revoke the token, then remove it.");
        let _ = write!(
            page,
            "<div class=\"remedy\" id=\"do-{}\"><h3>{}</h3><p>{}</p>",
            escape(id),
            escape(name),
            escape(help)
        );
        if let Some(uri) = rule.and_then(|r| r.help_uri.as_deref()) {
            let _ = write!(page, "<p class=\"muted\">More: {}</p>", escape(uri));
        }
        page.push_str("</div>\n");
    }
    page.push_str("</section>\n");
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

fn incident_row(page: &mut String, incident: &Incident) {
    let shown = repositories(incident).iter().map(|r| r.replace(' ', "\u{a0}")).collect::<Vec<_>>().join(" ");
    let _ = writeln!(
        page,
        "<div class=\"row incident\" role=\"row\" data-fingerprint=\"{}\" data-kind=\"{}\" data-state=\"{}\" data-head=\"{}\" data-repositories=\"{}\">",
        escape(&incident.fingerprint),
        escape(&incident.rule),
        incident.state(),
        incident.head(),
        escape(&shown)
    );
    let severity = incident.severity.as_str();
    let _ = writeln!(page, "<div role=\"cell\" class=\"sev-{severity}\">{severity}</div>");
    let key = incident
        .sonar_key
        .as_deref()
        .map(|k| format!(" <span class=\"muted\">{}</span>", escape(k)))
        .unwrap_or_default();
    let _ = writeln!(
        page,
        "<div role=\"cell\">{}{key}<br><code class=\"muted\">{}</code></div>",
        escape(&incident.rule_name),
        escape(&incident.rule)
    );
    let _ = writeln!(
        page,
        "<div role=\"cell\"><code>{}</code><br><span class=\"muted\">fingerprint <code>{}</code></span></div>",
        escape(&incident.secret),
        escape(&incident.fingerprint)
    );
    let state = incident.state();
    let mut verification = format!("<span class=\"state state-{state}\">{state}</span>");
    if let Some(v) = &incident.verification {
        let _ = write!(verification, "<br><span class=\"muted\">{}</span>", escape(&v.detail));
        if let Some(expires) = &v.expires {
            let _ = write!(verification, "<br>expires {}", escape(expires));
        }
        if let Some(lifetime) = &v.lifetime {
            let _ = write!(verification, "<br><strong>{}</strong>", escape(lifetime));
        }
        if let Some(analysis) = &v.analysis {
            let _ = write!(verification, "<br>reach: {}", escape(&analysis.summary()));
        }
    }
    let _ = writeln!(page, "<div role=\"cell\">{verification}</div>");
    match incident.first() {
        Some(first) => {
            let _ = writeln!(
                page,
                "<div role=\"cell\"><code>{}</code> by {} &lt;{}&gt;<br>{}<br>in <code>{}</code></div>",
                escape(short(first.commit.as_deref().unwrap_or_default())),
                escape(first.author.as_deref().unwrap_or_default()),
                escape(first.email.as_deref().unwrap_or_default()),
                escape(first.date.as_deref().unwrap_or_default()),
                escape(&first.path)
            );
        }
        None => page.push_str("<div role=\"cell\" class=\"muted\">not a history</div>\n"),
    }
    let head = match incident.head() {
        "head" => "still at HEAD",
        "history" => "history only",
        _ => "",
    };
    let count = incident.locations.len();
    let _ = write!(page, "<div role=\"cell\">{count} location{}", if count == 1 { "" } else { "s" });
    if !head.is_empty() {
        let _ = write!(page, "; {head}");
    }
    // Plain blocks, not <details>: ten thousand of those cost seconds to
    // render. Without JavaScript they all show; with it, a click opens one.
    page.push_str(" <a class=\"toggle\" href=\"#\">details</a><div class=\"more\">");
    let snippet = incident.locations.first().map_or("", |l| l.snippet.as_str());
    let _ = write!(page, "<p><code>{}</code></p><ul class=\"locations\">", escape(snippet));
    for location in &incident.locations {
        let mut text = format!("<code>{}</code>:{}", escape(&location.path), location.line);
        if let Some(repository) = &location.repository {
            let _ = write!(text, " in {}", escape(repository));
        }
        if let Some(commit) = &location.commit {
            let _ = write!(
                text,
                " at <code>{}</code> by {} on {}",
                escape(short(commit)),
                escape(location.author.as_deref().unwrap_or_default()),
                escape(location.date.as_deref().unwrap_or_default())
            );
        }
        if location.introductions > 1 {
            let _ = write!(text, " ({} introductions)", location.introductions);
        }
        let _ = write!(page, "<li>{text}</li>");
    }
    let _ = write!(page, "</ul><p><a href=\"#do-{}\">What to do</a></p>", escape(&incident.rule));
    page.push_str("</div></div>\n</div>\n");
}

impl Document for Html<'_> {
    fn write(&self, out: &mut dyn Write, findings: Vec<Finding>, summary: &Summary) -> io::Result<Notes> {
        let root = self.context.root.as_deref().map(|r| r.display().to_string()).unwrap_or_default();
        let headline = format!(
            "{} findings in {} {} ({}){}",
            summary.findings,
            summary.scanned,
            summary.unit.plural(),
            human_bytes(summary.bytes),
            if root.is_empty() { String::new() } else { format!(" under {root}") },
        );
        let mut coverage = vec![(summary.unit.plural().to_string(), summary.scanned as usize)];
        let skipped = counted(summary.skipped.iter().map(|s| s.reason.kind()));
        coverage.extend(skipped.into_iter().map(|(kind, n)| (format!("skipped: {kind}"), n)));
        let gaps = summary.skipped.iter().map(|s| (s.path.clone(), s.reason.to_string())).collect();
        let overview = Overview { headline, coverage, gaps, repositories: Vec::new() };
        // Always redacted: a page gets mailed and archived.
        let incidents = incidents(&findings, self.context.rules, true);
        out.write_all(page(incidents, &overview, self.context.rules).as_bytes())?;
        Ok(Notes::new())
    }
}

/// An audit's page: its incidents, and every repository's coverage.
pub fn write_audit(out: &mut dyn Write, report: &AuditReport, rules: &RuleSet) -> io::Result<()> {
    let s = &report.stats;
    let headline = format!(
        "{} incidents in {} repositories ({} blobs, {})",
        s.incidents,
        s.repositories,
        s.blobs_scanned + s.blobs_reused,
        human_bytes(s.bytes)
    );
    let coverage = vec![
        ("complete".to_string(), s.complete as usize),
        ("partial".to_string(), s.partial as usize),
        ("failed".to_string(), s.failed as usize),
        ("blobs scanned".to_string(), s.blobs_scanned as usize),
        ("blobs already scanned".to_string(), s.blobs_reused as usize),
        ("blobs skipped".to_string(), s.blobs_skipped as usize),
    ];
    let repositories = report
        .repositories
        .iter()
        .map(|r| (r.repository.clone(), r.status.as_str().to_string(), r.reason.clone().unwrap_or_default()))
        .collect();
    let gaps = report
        .enumerations
        .iter()
        .filter_map(|e| e.stopped.as_ref().map(|why| (format!("{} {}", e.forge, e.target), why.clone())))
        .collect();
    let mut incidents = report.incidents.clone();
    for incident in &mut incidents.iter_mut().filter(|i| !i.redacted) {
        // A line shown in full may hold other secrets too: left out.
        incident.secret = incident.redacted_secret();
        incident.redacted = true;
        for location in &mut incident.locations {
            location.snippet = "(left out: the report was written with --no-redact)".to_string();
        }
    }
    let overview = Overview { headline, coverage, gaps, repositories };
    out.write_all(page(incidents, &overview, rules).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        let hostile = "<script>alert('x')</script>\"&\u{1b}[2J";
        let escaped = escape(hostile);
        assert_eq!(escaped, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;\u{FFFD}[2J");
        assert!(!escaped.contains('<') && !escaped.contains('"'));
    }

    #[test]
    fn months_span_the_whole_range() {
        assert_eq!(month("2024-02-28T19:00:00-05:00"), Some((2024, 2)));
        assert_eq!(month("bad"), None);
        assert_eq!(month_range((2023, 11), (2024, 2)), vec![(2023, 11), (2023, 12), (2024, 1), (2024, 2)]);
    }
}
