//! Files the user points us at: written whole or not at all, and left as they are.
//!
//! What a user names with `--out` (or a Python `path=`) goes through [`write_output`]. A regular
//! file is replaced atomically, keeping its mode: the content is written to a temporary file
//! beside the target, fsynced, renamed over the target and the directory fsynced (the
//! `atomic-write-file` crate), so a crash, a full disk or a `kill -9` leaves either the old file or
//! the new one, never a torn one. (The store writes its own files through `store::files`, with its
//! temporaries in `DIR/_tmp/`.) Atomic replacement is wrong for anything
//! else: it would swap a symlink for a file and leave its target stale, turn a FIFO a reader waits on
//! into a file nobody reads, and — as root — replace a device node. So a symlink is followed to its
//! target, a FIFO or character device is written straight into, and a new file is created
//! `0644` at most (never group- or world-writable, whatever the umask). This is what `install(1)`,
//! git's lockfiles and SQLite do; atomic-write crates leave special files to the caller.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use atomic_write_file::AtomicWriteFile;

use crate::error::{Error, Result, io_err};

/// `-` names standard output, as for most Unix tools.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The `wrote PATH` line for stderr, or nothing when the output went to stdout.
pub fn wrote_line(path: &Path) -> Option<String> {
    (!is_stdout(path)).then(|| format!("wrote {}", path.display()))
}

/// Hops through symlinks before giving up, as the kernel's `ELOOP` limit.
const MAX_LINKS: usize = 40;

/// Where a write to `path` lands: the path itself, or the end of its chain of symlinks (relative
/// links resolved against the link's directory; a dangling link names the file to create).
pub fn resolve_target(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let next = std::fs::read_link(&p).map_err(io_err(p.display()))?;
                p = if next.is_absolute() { next } else { p.parent().unwrap_or(Path::new("")).join(next) };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::input(format!("{}: too many levels of symbolic links", path.display())))
}

/// Writes what `fill` writes to the file the user named, without destroying what is there:
/// a regular file is replaced atomically keeping its mode, a symlink is written through to its
/// target, a FIFO or character device is written into directly, a new file gets mode `0644`
/// (less what the umask takes away). A directory, block device or socket is refused.
pub fn write_output<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    if is_stdout(path) {
        let mut out = std::io::stdout().lock();
        fill(&mut out)?;
        return out.flush().map_err(io_err("<stdout>"));
    }
    let target = resolve_target(path)?;
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::Io { path: shown, source: e }),
    };
    let Some(meta) = meta else { return replace(&target, &shown, true, fill) };
    let kind = meta.file_type();
    if kind.is_file() {
        return replace(&target, &shown, false, fill);
    }
    let special = special_kind(&kind);
    if special.is_none() {
        // No truncation, no creation, no rename: the reader (or the device) gets the bytes.
        let file = std::fs::OpenOptions::new().write(true).open(&target).map_err(io_err(&shown))?;
        let mut w = BufWriter::new(file);
        fill(&mut w).map_err(|e| rename_io(e, &shown))?;
        return w.flush().map_err(io_err(&shown));
    }
    let what = if kind.is_dir() { "a directory" } else { special.unwrap_or("a special file") };
    Err(Error::input_hint(
        format!("refusing to write to {shown}: it is {what}"),
        "name a regular file (it is replaced atomically), a FIFO, a character device or - for stdout",
    ))
}

/// `None` for the kinds written into directly (FIFO, character device), else what the file is.
#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() || kind.is_char_device() {
        None
    } else if kind.is_block_device() {
        Some("a block device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("a special file")
    }
}

#[cfg(not(unix))]
fn special_kind(kind: &std::fs::FileType) -> Option<&'static str> {
    if kind.is_dir() { Some("a directory") } else { None }
}

/// [`write_output`] of a byte string.
pub fn write_output_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_output(path, |w| w.write_all(bytes).map_err(io_err(path.display())))
}

/// Writes `target` aside, fsyncs and renames it into place; on any error the old file stays. An
/// existing file keeps its mode; a `new` one is created `0644 & !umask`.
fn replace<F>(target: &Path, shown: &str, new: bool, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    let mut options = AtomicWriteFile::options();
    #[cfg(unix)]
    if new {
        use atomic_write_file::unix::OpenOptionsExt as _;
        options.preserve_mode(false);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    }
    #[cfg(not(unix))]
    let _ = new;
    let file = options.open(target).map_err(io_err(shown))?;
    let mut w = BufWriter::new(file);
    fill(&mut w).map_err(|e| rename_io(e, shown))?;
    let file = w.into_inner().map_err(|e| Error::Io { path: shown.to_owned(), source: e.into_error() })?;
    file.commit().map_err(io_err(shown))
}

/// An I/O error inside a writer names the path the user gave, not `<output>` or the link's target.
fn rename_io(e: Error, shown: &str) -> Error {
    match e {
        Error::Io { source, .. } => Error::Io { path: shown.to_owned(), source },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        write_output_bytes(&p, b"old").unwrap();
        let r = write_output(&p, |w| {
            w.write_all(b"half").map_err(io_err("x"))?;
            Err(Error::input("stop"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        write_output_bytes(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[cfg(unix)]
    #[test]
    fn a_regular_file_is_replaced_keeping_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_output_bytes(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(mode(&p), 0o600);
        let fresh = dir.path().join("fresh.json");
        write_output_bytes(&fresh, b"x").unwrap();
        assert_eq!(mode(&fresh) & 0o022, 0, "new files are never group- or world-writable");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap(); // relative, as `ln -s` makes them
        write_output_bytes(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("real.json"));
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        // A dangling link names the file to create, and the link still points at it.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink(dir.path().join("made.json"), &dangling).unwrap();
        write_output_bytes(&dangling, b"made").unwrap();
        assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(dir.path().join("made.json")).unwrap(), b"made");
        assert_eq!(mode(&dir.path().join("made.json")) & 0o022, 0);
        // A loop is an error, not a hang.
        std::os::unix::fs::symlink("loop-b", dir.path().join("loop-a")).unwrap();
        std::os::unix::fs::symlink("loop-a", dir.path().join("loop-b")).unwrap();
        let e = write_output_bytes(&dir.path().join("loop-a"), b"x").unwrap_err();
        assert!(e.to_string().contains("too many levels of symbolic links"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_gets_the_bytes_and_stays_a_fifo() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("a.fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(&fifo).unwrap())
        };
        write_output_bytes(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary left beside it");
    }

    #[test]
    fn a_directory_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep"), b"mine").unwrap();
        let e = write_output_bytes(dir.path(), b"x").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("it is a directory"), "{e}");
        assert_eq!(std::fs::read(dir.path().join("keep")).unwrap(), b"mine");
    }
}
