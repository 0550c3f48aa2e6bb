//! `counterfoil._native`: the only pyo3 code. Each wrapper converts, delegates to the core crate
//! and maps the error; frames cross as Arrow C streams.

mod arrow;
mod calibrate;
mod client;
mod cloud;
mod cloud_sim;
mod convert;
mod errors;
mod focus;
mod gateway;
mod metrics;
mod model;
mod notify;
mod pricing;
mod rates;
mod reconcile;
mod sim;
mod store;

use pyo3::prelude::*;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs the `counterfoil` command with `argv` (program name first); returns the exit code.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> i32 {
    // cli::run turns any panic into an internal error (exit 70) itself.
    py.detach(|| {
        let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
        counterfoil::cli::run(argv, &mut out, &mut err)
    })
}

#[pymodule]
mod _native {
    #[pymodule_export]
    use super::calibrate::{PyCalibration, suggest_rates};
    #[pymodule_export]
    use super::client::PyAdminClient;
    #[pymodule_export]
    use super::cloud::{
        PyCloudReconciliation, all_spend, read_bedrock_invocations, read_cur, read_gcp_billing, reconcile_cloud,
    };
    #[pymodule_export]
    use super::cloud_sim::cloud_bills;
    #[pymodule_export]
    use super::focus::to_focus;
    #[pymodule_export]
    use super::metrics::{reconciliation_metrics, sync_metrics, write_metrics};
    #[pymodule_export]
    use super::model::{PyScenario, attribute, cache_report, forecast, spend_report, whatif};
    #[pymodule_export]
    use super::notify::{check_notify, notify, notify_failure};
    #[pymodule_export]
    use super::pricing::{PyPriceSource, price};
    #[pymodule_export]
    use super::rates::PyRateCard;
    #[pymodule_export]
    use super::reconcile::{PyReconciliation, reconcile, reconcile_analytics};
    #[pymodule_export]
    use super::run_cli;
    #[pymodule_export]
    use super::sim::{PyFakeAdminApi, PyOrganization};
    #[pymodule_export]
    use super::store::PyStore;

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        // Panics are caught at the boundary and raised as CounterfoilError with their message;
        // the default hook would also print a Rust backtrace note into the user's notebook.
        std::panic::set_hook(Box::new(|_| {}));
        super::errors::register(m)?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}
