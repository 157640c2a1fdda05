//! `--format baseline`: the findings as a baseline file.

use std::io::{self, Write};

use super::audit::AuditReport;
use super::{Document, Notes, Summary};
use crate::filters::{Baseline, BaselineEntry};
use crate::findings::Finding;

pub struct BaselineWriter;

impl Document for BaselineWriter {
    fn write(&self, out: &mut dyn Write, findings: Vec<Finding>, _: &Summary) -> io::Result<Notes> {
        let entries = findings.into_iter().map(|finding| {
            let path = finding.path().to_string();
            BaselineEntry { fingerprint: finding.fingerprint, rule: finding.rule_id, path }
        });
        out.write_all(Baseline::render(entries).as_bytes())?;
        Ok(Notes::new())
    }
}

/// An audit's incidents as a baseline: an entry per location (paths of
/// any repository; a baseline does not name repositories).
pub fn write_audit(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    let entries = report.incidents.iter().flat_map(|i| {
        i.locations.iter().map(|l| BaselineEntry {
            fingerprint: i.fingerprint.clone(),
            rule: i.rule.clone(),
            path: l.path.clone(),
        })
    });
    out.write_all(Baseline::render(entries).as_bytes())
}
