//! `counterfoil.price` and the batches behind `price(..., lazy=True)`.

use counterfoil::frames::UsageFrame;
use counterfoil::pricing::Pricer;
use pyo3::prelude::*;

use counterfoil::frames::FrameKind;

use crate::arrow::{frame_arg, to_polars};
use crate::errors::guarded;
use crate::rates::{PyRateCard, card_or_bundled};

/// Prices a usage frame with a rate card (the bundled one by default).
#[pyfunction]
#[pyo3(signature = (usage, card=None))]
pub fn price(py: Python<'_>, usage: &Bound<'_, PyAny>, card: Option<&PyRateCard>) -> PyResult<Py<PyAny>> {
    let usage = frame_arg(usage, FrameKind::Usage, "usage", None, None)?;
    let card = card_or_bundled(card);
    let priced = py.detach(|| guarded(|| counterfoil::pricing::price(&UsageFrame::new(&usage)?, &card)))?;
    to_polars(py, priced)
}

/// A validated usage frame and a card; prices any range of usage rows on request. The usage is
/// checked when this is built, so `price(..., lazy=True)` refuses bad input at once, not at
/// `collect()`.
#[pyclass(name = "PriceSource", module = "counterfoil._native", frozen)]
pub struct PyPriceSource {
    pricer: Pricer,
}

#[pymethods]
impl PyPriceSource {
    #[new]
    #[pyo3(signature = (usage, card=None))]
    fn new(py: Python<'_>, usage: &Bound<'_, PyAny>, card: Option<&PyRateCard>) -> PyResult<Self> {
        let usage = frame_arg(usage, FrameKind::Usage, "usage", None, None)?;
        let card = card_or_bundled(card);
        let pricer = py.detach(|| guarded(|| Pricer::new(&UsageFrame::new(&usage)?, card)))?;
        Ok(PyPriceSource { pricer })
    }

    /// Usage rows (not priced rows).
    #[getter]
    fn height(&self) -> usize {
        self.pricer.height()
    }

    /// The priced rows of usage rows `offset..offset + length`, only `columns` when given.
    #[pyo3(signature = (offset, length, columns=None))]
    fn batch(&self, py: Python<'_>, offset: usize, length: usize, columns: Option<Vec<String>>) -> PyResult<Py<PyAny>> {
        let df = py.detach(|| guarded(|| self.pricer.price(offset, length, columns.as_deref())))?;
        to_polars(py, df)
    }
}
