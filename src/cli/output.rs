//! Writing frames as table, CSV, JSON or Parquet: data to stdout or `--out`, never a float.
//!
//! JSON is records with money as decimal strings in USD, timestamps RFC 3339, dates
//! `YYYY-MM-DD`, nulls as null. The table shows the default workspace (a null `workspace_id`) as
//! "Default" and prints every row: it is for people, so nothing is elided.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;

use chrono::{DateTime, NaiveDate};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use polars::prelude::*;
use polars_io::SerWriter;
use polars_io::csv::write::CsvWriter;
use polars_io::parquet::write::ParquetWriter;
use serde_json::Value;

use super::args::Format;
use crate::error::{Error, Result, io_err};
use crate::money::format_scaled;

/// Writes `df` in `format` to `out` (a file) or `stdout`.
/// `default_workspace`: whether a null `workspace_id` means the default workspace (the frame was
/// grouped by workspace) rather than "all workspaces".
pub fn write_frame(
    df: &mut DataFrame,
    format: Format,
    out: Option<&Path>,
    stdout: &mut dyn Write,
    default_workspace: bool,
) -> Result<()> {
    match out {
        Some(path) => {
            let mut f = File::create(path).map_err(io_err(path.display()))?;
            write_to(df, format, &mut f, default_workspace)?;
            f.sync_all().map_err(io_err(path.display()))
        }
        None => {
            if format == Format::Parquet && std::io::stdout().is_terminal() {
                return Err(Error::input_hint("refusing to write Parquet to a terminal", "add --out FILE.parquet"));
            }
            write_to(df, format, stdout, default_workspace)
        }
    }
}

fn write_to(df: &mut DataFrame, format: Format, w: &mut dyn Write, default_workspace: bool) -> Result<()> {
    let io = |e: std::io::Error| Error::Io { path: "<output>".into(), source: e };
    match format {
        Format::Table => writeln!(w, "{}", table(df, default_workspace)).map_err(io),
        Format::Csv => Ok(CsvWriter::new(w).include_header(true).finish(df)?),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, &records(df)?).map_err(|e| io(e.into()))?;
            writeln!(w).map_err(io)
        }
        Format::Parquet => {
            ParquetWriter::new(w).finish(df)?;
            Ok(())
        }
    }
}

/// One JSON object per row.
pub fn records(df: &DataFrame) -> Result<Vec<Value>> {
    let columns = df.columns();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut obj = serde_json::Map::with_capacity(columns.len());
        for c in columns {
            obj.insert(c.name().to_string(), cell_json(c.get(i)?));
        }
        out.push(Value::Object(obj));
    }
    Ok(out)
}

/// A cell as JSON: decimals as exact strings, never floats.
pub fn cell_json(v: AnyValue<'_>) -> Value {
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(b),
        AnyValue::Int64(n) => Value::from(n),
        AnyValue::Int32(n) => Value::from(n),
        AnyValue::UInt32(n) => Value::from(n),
        AnyValue::UInt64(n) => Value::from(n),
        other => match cell_text(&other) {
            Some(s) => Value::String(s),
            None => Value::Null,
        },
    }
}

/// A cell as text; `None` for null.
pub fn cell_text(v: &AnyValue<'_>) -> Option<String> {
    Some(match v {
        AnyValue::Null => return None,
        AnyValue::String(s) => (*s).to_owned(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Decimal(m, _, scale) => format_scaled(*m, *scale),
        AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => {
            let micros = match unit {
                TimeUnit::Nanoseconds => t / 1000,
                TimeUnit::Microseconds => *t,
                TimeUnit::Milliseconds => t * 1000,
            };
            DateTime::from_timestamp_micros(micros).map(crate::window::fmt_rfc3339).unwrap_or_default()
        }
        AnyValue::Date(d) => {
            (NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(*d as i64)).to_string()
        }
        other => other.to_string(),
    })
}

/// A human table of the whole frame.
pub fn table(df: &DataFrame, default_workspace: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(df.get_column_names().iter().map(|n| n.to_string()));
    for i in 0..df.height() {
        let row: Vec<String> = df
            .columns()
            .iter()
            .map(|c| {
                let v = c.get(i).unwrap_or(AnyValue::Null);
                match cell_text(&v) {
                    Some(s) => s,
                    None if default_workspace && c.name().as_str() == "workspace_id" => "Default".to_owned(),
                    None => String::new(),
                }
            })
            .collect();
        t.add_row(row);
    }
    t
}
