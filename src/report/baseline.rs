//! `--format baseline`: the findings as a baseline file.

use std::io::{self, Write};

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
