//! `counterfoil.reconcile` and `counterfoil.Reconciliation`.

use std::collections::BTreeMap;

use counterfoil::Error;
use counterfoil::frames::usage::reconcile_columns;
use counterfoil::frames::{
    ANALYTICS_COST_COLUMNS, AnalyticsCostFrame, COST_COLUMNS, CostFrame, FrameKind, UsageFrame,
    workspace_names as workspace_names_of,
};
use counterfoil::rates::RateCard;
use counterfoil::reconcile::{
    Options, Reconciliation, reconcile as core_reconcile, reconcile_analytics as core_reconcile_analytics,
};
use counterfoil::report::formats::{Format, write_frame_file};
use pyo3::prelude::*;

use crate::arrow::{frame_arg, from_arrow, to_polars};
use crate::convert::{optional_window as window, tolerance, typed_to_python};
use crate::errors::{guarded, to_py};
use crate::rates::{PyRateCard, card_or_bundled};

/// A reconciliation: `lines`, `summary`, `discrepancies`, `ok`, and writers.
#[pyclass(name = "Reconciliation", module = "counterfoil", frozen)]
pub struct PyReconciliation {
    pub(crate) inner: Reconciliation,
}

fn write_text(path: Option<std::path::PathBuf>, text: String) -> PyResult<Option<String>> {
    match path {
        None => Ok(Some(text)),
        Some(p) => {
            counterfoil::fsio::write_output_bytes(&p, text.as_bytes()).map_err(to_py)?;
            Ok(None)
        }
    }
}

#[pymethods]
impl PyReconciliation {
    /// One row per reconciliation key (DESIGN §3 `lines`, then workspace_name, description,
    /// unit_price_usd, implied_rate_usd_per_mtok, explanation, price_note).
    #[getter]
    fn lines(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.inner.lines.clone())
    }

    /// The discrepancies grouped by cause: one row per finding with the money at stake, the
    /// lines it covers, the likely cause and the next step (lines name it in their `finding`).
    #[getter]
    fn findings(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.inner.findings_frame().map_err(to_py)?)
    }

    /// Only the lines that are discrepancies (mismatch, missing_cost, missing_usage, unpriced).
    #[getter]
    fn discrepancies(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.inner.discrepancies().map_err(to_py)?)
    }

    /// Window, totals, counts by status, Priority and non-token charges, roll-ups; money as Decimal.
    #[getter]
    fn summary(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        typed_to_python(py, &self.inner.summary.to_typed())
    }

    /// True when no line is a discrepancy.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok()
    }

    /// The exit code `counterfoil reconcile` gives this reconciliation: 0, or 1 on discrepancies.
    #[getter]
    fn exit_code(&self) -> i32 {
        self.inner.exit_code()
    }

    /// `{"window", "summary", "lines"}` as JSON (money as decimal strings); returned, or written to `path`.
    #[pyo3(signature = (path=None))]
    fn to_json(&self, path: Option<std::path::PathBuf>) -> PyResult<Option<String>> {
        let v = counterfoil::report::json(&self.inner).map_err(to_py)?;
        let text = serde_json::to_string_pretty(&v).map_err(|e| to_py(Error::Internal(e.to_string())))?;
        write_text(path, text + "\n")
    }

    /// The self-contained HTML report; returned, or written to `path`.
    #[pyo3(signature = (path=None, title="counterfoil reconciliation"))]
    fn to_html(&self, path: Option<std::path::PathBuf>, title: &str) -> PyResult<Option<String>> {
        write_text(path, counterfoil::report::html(&self.inner, title).map_err(to_py)?)
    }

    /// The lines as CSV at `path`.
    fn to_csv(&self, path: std::path::PathBuf) -> PyResult<()> {
        write_frame_file(&mut self.inner.lines.clone(), Format::Csv, &path, true).map_err(to_py)
    }

    /// The lines as Parquet at `path`.
    fn to_parquet(&self, path: std::path::PathBuf) -> PyResult<()> {
        write_frame_file(&mut self.inner.lines.clone(), Format::Parquet, &path, true).map_err(to_py)
    }

    /// The money split, the findings and the delta by day, for notebooks.
    fn _repr_html_(&self) -> PyResult<String> {
        counterfoil::report::notebook(&self.inner).map_err(to_py)
    }

    /// Over-billed, under-billed and unchecked USD per value of `by` (`date`, `workspace_name`,
    /// `model`…) as diverging bars; needs matplotlib (`pip install 'counterfoil[plot]'`).
    #[pyo3(signature = (by="date", ax=None))]
    fn plot<'py>(slf: Bound<'py, Self>, by: &str, ax: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let plot = slf.py().import("counterfoil.plot")?;
        plot.call_method1("delta", (slf, by, ax))
    }

    fn __repr__(&self) -> String {
        let s = &self.inner.summary;
        let w = s.window.map(|w| format!("{}..{}", w.start.date_naive(), w.end.date_naive())).unwrap_or_default();
        format!(
            "Reconciliation(window={w}, lines={}, discrepancies={}, ok={})",
            s.lines,
            s.discrepancies(),
            if self.inner.ok() { "True" } else { "False" }
        )
    }
}

