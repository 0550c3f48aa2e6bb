//! The column checks of the one validation step (`normalize`): each takes a column by name, refuses
//! what cannot be read without a guess (naming the column and the first offending row), and
//! returns it in its normalised dtype.

use polars::prelude::*;

use super::columns::datetime_dtype;
use crate::error::{Error, Result};
use crate::money::{MAX_MANTISSA, MONEY_SCALE, format_scaled};

fn bad(message: String, hint: &str) -> Error {
    Error::input_hint(message, hint)
}

/// The first row where `mask` is true.
fn first(mask: &BooleanChunked) -> usize {
    mask.iter().position(|b| b == Some(true)).unwrap_or(0)
}

fn no_nulls(c: &Column, frame: &str, what: &str) -> Result<()> {
    if c.null_count() > 0 {
        let row = first(&c.is_null());
        return Err(bad(
            format!("{frame} column {:?} is null in row {row} (0-based); {what}", c.name().as_str()),
            "drop or fill those rows explicitly before handing the frame over",
        ));
    }
    Ok(())
}

/// A timestamp column as `Datetime(us, UTC)`: any unit, any zone (the instant is kept; days are
/// UTC days), or `Date` (midnight UTC). Naive datetimes are refused: their zone is a guess.
pub(super) fn instant(df: &DataFrame, name: &str, frame: &str, required: bool) -> Result<Column> {
    let Ok(c) = df.column(name) else {
        if required {
            return Err(bad(
                format!("the {frame} frame has no column {name:?}"),
                "pass the frame as AdminClient returns it",
            ));
        }
        return Ok(Column::full_null(name.into(), df.height(), &datetime_dtype()));
    };
    let micros: Int64Chunked = match c.dtype() {
        DataType::Datetime(_, None) => {
            return Err(bad(
                format!("{frame} column {name:?} is a naive Datetime: its time zone is unknown"),
                &format!("attach the zone it was recorded in, e.g. pl.col({name:?}).dt.replace_time_zone(\"UTC\")"),
            ));
        }
        DataType::Datetime(unit, Some(_)) => {
            // Zoned datetimes store UTC instants: the physical values are already UTC.
            let phys = c.as_materialized_series().to_physical_repr().i64()?.clone();
            match unit {
                TimeUnit::Microseconds => phys,
                TimeUnit::Milliseconds => {
                    let scaled: Int64Chunked = phys.apply_values(|v| v.saturating_mul(1000));
                    if let Some(row) = phys.iter().position(|v| v.is_some_and(|v| v.checked_mul(1000).is_none())) {
                        return Err(bad(format!("{frame} column {name:?} is out of range in row {row}"), ""));
                    }
                    scaled
                }
                TimeUnit::Nanoseconds => {
                    if let Some(row) = phys.iter().position(|v| v.is_some_and(|v| v % 1000 != 0)) {
                        return Err(bad(
                            format!(
                                "{frame} column {name:?} has sub-microsecond digits in row {row}; refusing to truncate"
                            ),
                            "bucket boundaries are whole hours or days",
                        ));
                    }
                    phys.apply_values(|v| v / 1000)
                }
            }
        }
        DataType::Null => Int64Chunked::full_null(name.into(), c.len()),
        DataType::Date => {
            let days = c.as_materialized_series().to_physical_repr().i32()?.clone();
            days.iter().map(|d| d.map(|d| d as i64 * 86_400_000_000)).collect()
        }
        other => {
            return Err(bad(
                format!("{frame} column {name:?} is {other}, expected a Datetime with a time zone"),
                "use Datetime(\"us\", \"UTC\") as AdminClient returns it",
            ));
        }
    };
    let out = micros.with_name(name.into()).into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)).into_column();
    if required {
        no_nulls(&out, frame, "every row needs its bucket")?;
    }
    Ok(out)
}

/// A count column as non-null, non-negative `Int64` (any integer type is accepted).
pub(super) fn count(df: &DataFrame, name: &str) -> Result<Column> {
    let Ok(c) = df.column(name) else {
        return Err(bad(
            format!("the usage frame has no column {name:?}; a missing count is never assumed to be 0"),
            "pass the frame as AdminClient.usage() returns it",
        ));
    };
    no_nulls(c, "usage", "a missing count is never read as 0")?;
    let c = match c.dtype() {
        DataType::Int64 => c.clone(),
        DataType::UInt64 => {
            let u = c.u64()?;
            if let Some(row) = u.iter().position(|v| v.is_some_and(|v| v > i64::MAX as u64)) {
                return Err(bad(
                    format!("usage column {name:?} is beyond Int64 in row {row}; refusing to clamp it"),
                    "",
                ));
            }
            c.cast(&DataType::Int64)?
        }
        d if d.is_integer() => c.cast(&DataType::Int64)?,
        other => {
            return Err(bad(
                format!("usage column {name:?} is {other}; token and request counts must be integers"),
                &format!("cast it: pl.col({name:?}).cast(pl.Int64), after checking no value has a fraction"),
            ));
        }
    };
    let ints = c.i64()?;
    if any_negative(ints) {
        let row = ints.iter().position(|v| v.is_some_and(|v| v < 0)).unwrap_or(0);
        return Err(bad(
            format!("usage column {name:?} is negative ({}) in row {row}", ints.get(row).unwrap_or_default()),
            "counts cannot be negative",
        ));
    }
    Ok(c)
}

