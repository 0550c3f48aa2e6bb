//! Summing a usage frame to (UTC day × some dimensions), exactly.
//!
//! Reconciliation, attribution and cache economics all start by summing millions of hourly rows
//! to a few thousand keys. Done here once, the rules hold everywhere: sums are accumulated in
//! `i128` and a key whose total does not fit the `Int64` of the lines frame is an `InputError`,
//! never a wrapped number.
//!
//! Performance notes. Nothing is copied: the frame may arrive in many chunks (an Arrow stream
//! of record batches, a store's partitions), so rows are cut into segments inside which every
//! column is one contiguous array, and the segments are shared out to one thread per core. Each
//! thread interns its string values into small codes (by the 16-byte Arrow view first: a row
//! whose view equals the previous row's, or one already seen, never touches the string bytes),
//! packs the day and the codes into one `u128` (16 bits each, up to seven dimensions; wider keys
//! take a slower path) and sums on that. The few thousand partial groups are merged at the end.

use std::collections::HashMap;
use std::sync::Arc;

use polars::prelude::*;
use polars_arrow::array::Array;

use super::normalize::UsageFrame;
use super::usage::COUNT_COLUMNS;
use crate::error::{Error, Result};

const MICROS_PER_DAY: i64 = 86_400_000_000;
/// Below this many rows per thread, splitting costs more than it saves.
const MIN_ROWS_PER_THREAD: usize = 200_000;
/// Views remembered per column and array (a deduplicated column has one per distinct value).
const MAX_VIEWS: usize = 256;

/// One key of the aggregate: a UTC day (days since the epoch) and one value per dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub day: i32,
    /// Per requested dimension, in order; `None` is null.
    pub dims: Vec<Option<Arc<str>>>,
    /// The six counts of [`COUNT_COLUMNS`], summed.
    pub counts: [i64; 6],
}

/// Codes for the values of one string column on one thread; code 0 is null.
struct Interner<'a> {
    strings: PlHashMap<&'a str, u32>,
    views: PlHashMap<u128, u32>,
    values: Vec<Option<&'a str>>,
    last: Option<(u128, u32)>,
}

impl<'a> Interner<'a> {
    fn new() -> Self {
        Interner { strings: PlHashMap::default(), views: PlHashMap::default(), values: vec![None], last: None }
    }

    /// Views point into one array's buffers: forget them when moving to the next array.
    fn next_array(&mut self) {
        self.views.clear();
        self.last = None;
    }

    /// The code of a non-null value with Arrow view `view` (within one array, equal views are
    /// equal strings). Views are remembered only while there are few of them: a column whose
    /// equal values share a view (Parquet dictionary pages) never hashes a string again; one
    /// where they do not fills the small map at once and goes by string from then on.
    #[inline]
    fn code(&mut self, view: u128, value: impl FnOnce() -> &'a str) -> u32 {
        if let Some((v, c)) = self.last
            && v == view
        {
            return c;
        }
        if let Some(&c) = self.views.get(&view) {
            self.last = Some((view, c));
            return c;
        }
        let s = value();
        let values = &mut self.values;
        let c = *self.strings.entry(s).or_insert_with(|| {
            values.push(Some(s));
            (values.len() - 1) as u32
        });
        if self.views.len() < MAX_VIEWS {
            self.views.insert(view, c);
        }
        self.last = Some((view, c));
        c
    }
}

/// A group's key: the day and one value per dimension.
type GroupKey = (i32, Vec<Option<Arc<str>>>);
/// The groups one thread found, with their summed counts.
type Partial = Vec<(GroupKey, [i128; 6])>;

