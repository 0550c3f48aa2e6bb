//! Claude on AWS Bedrock and Google Vertex AI (DESIGN §13): `read_cur`, `read_gcp_billing`,
//! `read_bedrock_invocations`, `reconcile_cloud`, `all_spend`. Paths and frames are converted
//! here; reading, pricing and reconciling are `counterfoil::cloud` and `counterfoil::jobs::cloud`.

use std::path::PathBuf;

use counterfoil::cloud::invocations::{self, Invocation};
use counterfoil::cloud::reconcile::default_tolerance;
use counterfoil::cloud::{CloudBill, CloudReconciliation, lines, reconcile_cloud as core_reconcile, spend};
use counterfoil::rates::RateCard;
use counterfoil::rates::cloud::Provider;
use counterfoil::report::cloud as report;
use counterfoil::report::formats::{Format, write_frame_file};
use pyo3::prelude::*;

use crate::arrow::{from_arrow, to_polars};
use crate::convert::{optional_window, typed_to_python};
use crate::errors::{InputError, guarded, to_py};
use crate::rates::{PyRateCard, card_or_bundled};
use crate::reconcile::PyReconciliation;

/// Paths (one, or a list) or one frame (DataFrame or LazyFrame) of raw bill rows.
enum Source {
    Paths(Vec<PathBuf>),
    Frame(polars::prelude::DataFrame),
}

fn source(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Source> {
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(Source::Paths(vec![p]));
    }
    if let Ok(ps) = obj.extract::<Vec<PathBuf>>() {
        return Ok(Source::Paths(ps));
    }
    let frame = if obj.hasattr("collect")? && !obj.hasattr("__arrow_c_stream__")? {
        obj.call_method0("collect")?
    } else {
        obj.clone()
    };
    if frame.hasattr("__arrow_c_stream__")? {
        return Ok(Source::Frame(from_arrow(&frame, what)?));
    }
    Err(InputError::new_err(format!(
        "{what} must be a path, a list of paths, or a polars DataFrame/LazyFrame of bill rows"
    )))
}

fn read(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    provider: Provider,
    card: &RateCard,
    what: &str,
) -> PyResult<CloudBill> {
    let src = source(obj, what)?;
    py.detach(|| {
        guarded(|| match src {
            Source::Paths(p) => match provider {
                Provider::AwsBedrock => CloudBill::read(&p, &[], card),
                Provider::GcpVertex => CloudBill::read(&[], &p, card),
            },
            Source::Frame(df) => {
                let mut bill = CloudBill::default();
                bill.read_frame(provider, what, df, card)?;
                Ok(bill)
            }
        })
    })
}

/// An AWS CUR 2.0 or legacy CUR (files, an export directory, or a frame) as `cloud_lines`.
#[pyfunction]
#[pyo3(signature = (source, *, card=None))]
pub fn read_cur(py: Python<'_>, source: &Bound<'_, PyAny>, card: Option<&PyRateCard>) -> PyResult<Py<PyAny>> {
    let bill = read(py, source, Provider::AwsBedrock, &card_or_bundled(card), "source")?;
    to_polars(py, bill.frame().map_err(to_py)?)
}

/// A Google Cloud billing export (Parquet, NDJSON, flattened CSV, or a frame) as `cloud_lines`.
#[pyfunction]
#[pyo3(signature = (source, *, card=None))]
pub fn read_gcp_billing(py: Python<'_>, source: &Bound<'_, PyAny>, card: Option<&PyRateCard>) -> PyResult<Py<PyAny>> {
    let bill = read(py, source, Provider::GcpVertex, &card_or_bundled(card), "source")?;
    to_polars(py, bill.frame().map_err(to_py)?)
}

fn invocation_logs(py: Python<'_>, paths: Vec<PathBuf>, card: &RateCard) -> PyResult<Vec<Invocation>> {
    py.detach(|| guarded(|| counterfoil::jobs::cloud::read_invocations(&paths, card)))
}

/// Bedrock model invocation logs (JSON lines, optionally .gz; a file or a directory) as a frame.
#[pyfunction]
#[pyo3(signature = (path, *, card=None))]
pub fn read_bedrock_invocations(py: Python<'_>, path: Vec<PathBuf>, card: Option<&PyRateCard>) -> PyResult<Py<PyAny>> {
    let logs = invocation_logs(py, path, &card_or_bundled(card))?;
    to_polars(py, invocations::to_frame(&logs).map_err(to_py)?)
}

/// A reconciliation of cloud bills (see `counterfoil.reconcile_cloud`).
#[pyclass(name = "CloudReconciliation", module = "counterfoil", frozen)]
pub struct PyCloudReconciliation {
    pub(crate) inner: CloudReconciliation,
}

