//! `counterfoil.RateCard`.

use counterfoil::rates::RateCard;
use pyo3::prelude::*;

use crate::arrow::to_polars;
use crate::errors::{RateCardWarning, to_py};

fn warned(py: Python<'_>, card: RateCard) -> PyResult<PyRateCard> {
    let category = py.get_type::<RateCardWarning>();
    for w in &card.warnings {
        PyErr::warn(py, &category, &std::ffi::CString::new(w.as_str()).unwrap_or_default(), 2)?;
    }
    Ok(PyRateCard { inner: card })
}

#[pyclass(name = "RateCard", module = "counterfoil", frozen)]
pub struct PyRateCard {
    pub(crate) inner: RateCard,
}

/// The card a function was given, or the bundled one (every `card=None` default).
pub fn card_or_bundled(card: Option<&PyRateCard>) -> RateCard {
    card.map(|c| c.inner.clone()).unwrap_or_else(RateCard::bundled)
}

#[pymethods]
impl PyRateCard {
    /// The card bundled with counterfoil.
    #[staticmethod]
    fn default() -> Self {
        PyRateCard { inner: RateCard::bundled() }
    }

    /// A card file, layered over the bundled card unless it says `extends = "none"`. Unusual
    /// prices that the card does not explain are reported as `RateCardWarning`s.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        warned(py, RateCard::load(&path).map_err(to_py)?)
    }

    /// A card from TOML text (layered like `load`).
    #[staticmethod]
    #[pyo3(signature = (text, origin="<string>"))]
    fn from_toml(py: Python<'_>, text: &str, origin: &str) -> PyResult<Self> {
        warned(py, RateCard::from_toml(text, origin).map_err(to_py)?)
    }

    /// What is allowed but unusual in this card (a cache price off its usual multiple without an
    /// `exceptions` note), one message each.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }

    /// One row per model rate row, every price explicit (USD per MTok, Decimal).
    fn to_frame(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.inner.to_frame().map_err(to_py)?)
    }

    /// The effective card as a standalone TOML file that `from_toml` reads back.
    fn to_toml(&self) -> PyResult<String> {
        self.inner.to_toml().map_err(to_py)
    }

    #[getter]
    fn as_of(&self) -> Option<chrono::NaiveDate> {
        self.inner.as_of
    }

    fn __repr__(&self) -> String {
        format!("RateCard(models={}, as_of={:?})", self.inner.models.len(), self.inner.as_of.map(|d| d.to_string()))
    }
}
