//! Writing a reconciliation for people and machines: JSON, a terminal report, an HTML report.
//!
//! JSON is `{"window", "summary", "findings", "lines"}` with money as decimal strings in USD
//! (DESIGN §5). CSV and Parquet are the `lines` frame itself (see [`formats`]). For people, money
//! is shown in cents in prose, summaries and roll-ups, and exactly in the line tables (and on
//! hover in HTML); every token type has one label everywhere (`reconcile::labels`).

pub mod cloud;
pub mod focus;
pub mod formats;
mod html;
pub mod spend;
pub mod svg;
mod text;
pub mod wrap;

pub use formats::Format;
pub use html::{html, notebook};
pub use text::{stderr_summary, text_summary};

use formats::records;
use polars::prelude::{AnyValue, DataFrame};
use serde_json::{Value, json};

use crate::error::Result;
use crate::money::{cents_usd, exact_usd, signed_cents_usd, to_scale_12};
use crate::reconcile::Reconciliation;

/// The JSON document of `reconcile --format json`.
pub fn json(rec: &Reconciliation) -> Result<Value> {
    Ok(json!({
        "window": rec.summary.window_json(),
        "summary": rec.summary.to_json(),
        "findings": records(&rec.findings_frame()?)?,
        "lines": records(&rec.lines)?,
    }))
}

/// A money cell of a frame as a scale-12 mantissa, or `None` when null.
pub fn money_of(df: &DataFrame, column: &str, row: usize) -> Option<i128> {
    match df.column(column).and_then(|c| c.get(row)) {
        Ok(AnyValue::Decimal(m, _, scale)) => to_scale_12(m, scale),
        _ => None,
    }
}

/// A money cell in cents (`+$1.23` when `signed`), or "—" when null.
pub fn cents_cell(df: &DataFrame, column: &str, row: usize, signed: bool) -> String {
    match money_of(df, column, row) {
        Some(m) if signed => signed_cents_usd(m),
        Some(m) => cents_usd(m),
        None => "—".to_owned(),
    }
}

/// A money cell exactly, or "—" when null.
pub fn exact_cell(df: &DataFrame, column: &str, row: usize, signed: bool) -> String {
    match money_of(df, column, row) {
        Some(m) if signed && m > 0 => format!("+{}", exact_usd(m)),
        Some(m) => exact_usd(m),
        None => "—".to_owned(),
    }
}

/// A text cell, "" when null.
pub fn text_cell(df: &DataFrame, column: &str, row: usize) -> String {
    df.column(column).ok().and_then(|c| c.get(row).ok()).and_then(|v| formats::cell_text(&v)).unwrap_or_default()
}
