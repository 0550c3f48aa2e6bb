//! The store's own files, written whole: a temporary in `DIR/_tmp/`, fsynced, renamed into place,
//! the directory fsynced; a directory created on the way has its parent fsynced too, so a crash
//! cannot leave a `date=` directory whose entry was never made durable.
//!
//! Why `DIR/_tmp/` and not a dot-file beside the target (what atomic-write crates do): a store is a
//! directory people put things in — a `.gitignore`, a `cost/.keep`, notes — and a sweep that
//! removes "temporaries" by their name removed those too. Here the sweep empties `_tmp/` and
//! touches nothing else in the tree. `_tmp/` is inside the store, on the same filesystem, so the
//! rename is atomic.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::{io_cause, store_err};
use crate::error::{Error, Result, io_err};

/// counterfoil's temporaries: the only place the sweep removes anything.
pub const TMP_DIR: &str = "_tmp";

/// Writes `path` (inside the store at `root`) whole with what `fill` writes.
pub fn write<F>(root: &Path, path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    let failed = |e: Error| store_err(path, format!("cannot write it: {}", io_cause(&e)));
    let tmp_dir = root.join(TMP_DIR);
    create_dirs(&tmp_dir).map_err(failed)?;
    if let Some(dir) = path.parent() {
        create_dirs(dir).map_err(failed)?;
    }
    let tmp = tempfile::Builder::new().prefix("write-").tempfile_in(&tmp_dir).map_err(io_err(tmp_dir.display()));
    let mut tmp = tmp.map_err(failed)?;
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        fill(&mut w).map_err(failed)?;
        w.flush().map_err(io_err(path.display())).map_err(failed)?;
    }
    readable(tmp.as_file()).map_err(failed)?;
    tmp.as_file().sync_all().map_err(io_err(path.display())).map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(Error::Io { path: path.display().to_string(), source: e.error }))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir).map_err(failed)?;
    }
    Ok(())
}

/// [`write`] of a byte string.
pub fn write_bytes(root: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    write(root, path, |w| w.write_all(bytes).map_err(io_err(path.display())))
}

/// Empties `DIR/_tmp/` (what a killed writer left); returns how many files it removed. Nothing
/// outside `_tmp/` is ever removed.
pub fn sweep(root: &Path) -> Result<usize> {
    let dir = root.join(TMP_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(0) };
    let mut removed = 0;
    for entry in entries.flatten() {
        let p = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::remove_file(&p).map_err(|e| store_err(&p, format!("cannot remove it: {e}")))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// `dir` and its missing ancestors, each new one made durable in its parent.
fn create_dirs(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(Error::Io { path: dir.display().to_string(), source: e }),
    }
    match dir.parent() {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// fsync of a directory (its entries), where the platform has it.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir.display()))?;
    }
    let _ = dir;
    Ok(())
}

/// Store files are read by other tools and users: `0644` less the umask (a temporary is `0600`).
fn readable(file: &std::fs::File) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io_err("a store temporary"))?;
    }
    let _ = file;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_leave_nothing_beside_the_target_and_the_sweep_only_empties_tmp() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        std::fs::create_dir_all(root.join("cost")).unwrap();
        for (p, body) in [(".gitignore", "*\n"), ("cost/.keep", ""), ("notes.md", "mine"), ("cost/.~lock#", "x")] {
            std::fs::write(root.join(p), body).unwrap();
        }
        let target = root.join("cost").join("date=2026-11-01").join("part-0.parquet");
        write_bytes(root, &target, b"data").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"data");
        std::fs::write(root.join(TMP_DIR).join("write-left-by-a-kill"), b"half").unwrap();
        assert_eq!(sweep(root).unwrap(), 1);
        for (p, body) in [(".gitignore", "*\n"), ("cost/.keep", ""), ("notes.md", "mine"), ("cost/.~lock#", "x")] {
            assert_eq!(std::fs::read_to_string(root.join(p)).unwrap(), body, "{p} is the user's");
        }
        let beside: Vec<_> =
            std::fs::read_dir(target.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(beside, vec![std::ffi::OsString::from("part-0.parquet")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }
}
