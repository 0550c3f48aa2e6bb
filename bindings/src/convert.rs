//! Argument conversions: Python dates, datetimes and strings to the core's types.

use chrono::{DateTime, Utc};
use counterfoil::TimeWindow;
use counterfoil::reconcile::Tolerance;
use counterfoil::window::parse_instant;
use pyo3::prelude::*;

use crate::errors::{InputError, to_py};

/// A `str` (`YYYY-MM-DD` or RFC 3339), `datetime.date`, or timezone-aware `datetime.datetime`.
pub fn instant(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<DateTime<Utc>> {
    if let Ok(s) = obj.extract::<String>() {
        return parse_instant(&s, what).map_err(to_py);
    }
    let py = obj.py();
    let datetime = py.import("datetime")?;
    if obj.is_instance(&datetime.getattr("datetime")?)? {
        if obj.getattr("tzinfo")?.is_none() {
            return Err(InputError::new_err(format!(
                "{what} is a naive datetime; pass a timezone-aware one (e.g. tzinfo=timezone.utc)"
            )));
        }
    } else if !obj.is_instance(&datetime.getattr("date")?)? {
        return Err(InputError::new_err(format!("{what} must be a str, datetime.date or datetime.datetime")));
    }
    let iso: String = obj.call_method0("isoformat")?.extract()?;
    parse_instant(&iso, what).map_err(to_py)
}

/// `[start, end)` when both are given, nothing when neither is; one alone is an `InputError`.
pub fn optional_window(
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<TimeWindow>> {
    match (start, end) {
        (None, None) => Ok(None),
        (Some(s), Some(e)) => Ok(Some(TimeWindow::new(instant(s, "start")?, instant(e, "end")?).map_err(to_py)?)),
        _ => Err(InputError::new_err("give both start and end, or neither")),
    }
}

pub fn strings(v: Option<Vec<String>>) -> Vec<String> {
    v.unwrap_or_default()
}

/// A decimal given as `Decimal`, `str` or `int` (a `float` is taken by its shortest repr).
pub fn decimal(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<rust_decimal::Decimal> {
    counterfoil::money::parse_decimal(&obj.str()?.to_string(), what).map_err(to_py)
}

/// The tolerances of a reconciliation; defaults $0.01 and 0.
pub fn tolerance(abs: Option<&Bound<'_, PyAny>>, rel: Option<&Bound<'_, PyAny>>) -> PyResult<Tolerance> {
    let abs = abs.map(|t| decimal(t, "abs_tol")).transpose()?.unwrap_or(rust_decimal::Decimal::new(1, 2));
    let rel = rel.map(|t| decimal(t, "rel_tol")).transpose()?.unwrap_or(rust_decimal::Decimal::ZERO);
    Tolerance::new(abs, rel).map_err(to_py)
}

/// A summary's typed tree as Python: `Decimal` for money and exact ratios, `date`, `float`,
/// `int`, `str`, lists and dicts (keys in order). Nothing is guessed from a key's name.
pub fn typed_to_python(py: Python<'_>, t: &counterfoil::typed::Typed) -> PyResult<Py<PyAny>> {
    use counterfoil::typed::Typed;
    use pyo3::types::{PyDict, PyList};
    let decimal = |text: String| -> PyResult<Py<PyAny>> {
        Ok(py.import("decimal")?.getattr("Decimal")?.call1((text,))?.unbind())
    };
    Ok(match t {
        Typed::Null => py.None(),
        Typed::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Typed::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Typed::Float(f) => f.into_pyobject(py)?.into_any().unbind(),
        Typed::Money(m) => decimal(counterfoil::money::format_mantissa(*m))?,
        Typed::Decimal(d) => decimal(d.normalize().to_string())?,
        Typed::Date(d) => d.into_pyobject(py)?.into_any().unbind(),
        Typed::Text(s) => s.into_pyobject(py)?.into_any().unbind(),
        Typed::List(v) => {
            let items = v.iter().map(|x| typed_to_python(py, x)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        Typed::Map(kv) => {
            let d = PyDict::new(py);
            for (k, v) in kv {
                d.set_item(k, typed_to_python(py, v)?)?;
            }
            d.into_any().unbind()
        }
    })
}
