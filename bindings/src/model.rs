//! `counterfoil.attribute`, `cache_report`, `Scenario`, `whatif`, `forecast`, `spend_report`.

use std::collections::BTreeMap;

use counterfoil::TimeWindow;
use counterfoil::frames::{CostFrame, UsageFrame};
use counterfoil::model::{self, Labels};
use counterfoil::reconcile::sides::{clip_cost, clip_usage};
use pyo3::prelude::*;

use counterfoil::frames::FrameKind;

use crate::arrow::{frame_arg, from_arrow, to_polars};
use crate::convert::{instant, optional_window as window, typed_to_python};
use crate::errors::{InputError, guarded, to_py};
use crate::rates::{PyRateCard, card_or_bundled};

fn labels(workspaces: Option<&Bound<'_, PyAny>>, api_keys: Option<&Bound<'_, PyAny>>) -> PyResult<Labels> {
    let ws = workspaces.map(|w| from_arrow(w, "workspaces")).transpose()?;
    let keys = api_keys.map(|k| from_arrow(k, "api_keys")).transpose()?;
    Labels::from_frames(ws.as_ref(), keys.as_ref()).map_err(to_py)
}

/// Billed USD per (date, workspace, API key, model, tier, context window, geo, cost type, token
/// type), each line's bill split over its keys by largest remainder; `by` rolls it up.
#[pyfunction]
#[pyo3(signature = (usage, cost, card=None, *, workspaces=None, api_keys=None, by=None, start=None, end=None))]
#[allow(clippy::too_many_arguments)]
pub fn attribute(
    py: Python<'_>,
    usage: &Bound<'_, PyAny>,
    cost: &Bound<'_, PyAny>,
    card: Option<&PyRateCard>,
    workspaces: Option<&Bound<'_, PyAny>>,
    api_keys: Option<&Bound<'_, PyAny>>,
    by: Option<Vec<String>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let (u, c) = (
        frame_arg(usage, FrameKind::Usage, "usage", None, None)?,
        frame_arg(cost, FrameKind::Cost, "cost", None, None)?,
    );
    let (card, labels, w) = (card_or_bundled(card), labels(workspaces, api_keys)?, window(start, end)?);
    let df = py.detach(|| {
        guarded(|| {
            let df = model::attribute(&UsageFrame::new(&u)?, &CostFrame::new(&c)?, &card, &labels, w)?;
            match &by {
                Some(by) => model::rollup(&df, &by.iter().map(String::as_str).collect::<Vec<_>>()),
                None => Ok(df),
            }
        })
    })?;
    to_polars(py, df)
}

/// Cache hit rate, write premium, read savings and net savings by `by`.
#[pyfunction]
#[pyo3(signature = (usage, card=None, by=None, *, start=None, end=None))]
pub fn cache_report(
    py: Python<'_>,
    usage: &Bound<'_, PyAny>,
    card: Option<&PyRateCard>,
    by: Option<Vec<String>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let u = frame_arg(usage, FrameKind::Usage, "usage", None, None)?;
    let (card, w) = (card_or_bundled(card), window(start, end)?);
    let by = by.unwrap_or_else(|| vec!["workspace_id".into(), "model".into()]);
    let df = py.detach(|| {
        guarded(|| {
            let u = clip_usage(&UsageFrame::new(&u)?, w)?;
            model::cache_report(&u, &card, &by.iter().map(String::as_str).collect::<Vec<_>>())
        })
    })?;
    to_polars(py, df)
}

/// A what-if scenario (see `whatif`); every field optional.
#[pyclass(name = "Scenario", module = "counterfoil", frozen)]
pub struct PyScenario {
    pub(crate) inner: model::Scenario,
}

