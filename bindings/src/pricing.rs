//! `counterfoil.price`.

use counterfoil::frames::UsageFrame;
use counterfoil::rates::RateCard;
use pyo3::prelude::*;

use crate::arrow::{from_arrow, to_polars};
use crate::errors::guarded;
use crate::rates::PyRateCard;

/// Prices a usage frame with a rate card (the bundled one by default).
#[pyfunction]
#[pyo3(signature = (usage, card=None))]
pub fn price(py: Python<'_>, usage: &Bound<'_, PyAny>, card: Option<&PyRateCard>) -> PyResult<Py<PyAny>> {
    let usage = from_arrow(usage, "usage")?;
    let card = card.map(|c| c.inner.clone()).unwrap_or_else(RateCard::bundled);
    let priced = py.detach(|| guarded(|| counterfoil::pricing::price(&UsageFrame::new(&usage)?, &card)))?;
    to_polars(py, priced)
}
