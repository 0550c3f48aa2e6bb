//! The one validation and normalisation step every frame passes on the way in.
//!
//! Whatever a caller hands over (a frame from the API, from Parquet or a store, from pandas, or
//! built by hand) becomes a [`UsageFrame`] or a [`CostFrame`] here, or an `InputError` naming the
//! column and the first offending row. Afterwards every timestamp is `Datetime(us, UTC)`, every
//! count a non-null, non-negative `Int64`, every amount a non-null `Decimal(38, 12)` and every
//! dimension a `String` (all null when the frame was not grouped by it); chunks stay as they
//! came. Nothing downstream converts, clamps, rounds or guesses, and every entry point (CLI,
//! Python, store, cost model) takes these types, so the rules cannot be skipped.
//!
//! Why refuse instead of coerce: a null count read as 0, a nanosecond timestamp compared with a
//! microsecond bound, or a float dollar rounded to cents each turn into a wrong number that looks
//! right. A clear error costs the user one line of code; a silent one costs them the audit.

use polars::prelude::*;

use super::columns::{datetime_dtype, money_dtype};
use super::cost::COST_COLUMNS;
use super::usage::USAGE_COLUMNS;
use crate::error::{Error, Result};
use crate::money::{MAX_MANTISSA, MONEY_SCALE, format_scaled};

/// A usage frame (DESIGN §3) that passed validation.
#[derive(Debug, Clone)]
pub struct UsageFrame {
    df: DataFrame,
}

/// A cost frame (DESIGN §3) that passed validation.
#[derive(Debug, Clone)]
pub struct CostFrame {
    df: DataFrame,
}

/// The count columns of the usage frame.
pub const COUNT_COLUMNS: [&str; 6] = [
    "uncached_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
    "web_search_requests",
];

impl UsageFrame {
    /// Validates and normalises `df`; the result has exactly the [`USAGE_COLUMNS`], in order.
    pub fn new(df: &DataFrame) -> Result<UsageFrame> {
        let mut columns = Vec::with_capacity(USAGE_COLUMNS.len());
        for name in USAGE_COLUMNS {
            columns.push(match name {
                "bucket_start" => instant(df, name, "usage", true)?,
                "bucket_end" => instant(df, name, "usage", false)?,
                n if COUNT_COLUMNS.contains(&n) => count(df, n)?,
                n => dimension(df, n, "usage")?,
            });
        }
        // Chunks are kept as they came (record batches, store partitions): aggregation reads them
        // in place, and a copy of ten million rows is the slowest thing reconcile could do.
        Ok(UsageFrame { df: DataFrame::new(df.height(), columns)? })
    }

    pub fn df(&self) -> &DataFrame {
        &self.df
    }

    /// Rows of a frame that passed [`UsageFrame::new`] (filtered or sliced, contiguous again).
    pub(crate) fn from_valid(df: DataFrame) -> UsageFrame {
        UsageFrame { df }
    }

    pub fn into_df(self) -> DataFrame {
        self.df
    }

    pub fn height(&self) -> usize {
        self.df.height()
    }
}

impl CostFrame {
    /// Validates and normalises `df`; the result has exactly the [`COST_COLUMNS`], in order.
    pub fn new(df: &DataFrame) -> Result<CostFrame> {
        let mut columns = Vec::with_capacity(COST_COLUMNS.len());
        for name in COST_COLUMNS {
            columns.push(match name {
                "bucket_start" => instant(df, name, "cost", true)?,
                "bucket_end" => instant(df, name, "cost", false)?,
                "amount_usd" => amount(df, name)?,
                "currency" => currency(df)?,
                n => dimension(df, n, "cost")?,
            });
        }
        let mut df = DataFrame::new(df.height(), columns)?;
        df.rechunk_mut_par();
        Ok(CostFrame { df })
    }

    pub fn df(&self) -> &DataFrame {
        &self.df
    }

    /// Rows of a frame that passed [`CostFrame::new`].
    pub(crate) fn from_valid(df: DataFrame) -> CostFrame {
        CostFrame { df }
    }

    pub fn into_df(self) -> DataFrame {
        self.df
    }
}

/// An analytics cost frame (DESIGN §11) that passed the same validation: the columns of
/// [`ANALYTICS_COST_COLUMNS`], amounts and list amounts exact and non-null, currency USD.
#[derive(Debug, Clone)]
pub struct AnalyticsCostFrame {
    df: DataFrame,
}

/// The analytics cost columns reconciliation reads (dimensions absent from a frame are null).
pub const ANALYTICS_COST_COLUMNS: [&str; 14] = [
    "bucket_start",
    "bucket_end",
    "workspace_id",
    "api_key_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "speed",
    "cost_type",
    "token_type",
    "amount_usd",
    "list_amount_usd",
    "currency",
];

