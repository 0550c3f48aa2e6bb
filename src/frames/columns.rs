//! Typed column constructors shared by the frame builders.

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::MutableBitmap;
use polars_arrow::datatypes::ArrowDataType;

use crate::error::Result;
use crate::money::{MONEY_PRECISION, MONEY_SCALE, check_mantissa};

/// Column lists joined at compile time, so a list made of others names each column once.
pub const fn concat<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut k, mut i) = (0, 0);
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == N, "the parts do not add up to the list's length");
    out
}

/// The dtype of every timestamp column.
pub fn datetime_dtype() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

/// The dtype of every money column.
pub fn money_dtype() -> DataType {
    DataType::Decimal(MONEY_PRECISION, MONEY_SCALE as usize)
}

pub fn datetime(name: &str, values: Vec<Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), values.into_iter())
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column()
}

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn date(name: &str, values: Vec<Option<NaiveDate>>) -> Column {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let days = values.into_iter().map(|d| d.map(|d| (d - epoch).num_days() as i32));
    Int32Chunked::from_iter_options(name.into(), days).into_date().into_column()
}

/// A `Decimal(38, 12)` USD column from scale-12 mantissas; a value beyond 38 digits is refused.
pub fn money(name: &str, mantissas: Vec<Option<i128>>) -> Result<Column> {
    for m in mantissas.iter().flatten() {
        check_mantissa(*m, name)?;
    }
    Ok(Int128Chunked::from_iter_options(name.into(), mantissas.into_iter())
        .into_decimal_unchecked(MONEY_PRECISION, MONEY_SCALE as usize)
        .into_column())
}

/// A `Decimal(38, 12)` column under construction: mantissas and, once a null arrives, a mask.
pub struct MoneyBuilder {
    name: &'static str,
    values: Vec<i128>,
    validity: Option<MutableBitmap>,
}

impl MoneyBuilder {
    pub fn new(name: &'static str, capacity: usize) -> MoneyBuilder {
        MoneyBuilder { name, values: Vec::with_capacity(capacity), validity: None }
    }

    pub fn push(&mut self, v: Option<i128>) {
        debug_assert!(v.is_none_or(|m| check_mantissa(m, self.name).is_ok()), "{} out of range", self.name);
        match (v, self.validity.as_mut()) {
            (Some(m), None) => self.values.push(m),
            (Some(m), Some(mask)) => {
                self.values.push(m);
                mask.push(true);
            }
            (None, mask) => {
                let mask = match mask {
                    Some(mask) => mask,
                    None => {
                        let mut mask = MutableBitmap::with_capacity(self.values.capacity());
                        mask.extend_constant(self.values.len(), true);
                        self.validity.insert(mask)
                    }
                };
                mask.push(false);
                self.values.push(0);
            }
        }
    }

    /// The caller vouches for the mantissas (bounds checked where they were computed, as
    /// `pricing` does), so no check is repeated here.
    pub fn finish(self) -> Column {
        let array = PrimitiveArray::new(ArrowDataType::Int128, self.values.into(), self.validity.map(Into::into));
        Int128Chunked::with_chunk(self.name.into(), array)
            .into_decimal_unchecked(MONEY_PRECISION, MONEY_SCALE as usize)
            .into_column()
    }
}

pub fn text(name: &str, values: Vec<Option<String>>) -> Column {
    StringChunked::from_iter_options(name.into(), values.into_iter()).into_column()
}

pub fn int(name: &str, values: Vec<i64>) -> Column {
    Int64Chunked::from_vec(name.into(), values).into_column()
}

/// A count from the wire as `Int64`, or `None` above 9.2 × 10¹⁸ (refused by the caller, never
/// clamped).
pub fn token_count(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}

/// Builds a column; many of them are built at once by [`on_cores`].
pub type Build<'a> = Box<dyn Fn() -> Result<Column> + Send + Sync + 'a>;

/// The columns `builds` make, in their order, built on every core at once: a frame of a few
/// hundred thousand lines has a dozen text columns, each a pass over the lines.
pub fn on_cores(builds: Vec<Build<'_>>) -> Result<Vec<Column>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, builds.len().max(1));
    let mut cols: Vec<Option<Result<Column>>> = (0..builds.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let builds = &builds;
        let parts: Vec<_> = (0..cores)
            .map(|c| s.spawn(move || (c..builds.len()).step_by(cores).map(|i| (i, builds[i]())).collect::<Vec<_>>()))
            .collect();
        for part in parts {
            for (i, c) in part.join().expect("building a column does not panic") {
                cols[i] = Some(c);
            }
        }
    });
    cols.into_iter().map(|c| c.expect("every column is built")).collect()
}
