//! Summing a usage frame to (UTC day × some dimensions), exactly.
//!
//! Reconciliation, attribution and cache economics all start by summing millions of hourly rows
//! to a few thousand keys. Done here once, the rules hold everywhere: sums are accumulated in
//! `i128` and a key whose total does not fit the `Int64` of the lines frame is an `InputError`,
//! never a wrapped number.
//!
//! Performance notes. The key columns have few distinct values (tens of models, a few tiers), so
//! each string column is interned once into `u32` codes (remembering the previous row's value,
//! since neighbouring rows usually share it), the codes and the day are packed into one `u128`,
//! and rows are grouped on that integer. Columns are interned on separate threads.

use std::sync::Arc;

use polars::prelude::*;

use super::normalize::{COUNT_COLUMNS, UsageFrame};
use crate::error::{Error, Result};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// One key of the aggregate: a UTC day (days since the epoch) and one value per dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub day: i32,
    /// Per requested dimension, in order; `None` is null.
    pub dims: Vec<Option<Arc<str>>>,
    /// The six counts of [`COUNT_COLUMNS`], summed.
    pub counts: [i64; 6],
}

/// Interned values of one string column: a code per row, and the value of each code.
struct Interned {
    codes: Vec<u32>,
    values: Vec<Option<Arc<str>>>,
}

fn intern(ca: &StringChunked) -> Interned {
    let mut map: PlHashMap<&str, u32> = PlHashMap::default();
    let mut values: Vec<Option<Arc<str>>> = vec![None]; // code 0 is null
    let mut codes = Vec::with_capacity(ca.len());
    let mut last: Option<(&str, u32)> = None;
    for v in ca.iter() {
        let code = match v {
            None => 0,
            Some(s) => match last {
                Some((l, c)) if l == s => c,
                _ => {
                    let c = *map.entry(s).or_insert_with(|| {
                        values.push(Some(Arc::from(s)));
                        (values.len() - 1) as u32
                    });
                    last = Some((s, c));
                    c
                }
            },
        };
        codes.push(code);
    }
    Interned { codes, values }
}

fn bits_for(n: usize) -> u32 {
    usize::BITS - n.leading_zeros()
}

/// Sums the counts of `usage` by (UTC day of `bucket_start`, `dims`), in no particular order.
pub fn sum_by_day(usage: &UsageFrame, dims: &[&str]) -> Result<Vec<Group>> {
    let df = usage.df();
    let n = df.height();
    let start = df.column("bucket_start")?.as_materialized_series().to_physical_repr();
    let start = start.i64()?;
    let days: Vec<i32> =
        start.iter().map(|t| i32::try_from(t.unwrap_or(0).div_euclid(MICROS_PER_DAY)).unwrap_or(i32::MIN)).collect();
    let strings: Vec<StringChunked> =
        dims.iter().map(|d| Ok(df.column(d)?.str()?.rechunk().into_owned())).collect::<Result<_>>()?;
    let interned: Vec<Interned> = std::thread::scope(|s| {
        let handles: Vec<_> = strings.iter().map(|ca| s.spawn(move || intern(ca))).collect();
        handles.into_iter().map(|h| h.join().expect("interning does not panic")).collect()
    });
    let counts: Vec<&[i64]> = COUNT_COLUMNS
        .iter()
        .map(|c| Ok(df.column(c)?.i64()?.cont_slice()?))
        .collect::<Result<_>>()
        .map_err(|e: Error| Error::Internal(format!("normalised counts are contiguous: {e}")))?;

    // Pack (day, codes…) into a u128 when it fits (it always does in practice); else key on a Vec.
    let widths: Vec<u32> = interned.iter().map(|i| bits_for(i.values.len())).collect();
    let packed = 32 + widths.iter().sum::<u32>() <= 128;
    let mut index_packed: PlHashMap<u128, usize> = PlHashMap::default();
    let mut index_wide: PlHashMap<Vec<u32>, usize> = PlHashMap::default();
    let mut keys: Vec<(i32, Vec<u32>)> = Vec::new();
    let mut sums: Vec<[i128; 6]> = Vec::new();
    let new_group = |day: i32, row: usize, keys: &mut Vec<(i32, Vec<u32>)>, sums: &mut Vec<[i128; 6]>| {
        keys.push((day, interned.iter().map(|i| i.codes[row]).collect()));
        sums.push([0; 6]);
        sums.len() - 1
    };
    for row in 0..n {
        let day = days[row];
        let g = if packed {
            let mut k = (day as u32) as u128;
            for (i, w) in interned.iter().zip(&widths) {
                k = (k << w) | i.codes[row] as u128;
            }
            *index_packed.entry(k).or_insert_with(|| new_group(day, row, &mut keys, &mut sums))
        } else {
            let k: Vec<u32> = std::iter::once(day as u32).chain(interned.iter().map(|i| i.codes[row])).collect();
            *index_wide.entry(k).or_insert_with(|| new_group(day, row, &mut keys, &mut sums))
        };
        let acc = &mut sums[g];
        for (a, c) in acc.iter_mut().zip(&counts) {
            *a += c[row] as i128; // at most 2^64 rows of at most 2^63: cannot overflow i128
        }
    }
    keys.into_iter()
        .zip(sums)
        .map(|((day, codes), s)| {
            let dims: Vec<Option<Arc<str>>> =
                codes.iter().zip(&interned).map(|(&c, i)| i.values[c as usize].clone()).collect();
            let mut counts = [0i64; 6];
            for (j, (out, total)) in counts.iter_mut().zip(s).enumerate() {
                *out = i64::try_from(total).map_err(|_| {
                    Error::input_hint(
                        format!(
                            "the sum of {} on one day ({}) is {total}, beyond Int64; refusing to wrap it",
                            COUNT_COLUMNS[j],
                            day_string(day)
                        ),
                        "check the usage frame for duplicated or corrupt rows",
                    )
                })?;
            }
            Ok(Group { day, dims, counts })
        })
        .collect()
}

fn day_string(day: i32) -> String {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(day as i64)))
        .map(|d| d.to_string())
        .unwrap_or_else(|| day.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: &[(i64, Option<&str>, i64)]) -> UsageFrame {
        let mut cols = vec![
            crate::frames::columns::datetime("bucket_start", rows.iter().map(|r| Some(r.0)).collect()),
            Column::new("model".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        ];
        for c in COUNT_COLUMNS {
            cols.push(Column::new(c.into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()));
        }
        UsageFrame::new(&DataFrame::new(rows.len(), cols).unwrap()).unwrap()
    }

    #[test]
    fn sums_by_day_and_value_with_nulls_as_a_value() {
        let h = 3_600_000_000;
        let u = frame(&[(0, Some("a"), 1), (h, Some("a"), 2), (h, None, 4), (MICROS_PER_DAY, Some("a"), 8)]);
        let mut g = sum_by_day(&u, &["model"]).unwrap();
        g.sort_by_key(|g| (g.day, g.dims[0].clone()));
        let got: Vec<(i32, Option<&str>, i64)> = g.iter().map(|g| (g.day, g.dims[0].as_deref(), g.counts[4])).collect();
        assert_eq!(got, vec![(0, None, 4), (0, Some("a"), 3), (1, Some("a"), 8)]);
    }

    #[test]
    fn a_sum_beyond_int64_is_refused_not_wrapped() {
        let big = 6_000_000_000_000_000_000;
        let e = sum_by_day(&frame(&[(0, Some("a"), big), (0, Some("a"), big)]), &["model"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("beyond Int64"), "{e}");
    }
}