impl AnalyticsCostFrame {
    /// Validates and normalises `df` (bucketed by day: `bucket_start` is required and non-null).
    pub fn new(df: &DataFrame) -> Result<AnalyticsCostFrame> {
        let mut columns = Vec::with_capacity(ANALYTICS_COST_COLUMNS.len());
        for name in ANALYTICS_COST_COLUMNS {
            columns.push(match name {
                "bucket_start" => instant(df, name, "analytics cost", true)?,
                "bucket_end" => instant(df, name, "analytics cost", false)?,
                "amount_usd" | "list_amount_usd" => amount(df, name)?,
                "currency" => currency(df)?,
                n => dimension(df, n, "analytics cost")?,
            });
        }
        let mut df = DataFrame::new(df.height(), columns)?;
        df.rechunk_mut_par();
        Ok(AnalyticsCostFrame { df })
    }

    pub fn df(&self) -> &DataFrame {
        &self.df
    }

    pub(crate) fn from_valid(df: DataFrame) -> AnalyticsCostFrame {
        AnalyticsCostFrame { df }
    }
}

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
fn instant(df: &DataFrame, name: &str, frame: &str, required: bool) -> Result<Column> {
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
fn count(df: &DataFrame, name: &str) -> Result<Column> {
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
fn dimension(df: &DataFrame, name: &str, frame: &str) -> Result<Column> {
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
fn amount(df: &DataFrame, name: &str) -> Result<Column> {
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

fn currency(df: &DataFrame) -> Result<Column> {
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

impl From<UsageFrame> for DataFrame {
    fn from(u: UsageFrame) -> DataFrame {
        u.df
    }
}

/// The normalised dtype of a money column, for callers that build frames.
pub fn money_type() -> DataType {
    money_dtype()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(extra: Vec<Column>) -> DataFrame {
        let n = 2;
        let mut cols = vec![crate::frames::columns::datetime("bucket_start", vec![Some(1_000_000), Some(2_000_000)])];
        for c in COUNT_COLUMNS {
            if !extra.iter().any(|e| e.name().as_str() == c) {
                cols.push(Column::new(c.into(), [1i64, 2]));
            }
        }
        cols.extend(extra);
        DataFrame::new(n, cols).unwrap()
    }

    fn err(df: DataFrame) -> String {
        let e = UsageFrame::new(&df).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        e.to_string()
    }

    #[test]
    fn absent_dimensions_are_null_strings_and_columns_are_in_contract_order() {
        let u = UsageFrame::new(&usage(vec![])).unwrap();
        assert_eq!(u.df().get_column_names().iter().map(|c| c.as_str()).collect::<Vec<_>>(), USAGE_COLUMNS);
        assert_eq!(u.df().column("model").unwrap().null_count(), 2);
        assert_eq!(u.df().column("bucket_start").unwrap().dtype(), &datetime_dtype());
    }

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

    #[test]
    fn refusals_name_the_column_and_row() {
        let nulls = Column::new("output_tokens".into(), [Some(1i64), None]);
        assert!(err(usage(vec![nulls])).contains("\"output_tokens\" is null in row 1"));
        let neg = Column::new("output_tokens".into(), [1i64, -5]);
        assert!(err(usage(vec![neg])).contains("negative (-5) in row 1"));
        let float = Column::new("output_tokens".into(), [1.0f64, 2.0]);
        assert!(err(usage(vec![float])).contains("must be integers"));
        let text = Column::new("output_tokens".into(), ["1", "2"]);
        assert!(err(usage(vec![text])).contains("\"output_tokens\" is str"));
        let huge = Column::new("output_tokens".into(), [1u64, u64::MAX]);
        assert!(err(usage(vec![huge])).contains("beyond Int64 in row 1"));
        let small = Column::new("output_tokens".into(), [1u32, 2]);
        assert!(UsageFrame::new(&usage(vec![small])).is_ok(), "any integer width is fine");
        let mut no_col = usage(vec![]);
        no_col.drop_in_place("web_search_requests").unwrap();
        assert!(err(no_col).contains("never assumed to be 0"));
    }

    #[test]
    fn any_unit_and_zone_becomes_us_utc_and_naive_is_refused() {
        let ns = Int64Chunked::from_vec("bucket_start".into(), vec![3_600_000_000_000, 7_200_000_000_000])
            .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
            .into_column();
        let mut df = usage(vec![]);
        df.replace("bucket_start", ns).unwrap();
        let u = UsageFrame::new(&df).unwrap();
        let phys = u.df().column("bucket_start").unwrap().as_materialized_series().to_physical_repr();
        assert_eq!(phys.i64().unwrap().get(1), Some(7_200_000_000));
        let naive = Int64Chunked::from_vec("bucket_start".into(), vec![1, 2])
            .into_datetime(TimeUnit::Microseconds, None)
            .into_column();
        df.replace("bucket_start", naive).unwrap();
        assert!(err(df).contains("naive Datetime"));
    }
}
