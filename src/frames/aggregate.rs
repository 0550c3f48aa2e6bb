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
//! thread codes its string columns a block of rows at a time (`codes`: a column at a time, by the
//! 16-byte Arrow view first, so a row never hashes its string), packs the day and the codes into
//! one `u128` (16 bits each, up to seven dimensions; wider keys take a slower path) and sums on
//! that, the sums stored beside the key (one cache line a row: rows come in any order, so every
//! group is hot at once). Sums are `u64` with each wrap past 2^64 remembered, so the total is
//! exact whatever the rows. The threads' groups are merged on one code per value, and each value
//! is one shared string in every group.

use std::sync::Arc;

use polars::prelude::*;

use super::codes::Coder;
use super::normalize::UsageFrame;
use super::sums::Sums;
use super::usage::COUNT_COLUMNS;
use crate::error::{Error, Result};

const MICROS_PER_DAY: i64 = 86_400_000_000;
/// Below this many rows per thread, splitting costs more than it saves.
const MIN_ROWS_PER_THREAD: usize = 200_000;
/// Days are packed as 15 bits relative to the first row's day plus this: ±44 years either side
/// (the 16th bit stays clear: `sums` marks its used slots with the key's top bit).
const DAY_BIAS: i64 = 1 << 14;
/// How many rows ahead a row prefetches its group's slot.
const AHEAD: usize = 8;
/// Rows coded a column at a time before they are summed (the codes stay in the L1 cache).
const BLOCK: usize = 512;

/// One key of the aggregate: a UTC day (days since the epoch) and one value per dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub day: i32,
    /// Per requested dimension, in order; `None` is null.
    pub dims: Vec<Option<Arc<str>>>,
    /// The six counts of [`COUNT_COLUMNS`], summed.
    pub counts: [i64; 6],
}

/// Adds row `row` of the six count columns to `acc`; bit j of the result is set when sum j
/// wrapped past 2^64 (counts are non-negative Int64, so a sum wraps at most once per row).
#[inline]
fn add_row(acc: &mut [u64; 6], cs: &[&[i64]; 6], row: usize) -> u8 {
    let mut wrapped = 0u8;
    for j in 0..6 {
        let (v, w) = acc[j].overflowing_add(cs[j][row] as u64);
        acc[j] = v;
        wrapped |= (w as u8) << j;
    }
    wrapped
}

/// Where a group's sums are kept while a thread adds rows to them.
enum GroupRef {
    Packed(u128),
    Wide(Vec<u32>),
}