/// Row ranges inside which every column of `lengths` (chunk lengths per column) is one array.
fn segments(lengths: &[Vec<usize>], n: usize) -> Vec<(usize, usize)> {
    let mut cuts: Vec<usize> = vec![0, n];
    for chunks in lengths {
        let mut at = 0;
        for l in chunks {
            at += l;
            cuts.push(at);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2).map(|w| (w[0], w[1])).filter(|(a, b)| b > a).collect()
}

/// Cuts segments so `threads` consecutive groups of them hold about the same number of rows.
fn share(segs: &[(usize, usize)], n: usize, threads: usize) -> Vec<Vec<(usize, usize)>> {
    let mut out = vec![Vec::new(); threads];
    for &(a, b) in segs {
        let mut a = a;
        while a < b {
            let t = (a * threads / n.max(1)).min(threads - 1);
            let end = (n * (t + 1) / threads).min(b).max(a + 1);
            out[t].push((a, end));
            a = end;
        }
    }
    out
}

fn one<T: PolarsDataType>(ca: &ChunkedArray<T>) -> &T::Array {
    ca.downcast_iter().next().expect("a segment is one array")
}

/// `len` rows from `a` as one array. A segment lies inside one chunk of every column, so this
/// is a view; only empty chunks around it (a filter can leave them) make it copy, and then just
/// the segment.
fn segment<T: PolarsDataType>(ca: &ChunkedArray<T>, a: usize, len: usize) -> ChunkedArray<T> {
    let s = ca.slice(a as i64, len);
    if s.chunks().len() == 1 { s } else { s.rechunk().into_owned() }
}

fn aggregate_segments(usage: &DataFrame, dims: &[&str], segs: &[(usize, usize)]) -> Result<Partial> {
    let k = dims.len();
    let internal = |e: PolarsError| Error::Internal(format!("usage columns: {e}"));
    let start = usage.column("bucket_start")?.as_materialized_series().to_physical_repr().i64()?.clone();
    let strings: Vec<StringChunked> =
        dims.iter().map(|d| Ok(usage.column(d)?.str()?.clone())).collect::<Result<_>>()?;
    let counts: Vec<Int64Chunked> =
        COUNT_COLUMNS.iter().map(|c| Ok(usage.column(c)?.i64()?.clone())).collect::<Result<_>>()?;
    // Every segment's slices, kept for the interners' borrowed strings.
    let sliced: Vec<Vec<StringChunked>> =
        segs.iter().map(|&(a, b)| strings.iter().map(|ca| segment(ca, a, b - a)).collect()).collect();
    let mut interners: Vec<Interner> = (0..k).map(|_| Interner::new()).collect();
    let day = |t: i64| i32::try_from(t.div_euclid(MICROS_PER_DAY)).unwrap_or(i32::MIN);
    let mut packed: PlHashMap<u128, usize> = PlHashMap::default();
    let mut wide: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut keys: Vec<(i32, Vec<u32>)> = Vec::new();
    let mut sums: Vec<[i128; 6]> = Vec::new();
    let mut codes = vec![0u32; k];
    let first_day = segs.first().and_then(|&(a, _)| start.get(a)).map_or(0, day);
    for (&(a, b), strs) in segs.iter().zip(&sliced) {
        let len = b - a;
        let st = segment(&start, a, len);
        let st = st.cont_slice().map_err(internal)?;
        let cs: Vec<Int64Chunked> = counts.iter().map(|c| segment(c, a, len)).collect();
        let cs: Vec<&[i64]> = cs.iter().map(|c| c.cont_slice().map_err(internal)).collect::<Result<_>>()?;
        let arrays: Vec<_> = strs.iter().map(one).collect();
        interners.iter_mut().for_each(Interner::next_array);
        for row in 0..len {
            for (c, (arr, int)) in codes.iter_mut().zip(arrays.iter().zip(interners.iter_mut())) {
                *c = if arr.validity().is_some_and(|v| !v.get_bit(row)) {
                    0
                } else {
                    // SAFETY: row < len, the array's length.
                    int.code(arr.views()[row].as_u128(), || unsafe { arr.value_unchecked(row) })
                };
            }
            let d = day(st[row]);
            let rel = d as i64 - first_day as i64;
            let g = if k <= 7 && (0..1 << 16).contains(&rel) && codes.iter().all(|&c| c < 1 << 16) {
                let key = codes.iter().fold(rel as u128, |acc, &c| (acc << 16) | c as u128);
                *packed.entry(key).or_insert_with(|| {
                    keys.push((d, codes.clone()));
                    sums.push([0; 6]);
                    sums.len() - 1
                })
            } else {
                let key: Vec<u32> = std::iter::once(d as u32).chain(codes.iter().copied()).collect();
                *wide.entry(key).or_insert_with(|| {
                    keys.push((d, codes.clone()));
                    sums.push([0; 6]);
                    sums.len() - 1
                })
            };
            let acc = &mut sums[g];
            for (a, c) in acc.iter_mut().zip(&cs) {
                *a += c[row] as i128; // at most 2^64 rows of at most 2^63: cannot overflow i128
            }
        }
    }
    let owned: Vec<Vec<Option<Arc<str>>>> =
        interners.iter().map(|i| i.values.iter().map(|v| v.map(Arc::from)).collect()).collect();
    Ok(keys
        .into_iter()
        .zip(sums)
        .map(|((d, codes), s)| {
            let dims = codes.iter().zip(&owned).map(|(&c, vals)| vals[c as usize].clone()).collect();
            ((d, dims), s)
        })
        .collect())
}

/// Sums the counts of `usage` by (UTC day of `bucket_start`, `dims`), in no particular order.
pub fn sum_by_day(usage: &UsageFrame, dims: &[&str]) -> Result<Vec<Group>> {
    let df = usage.df();
    let n = df.height();
    let mut lengths: Vec<Vec<usize>> = Vec::new();
    for c in std::iter::once("bucket_start").chain(dims.iter().copied()).chain(COUNT_COLUMNS) {
        lengths.push(df.column(c)?.as_materialized_series().chunk_lengths().collect());
    }
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n / MIN_ROWS_PER_THREAD).max(1);
    let work = share(&segments(&lengths, n), n, threads);
    let partials: Vec<Result<Partial>> = std::thread::scope(|s| {
        let handles: Vec<_> = work.iter().map(|segs| s.spawn(move || aggregate_segments(df, dims, segs))).collect();
        handles.into_iter().map(|h| h.join().expect("aggregation does not panic")).collect()
    });
    let mut merged: HashMap<GroupKey, [i128; 6]> = HashMap::new();
    for part in partials {
        for (key, s) in part? {
            let acc = merged.entry(key).or_insert([0; 6]);
            for (a, v) in acc.iter_mut().zip(s) {
                *a += v;
            }
        }
    }
    merged
        .into_iter()
        .map(|((day, dims), s)| {
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
    fn chunks_from_different_arrays_never_share_a_view() {
        // Two arrays whose long strings sit at the same buffer offsets: the same view bits mean
        // different strings in each chunk.
        let a = frame(&[(0, Some("claude-model-number-one"), 1), (0, Some("claude-model-number-one"), 2)]);
        let b = frame(&[(0, Some("claude-model-number-two"), 4), (0, Some("claude-model-number-one"), 8)]);
        let mut df = a.df().clone();
        df.vstack_mut(b.df()).unwrap();
        assert_eq!(df.column("model").unwrap().as_materialized_series().n_chunks(), 2);
        let u = UsageFrame::new(&df).unwrap();
        let mut g = sum_by_day(&u, &["model"]).unwrap();
        g.sort_by_key(|g| g.dims[0].clone());
        let got: Vec<(Option<&str>, i64)> = g.iter().map(|g| (g.dims[0].as_deref(), g.counts[4])).collect();
        assert_eq!(got, vec![(Some("claude-model-number-one"), 11), (Some("claude-model-number-two"), 4)]);
    }

    #[test]
    fn empty_chunks_left_by_a_filter_are_read_past() {
        let h = 3_600_000_000;
        let a = frame(&[(0, Some("a"), 1), (h, Some("b"), 2)]);
        let mut df = a.df().clone();
        for _ in 0..2 {
            df.vstack_mut(a.df()).unwrap();
        }
        // Drop the middle chunk's rows: the filter leaves an empty chunk between two others.
        let keep = BooleanChunked::from_slice("keep".into(), &[true, true, false, false, true, true]);
        let df = df.filter(&keep).unwrap();
        let chunks: Vec<usize> = df.column("model").unwrap().as_materialized_series().chunk_lengths().collect();
        let u = UsageFrame::new(&df).unwrap();
        let mut g = sum_by_day(&u, &["model"]).unwrap();
        g.sort_by_key(|g| g.dims[0].clone());
        let got: Vec<i64> = g.iter().map(|g| g.counts[4]).collect();
        assert_eq!(got, vec![2, 4], "chunks {chunks:?}");
    }

    #[test]
    fn a_sum_beyond_int64_is_refused_not_wrapped() {
        let big = 6_000_000_000_000_000_000;
        let e = sum_by_day(&frame(&[(0, Some("a"), big), (0, Some("a"), big)]), &["model"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("beyond Int64"), "{e}");
    }
}
