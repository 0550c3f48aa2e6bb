//! One lazily built tokio runtime per process for blocking callers (the CLI and the Python
//! bindings).
//!
//! A runtime's worker threads do not survive `fork()`: a forked child (a Dask or
//! multiprocessing worker started with `fork`) that used its parent's runtime would hang. So the
//! runtime remembers the pid that built it, and a child builds its own; the parent's copy in the
//! child is left alone (dropping it there would wait for threads that do not exist).

use std::future::Future;
use std::sync::Mutex;

use crate::error::{Error, Result};

static RUNTIME: Mutex<Option<(u32, &'static tokio::runtime::Runtime)>> = Mutex::new(None);

/// This process's multi-thread runtime (two workers: the machine's size, and enough for I/O).
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    let pid = std::process::id();
    // A panic while holding the lock cannot leave the slot half-written: take it regardless.
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((p, rt)) = *slot
        && p == pid
    {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("counterfoil")
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the tokio runtime: {e}")))?;
    let rt: &'static tokio::runtime::Runtime = Box::leak(Box::new(rt));
    *slot = Some((pid, rt));
    Ok(rt)
}

/// Runs `fut` to completion on this process's runtime.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(fut))
}
