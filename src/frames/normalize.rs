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

use super::columns::concat;
use super::columns::money_dtype;
use super::cost::COST_COLUMNS;
use super::usage::{COUNT_COLUMNS, USAGE_BOUNDS, USAGE_COLUMNS, USAGE_CONTRACT_DIMENSIONS};
use super::validate::{amount, count, currency, dimension, instant};
use crate::error::Result;

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
pub const ANALYTICS_COST_COLUMNS: [&str; 14] = concat(&[
    &USAGE_BOUNDS,
    &USAGE_CONTRACT_DIMENSIONS,
    &["cost_type", "token_type", "amount_usd", "list_amount_usd", "currency"],
]);

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
    use crate::frames::columns::datetime_dtype;

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
