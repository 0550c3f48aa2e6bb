//! One writer at a time: an OS file lock on `DIR/.lock`, holding the writer's pid.
//!
//! The lock is the kernel's (`flock`), so it dies with its process: a `kill -9` can leave the
//! file behind but never the lock. A second writer gets a clear refusal naming the holder's pid;
//! a lock file left by a process that no longer runs is taken over and reported.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use chrono::Utc;

use super::store_hint;
use crate::error::Result;

/// The held lock; released when dropped.
pub struct StoreLock {
    file: File,
    /// The pid of a previous holder that died without releasing the file, if any.
    pub took_over_from: Option<u32>,
}

impl Drop for StoreLock {
    /// A clean exit clears the pid, so only a killed writer leaves one behind.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists() || !Path::new("/proc/self").exists()
}

/// Takes the writer's lock of the store at `dir`, or says who holds it.
pub fn acquire(dir: &Path) -> Result<StoreLock> {
    try_lock_file(dir, &dir.join(".lock"))
}

/// The lock of `findings.parquet`, held for the moment of an upsert: waits for another
/// reconcile's upsert instead of refusing (syncs do not take it).
pub fn acquire_findings(dir: &Path) -> Result<File> {
    let path = dir.join(".findings.lock");
    let file =
        OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(|e| {
            store_hint(&path, format!("cannot open the lock file: {e}"), "check the store's permissions")
        })?;
    file.lock().map_err(|e| store_hint(&path, format!("cannot lock it: {e}"), "check the store's permissions"))?;
    Ok(file)
}

fn try_lock_file(dir: &Path, path: &Path) -> Result<StoreLock> {
    let path = path.to_path_buf();
    let mut file =
        OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(|e| {
            store_hint(&path, format!("cannot open the lock file: {e}"), "check the store's permissions")
        })?;
    let mut previous = String::new();
    let _ = file.read_to_string(&mut previous);
    let holder: Option<u32> = previous.split_whitespace().next().and_then(|p| p.parse().ok());
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let who = holder.map(|p| format!("pid {p}")).unwrap_or_else(|| "another process".into());
            let since = previous.split_whitespace().nth(1).map(|s| format!(", since {s}")).unwrap_or_default();
            return Err(store_hint(
                dir,
                format!("another sync is writing to this store ({who}{since})"),
                "one writer at a time: wait for it to finish, or stop it; readers (reconcile --store) need no lock",
            ));
        }
        Err(TryLockError::Error(e)) => {
            return Err(store_hint(&path, format!("cannot lock the store: {e}"), "check the store's permissions"));
        }
    }
    let took_over_from = holder.filter(|p| *p != std::process::id() && !alive(*p));
    let stamp = format!("{} {}\n", std::process::id(), Utc::now().format("%Y-%m-%dT%H:%M:%SZ"));
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = file.write_all(stamp.as_bytes());
    let _ = file.sync_all();
    Ok(StoreLock { file, took_over_from })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid_and_a_dead_holder_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path()).unwrap();
        // A second open file description of the same file cannot take the lock.
        let e = acquire(dir.path()).err().expect("refused");
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains(&format!("pid {}", std::process::id())), "{e}");
        drop(first);
        std::fs::write(dir.path().join(".lock"), "4194303 2026-01-01T00:00:00Z\n").unwrap();
        let again = acquire(dir.path()).unwrap();
        assert_eq!(again.took_over_from, Some(4_194_303));
    }
}
