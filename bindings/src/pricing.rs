//! `counterfoil.price`.

use counterfoil::rates::RateCard;
use pyo3::prelude::*;

use crate::arrow::{from_arrow, to_polars};
use crate::errors::to_py;
use crate::rates::PyRateCard;

/// Prices a usage frame with a rate card (the bundled one by default).
#[pyfunction]
#[pyo3(signature = (usage, card=None))]
pub fn price(py: Python<'_>, usage: &Bound<'_, PyAny>, card: Option<&PyRateCard>) -> PyResult<Py<PyAny>> {
    let usage = from_arrow(usage)?;
    let card = card.map(|c| c.inner.clone()).unwrap_or_else(RateCard::bundled);
    let priced = py.detach(|| counterfoil::pricing::price(&usage, &card)).map_err(to_py)?;
    to_polars(py, priced)
}
