//! The store's own encoding of a row, for the content hash that decides writes and restatements.
//!
//! It must not change when the report's display formatting does (a new way of showing a Decimal
//! would make every stored day look restated), and it must be the same for a day just fetched and
//! the same day read back from Parquet. So it encodes each cell's *value* in a fixed,
//! self-delimiting form: money as its scale-12 mantissa, instants as UTC microseconds, strings
//! length-prefixed. `ENCODING` names this form in `state.json`; a change to it is a new name.

use polars::prelude::*;

use crate::error::{Error, Result};

/// The name of this encoding, recorded in `state.json` (`hash_encoding`).
pub const ENCODING: &str = "counterfoil.rows/2";

/// Appends the canonical bytes of one cell to `out`.
pub fn push_cell(v: &AnyValue<'_>, out: &mut String) -> Result<()> {
    use std::fmt::Write;
    let _ = match v {
        AnyValue::Null => write!(out, "n"),
        AnyValue::Boolean(b) => write!(out, "b{}", u8::from(*b)),
        AnyValue::Int8(i) => write!(out, "i{i}"),
        AnyValue::Int16(i) => write!(out, "i{i}"),
        AnyValue::Int32(i) => write!(out, "i{i}"),
        AnyValue::Int64(i) => write!(out, "i{i}"),
        AnyValue::UInt8(i) => write!(out, "i{i}"),
        AnyValue::UInt16(i) => write!(out, "i{i}"),
        AnyValue::UInt32(i) => write!(out, "i{i}"),
        AnyValue::UInt64(i) => write!(out, "i{i}"),
        AnyValue::Decimal(m, _, scale) => {
            let m = crate::money::to_scale_12(*m, *scale)
                .ok_or_else(|| Error::Internal(format!("a stored amount at scale {scale} does not fit scale 12")))?;
            write!(out, "d{m}")
        }
        AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => {
            let micros = match unit {
                TimeUnit::Nanoseconds => t.div_euclid(1000),
                TimeUnit::Microseconds => *t,
                TimeUnit::Milliseconds => t.saturating_mul(1000),
            };
            write!(out, "t{micros}")
        }
        AnyValue::Date(d) => write!(out, "D{d}"),
        AnyValue::String(s) => write!(out, "s{}:{s}", s.len()),
        AnyValue::StringOwned(s) => write!(out, "s{}:{s}", s.len()),
        other => {
            return Err(Error::Internal(format!("the store cannot hash a {} value", other.dtype())));
        }
    };
    out.push('|');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: AnyValue<'_>) -> String {
        let mut s = String::new();
        push_cell(&v, &mut s).unwrap();
        s
    }

    #[test]
    fn values_not_their_display() {
        // The same amount at two scales is one value; 1.5 USD is 1.5 × 10¹² at scale 12.
        assert_eq!(enc(AnyValue::Decimal(15, 38, 1)), "d1500000000000|");
        assert_eq!(enc(AnyValue::Decimal(1_500_000_000_000, 38, 12)), "d1500000000000|");
        // An instant in any unit is its microseconds.
        let us = AnyValue::Datetime(1_700_000_000_000_000, TimeUnit::Microseconds, None);
        let ns = AnyValue::Datetime(1_700_000_000_000_000_000, TimeUnit::Nanoseconds, None);
        assert_eq!(enc(us), enc(ns));
        // Strings cannot run into the next cell, and null is not the empty string.
        assert_eq!(enc(AnyValue::String("a|b")), "s3:a|b|");
        assert_ne!(enc(AnyValue::String("")), enc(AnyValue::Null));
        assert_eq!(enc(AnyValue::Int64(-7)), "i-7|");
    }
}
