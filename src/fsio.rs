//! Files written whole or not at all.
//!
//! Every file counterfoil writes (reports, lines, store partitions, `state.json`) goes through
//! [`write_atomic`]: the content is written to a temporary file beside the target, fsynced, renamed
//! over the target and the directory fsynced (the `atomic-write-file` crate). A crash, a full disk
//! or a `kill -9` at any moment leaves either the old file or the new one, never a torn one.

use std::io::{BufWriter, Write};
use std::path::Path;

use atomic_write_file::AtomicWriteFile;

use crate::error::{Error, Result, io_err};

/// Writes `path` atomically with what `fill` writes; on any error the old file stays.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    let shown = path.display().to_string();
    let file = AtomicWriteFile::options().open(path).map_err(io_err(&shown))?;
    let mut w = BufWriter::new(file);
    fill(&mut w).map_err(|e| match e {
        // A write into the temporary file failed: name the real target, not `<output>`.
        Error::Io { source, .. } => Error::Io { path: shown.clone(), source },
        other => other,
    })?;
    let file = w.into_inner().map_err(|e| Error::Io { path: shown.clone(), source: e.into_error() })?;
    file.commit().map_err(io_err(&shown))
}

/// [`write_atomic`] of a byte string.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| w.write_all(bytes).map_err(io_err(path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        write_bytes_atomic(&p, b"old").unwrap();
        let r = write_atomic(&p, |w| {
            w.write_all(b"half").map_err(io_err("x"))?;
            Err(Error::input("stop"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        write_bytes_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
