//! The OpenMetrics gauges of DESIGN §12 for Python: a reconciliation's or a sync's samples as
//! text, and one file written from many such texts (the fleet's `metrics_file=`). The core
//! renders, parses and merges (`notify::metrics`); this converts the arguments.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use counterfoil::notify::metrics::{self, Metrics, Who};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::instant;
use crate::errors::{InputError, guarded, to_py};
use crate::reconcile::PyReconciliation;
use crate::store::PyStore;

fn at(obj: Option<&Bound<'_, PyAny>>) -> PyResult<DateTime<Utc>> {
    obj.map(|a| instant(a, "at")).transpose().map(|a| a.unwrap_or_else(Utc::now))
}

/// The gauges of `reconciliation` (billed, over-, under-billed and unchecked USD and open
/// findings per workspace, last success at `at`, default now) as OpenMetrics text, labelled
/// `organization`, `command` and, for a fleet, `org`.
#[pyfunction]
#[pyo3(signature = (reconciliation, *, command="reconcile", org=None, at=None))]
pub fn reconciliation_metrics(
    reconciliation: &PyReconciliation,
    command: &str,
    org: Option<&str>,
    at: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let rec = &reconciliation.inner;
    let id = rec.provenance.organization.as_ref().map(|(id, _)| id.as_str());
    Ok(Metrics::reconciliation(rec, &Who::new(id, command, org), self::at(at)?).text())
}

/// The gauges of a sync of `store` whose summary (`Store.sync`'s dict) is `summary`: restated
/// partitions and last success, labelled by the store's organization.
#[pyfunction]
#[pyo3(signature = (store, summary, *, command="sync", org=None, at=None))]
pub fn sync_metrics(
    store: &PyStore,
    summary: &Bound<'_, PyDict>,
    command: &str,
    org: Option<&str>,
    at: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let restated: usize = summary
        .get_item("days_restated")?
        .ok_or_else(|| InputError::new_err("summary has no days_restated: pass the dict Store.sync returned"))?
        .extract()?;
    let id = store.open()?.state().map_err(to_py)?.organization.map(|o| o.id);
    Ok(Metrics::sync(restated, &Who::new(id.as_deref(), command, org), self::at(at)?).text())
}

/// Writes the samples of `parts` (texts from the functions above) to `path` as one OpenMetrics
/// file, atomically; the samples of the file already there whose `org` is in `keep` (fleet
/// organizations that failed this run) and whose `command` is `command` are carried over.
#[pyfunction]
#[pyo3(signature = (path, parts, *, command, keep=Vec::new()))]
pub fn write_metrics(
    py: Python<'_>,
    path: PathBuf,
    parts: Vec<String>,
    command: &str,
    keep: Vec<String>,
) -> PyResult<()> {
    let parsed = parts.iter().map(|p| Metrics::parse(p)).collect::<counterfoil::Result<Vec<_>>>().map_err(to_py)?;
    py.detach(|| guarded(|| metrics::write_merged(&path, parsed, &keep, command)))
}
