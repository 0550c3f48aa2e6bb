//! Frames across the boundary over the Arrow C stream interface (PyCapsule protocol).
//!
//! Out: a small object with `__arrow_c_stream__` handed to `polars.DataFrame(...)`. In: any
//! object with `__arrow_c_stream__` (a polars, pyarrow or duckdb frame). Public protocol only: no
//! private polars API, so any polars ≥ 1.x on the Python side works.

use polars::prelude::*;
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::ffi;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use counterfoil::frames::{FrameKind, check_columns};

use crate::errors::{InputError, to_py};

const STREAM: &std::ffi::CStr = c"arrow_array_stream";

/// Holds a frame until Python polars imports it.
#[pyclass(module = "counterfoil._native", frozen)]
pub struct ArrowStreamExport {
    df: std::sync::Mutex<Option<DataFrame>>,
}

#[pymethods]
impl ArrowStreamExport {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let mut df = self
            .df
            .lock()
            .expect("lock")
            .take()
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("stream already consumed"))?;
        // Aligned chunks travel as one record batch each; only misaligned frames are copied.
        df.align_chunks();
        let fields: Vec<Field> =
            df.columns().iter().map(|c| c.dtype().to_arrow_field(c.name().clone(), CompatLevel::newest())).collect();
        let dtype = ArrowDataType::Struct(fields.clone());
        let chunks = df.columns().first().map(|c| c.as_materialized_series().n_chunks()).unwrap_or(0);
        let mut batches: Vec<PolarsResult<Box<dyn Array>>> = Vec::with_capacity(chunks.max(1));
        for i in 0..chunks {
            let arrays: Vec<Box<dyn Array>> =
                df.columns().iter().map(|c| c.as_materialized_series().to_arrow(i, CompatLevel::newest())).collect();
            let len = arrays.first().map(|a| a.len()).unwrap_or(0);
            batches.push(Ok(Box::new(StructArray::new(dtype.clone(), len, arrays, None))));
        }
        let field = Field::new("".into(), dtype, false);
        let stream = ffi::export_iterator(Box::new(batches.into_iter()), field);
        PyCapsule::new_with_value(py, stream, STREAM)
    }
}

/// A Rust frame as a `polars.DataFrame`.
pub fn to_polars(py: Python<'_>, df: DataFrame) -> PyResult<Py<PyAny>> {
    let export = Py::new(py, ArrowStreamExport { df: std::sync::Mutex::new(Some(df)) })?;
    let polars = py.import("polars")?;
    Ok(polars.getattr("DataFrame")?.call1((export,))?.unbind())
}

/// Any object with `__arrow_c_stream__` (a polars, pyarrow, pandas ≥ 2.2 or duckdb frame) as a
/// Rust frame; anything else is an `InputError` naming the argument.
pub fn from_arrow(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<DataFrame> {
    if !obj.hasattr("__arrow_c_stream__")? {
        let kind = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        return Err(InputError::new_err(format!(
            "{what} must be a polars DataFrame or LazyFrame (or any frame with __arrow_c_stream__), got {kind}"
        )));
    }
    let obj = &strings_for_categoricals(obj)?;
    let read = |o: &Bound<'_, PyAny>| {
        from_stream(o).map_err(|e| InputError::new_err(format!("{what}: cannot read the frame: {}", e.value(o.py()))))
    };
    match chunk_lengths(obj)? {
        // Python polars exports a frame by first rechunking it in place: a copy of every column.
        // A frame in several chunks (read from Parquet, concatenated) is exported chunk by chunk
        // instead, each slice already one chunk, and stays in chunks here.
        Some(lengths) if lengths.len() > 1 => {
            let mut out: Option<DataFrame> = None;
            let mut offset = 0usize;
            for len in lengths {
                let part = read(&obj.call_method1("slice", (offset, len))?)?;
                offset += len;
                match &mut out {
                    None => out = Some(part),
                    Some(acc) => {
                        acc.vstack_mut_owned(part).map_err(|e| InputError::new_err(format!("{what}: {e}")))?;
                    }
                }
            }
            Ok(out.unwrap_or_default())
        }
        _ => read(obj),
    }
}

