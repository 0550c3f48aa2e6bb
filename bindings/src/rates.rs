//! `counterfoil.RateCard`.

use counterfoil::rates::RateCard;
use pyo3::prelude::*;

use crate::arrow::to_polars;
use crate::errors::to_py;

#[pyclass(name = "RateCard", module = "counterfoil", frozen)]
pub struct PyRateCard {
    pub(crate) inner: RateCard,
}

#[pymethods]
impl PyRateCard {
    /// The card bundled with counterfoil.
    #[staticmethod]
    fn default() -> Self {
        PyRateCard { inner: RateCard::bundled() }
    }

    /// A card file, layered over the bundled card unless it says `extends = "none"`.
    #[staticmethod]
    fn load(path: std::path::PathBuf) -> PyResult<Self> {
        Ok(PyRateCard { inner: RateCard::load(&path).map_err(to_py)? })
    }

    /// A card from TOML text (layered like `load`).
    #[staticmethod]
    #[pyo3(signature = (text, origin="<string>"))]
    fn from_toml(text: &str, origin: &str) -> PyResult<Self> {
        Ok(PyRateCard { inner: RateCard::from_toml(text, origin).map_err(to_py)? })
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
