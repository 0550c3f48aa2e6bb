//! `counterfoil.notify` and `notify_failure`: tell alert sinks about a reconciliation or a failed
//! job. The core builds, encodes, delivers and (with a store) remembers what each sink
//! acknowledged (`notify`); this parses the SPECs, releases the GIL and maps the error
//! (`NotificationError` when a sink fails). The fleet's tasks use these, so a fleet alerts exactly
//! as `counterfoil reconcile --notify` does.

use counterfoil::notify::event::{Failure, Organization};
use counterfoil::notify::{DeliveryConfig, Sink};
use pyo3::prelude::*;

use crate::convert::optional_window;
use crate::errors::{guarded, to_py};
use crate::reconcile::PyReconciliation;
use crate::store::PyStore;

fn sinks(specs: &[String]) -> PyResult<Vec<Sink>> {
    counterfoil::notify::spec::parse_all(specs).map_err(to_py)
}

/// Checks SPECs as `--notify` does (reading any `env:NAME`) without sending anything; returns
/// each sink as `kind (host)`, the most a message shows of it. A bad SPEC is an `InputError`.
#[pyfunction]
pub fn check_notify(notify: Vec<String>) -> PyResult<Vec<String>> {
    Ok(sinks(&notify)?.iter().map(ToString::to_string).collect())
}

/// Sends the findings of `reconciliation` to each sink of `notify` (SPECs as for `--notify`:
/// `slack:URL`, `webhook:URL`, `pagerduty:ROUTING_KEY`, any value `env:NAME`); returns how many
/// events were sent. With `store` (the store `reconciliation` was recorded in by
/// `Store.reconcile`), each sink is sent what it has not acknowledged, so nothing is sent twice
/// across runs; without one, every discrepancy is `finding.opened`. A sink that fails raises
/// `NotificationError` after the others were told.
#[pyfunction]
#[pyo3(signature = (reconciliation, notify, *, store=None))]
pub fn notify(
    py: Python<'_>,
    reconciliation: &PyReconciliation,
    notify: Vec<String>,
    store: Option<&PyStore>,
) -> PyResult<usize> {
    let sinks = sinks(&notify)?;
    if sinks.is_empty() {
        return Ok(0);
    }
    let store = store.map(PyStore::open).transpose()?;
    let cfg = DeliveryConfig::default();
    let rec = &reconciliation.inner;
    py.detach(|| {
        guarded(|| {
            let d = counterfoil::notify::tell_reconciliation(&sinks, &cfg, store.as_ref(), rec, chrono::Utc::now())?;
            d.into_result(store.is_some())
        })
    })
}

/// Sends `job.failed` for `error` (an exception whose `exit_code` is 2–4, as the CLI would exit;
/// others send nothing and return 0) to each sink of `notify`: `job` names what failed
/// (`"fleet reconcile (emea)"`), the title is the error's message, the next step its `hint`.
/// The organization is `store`'s when it knows it, else `organization` (`(id, name)`).
#[pyfunction]
#[pyo3(signature = (job, error, notify, *, store=None, organization=None, start=None, end=None))]
#[allow(clippy::too_many_arguments)]
pub fn notify_failure(
    py: Python<'_>,
    job: &str,
    error: &Bound<'_, PyAny>,
    notify: Vec<String>,
    store: Option<&PyStore>,
    organization: Option<(String, String)>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
) -> PyResult<usize> {
    let sinks = sinks(&notify)?;
    let code: i32 = error.getattr("exit_code").ok().and_then(|c| c.extract().ok()).unwrap_or(70);
    if sinks.is_empty() || !(2..=4).contains(&code) {
        return Ok(0);
    }
    let hint: Option<String> = error.getattr("hint").ok().and_then(|h| h.extract().ok());
    let failure = Failure { message: error.str()?.extract()?, hint, exit_code: code };
    let window = optional_window(start, end)?;
    let known = store.and_then(|s| s.open().ok()?.state().ok()?.organization);
    let org = match (known, organization) {
        (Some(o), _) => Organization { id: o.id, name: o.name },
        (None, Some((id, name))) => Organization { id, name },
        (None, None) => Organization::default(),
    };
    let cfg = DeliveryConfig::default();
    py.detach(|| {
        guarded(|| {
            let e = counterfoil::notify::event::job_failed_with(job, &failure, window, org, chrono::Utc::now());
            counterfoil::notify::send(&sinks, &[e], None, &cfg)?.into_result(false)
        })
    })
}