fn decimal(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<rust_decimal::Decimal>> {
    obj.map(|o| crate::convert::decimal(o, what)).transpose()
}

#[pymethods]
impl PyScenario {
    #[new]
    #[pyo3(signature = (*, swap_models=None, batch_share=None, cache_ttl=None, inference_geo=None, price_date=None, discount_factor=None, r#where=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        swap_models: Option<BTreeMap<String, String>>,
        batch_share: Option<&Bound<'_, PyAny>>,
        cache_ttl: Option<String>,
        inference_geo: Option<String>,
        price_date: Option<&Bound<'_, PyAny>>,
        discount_factor: Option<&Bound<'_, PyAny>>,
        r#where: Option<BTreeMap<String, Bound<'_, PyAny>>>,
    ) -> PyResult<Self> {
        let mut w = BTreeMap::new();
        for (k, v) in r#where.unwrap_or_default() {
            let values: Vec<Option<String>> = if v.is_none() {
                vec![None]
            } else if let Ok(s) = v.extract::<String>() {
                vec![Some(s)]
            } else {
                v.extract::<Vec<Option<String>>>().map_err(|_| {
                    InputError::new_err(format!("where[{k:?}] must be a string, None, or a list of them"))
                })?
            };
            w.insert(k, values);
        }
        let inner = model::Scenario {
            swap_models: swap_models.unwrap_or_default(),
            batch_share: decimal(batch_share, "batch_share")?,
            cache_ttl,
            inference_geo,
            price_date: price_date.map(|d| instant(d, "price_date").map(|t| t.date_naive())).transpose()?,
            discount_factor: decimal(discount_factor, "discount_factor")?,
            r#where: w,
        };
        Ok(PyScenario { inner })
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        let mut parts = Vec::new();
        if !s.swap_models.is_empty() {
            parts.push(format!("swap_models={:?}", s.swap_models));
        }
        if let Some(b) = s.batch_share {
            parts.push(format!("batch_share={b}"));
        }
        if let Some(t) = &s.cache_ttl {
            parts.push(format!("cache_ttl={t:?}"));
        }
        if let Some(g) = &s.inference_geo {
            parts.push(format!("inference_geo={g:?}"));
        }
        if let Some(d) = s.price_date {
            parts.push(format!("price_date={d}"));
        }
        if let Some(d) = s.discount_factor {
            parts.push(format!("discount_factor={d}"));
        }
        if !s.r#where.is_empty() {
            parts.push(format!("where={:?}", s.r#where));
        }
        format!("Scenario({})", parts.join(", "))
    }
}

/// Baseline vs scenario USD by `by`, with the delta (negative is a saving) and a status.
#[pyfunction]
#[pyo3(signature = (usage, scenario, card=None, by=None, *, start=None, end=None))]
pub fn whatif(
    py: Python<'_>,
    usage: &Bound<'_, PyAny>,
    scenario: &PyScenario,
    card: Option<&PyRateCard>,
    by: Option<Vec<String>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let u = frame_arg(usage, FrameKind::Usage, "usage", None, None)?;
    let (card, w) = (card_or_bundled(card), window(start, end)?);
    let by = by.unwrap_or_else(|| vec!["model".into()]);
    let s = scenario.inner.clone();
    let df = py.detach(|| {
        guarded(|| {
            let u = clip_usage(&UsageFrame::new(&u)?, w)?;
            model::whatif(&u, &s, &card, &by.iter().map(String::as_str).collect::<Vec<_>>())
        })
    })?;
    to_polars(py, df)
}

