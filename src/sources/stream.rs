//! Inputs too large to hold at once (standard input, big files), read as a
//! stream of chunks so that memory stays at one chunk whatever the size.
//! Chunks overlap by more than any match window reaches, and each match is
//! reported by exactly one chunk: the one whose `report` range holds its
//! start.

use std::io::{self, Read};

use super::content::{self, Views};
use super::{Item, SkipReason, Tally};
use crate::findings::Origin;

/// Bytes of a chunk, overlap included.
pub const CHUNK: usize = 8 << 20;
/// Context carried from one chunk to the next; wider than the engine's
/// windows (a few lines, capped at 4 KiB a side, or a 64 KiB base64 run).
const OVERLAP: usize = 256 << 10;

/// Reads `input` to its end and hands it to `visit` chunk by chunk. UTF-16
/// and UTF-32 text is transcoded whole, so it is read whole, up to
/// `max_size`; binary input is skipped unless `scan_binary`. What the
/// input is, its first chunk decides.
pub fn read(
    input: &mut dyn Read,
    origin: &Origin,
    max_size: u64,
    scan_binary: bool,
    tally: &Tally,
    visit: &dyn Fn(Item),
) -> io::Result<()> {
    read_chunked(input, origin, CHUNK, OVERLAP, max_size, scan_binary, tally, visit)
}

#[allow(clippy::too_many_arguments)]
fn read_chunked(
    input: &mut dyn Read,
    origin: &Origin,
    chunk: usize,
    overlap: usize,
    max_size: u64,
    scan_binary: bool,
    tally: &Tally,
    visit: &dyn Fn(Item),
) -> io::Result<()> {
    let path = origin.path();
    let mut buffer = Vec::with_capacity(chunk);
    let mut eof = fill(input, &mut buffer, chunk)?;
    // The first chunk decides.
    match content::kind_of(&buffer) {
        content::Kind::Binary if !scan_binary => {
            tally.skip(path, SkipReason::Binary);
            return Ok(());
        }
        content::Kind::Utf16 { .. } | content::Kind::Utf32 { .. } => {
            // Transcoding needs the whole text; bounded like a file.
            input.take(max_size.saturating_sub(buffer.len() as u64) + 1).read_to_end(&mut buffer)?;
            if buffer.len() as u64 > max_size {
                tally.skip(path, SkipReason::TooLarge { size: buffer.len() as u64, limit: max_size });
                return Ok(());
            }
            tally.scanned(buffer.len() as u64);
            if let Some(views) = Views::of(&buffer, scan_binary) {
                visit(Item::of_views(origin, &views));
            }
            return Ok(());
        }
        _ => {}
    }
    tally.scanned(buffer.len() as u64);
    let mut first_line = 1;
    let mut report_from = 0;
    loop {
        let report_to = if eof { buffer.len() } else { buffer.len() - overlap };
        visit(Item { origin, bytes: &buffer, first_line, report: report_from..report_to, raw: None });
        if eof {
            return Ok(());
        }
        let keep_from = report_to - overlap;
        first_line += memchr::memchr_iter(b'\n', &buffer[..keep_from]).count();
        buffer.drain(..keep_from);
        report_from = overlap;
        let before = buffer.len();
        eof = fill(input, &mut buffer, chunk)?;
        tally.more_bytes((buffer.len() - before) as u64);
        if buffer.len() == before {
            // Nothing new: what is left was all reported, but for the overlap.
            let report_to = buffer.len();
            visit(Item { origin, bytes: &buffer, first_line, report: report_from..report_to, raw: None });
            return Ok(());
        }
    }
}

/// Reads until `buffer` holds `chunk` bytes or input ends; true at the end.
fn fill(input: &mut dyn Read, buffer: &mut Vec<u8>, chunk: usize) -> io::Result<bool> {
    while buffer.len() < chunk {
        let want = (chunk - buffer.len()) as u64;
        match input.take(want).read_to_end(buffer) {
            Ok(0) => return Ok(true),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Every byte offset lands in exactly one chunk's report range, and
    /// line numbers carry across chunks.
    #[test]
    fn chunks_cover_every_byte_once_with_correct_lines() {
        let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let seen = RefCell::new(Vec::new());
        let tally = Tally::default();
        let visit = |item: Item| {
            let base_line = item.first_line;
            let lines_before = memchr::memchr_iter(b'\n', &item.bytes[..item.report.start]).count();
            let first_reported = &item.bytes[item.report.start..];
            let first = std::str::from_utf8(first_reported).unwrap().lines().next().unwrap_or("").to_string();
            seen.borrow_mut().push((item.report.len(), base_line + lines_before, first));
        };
        read_chunked(&mut text.as_bytes(), &Origin::Stdin, 4096, 1024, u64::MAX, false, &tally, &visit).unwrap();
        let seen = seen.into_inner();
        assert!(seen.len() > 10);
        assert_eq!(seen.iter().map(|s| s.0).sum::<usize>(), text.len());
        for (_, line, first) in &seen {
            // A chunk's report range may start mid-line; check whole lines only.
            if let Some(n) = first.strip_prefix("line ") {
                assert_eq!(n.parse::<usize>().unwrap() + 1, *line, "{first}");
            }
        }
        assert_eq!(tally.bytes_count(), text.len() as u64);
    }
}
