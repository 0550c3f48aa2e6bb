//! `counterfoil.suggest_rates` and `counterfoil.Calibration`.

use counterfoil::calibrate::{Calibration, suggest};
use counterfoil::rates::RateCard;
use pyo3::prelude::*;

use crate::arrow::to_polars;
use crate::errors::{guarded, to_py};
use crate::rates::{PyRateCard, card_or_bundled};
use crate::reconcile::PyReconciliation;

/// What a billing history says the rate card should hold: `toml` (an overlay for `--rates` /
/// `RateCard.load`, with its evidence as comments), `frame()`, `apply(card)`.
#[pyclass(name = "Calibration", module = "counterfoil", frozen)]
pub struct PyCalibration {
    inner: Calibration,
    card: RateCard,
}

#[pymethods]
impl PyCalibration {
    /// The overlay as TOML text.
    #[getter]
    fn toml(&self) -> PyResult<String> {
        self.inner.overlay_toml(&self.card).map_err(to_py)
    }

    /// One row per suggestion, then per one-off: kind, model, from, to, ratio, days, lines,
    /// evidence, suggested (false for a one-off: evidence, not a price).
    fn frame(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.inner.frame().map_err(to_py)?)
    }

    /// The card the history was reconciled with, every suggestion applied.
    fn apply(&self) -> PyResult<PyRateCard> {
        Ok(PyRateCard { inner: self.inner.apply(&self.card).map_err(to_py)? })
    }

    fn __len__(&self) -> usize {
        self.inner.suggestions.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Calibration(source={:?}, suggestions={}, one_offs={})",
            self.inner.source.as_str(),
            self.inner.suggestions.len(),
            self.inner.one_offs.len()
        )
    }
}

/// Suggestions from a reconciliation (`reconcile_analytics` for discounts and list prices per
/// line, `reconcile` for cost_report ratios), relative to `card` (default: the bundled card; pass
/// the card the reconciliation used).
#[pyfunction]
#[pyo3(signature = (reconciliation, card=None))]
pub fn suggest_rates(
    py: Python<'_>,
    reconciliation: &PyReconciliation,
    card: Option<&PyRateCard>,
) -> PyResult<PyCalibration> {
    let card = card_or_bundled(card);
    let rec = &reconciliation.inner;
    let inner = py.detach(|| guarded(|| suggest(rec, &card)))?;
    Ok(PyCalibration { inner, card })
}
