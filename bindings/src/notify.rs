//! `counterfoil.notify`: tell alert sinks about a reconciliation made without a store (every
//! discrepancy is `finding.opened`). The core builds, encodes and delivers (`notify`); this parses
//! the SPECs, releases the GIL and maps the error (`NotificationError` when a sink fails).

use pyo3::prelude::*;

use crate::errors::{guarded, to_py};
use crate::reconcile::PyReconciliation;

/// Sends the findings of `reconciliation` to each sink of `notify` (SPECs as for `--notify`:
/// `slack:URL`, `webhook:URL`, `pagerduty:ROUTING_KEY`, any value `env:NAME`); returns how many
/// events each sink was sent. With a store, use `Store.reconcile(..., notify=...)` instead: it
/// remembers what each sink acknowledged, so nothing is sent twice.
#[pyfunction]
#[pyo3(signature = (reconciliation, notify))]
pub fn notify(py: Python<'_>, reconciliation: &PyReconciliation, notify: Vec<String>) -> PyResult<usize> {
    let sinks = counterfoil::notify::spec::parse_all(&notify).map_err(to_py)?;
    if sinks.is_empty() {
        return Ok(0);
    }
    let cfg = counterfoil::notify::DeliveryConfig::default();
    let rec = &reconciliation.inner;
    py.detach(|| guarded(|| counterfoil::notify::notify_reconciliation(rec, &sinks, &cfg, chrono::Utc::now())))
}