#[pymethods]
impl PyCloudReconciliation {
    /// Every line item with its check: the cloud_lines columns plus rate_usd_per_mtok,
    /// expected_usd, delta_usd, status, note, finding, logged_quantity.
    #[getter]
    fn lines(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, report::lines_frame(&self.inner).map_err(to_py)?)
    }

    /// Totals per provider and overall (money as Decimal), skipped rows, files.
    #[getter]
    fn summary(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        typed_to_python(py, &self.inner.summary_typed())
    }

    /// The discrepancies grouped by cause, as a list of dicts (`C1`, `C2`, …).
    #[getter]
    fn findings(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        typed_to_python(py, &report::findings_typed(&self.inner))
    }

    /// True when no line is a discrepancy.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.exit_code() == 0
    }

    /// 0, or 1 when any line is a discrepancy (as the CLI exits).
    #[getter]
    fn exit_code(&self) -> i32 {
        self.inner.exit_code()
    }

    /// The terminal summary at `width` columns.
    #[pyo3(signature = (width=80))]
    fn text(&self, width: usize) -> String {
        report::text(&self.inner, width)
    }

    /// `{"summary", "findings", "lines"}` as JSON; returned, or written to `path`.
    #[pyo3(signature = (path=None))]
    fn to_json(&self, path: Option<PathBuf>) -> PyResult<Option<String>> {
        let v = report::json(&self.inner).map_err(to_py)?;
        let text =
            serde_json::to_string_pretty(&v).map_err(|e| to_py(counterfoil::Error::Internal(e.to_string())))? + "\n";
        write_text(path, text)
    }

    /// The self-contained HTML report; returned, or written to `path`.
    #[pyo3(signature = (path=None))]
    fn to_html(&self, path: Option<PathBuf>) -> PyResult<Option<String>> {
        write_text(path, report::html(&self.inner).map_err(to_py)?)
    }

    /// The lines as CSV at `path`.
    fn to_csv(&self, path: PathBuf) -> PyResult<()> {
        let mut df = report::lines_frame(&self.inner).map_err(to_py)?;
        write_frame_file(&mut df, Format::Csv, &path, false).map_err(to_py)
    }

    /// The lines as Parquet at `path`.
    fn to_parquet(&self, path: PathBuf) -> PyResult<()> {
        let mut df = report::lines_frame(&self.inner).map_err(to_py)?;
        write_frame_file(&mut df, Format::Parquet, &path, false).map_err(to_py)
    }

    fn __repr__(&self) -> String {
        let t = self.inner.totals().remove(&None).unwrap_or_default();
        format!(
            "<CloudReconciliation {} lines, billed {}, {} discrepancies>",
            t.lines,
            counterfoil::money::cents_usd(t.billed),
            self.inner.discrepancies()
        )
    }
}

fn write_text(path: Option<PathBuf>, text: String) -> PyResult<Option<String>> {
    match path {
        Some(p) => counterfoil::fsio::write_output_bytes(&p, text.as_bytes()).map(|_| None).map_err(to_py),
        None => Ok(Some(text)),
    }
}

/// Reconciles cloud bills line by line. `lines`: a `cloud_lines` frame (from `read_cur` /
/// `read_gcp_billing`, or several concatenated), or None with `cur=` / `gcp=` paths.
#[pyfunction]
#[pyo3(signature = (lines=None, *, cur=None, gcp=None, invocations=None, start=None, end=None, card=None, abs_tol=None, rel_tol=None))]
#[allow(clippy::too_many_arguments)]
pub fn reconcile_cloud(
    py: Python<'_>,
    lines: Option<&Bound<'_, PyAny>>,
    cur: Option<Vec<PathBuf>>,
    gcp: Option<Vec<PathBuf>>,
    invocations: Option<Vec<PathBuf>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
    card: Option<&PyRateCard>,
    abs_tol: Option<&Bound<'_, PyAny>>,
    rel_tol: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyCloudReconciliation> {
    let card = card_or_bundled(card);
    let window = optional_window(start, end)?;
    let tolerance = if abs_tol.is_none() && rel_tol.is_none() {
        default_tolerance()
    } else {
        crate::convert::tolerance(abs_tol, rel_tol)?
    };
    let logs = match invocations {
        Some(p) => Some(invocation_logs(py, p, &card)?),
        None => None,
    };
    let frame = match lines {
        Some(obj) => match source(obj, "lines")? {
            Source::Frame(df) => Some(df),
            Source::Paths(_) => {
                return Err(InputError::new_err(
                    "lines must be a cloud_lines frame; pass files as cur=[...] or gcp=[...]",
                ));
            }
        },
        None => None,
    };
    let files = counterfoil::jobs::cloud::CloudFiles {
        cur: cur.unwrap_or_default(),
        gcp: gcp.unwrap_or_default(),
        invocations: vec![],
    };
    let inner = py.detach(|| {
        guarded(|| {
            let mut bill = if files.is_empty() {
                CloudBill::default()
            } else {
                counterfoil::jobs::cloud::read_bills(&files, &card, window.as_ref())?
            };
            if let Some(df) = frame {
                bill.lines.extend(lines::from_frame(&df)?);
            }
            if bill.lines.is_empty() && bill.files.is_empty() {
                return Err(counterfoil::Error::input(
                    "reconcile_cloud needs lines (a cloud_lines frame) or cur= / gcp= files",
                ));
            }
            core_reconcile(bill, &card, tolerance, window, logs.as_deref())
        })
    })?;
    Ok(PyCloudReconciliation { inner })
}

/// All Claude spend in one frame: Anthropic (`rec`, a Reconciliation) and the clouds (`cloud`,
/// a CloudReconciliation), by provider × account × model × day × token type.
#[pyfunction]
#[pyo3(signature = (rec=None, cloud=None))]
pub fn all_spend(
    py: Python<'_>,
    rec: Option<&PyReconciliation>,
    cloud: Option<&PyCloudReconciliation>,
) -> PyResult<Py<PyAny>> {
    if rec.is_none() && cloud.is_none() {
        return Err(InputError::new_err("all_spend needs rec= (Anthropic), cloud= (Bedrock/Vertex) or both"));
    }
    let names = std::collections::BTreeMap::new();
    let (df, _) = guarded(|| spend::all_spend(rec.map(|r| &r.inner.lines), cloud.map(|c| &c.inner), &names))?;
    to_polars(py, df)
}
