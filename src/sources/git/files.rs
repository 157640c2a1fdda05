//! Reading git's files: a part at an offset, or whole. Files git writes
//! once and renames into place (pack indexes, the index) are mapped when
//! large: no copy and no fresh pages, only the page cache's. A pre-commit
//! hook reads a large repository's index and pack index on every run;
//! git maps them too.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::path::Path;

/// Below this a plain read costs less than setting up a map.
const MAP_FROM: u64 = 64 << 10;

/// A file's bytes, or a part of them.
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    /// `length` bytes of `file` from `start`.
    pub fn range(file: &File, start: u64, length: u64) -> io::Result<FileBytes> {
        let length = usize::try_from(length).map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
        if length as u64 >= MAP_FROM {
            // SAFETY: git never rewrites these files in place (it writes a
            // new one and renames it over the old, which leaves this map
            // intact); only a process truncating the file while it is read
            // could fault. Every byte is read: populated at once, not a
            // page fault at a time.
            let map = unsafe { memmap2::MmapOptions::new().offset(start).len(length).populate().map(file) };
            // A file system that cannot map (some FUSE ones) is read.
            if let Ok(map) = map {
                return Ok(FileBytes::Mapped(map));
            }
        }
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(length).map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
        bytes.resize(length, 0);
        if read_at(file, &mut bytes, start)? < bytes.len() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(FileBytes::Read(bytes))
    }

    /// The bytes of the regular file at `path`.
    pub fn read(path: &Path) -> io::Result<FileBytes> {
        let file = File::open(path)?;
        FileBytes::range(&file, 0, regular_file_length(&file, path)?)
    }
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Read(bytes) => bytes,
        }
    }
}

/// The length of a regular file; anything else (a FIFO, a device behind a
/// link) is refused rather than read.
pub fn regular_file_length(file: &File, path: &Path) -> io::Result<u64> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{}: not a regular file", path.display())));
    }
    Ok(meta.len())
}

/// Reads into `buffer` from `offset` until it is full or the file ends.
pub fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buffer.len() {
        match read_once(file, &mut buffer[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(unix)]
fn read_once(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_once(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}
