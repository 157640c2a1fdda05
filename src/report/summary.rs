//! The one-line summary printed on stderr after every scan.

use super::Summary;

pub fn summary_line(summary: &Summary) -> String {
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let scanned = match summary.scanned {
        1 => format!("1 {}", summary.unit.singular()),
        n => format!("{n} {}", summary.unit.plural()),
    };
    let mut line = format!(
        "{} in {scanned} ({}) in {:.2}s",
        plural(summary.findings, "finding"),
        human_bytes(summary.bytes),
        summary.elapsed.as_secs_f64()
    );
    let suppressed: u64 = summary.suppressed.values().sum();
    if suppressed > 0 {
        let parts: Vec<String> = summary.suppressed.iter().map(|(why, n)| format!("{} {n}", why.as_str())).collect();
        line.push_str(&format!("; {suppressed} suppressed ({})", parts.join(", ")));
    }
    if !summary.skipped.is_empty() {
        let mut counts = std::collections::BTreeMap::new();
        for skipped in &summary.skipped {
            *counts.entry(skipped.reason.kind()).or_insert(0u64) += 1;
        }
        let parts: Vec<String> = counts.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
        line.push_str(&format!("; skipped {} ({})", summary.skipped.len(), parts.join(", ")));
    }
    line
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Suppression;
    use crate::sources::{SkipReason, Skipped};
    use std::time::Duration;

    #[test]
    fn a_summary_counts_findings_suppressions_and_skips() {
        let mut summary = Summary {
            unit: crate::sources::Unit::Files,
            scanned: 3,
            bytes: 3 * 1024 * 1024,
            findings: 1,
            elapsed: Duration::from_millis(250),
            ..Summary::default()
        };
        assert_eq!(summary_line(&summary), "1 finding in 3 files (3.0 MiB) in 0.25s");
        summary.suppressed.insert(Suppression::Baseline, 2);
        summary.skipped.push(Skipped { path: "a.png".into(), reason: SkipReason::Binary, incomplete: false });
        assert_eq!(
            summary_line(&summary),
            "1 finding in 3 files (3.0 MiB) in 0.25s; 2 suppressed (baseline 2); skipped 1 (binary 1)"
        );
    }
}