/// `workspace_id` → `name` from a workspaces frame (`AdminClient.workspaces()`).
fn workspace_names(workspaces: Option<&Bound<'_, PyAny>>) -> PyResult<BTreeMap<String, String>> {
    match workspaces {
        Some(ws) => workspace_names_of(&from_arrow(ws, "workspaces")?).map_err(to_py),
        None => Ok(BTreeMap::new()),
    }
}

type Arg<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

/// What both reconcile functions take from Python: the frames (a LazyFrame collected with only
/// the columns and window needed), the card, the tolerance, the window and the names.
struct Inputs {
    usage: polars::prelude::DataFrame,
    cost: polars::prelude::DataFrame,
    card: RateCard,
    options: Options,
}

impl Inputs {
    #[allow(clippy::too_many_arguments)]
    fn read(
        usage: &Bound<'_, PyAny>,
        cost: &Bound<'_, PyAny>,
        (cost_kind, cost_columns): (FrameKind, &[&str]),
        card: Option<&PyRateCard>,
        (abs_tol, rel_tol): (Arg<'_, '_>, Arg<'_, '_>),
        (start, end): (Arg<'_, '_>, Arg<'_, '_>),
        workspaces: Arg<'_, '_>,
        by_api_key: bool,
    ) -> PyResult<Inputs> {
        let window = window(start, end)?;
        Ok(Inputs {
            usage: frame_arg(usage, FrameKind::Usage, "usage", Some(&reconcile_columns(by_api_key)), window)?,
            cost: frame_arg(cost, cost_kind, "cost", Some(cost_columns), window)?,
            card: card_or_bundled(card),
            options: Options {
                tolerance: tolerance(abs_tol, rel_tol)?,
                window,
                workspace_names: workspace_names(workspaces)?,
                by_api_key,
            },
        })
    }
}

/// Reconciles a usage frame with a cost frame (both as `AdminClient` returns them).
#[pyfunction]
#[pyo3(signature = (usage, cost, card=None, *, abs_tol=None, rel_tol=None, start=None, end=None, workspaces=None))]
#[allow(clippy::too_many_arguments)]
pub fn reconcile(
    py: Python<'_>,
    usage: &Bound<'_, PyAny>,
    cost: &Bound<'_, PyAny>,
    card: Option<&PyRateCard>,
    abs_tol: Option<&Bound<'_, PyAny>>,
    rel_tol: Option<&Bound<'_, PyAny>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
    workspaces: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyReconciliation> {
    let i = Inputs::read(
        usage,
        cost,
        (FrameKind::Cost, &COST_COLUMNS),
        card,
        (abs_tol, rel_tol),
        (start, end),
        workspaces,
        false,
    )?;
    let inner = py.detach(|| {
        guarded(|| core_reconcile(&UsageFrame::new(&i.usage)?, &CostFrame::new(&i.cost)?, &i.card, &i.options))
    })?;
    Ok(PyReconciliation { inner })
}

/// Reconciles usage with the Analytics API's cost (`AdminClient.analytics_cost()`, daily
/// buckets, grouped by cost and token type): each line's `list_amount` against the card at list
/// price; `reported_usd` is the billed `amount`, `list_usd` and `discount` ride along.
#[pyfunction]
#[pyo3(signature = (usage, cost, card=None, *, abs_tol=None, rel_tol=None, start=None, end=None, workspaces=None, by_api_key=false))]
#[allow(clippy::too_many_arguments)]
pub fn reconcile_analytics(
    py: Python<'_>,
    usage: &Bound<'_, PyAny>,
    cost: &Bound<'_, PyAny>,
    card: Option<&PyRateCard>,
    abs_tol: Option<&Bound<'_, PyAny>>,
    rel_tol: Option<&Bound<'_, PyAny>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
    workspaces: Option<&Bound<'_, PyAny>>,
    by_api_key: bool,
) -> PyResult<PyReconciliation> {
    let tol = (abs_tol, rel_tol);
    let i = Inputs::read(
        usage,
        cost,
        (FrameKind::AnalyticsCost, &ANALYTICS_COST_COLUMNS),
        card,
        tol,
        (start, end),
        workspaces,
        by_api_key,
    )?;
    let inner = py.detach(|| {
        guarded(|| {
            let cost = AnalyticsCostFrame::new(&i.cost)?;
            core_reconcile_analytics(&UsageFrame::new(&i.usage)?, &cost, &i.card, &i.options)
        })
    })?;
    Ok(PyReconciliation { inner })
}
