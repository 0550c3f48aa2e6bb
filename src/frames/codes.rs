//! Small integer codes for the values of a string column, a block of rows at a time.
//!
//! Aggregation groups millions of rows by a few string columns with a few dozen distinct values
//! each. Hashing each row's string (33 bytes for a real `wrkspc_01…` id) is the slowest way to
//! find its group, and a row-at-a-time loop over several columns mispredicts on shuffled rows.
//! So each column is coded on its own, a block at a time, through a small direct-mapped cache
//! keyed by the row's 16-byte Arrow view: within one array equal views are equal strings (a
//! string of at most 12 bytes is its own view; a longer one is a buffer and offset, which a
//! Parquet dictionary page shares between the rows that hold it). A view not in the cache is
//! looked up by its string, so equal strings get one code whatever their views. Code 0 is null.

use polars::prelude::PlHashMap;
use polars_arrow::array::{Array, Utf8ViewArray};

/// Cache slots per column: 20 KiB, inside the L1 cache, and roomy for a hundred API keys.
const SLOTS: usize = 1 << 10;

pub(super) struct Coder<'a> {
    strings: PlHashMap<&'a str, u32>,
    /// Code → value; code 0 is null.
    pub values: Vec<Option<&'a str>>,
    keys: Box<[u128]>,
    /// 0: an empty slot (no value has code 0).
    codes: Box<[u32]>,
}

#[inline]
fn slot(view: u128) -> usize {
    let x = (view as u64) ^ ((view >> 64) as u64).rotate_left(29);
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

impl<'a> Coder<'a> {
    pub fn new() -> Self {
        Coder {
            strings: PlHashMap::default(),
            values: vec![None],
            keys: vec![0; SLOTS].into_boxed_slice(),
            codes: vec![0; SLOTS].into_boxed_slice(),
        }
    }

    /// The number of codes handed out so far (null included).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Views point into one array's buffers: forget them when moving to the next array.
    pub fn next_array(&mut self) {
        self.codes.fill(0);
    }

    /// Codes of rows `from..from + out.len()` of `arr` into `out`.
    pub fn code_block(&mut self, arr: &'a Utf8ViewArray, from: usize, out: &mut [u32]) {
        let views = &arr.views()[from..from + out.len()];
        match arr.validity() {
            None => {
                for (i, (o, v)) in out.iter_mut().zip(views).enumerate() {
                    *o = self.code(arr, from + i, v.as_u128());
                }
            }
            Some(valid) => {
                for (i, (o, v)) in out.iter_mut().zip(views).enumerate() {
                    // SAFETY: from + i < arr.len(), the bitmap's length.
                    *o = if unsafe { valid.get_bit_unchecked(from + i) } {
                        self.code(arr, from + i, v.as_u128())
                    } else {
                        0
                    };
                }
            }
        }
    }

    #[inline]
    fn code(&mut self, arr: &'a Utf8ViewArray, row: usize, view: u128) -> u32 {
        let s = slot(view);
        let c = self.codes[s];
        if c != 0 && self.keys[s] == view {
            return c;
        }
        self.miss(arr, row, view, s)
    }

    #[cold]
    fn miss(&mut self, arr: &'a Utf8ViewArray, row: usize, view: u128, s: usize) -> u32 {
        // SAFETY: row < arr.len() (the caller's block lies inside the array).
        let value: &'a str = unsafe { arr.value_unchecked(row) };
        let values = &mut self.values;
        let c = *self.strings.entry(value).or_insert_with(|| {
            values.push(Some(value));
            (values.len() - 1) as u32
        });
        self.keys[s] = view;
        self.codes[s] = c;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes<'a>(arr: &'a Utf8ViewArray, coder: &mut Coder<'a>) -> Vec<u32> {
        let mut out = vec![0; arr.len()];
        // Two blocks, to read across a block boundary.
        let (a, b) = out.split_at_mut(arr.len() / 2);
        coder.code_block(arr, 0, a);
        coder.code_block(arr, arr.len() / 2, b);
        out
    }

    #[test]
    fn equal_strings_get_one_code_whatever_their_views() {
        let long = "wrkspc_01JKJZS2YFSTBQQ5W6ASQZ1";
        // Built row by row: every long value has its own offset, so equal strings differ in view.
        let arr = Utf8ViewArray::from_slice([Some(long), None, Some("std"), Some(long), Some("std"), None]);
        let other = Utf8ViewArray::from_slice([Some("std"), Some("new-value-longer-than-12")]);
        let mut coder = Coder::new();
        assert_eq!(codes(&arr, &mut coder), vec![1, 0, 2, 1, 2, 0]);
        assert_eq!(coder.values, vec![None, Some(long), Some("std")]);
        // A second array: the cache is cleared, the codes are kept.
        coder.next_array();
        assert_eq!(codes(&other, &mut coder), vec![2, 3]);
    }

    #[test]
    fn many_values_colliding_in_the_cache_keep_their_codes() {
        let values: Vec<String> = (0..5000).map(|i| format!("apikey_01J{i:023}")).collect();
        let rows: Vec<Option<&str>> = (0..20_000).map(|i| Some(values[(i * 7919) % 5000].as_str())).collect();
        let arr = Utf8ViewArray::from_slice(&rows);
        let mut coder = Coder::new();
        let got = codes(&arr, &mut coder);
        for (c, r) in got.iter().zip(&rows) {
            assert_eq!(coder.values[*c as usize], *r);
        }
        assert_eq!(coder.len(), 5001);
    }
}
