//! `--format baseline`: the findings as a baseline file.

use std::io::{self, Write};

use super::{Notes, Reporter, Summary};
use crate::filters::{Baseline, BaselineEntry};
use crate::findings::Finding;

pub struct BaselineWriter<'a> {
    out: Box<dyn Write + 'a>,
    entries: Vec<BaselineEntry>,
}

impl<'a> BaselineWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> BaselineWriter<'a> {
        BaselineWriter { out, entries: Vec::new() }
    }
}

impl Reporter for BaselineWriter<'_> {
    fn finding(&mut self, finding: Finding) -> io::Result<()> {
        let path = finding.path().to_string();
        self.entries.push(BaselineEntry { fingerprint: finding.fingerprint, rule: finding.rule_id, path });
        Ok(())
    }

    fn finish(mut self: Box<Self>, _: &Summary) -> io::Result<Notes> {
        let entries = std::mem::take(&mut self.entries);
        self.out.write_all(Baseline::render(entries).as_bytes())?;
        self.out.flush()?;
        Ok(Notes::new())
    }
}
