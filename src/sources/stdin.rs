//! Standard input (`sqscan scan -`), read as a stream (see [`stream`]) so
//! that `git log -p | sqscan scan -` needs no more memory than one chunk.
//!
//! [`stream`]: super::stream

use std::io::{self, Read};

use anyhow::Context as _;

use super::{Sink, Source, Tally, Unit, scan_each, stream};
use crate::findings::Origin;
use crate::scan::Scanner;

pub struct Stdin {
    pub max_size: u64,
    pub scan_binary: bool,
}

impl Source for Stdin {
    fn unit(&self) -> Unit {
        Unit::Files
    }

    fn scan(&self, scanner: &Scanner, tally: &Tally, sink: Sink) -> anyhow::Result<()> {
        let mut input = io::stdin().lock();
        let visit = scan_each(scanner, sink);
        stream::read(&mut input as &mut dyn Read, &Origin::Stdin, self.max_size, self.scan_binary, tally, &visit)
            .context("reading standard input")
    }
}
