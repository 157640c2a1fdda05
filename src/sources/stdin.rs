//! Standard input (`sqscan scan -`), read as a stream (see [`stream`]) so
//! that `git log -p | sqscan scan -` needs no more memory than one chunk.
//!
//! [`stream`]: super::stream

use std::io::{self, Read};

use super::{Item, Tally, stream};

pub const STDIN_PATH: &str = "<stdin>";

pub fn read(
    input: &mut dyn Read,
    max_file_size: u64,
    scan_binary: bool,
    tally: &Tally,
    visit: &dyn Fn(Item),
) -> io::Result<()> {
    stream::read(input, STDIN_PATH, max_file_size, scan_binary, tally, visit)
}