/// A polars DataFrame with its `Categorical` and `Enum` columns cast to `String` (the same
/// values; counterfoil compares dimensions as text), or `obj` unchanged.
fn strings_for_categoricals<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    let Ok(polars) = py.import("polars") else { return Ok(obj.clone()) };
    if !obj.is_instance(&polars.getattr("DataFrame")?)? {
        return Ok(obj.clone());
    }
    let (cat, en) = (polars.getattr("Categorical")?, polars.getattr("Enum")?);
    let (cat, en) = (cat.cast::<pyo3::types::PyType>()?, en.cast::<pyo3::types::PyType>()?);
    let mut names = Vec::new();
    for item in obj.getattr("schema")?.call_method0("items")?.try_iter()? {
        let (name, dtype): (String, Bound<'_, PyAny>) = item?.extract()?;
        if dtype.is_instance(cat)? || dtype.is_instance(en)? {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Ok(obj.clone());
    }
    let cast = polars.getattr("col")?.call1((names,))?.call_method1("cast", (polars.getattr("String")?,))?;
    obj.call_method1("with_columns", (cast,))
}

/// The chunk lengths shared by every column of a polars DataFrame in several chunks; `None`
/// for anything else (another library's frame, columns chunked differently).
fn chunk_lengths(obj: &Bound<'_, PyAny>) -> PyResult<Option<Vec<usize>>> {
    let py = obj.py();
    let Ok(polars) = py.import("polars") else { return Ok(None) };
    if !obj.is_instance(&polars.getattr("DataFrame")?)? || obj.getattr("width")?.extract::<usize>()? == 0 {
        return Ok(None);
    }
    let mut shared: Option<Vec<usize>> = None;
    for s in obj.call_method0("get_columns")?.try_iter()? {
        let lengths: Vec<usize> = s?.call_method0("chunk_lengths")?.extract()?;
        match &shared {
            None => shared = Some(lengths),
            Some(l) if *l == lengths => {}
            Some(_) => return Ok(None),
        }
    }
    Ok(shared)
}

/// The one way a user's frame comes in: a frame with `__arrow_c_stream__`, or a polars
/// `LazyFrame` collected with only `columns` (those it has; all when `None`) and, given a window,
/// only the rows whose `bucket_start` lies in it: Polars pushes both into the scan, so
/// `pl.scan_parquet(…)` or a store reads no column and no row group it does not need. Either way
/// the columns `kind` requires are checked first (`frames::check_columns`), naming what is missing.
pub fn frame_arg(
    obj: &Bound<'_, PyAny>,
    kind: FrameKind,
    what: &str,
    columns: Option<&[&str]>,
    window: Option<counterfoil::TimeWindow>,
) -> PyResult<DataFrame> {
    let py = obj.py();
    let polars = py.import("polars")?;
    if !obj.is_instance(&polars.getattr("LazyFrame")?)? {
        let df = from_arrow(obj, what)?;
        let names: Vec<&str> = df.get_column_names().into_iter().map(|n| n.as_str()).collect();
        check_columns(kind, what, &names).map_err(to_py)?;
        return Ok(df);
    }
    let schema: Vec<String> = obj.call_method0("collect_schema")?.call_method0("names")?.extract()?;
    let names: Vec<&str> = schema.iter().map(String::as_str).collect();
    check_columns(kind, what, &names).map_err(to_py)?;
    let keep: Vec<&str> = match columns {
        Some(columns) => columns.iter().copied().filter(|c| names.contains(c)).collect(),
        None => names.clone(),
    };
    let mut lazy = obj.call_method1("select", (keep,))?;
    if let Some(w) = window {
        let col = polars.getattr("col")?.call1(("bucket_start",))?;
        let lit =
            |t: chrono::DateTime<chrono::Utc>| -> PyResult<Bound<'_, PyAny>> { polars.getattr("lit")?.call1((t,)) };
        let inside = col
            .call_method1("__ge__", (lit(w.start)?,))?
            .call_method1("__and__", (col.call_method1("__lt__", (lit(w.end)?,))?,))?;
        lazy = lazy.call_method1("filter", (inside,))?;
    }
    let df = lazy
        .call_method0("collect")
        .map_err(|e| InputError::new_err(format!("{what}: cannot collect the LazyFrame: {e}")))?;
    from_arrow(&df, what)
}

fn from_stream(obj: &Bound<'_, PyAny>) -> PyResult<DataFrame> {
    let capsule = obj.call_method0("__arrow_c_stream__")?;
    let capsule = capsule
        .cast::<PyCapsule>()
        .map_err(|_| pyo3::exceptions::PyTypeError::new_err("__arrow_c_stream__ did not return a capsule"))?;
    let ptr = capsule.pointer_checked(Some(STREAM))?.cast::<ffi::ArrowArrayStream>();
    // Take ownership of the stream, leaving a released one behind so the capsule does not free it.
    let stream = unsafe { std::ptr::replace(ptr.as_ptr(), ffi::ArrowArrayStream::empty()) };
    let mut reader = unsafe { ffi::ArrowArrayStreamReader::try_new(Box::new(stream)) }.map_err(to_value_err)?;
    // Polars built without its categorical feature panics on a dictionary-encoded column (a
    // pyarrow dictionary, another library's categorical): refuse it by the schema first.
    if let ArrowDataType::Struct(fields) = &reader.field().dtype
        && let Some(f) = fields.iter().find(|f| matches!(f.dtype, ArrowDataType::Dictionary(..)))
    {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "column {:?} is dictionary-encoded (categorical); cast it to string first",
            f.name.as_str()
        )));
    }
    let mut out: Option<DataFrame> = None;
    while let Some(batch) = unsafe { reader.next() } {
        let batch = batch.map_err(to_value_err)?;
        let st = batch
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("expected a stream of struct arrays"))?;
        let df = DataFrame::try_from(st.clone()).map_err(to_value_err)?;
        match &mut out {
            Some(acc) => {
                acc.vstack_mut(&df).map_err(to_value_err)?;
            }
            None => out = Some(df),
        }
    }
    match out {
        Some(mut df) => {
            df.rechunk_mut_par();
            Ok(df)
        }
        None => {
            // An empty stream still has a schema.
            let ArrowDataType::Struct(fields) = reader.field().dtype.clone() else {
                return Err(pyo3::exceptions::PyTypeError::new_err("expected a struct stream"));
            };
            let st = StructArray::new_empty(ArrowDataType::Struct(fields));
            DataFrame::try_from(st).map_err(to_value_err)
        }
    }
}

fn to_value_err(e: PolarsError) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}
