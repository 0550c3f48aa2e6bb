//! One lazily built tokio runtime for blocking callers (the CLI and the Python bindings).
//!
//! A runtime's worker threads do not survive `fork()`; the runtime remembers the pid that built
//! it and refuses to run in a forked child instead of hanging there.

use std::future::Future;
use std::sync::OnceLock;

use crate::error::{Error, Result};

static RUNTIME: OnceLock<(u32, tokio::runtime::Runtime)> = OnceLock::new();

/// The shared multi-thread runtime (two workers: the machine's size, and enough for I/O).
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    let (pid, rt) = RUNTIME.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("counterfoil")
            .enable_all()
            .build()
            .expect("cannot start the tokio runtime");
        (std::process::id(), rt)
    });
    if *pid != std::process::id() {
        return Err(Error::input_hint(
            "counterfoil's runtime was started in a parent process and cannot run after fork()",
            "create clients in the child process, or use the 'spawn' multiprocessing start method",
        ));
    }
    Ok(rt)
}

/// Runs `fut` to completion on the shared runtime.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(fut))
}
