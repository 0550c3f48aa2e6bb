//! The one gateway for blocking work: release the GIL, run on the shared tokio runtime, check
//! for Ctrl-C about once a second, map the error.

use std::future::Future;
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::to_py;

pub fn wait<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = counterfoil::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let rt = counterfoil::runtime::runtime().map_err(to_py)?;
    let mut handle = rt.spawn(fut);
    loop {
        let polled =
            py.detach(|| rt.block_on(async { tokio::time::timeout(Duration::from_secs(1), &mut handle).await }));
        match polled {
            Ok(Ok(result)) => return result.map_err(to_py),
            Ok(Err(join)) => {
                let e = match join.try_into_panic() {
                    Ok(payload) => counterfoil::Error::from_panic(payload.as_ref()),
                    Err(join) => counterfoil::Error::Internal(format!("the task ended: {join}")),
                };
                return Err(to_py(e));
            }
            Err(_elapsed) => {
                if let Err(e) = py.check_signals() {
                    handle.abort();
                    return Err(e);
                }
            }
        }
    }
}
