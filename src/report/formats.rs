//! Writing frames as table, CSV, JSON or Parquet: data to stdout or a file, never a float.
//!
//! JSON is records with money as decimal strings in USD, timestamps RFC 3339 with `Z`, dates
//! `YYYY-MM-DD`, nulls as null, keys in column (contract) order. CSV uses the same cell texts, so
//! a timestamp keeps its zone and an amount its every digit. The table shows the default workspace
//! (a null `workspace_id`) as "Default" and prints every row: it is for people, so nothing is
//! elided. The CLI and the Python bindings both write through here.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, NaiveDate};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use polars::prelude::*;
use polars_io::parquet::write::ParquetWriter;
use serde_json::Value;

use crate::error::{Error, Result, io_err};
use crate::money::format_scaled;

/// The formats every frame can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Parquet,
}

/// Writes `df` in `format` to the file the user named (`fsio::write_output`: regular files atomically).
pub fn write_frame_file(df: &mut DataFrame, format: Format, out: &Path, default_workspace: bool) -> Result<()> {
    crate::fsio::write_output(out, |w| write_frame(df, format, w, default_workspace))
}

/// Writes `df` in `format` to `w`.
/// `default_workspace`: whether a null `workspace_id` means the default workspace (the frame was
/// grouped by workspace) rather than "all workspaces".
pub fn write_frame(df: &mut DataFrame, format: Format, w: &mut dyn Write, default_workspace: bool) -> Result<()> {
    let io = io_err("<output>");
    match format {
        Format::Table => writeln!(w, "{}", table_text(df, default_workspace)).map_err(io),
        Format::Csv => write_csv(df, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, &records(df)?)
                .map_err(|e| Error::Io { path: "<output>".into(), source: e.into() })?;
            writeln!(w).map_err(io)
        }
        Format::Parquet => {
            ParquetWriter::new(w).finish(df).map_err(crate::error::polars_io("<output>"))?;
            Ok(())
        }
    }
}

/// CSV (RFC 4180) with the same cell texts as JSON: exact decimals, `…Z` timestamps.
fn write_csv(df: &DataFrame, w: &mut dyn Write) -> Result<()> {
    write_csv_cells(df, w, &cell_text)
}

/// CSV (RFC 4180) with `cell` giving each cell's text (`None`: empty).
pub fn write_csv_cells(
    df: &DataFrame,
    w: &mut dyn Write,
    cell: &dyn Fn(&AnyValue<'_>) -> Option<String>,
) -> Result<()> {
    let io = || io_err("<output>");
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
    };
    let header: Vec<String> = df.get_column_names().iter().map(|n| quote(n)).collect();
    writeln!(w, "{}", header.join(",")).map_err(io())?;
    let columns = df.columns();
    let mut line = String::new();
    for i in 0..df.height() {
        line.clear();
        for (j, c) in columns.iter().enumerate() {
            if j > 0 {
                line.push(',');
            }
            if let Some(s) = cell(&c.get(i)?) {
                line.push_str(&quote(&s));
            }
        }
        writeln!(w, "{line}").map_err(io())?;
    }
    Ok(())
}

/// One JSON object per row, keys in column order.
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

/// A cell as text; `None` for null. Floats (only ever ratios, never money) print as Rust does.
pub fn cell_text(v: &AnyValue<'_>) -> Option<String> {
    Some(match v {
        AnyValue::Null => return None,
        AnyValue::String(s) => (*s).to_owned(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Decimal(m, _, scale) => format_scaled(*m, *scale),
        AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => {
            let micros = match unit {
                TimeUnit::Nanoseconds => t.div_euclid(1000),
                TimeUnit::Microseconds => *t,
                TimeUnit::Milliseconds => t.saturating_mul(1000),
            };
            DateTime::from_timestamp_micros(micros).map(crate::window::fmt_rfc3339).unwrap_or_default()
        }
        AnyValue::Date(d) => {
            (NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(*d as i64)).to_string()
        }
        other => other.to_string(),
    })
}

/// The table for `--format table`: on a terminal, only the leading columns that fit its width,
/// and a line naming the others (piped, every column, for tools that read it).
fn table_text(df: &DataFrame, default_workspace: bool) -> String {
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return table(df, default_workspace).to_string();
    }
    let width = super::wrap::terminal_width();
    // Columns with no value at all (dimensions not grouped by) are named, not drawn.
    let (empty, mut full): (Vec<&Column>, Vec<&Column>) =
        df.columns().iter().partition(|c| c.null_count() == df.height() && df.height() > 0);
    // `bucket_end` is `bucket_start` plus the width: drawn last, so a narrow terminal shows the
    // dimensions that tell rows apart before it (a stable sort keeps the rest in order).
    full.sort_by_key(|c| c.name().as_str() == "bucket_end");
    let text = |c: &Column, i: usize| cell_text(&c.get(i).unwrap_or(AnyValue::Null)).map_or(0, |s| s.chars().count());
    let mut used = 1;
    let mut keep = 0;
    for c in &full {
        let w = (0..df.height()).map(|i| text(c, i)).max().unwrap_or(0).max(c.name().chars().count()) + 3;
        if used + w > width && keep > 0 {
            break;
        }
        used += w;
        keep += 1;
    }
    // Drawn in the frame's order; `full` only decided which fit.
    let shown_names: Vec<&str> = full.iter().take(keep).map(|c| c.name().as_str()).collect();
    let names: Vec<PlSmallStr> =
        df.get_column_names().into_iter().filter(|n| shown_names.contains(&n.as_str())).cloned().collect();
    let shown = df.select(names).unwrap_or_else(|_| df.clone());
    let mut out = table(&shown, default_workspace).to_string();
    let rest: Vec<&str> = full.iter().skip(keep).map(|c| c.name().as_str()).collect();
    let mut notes = Vec::new();
    if !rest.is_empty() {
        notes.push(format!(
            "{} more column{}: {}",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" },
            rest.join(", ")
        ));
    }
    if !empty.is_empty() {
        let names: Vec<&str> = empty.iter().map(|c| c.name().as_str()).collect();
        notes.push(format!("empty: {}", names.join(", ")));
    }
    if !notes.is_empty() {
        let note = format!("{}. --format csv or json shows every column.", notes.join("; "));
        out.push('\n');
        out.push_str(super::wrap::hanging("", 0, &note, width).trim_end());
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_keeps_zones_and_digits_and_quotes() {
        let df = DataFrame::new(
            1,
            vec![
                crate::frames::columns::datetime("t", vec![Some(1_700_000_000_000_000)]),
                crate::frames::columns::money("usd", vec![Some(547_020_000_000)]).unwrap(),
                crate::frames::columns::text("d", vec![Some("a, \"b\"".into())]),
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        write_frame(&mut df.clone(), Format::Csv, &mut out, false).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "t,usd,d\n2023-11-14T22:13:20Z,0.54702,\"a, \"\"b\"\"\"\n");
    }
}