/// A group's key: the day and one value per dimension.
type GroupKey = (i32, Vec<u32>);
/// What one thread found: per dimension the values its codes stand for (code 0 is null), and
/// the groups by those codes with their summed counts.
struct Partial {
    values: Vec<Vec<Option<String>>>,
    groups: Vec<(GroupKey, [i128; 6])>,
}

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
    // Every segment's slices, kept for the coders' borrowed strings.
    let sliced: Vec<Vec<StringChunked>> =
        segs.iter().map(|&(a, b)| strings.iter().map(|ca| segment(ca, a, b - a)).collect()).collect();
    let mut coders: Vec<Coder> = (0..k).map(|_| Coder::new()).collect();
    let day = |t: i64| i32::try_from(t.div_euclid(MICROS_PER_DAY)).unwrap_or(i32::MIN);
    // Packed keys hold their sums in the map, next to the key: one cache line a row, not two
    // (with shuffled rows every group is hot at once, and a year of them outgrows the L2 cache).
    let mut packed = Sums::new();
    let mut wide: PlHashMap<Vec<u32>, [u64; 6]> = PlHashMap::default();
    // Counts are non-negative Int64: summed as u64, and each wrap past 2^64 is remembered.
    let mut wraps: Vec<(GroupRef, u8)> = Vec::new();
    let mut block = vec![0u32; k * BLOCK];
    let mut keys: Vec<Option<u128>> = vec![None; BLOCK];
    let first_day = segs.first().and_then(|&(a, _)| start.get(a)).map_or(0, day);
    for (&(a, b), strs) in segs.iter().zip(&sliced) {
        let len = b - a;
        let st = segment(&start, a, len);
        let st = st.cont_slice().map_err(internal)?;
        let cs: Vec<Int64Chunked> = counts.iter().map(|c| segment(c, a, len)).collect();
        let cs: Vec<&[i64]> = cs.iter().map(|c| c.cont_slice().map_err(internal)).collect::<Result<_>>()?;
        let cs: [&[i64]; 6] = cs.try_into().map_err(|_| Error::Internal("six count columns".into()))?;
        let arrays: Vec<_> = strs.iter().map(one).collect();
        coders.iter_mut().for_each(Coder::next_array);
        for from in (0..len).step_by(BLOCK) {
            let m = BLOCK.min(len - from);
            for (j, (coder, arr)) in coders.iter_mut().zip(&arrays).enumerate() {
                coder.code_block(arr, from, &mut block[j * BLOCK..j * BLOCK + m]);
            }
            let narrow = k <= 7 && coders.iter().all(|c| c.len() <= 1 << 16);
            // The block's packed keys first (`None`: a wide key), so each row can prefetch the
            // slot of a row a few rows ahead.
            for (r, key) in keys[..m].iter_mut().enumerate() {
                let rel = day(st[from + r]) as i64 - first_day as i64 + DAY_BIAS;
                *key = (narrow && (0..1 << 15).contains(&rel))
                    .then(|| (0..k).fold(rel as u128, |acc, j| (acc << 16) | block[j * BLOCK + r] as u128));
            }
            for r in 0..m {
                if let Some(Some(ahead)) = keys.get(r + AHEAD).filter(|_| r + AHEAD < m) {
                    packed.prefetch(*ahead);
                }
                let row = from + r;
                if let Some(key) = keys[r] {
                    let wrapped = add_row(packed.get(key), &cs, row);
                    if wrapped != 0 {
                        wraps.push((GroupRef::Packed(key), wrapped));
                    }
                } else {
                    let d = day(st[row]);
                    let key = || std::iter::once(d as u32).chain((0..k).map(|j| block[j * BLOCK + r])).collect();
                    let wrapped = add_row(wide.entry(key()).or_insert([0; 6]), &cs, row);
                    if wrapped != 0 {
                        wraps.push((GroupRef::Wide(key()), wrapped));
                    }
                }
            }
        }
    }
    let unpack = |key: u128| -> (i32, Vec<u32>) {
        let codes = (0..k).rev().map(|j| ((key >> (16 * j)) & 0xffff) as u32).collect();
        (((key >> (16 * k)) as i64 - DAY_BIAS + first_day as i64) as i32, codes)
    };
    // A group can be in both maps (its later rows went wide once a column passed 2^16 values).
    let mut groups: PlHashMap<(i32, Vec<u32>), [i128; 6]> = PlHashMap::default();
    let both = packed.into_iter().map(|(key, s)| (unpack(key), s));
    for (key, s) in both.chain(wide.into_iter().map(|(key, s)| ((key[0] as i32, key[1..].to_vec()), s))) {
        let acc = groups.entry(key).or_insert([0; 6]);
        acc.iter_mut().zip(s).for_each(|(a, v)| *a += v as i128);
    }
    for (at, wrapped) in wraps {
        let key = match at {
            GroupRef::Packed(key) => unpack(key),
            GroupRef::Wide(key) => (key[0] as i32, key[1..].to_vec()),
        };
        let sums = groups.get_mut(&key).ok_or_else(|| Error::Internal("a wrapped group is missing".into()))?;
        for (j, s) in sums.iter_mut().enumerate() {
            if wrapped & (1 << j) != 0 {
                *s += 1 << 64; // at most 2^64 rows of at most 2^63 each: cannot overflow i128
            }
        }
    }
    let values = coders.iter().map(|c| c.values.iter().map(|v| v.map(str::to_owned)).collect()).collect();
    Ok(Partial { values, groups: groups.into_iter().collect() })
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
    // The threads' codes differ: each value gets one code (and one shared string) for all, and
    // the groups are merged on the codes (hashing a few integers, not the strings).
    let k = dims.len();
    let mut codes: Vec<PlHashMap<String, u32>> = vec![PlHashMap::default(); k];
    let mut shared: Vec<Vec<Option<Arc<str>>>> = vec![vec![None]; k];
    let mut merged: PlHashMap<GroupKey, [i128; 6]> = PlHashMap::default();
    for part in partials {
        let part = part?;
        let global: Vec<Vec<u32>> = (0..k)
            .map(|j| {
                let (codes, shared) = (&mut codes[j], &mut shared[j]);
                let to = |v: &Option<String>| match v {
                    None => 0,
                    Some(v) => *codes.entry(v.clone()).or_insert_with(|| {
                        shared.push(Some(Arc::from(v.as_str())));
                        (shared.len() - 1) as u32
                    }),
                };
                part.values[j].iter().map(to).collect()
            })
            .collect();
        for ((day, local), s) in part.groups {
            let key = (day, local.iter().zip(&global).map(|(&c, g)| g[c as usize]).collect());
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
            let dims = dims.iter().zip(&shared).map(|(&c, values)| values[c as usize].clone()).collect();
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
#[path = "aggregate_tests.rs"]
mod tests;
