//! Reading the simulated bills back without the simulator's code: Polars for Parquet and CSV,
//! serde_json for JSON, money from a double's shortest text.
#![allow(dead_code)]

use std::path::Path;
use std::str::FromStr;

use chrono::DateTime;
use polars::prelude::*;
use polars_io::csv::read::CsvReadOptions;
use rust_decimal::Decimal;

pub fn parquet(path: &Path) -> DataFrame {
    polars_io::parquet::read::ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

/// A CSV with every column read as text (nothing inferred).
pub fn csv_strings(bytes: &[u8]) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(std::io::Cursor::new(bytes.to_vec()))
        .finish()
        .unwrap()
}

pub fn texts(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    let c = df.column(col).unwrap_or_else(|_| panic!("no column {col}"));
    c.str().unwrap().iter().map(|s| s.map(str::to_owned)).collect()
}

fn float_column(s: &Series) -> Vec<Option<f64>> {
    s.f64().unwrap().iter().collect()
}

/// A double as the decimal its shortest text spells.
pub fn exact(f: f64) -> Decimal {
    Decimal::from_str(&format!("{f}")).unwrap()
}

pub fn floats(df: &DataFrame, col: &str) -> Vec<Option<Decimal>> {
    float_column(df.column(col).unwrap().as_materialized_series()).into_iter().map(|f| f.map(exact)).collect()
}

pub fn float_texts(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    float_column(df.column(col).unwrap().as_materialized_series())
        .into_iter()
        .map(|f| f.map(|f| format!("{f}")))
        .collect()
}

/// A timestamp column as `2026-11-03T04:00:00Z`.
pub fn time_texts(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    let us = df.column(col).unwrap().cast(&DataType::Int64).unwrap();
    us.i64()
        .unwrap()
        .iter()
        .map(|v| v.map(|v| DateTime::from_timestamp_micros(v).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()))
        .collect()
}

fn field(df: &DataFrame, record: &str, name: &str) -> Series {
    df.column(record).unwrap().struct_().unwrap().field_by_name(name).unwrap()
}

pub fn struct_texts(df: &DataFrame, record: &str, name: &str) -> Vec<Option<String>> {
    field(df, record, name).str().unwrap().iter().map(|s| s.map(str::to_owned)).collect()
}

pub fn struct_floats(df: &DataFrame, record: &str, name: &str) -> Vec<Option<Decimal>> {
    float_column(&field(df, record, name)).into_iter().map(|f| f.map(exact)).collect()
}

pub fn struct_float_texts(df: &DataFrame, record: &str, name: &str) -> Vec<Option<String>> {
    float_column(&field(df, record, name)).into_iter().map(|f| f.map(|f| format!("{f}"))).collect()
}

/// The value of `key` in each row of a `List(Struct{key, value})` column.
pub fn map_values(df: &DataFrame, col: &str, key: &str) -> Vec<Option<String>> {
    let lists = df.column(col).unwrap().list().unwrap().clone();
    (0..lists.len())
        .map(|i| {
            let entries = lists.get_as_series(i)?;
            let s = entries.struct_().unwrap();
            let (k, v) = (s.field_by_name("key").unwrap(), s.field_by_name("value").unwrap());
            let (k, v) = (k.str().unwrap().clone(), v.str().unwrap().clone());
            k.iter().zip(v.iter()).find(|(k, _)| *k == Some(key)).and_then(|(_, v)| v.map(str::to_owned))
        })
        .collect()
}

/// The value of `key` in each row of a column of JSON object text.
pub fn json_values(df: &DataFrame, col: &str, key: &str) -> Vec<Option<String>> {
    texts(df, col)
        .into_iter()
        .map(|t| {
            let v: serde_json::Value = serde_json::from_str(&t?).unwrap();
            v.get(key).map(|x| x.as_str().unwrap().to_owned())
        })
        .collect()
}

/// A JSON scalar as the text a CSV would hold (numbers in their shortest form).
pub fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(format!("{}", n.as_f64().unwrap())),
        other => Some(other.to_string()),
    }
}