/// Month to date (settled days), provisional spend (unsettled days, apart), projection to month
/// end (same-weekday mean of the 28 settled days before the first provisional one), low/high
/// band and the budget check, as a dict with Decimal money. `start`/`end`: the window the frame
/// covers (default: its own bucket range); a frame that stops short of today is refused.
#[pyfunction]
// settle_hours=24 is model::forecast::DEFAULT_SETTLE_HOURS, spelled as a literal so the signature
// Python sees (and stubtest checks) shows it.
#[pyo3(signature = (cost, month=None, budget_usd=None, today=None, *, start=None, end=None, settle_hours=24))]
#[allow(clippy::too_many_arguments)]
pub fn forecast(
    py: Python<'_>,
    cost: &Bound<'_, PyAny>,
    month: Option<&str>,
    budget_usd: Option<&Bound<'_, PyAny>>,
    today: Option<&Bound<'_, PyAny>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
    settle_hours: u32,
) -> PyResult<Py<PyAny>> {
    let c = frame_arg(cost, FrameKind::DailyCost, "cost", None, None)?;
    let month = month.map(model::forecast::parse_month).transpose().map_err(to_py)?;
    let budget = match budget_usd {
        Some(b) => Some(model::forecast::parse_budget(&b.str()?.extract::<String>()?).map_err(to_py)?),
        None => None,
    };
    let today = match today {
        Some(t) => instant(t, "today")?.date_naive(),
        None => chrono::Utc::now().date_naive(),
    };
    let coverage = model::forecast::Coverage {
        start: start.map(|s| instant(s, "start")).transpose()?,
        end: end.map(|e| instant(e, "end")).transpose()?,
        settle_hours,
    };
    let f = py.detach(|| guarded(|| model::forecast(&CostFrame::new(&c)?, month, budget, today, coverage)))?;
    typed_to_python(py, &f.to_typed())
}

/// The HTML spend report (spend over time, top keys, cache savings, an optional scenario, the
/// forecast; with `cloud`, a CloudReconciliation, all Claude spend); returned, or written to `path`.
#[pyfunction]
#[pyo3(signature = (usage, cost, start, end, card=None, *, workspaces=None, api_keys=None, scenario=None, budget_usd=None, today=None, path=None, cloud=None))]
#[allow(clippy::too_many_arguments)]
pub fn spend_report(
    py: Python<'_>,
    usage: &Bound<'_, PyAny>,
    cost: &Bound<'_, PyAny>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    card: Option<&PyRateCard>,
    workspaces: Option<&Bound<'_, PyAny>>,
    api_keys: Option<&Bound<'_, PyAny>>,
    scenario: Option<&PyScenario>,
    budget_usd: Option<&Bound<'_, PyAny>>,
    today: Option<&Bound<'_, PyAny>>,
    path: Option<std::path::PathBuf>,
    cloud: Option<&crate::cloud::PyCloudReconciliation>,
) -> PyResult<Option<String>> {
    let (u, c) = (
        frame_arg(usage, FrameKind::Usage, "usage", None, None)?,
        frame_arg(cost, FrameKind::Cost, "cost", None, None)?,
    );
    let w = TimeWindow::new(instant(start, "start")?, instant(end, "end")?).map_err(to_py)?;
    let (card, labels) = (card_or_bundled(card), labels(workspaces, api_keys)?);
    let budget = match budget_usd {
        Some(b) => Some(model::forecast::parse_budget(&b.str()?.extract::<String>()?).map_err(to_py)?),
        None => None,
    };
    let today = match today {
        Some(t) => instant(t, "today")?.date_naive(),
        None => chrono::Utc::now().date_naive(),
    };
    let s = scenario.map(|s| s.inner.clone());
    let html = py.detach(|| {
        guarded(|| {
            let (u, c) = (UsageFrame::new(&u)?, CostFrame::new(&c)?);
            let (u, c) = (clip_usage(&u, Some(w))?, clip_cost(&c, Some(w))?);
            counterfoil::report::spend::spend_html(&counterfoil::report::spend::SpendInputs {
                window: w,
                usage: &u,
                cost: &c,
                card: &card,
                labels: &labels,
                scenario: s.as_ref(),
                budget,
                today,
                cloud: cloud.map(|c| &c.inner),
            })
        })
    })?;
    match path {
        None => Ok(Some(html)),
        Some(p) => {
            counterfoil::fsio::write_output_bytes(&p, html.as_bytes()).map_err(to_py)?;
            Ok(None)
        }
    }
}
