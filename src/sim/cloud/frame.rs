//! Cells, columns and Parquet files for the bill writers: one typed cell per value, turned into
//! a Polars column for Parquet or into text for CSV and JSON, so every spelling of a row is
//! written from the same values.
//!
//! Map columns (CUR 2.0 `product`, `resource_tags`) are written as `List(Struct{key, value})`,
//! the shape Polars reads a Parquet `MAP<string,string>` as; repeated records (GCP `labels`,
//! `credits`) as lists of structs, as BigQuery extracts them.

use std::path::Path;

use chrono::{DateTime, Utc};
use polars::prelude::*;
use polars_io::parquet::write::{ParquetCompression, ParquetWriter};

use super::text::micros;
use crate::error::{Error, Result, polars_io};
use crate::frames::columns::{datetime, text};

/// One value of a bill row.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Text(Option<String>),
    Float(Option<f64>),
    Time(DateTime<Utc>),
    /// Key-value pairs in order (a map, or a repeated {key, value} record).
    Map(Vec<(String, String)>),
}

pub(crate) fn t(s: impl Into<String>) -> Cell {
    Cell::Text(Some(s.into()))
}

pub(crate) fn opt(s: Option<impl Into<String>>) -> Cell {
    Cell::Text(s.map(Into::into))
}

/// A column of `cells` (all of one kind), named `name`.
pub(crate) fn column(name: &str, cells: &[&Cell]) -> Result<Column> {
    let kind = |what: &str| Error::Internal(format!("column {name}: mixed cells, expected {what}"));
    Ok(match cells.first() {
        Some(Cell::Float(_)) => {
            let v = cells.iter().map(|c| if let Cell::Float(f) = c { Ok(*f) } else { Err(kind("floats")) });
            Column::new(name.into(), v.collect::<Result<Vec<_>>>()?)
        }
        Some(Cell::Time(_)) => {
            let v = cells.iter().map(|c| if let Cell::Time(t) = c { Ok(Some(micros(*t))) } else { Err(kind("times")) });
            datetime(name, v.collect::<Result<_>>()?)
        }
        Some(Cell::Map(_)) => {
            let v = cells.iter().map(|c| if let Cell::Map(m) = c { Ok(m.clone()) } else { Err(kind("maps")) });
            key_values(name, &v.collect::<Result<Vec<_>>>()?)?
        }
        _ => {
            let v = cells.iter().map(|c| if let Cell::Text(s) = c { Ok(s.clone()) } else { Err(kind("text")) });
            text(name, v.collect::<Result<_>>()?)
        }
    })
}

/// `List(Struct{key, value})`, one list per row.
pub(crate) fn key_values(name: &str, rows: &[Vec<(String, String)>]) -> Result<Column> {
    let keys: Vec<&str> = rows.iter().flatten().map(|(k, _)| k.as_str()).collect();
    let values: Vec<&str> = rows.iter().flatten().map(|(_, v)| v.as_str()).collect();
    let fields = [Column::new("key".into(), keys), Column::new("value".into(), values)];
    let flat = StructChunked::from_columns("".into(), fields[0].len(), &fields)?.into_series();
    list_of(name, &flat, rows.iter().map(Vec::len))
}

/// Slices `flat` into one list per row of the given lengths.
pub(crate) fn list_of(name: &str, flat: &Series, lengths: impl Iterator<Item = usize>) -> Result<Column> {
    let mut offset = 0i64;
    let lists: ListChunked = lengths
        .map(|n| {
            let s = flat.slice(offset, n);
            offset += n as i64;
            Some(s)
        })
        .collect();
    Ok(lists.with_name(name.into()).into_column())
}

/// A struct column from its fields (all of the frame's height).
pub(crate) fn record(name: &str, height: usize, fields: &[Column]) -> Result<Column> {
    Ok(StructChunked::from_columns(name.into(), height, fields)?.into_column())
}

/// Writes `columns` as a Snappy Parquet file.
pub(crate) fn write_parquet(path: &Path, columns: Vec<Column>) -> Result<()> {
    let height = columns.first().map_or(0, Column::len);
    let mut df = DataFrame::new(height, columns)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(crate::error::io_err(parent.display()))?;
    }
    let file = std::fs::File::create(path).map_err(crate::error::io_err(path.display()))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Snappy)
        .finish(&mut df)
        .map_err(polars_io(path.display()))?;
    Ok(())
}

/// Rows of cells → columns named `names` (every row has one cell per name).
pub(crate) fn columns(names: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<Column>> {
    names.iter().enumerate().map(|(i, name)| column(name, &rows.iter().map(|r| &r[i]).collect::<Vec<_>>())).collect()
}