/// Whether any non-null value is negative: one pass per chunk that the compiler vectorises
/// (Polars' generic `min` kernel took 90 ms per 10M-row column in this build).
fn any_negative(c: &Int64Chunked) -> bool {
    c.downcast_iter().any(|a| match a.validity() {
        None => a.values().iter().fold(false, |acc, &v| acc | (v < 0)),
        Some(_) => a.iter().any(|v| v.is_some_and(|&v| v < 0)),
    })
}

/// A dimension as `String`; absent means "not grouped by" (all null).
pub(super) fn dimension(df: &DataFrame, name: &str, frame: &str) -> Result<Column> {
    let Ok(c) = df.column(name) else {
        return Ok(Column::full_null(name.into(), df.height(), &DataType::String));
    };
    match c.dtype() {
        DataType::String => Ok(c.clone()),
        DataType::Null => Ok(c.cast(&DataType::String)?),
        other => Err(bad(
            format!("{frame} column {name:?} is {other}, expected String"),
            "dimension values are strings as the API returns them",
        )),
    }
}

/// `amount_usd` as non-null `Decimal(38, 12)`; more than 12 decimals in a value is refused.
pub(super) fn amount(df: &DataFrame, name: &str) -> Result<Column> {
    let Ok(c) = df.column(name) else {
        return Err(bad(
            format!("the cost frame has no column {name:?}"),
            "pass the frame as AdminClient.cost() returns it",
        ));
    };
    let scale = match c.dtype() {
        DataType::Decimal(_, scale) => *scale,
        DataType::Float32 | DataType::Float64 => {
            return Err(bad(
                format!("cost column {name:?} is {}: a float cannot hold money exactly", c.dtype()),
                "read amounts as Decimal, e.g. schema_overrides={\"amount_usd\": pl.Decimal(38, 12)} (USD, not cents)",
            ));
        }
        other => {
            return Err(bad(
                format!("cost column {name:?} is {other}, expected Decimal (USD)"),
                "cast it with pl.col(\"amount_usd\").cast(pl.Decimal(38, 12)); amounts are USD, not cents",
            ));
        }
    };
    no_nulls(c, "cost", "a missing amount is never read as 0")?;
    if scale == MONEY_SCALE as usize && matches!(c.dtype(), DataType::Decimal(38, _)) {
        return Ok(c.clone());
    }
    let dec = c.decimal()?;
    let phys = dec.physical();
    let mut out = Vec::with_capacity(phys.len());
    for (row, m) in phys.iter().enumerate() {
        let m = m.unwrap_or(0);
        let scaled = crate::money::to_scale_12(m, scale).filter(|v| v.unsigned_abs() <= MAX_MANTISSA as u128);
        match scaled {
            Some(v) => out.push(Some(v)),
            None => {
                return Err(bad(
                    format!(
                        "cost column {name:?} holds {} in row {row}: more than 12 decimal places or 26 integer digits; refusing to round it",
                        format_scaled(m, scale)
                    ),
                    "",
                ));
            }
        }
    }
    super::columns::money(name, out)
}

pub(super) fn currency(df: &DataFrame) -> Result<Column> {
    let Ok(_) = df.column("currency") else {
        return Ok(Column::new_scalar("currency".into(), Scalar::new(DataType::String, "USD".into()), df.height()));
    };
    let c = dimension(df, "currency", "cost")?;
    if let Some(row) = c.str()?.iter().position(|v| v.is_some_and(|v| !v.eq_ignore_ascii_case("USD"))) {
        return Err(bad(
            format!(
                "cost column \"currency\" is {:?} in row {row}; amount_usd must be USD",
                c.str()?.get(row).unwrap_or("")
            ),
            "",
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_count_is_found_in_any_chunk_with_or_without_nulls() {
        let mut c = Int64Chunked::from_vec("c".into(), vec![1, 2, 3]);
        assert!(!any_negative(&c));
        c.append(&Int64Chunked::from_slice_options("c".into(), &[None, Some(4)])).unwrap();
        assert!(!any_negative(&c));
        c.append(&Int64Chunked::from_vec("c".into(), vec![5, -1, 6])).unwrap();
        assert_eq!(c.chunks().len(), 3);
        assert!(any_negative(&c));
        assert!(any_negative(&Int64Chunked::from_slice_options("c".into(), &[None, Some(-7)])));
    }
}
