//! `counterfoil.Store`: sync, read as lazy frames, restatements, findings, reconcile.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use counterfoil::TimeWindow;
use counterfoil::store::{Dataset, Store, SyncOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrow::to_polars;
use crate::client::PyAdminClient;
use crate::convert::typed_to_python;
use crate::convert::{instant, optional_window as window, tolerance};
use crate::errors::{StoreError, guarded, to_py};
use crate::gateway::wait;
use crate::rates::{PyRateCard, card_or_bundled};
use crate::reconcile::PyReconciliation;

/// A store directory written by `sync` (Hive-partitioned Parquet; see DESIGN §7).
#[pyclass(name = "Store", module = "counterfoil", frozen)]
pub struct PyStore {
    root: PathBuf,
}

impl PyStore {
    pub(crate) fn open(&self) -> PyResult<Store> {
        Store::open(&self.root).map_err(to_py)
    }

    /// The partitions of `dataset` as one `pl.LazyFrame` (Hive `date` column from the paths).
    fn scan(
        &self,
        py: Python<'_>,
        dataset: Dataset,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let w = window(start, end)?;
        let files = self.open()?.partition_files(dataset, w).map_err(to_py)?;
        if files.is_empty() {
            return Err(StoreError::new_err(format!(
                "store {}: holds no {} yet",
                self.root.display(),
                dataset.as_str()
            )));
        }
        let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        let kwargs = PyDict::new(py);
        kwargs.set_item("hive_partitioning", true)?;
        Ok(py.import("polars")?.call_method("scan_parquet", (files,), Some(&kwargs))?.unbind())
    }
}

#[pymethods]
impl PyStore {
    /// A store at `path`: an existing store, or a missing or empty directory that `sync` will
    /// fill. Anything else is a `StoreError`.
    #[new]
    fn new(path: PathBuf) -> PyResult<Self> {
        Store::existing_or_vacant(&path).map_err(to_py)?;
        Ok(PyStore { root: path })
    }

    /// Brings the store up to date (DESIGN §7 cadence) with `client` (or `AdminClient()` from the
    /// environment). Returns the summary: days written, unchanged, restated, late, requests,
    /// seconds. `settle_hours`: a bucket that ended less than this before a fetch is not settled
    /// (its changes are export lag, not restatements).
    #[pyo3(signature = (client=None, backfill_days=14, restate_days=3, settle_hours=24))]
    fn sync<'py>(
        &self,
        py: Python<'py>,
        client: Option<&PyAdminClient>,
        backfill_days: u32,
        restate_days: u32,
        settle_hours: u32,
    ) -> PyResult<Py<PyAny>> {
        let client = match client {
            Some(c) => c.inner.clone(),
            None => counterfoil::api::AdminClient::from_env().map_err(to_py)?,
        };
        let store = Store::create_or_open(&self.root).map_err(to_py)?;
        let options = SyncOptions { backfill_days, restate_days, settle_hours };
        let stop = Arc::new(AtomicBool::new(false));
        let summary = wait(py, async move { store.sync(&client, &options, &stop).await })?;
        typed_to_python(py, &summary.to_typed())
    }

    /// Stored usage as a `pl.LazyFrame` (all of it, or the UTC days `[start, end)`).
    #[pyo3(signature = (start=None, end=None))]
    fn usage(
        &self,
        py: Python<'_>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        self.scan(py, Dataset::Usage, start, end)
    }

    /// Stored cost as a `pl.LazyFrame` (all of it, or the UTC days `[start, end)`).
    #[pyo3(signature = (start=None, end=None))]
    fn cost(
        &self,
        py: Python<'_>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        self.scan(py, Dataset::Cost, start, end)
    }

    /// The restatement log: one row per (dataset, date) a re-read changed.
    fn restatements(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.open()?.restatements().map_err(to_py)?)
    }

    /// The discrepancy history per line key: finding_id, first_seen, last_seen, status, delta_usd,
    /// resolved_at, opened_at, reopened_at, times_opened.
    fn findings(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.open()?.findings().map_err(to_py)?)
    }

    /// The append-only event log: at, finding_id, event (opened, resolved, reopened, notified),
    /// sink, status, delta_usd.
    fn finding_events(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.open()?.finding_events().map_err(to_py)?)
    }

    /// Reconciles `[start, end)` from the store (no API call) and records its discrepancies in
    /// `findings.parquet`; lines gain `first_seen`.
    /// With `notify` (SPECs as for `--notify`: `slack:URL`, `webhook:URL`,
    /// `pagerduty:ROUTING_KEY`, any value `env:NAME`), each sink is told what it has not
    /// acknowledged; a sink that fails raises `NotificationError` after the work is done.
    #[pyo3(signature = (start, end, card=None, *, abs_tol=None, rel_tol=None, notify=None))]
    #[allow(clippy::too_many_arguments)]
    fn reconcile(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        card: Option<&PyRateCard>,
        abs_tol: Option<&Bound<'_, PyAny>>,
        rel_tol: Option<&Bound<'_, PyAny>>,
        notify: Option<Vec<String>>,
    ) -> PyResult<PyReconciliation> {
        // Sinks first: a bad SPEC fails before any work (an empty list means none, not the
        // environment's COUNTERFOIL_NOTIFY: Python says what it wants).
        let sinks = match &notify {
            Some(specs) if !specs.is_empty() => counterfoil::notify::spec::parse_all(specs).map_err(to_py)?,
            _ => Vec::new(),
        };
        let w = TimeWindow::new(instant(start, "start")?, instant(end, "end")?).map_err(to_py)?;
        let tol = tolerance(abs_tol, rel_tol)?;
        let card = card_or_bundled(card);
        let store = self.open()?;
        let cfg = counterfoil::notify::DeliveryConfig::default();
        let inner = py.detach(|| {
            guarded(|| counterfoil::notify::reconcile_store(&store, w, &card, tol, chrono::Utc::now(), &sinks, &cfg))
        })?;
        Ok(PyReconciliation { inner })
    }

    #[getter]
    fn path(&self) -> String {
        self.root.display().to_string()
    }

    fn __repr__(&self) -> String {
        format!("Store({:?})", self.root.display().to_string())
    }
}
