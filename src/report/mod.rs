//! Writing a reconciliation for people and machines: JSON, a terminal summary, an HTML report.
//!
//! JSON is `{"window", "summary", "lines"}` with money as decimal strings in USD (DESIGN §5).
//! CSV and Parquet are the `lines` frame itself (see `cli::output`).

pub mod formats;
mod html;
mod svg;
mod text;

pub use formats::Format;
pub use html::html;
pub use text::text_summary;

use serde_json::{Value, json};

use crate::error::Result;
use crate::reconcile::Reconciliation;
use formats::records;

/// The JSON document of `reconcile --format json`.
pub fn json(rec: &Reconciliation) -> Result<Value> {
    Ok(json!({
        "window": rec.summary.window_json(),
        "summary": rec.summary.to_json(),
        "lines": records(&rec.lines)?,
    }))
}

/// "1h write" for `cache_creation.ephemeral_1h_input_tokens`, the cost type for non-token lines.
pub fn short_type(token_type: &str, cost_type: &str) -> String {
    match token_type {
        "" => cost_type.replace('_', " "),
        "uncached_input_tokens" => "input".into(),
        "output_tokens" => "output".into(),
        "cache_read_input_tokens" => "cache read".into(),
        "cache_creation.ephemeral_5m_input_tokens" => "5m cache write".into(),
        "cache_creation.ephemeral_1h_input_tokens" => "1h cache write".into(),
        other => other.into(),
    }
}

/// `$1,234.5678`: grouped thousands, exact digits, at least cents.
pub fn usd(m: i128) -> String {
    let s = crate::money::format_mantissa(m.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = format!("{frac:0<2}");
    format!("{}${grouped}.{frac}", if m < 0 { "-" } else { "" })
}

/// A money cell of a lines frame as `$1.23` (`+$1.23` when `signed`), or "—" when null.
pub fn money_cell(df: &polars::prelude::DataFrame, column: &str, row: usize, signed: bool) -> String {
    use polars::prelude::AnyValue;
    match df.column(column).and_then(|c| c.get(row)) {
        Ok(AnyValue::Decimal(m, _, scale)) => match crate::money::to_scale_12(m, scale) {
            Some(m) if signed => signed_usd(m),
            Some(m) => usd(m),
            None => crate::money::format_scaled(m, scale),
        },
        _ => "—".to_owned(),
    }
}

/// `+$1.23` / `-$1.23` / `$0.00`.
pub fn signed_usd(m: i128) -> String {
    if m > 0 { format!("+{}", usd(m)) } else { usd(m) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_is_exact_and_grouped() {
        assert_eq!(usd(1_234_567_890_000_000), "$1,234.56789");
        assert_eq!(usd(0), "$0.00");
        assert_eq!(usd(-5_000_000_000), "-$0.005");
        assert_eq!(usd(10_000_000_000_000), "$10.00");
        assert_eq!(signed_usd(1), "+$0.000000000001");
    }
}
