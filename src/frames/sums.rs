//! The six running sums of each group, by packed key, for one aggregating thread.
//!
//! Rows come in any order, so every group is hot at once, and a quarter split by API key has a
//! hundred thousand of them: the table does not fit the L2 cache and a row's lookup is a cache
//! miss. So each key and its sums share one 64-byte slot (one miss, not two), and the caller
//! prefetches the slot of a row a few rows ahead while it adds the current one: the misses
//! overlap instead of queueing. Open addressing with linear probing, at most half full.

/// The top bit of a stored key marks the slot used; packed keys never set it (see `aggregate`).
pub(super) const USED: u128 = 1 << 127;

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot {
    key: u128,
    sums: [u64; 6],
}

const EMPTY: Slot = Slot { key: 0, sums: [0; 6] };

pub(super) struct Sums {
    slots: Vec<Slot>,
    len: usize,
}

#[inline]
fn home(key: u128, mask: usize) -> usize {
    let x = (key as u64) ^ ((key >> 64) as u64).rotate_left(27);
    let h = (x as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    ((h >> 64) as usize ^ h as usize) & mask
}

impl Sums {
    pub fn new() -> Self {
        Sums { slots: vec![EMPTY; 1 << 10], len: 0 }
    }

    /// Asks the CPU to bring `key`'s slot into the cache (a hint: nothing changes).
    #[inline]
    pub fn prefetch(&self, key: u128) {
        let i = home(key, self.slots.len() - 1);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `i` is inside `slots`; a prefetch reads nothing and cannot fault.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(self.slots.as_ptr().add(i).cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }

    /// The sums of `key` (a packed key, top bit clear), zero when it is new.
    #[inline]
    pub fn get(&mut self, key: u128) -> &mut [u64; 6] {
        debug_assert_eq!(key & USED, 0);
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let stored = key | USED;
        let mask = self.slots.len() - 1;
        let mut i = home(key, mask);
        loop {
            let k = self.slots[i].key;
            if k == stored {
                return &mut self.slots[i].sums;
            }
            if k == 0 {
                self.slots[i].key = stored;
                self.len += 1;
                return &mut self.slots[i].sums;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let bigger = vec![EMPTY; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, bigger);
        let mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|s| s.key != 0) {
            let mut i = home(s.key & !USED, mask);
            while self.slots[i].key != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }

    /// Every (key, sums), in no particular order.
    pub fn into_iter(self) -> impl Iterator<Item = (u128, [u64; 6])> {
        self.slots.into_iter().filter(|s| s.key != 0).map(|s| (s.key & !USED, s.sums))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the keys (zero included) and however often the table grows, each key has
        /// exactly the sums added to it.
        #[test]
        fn each_key_keeps_its_own_sums(keys in proptest::collection::vec(0u128..(1 << 126), 1..3000)) {
            let mut t = Sums::new();
            let mut want: std::collections::HashMap<u128, u64> = Default::default();
            for (i, &k) in keys.iter().enumerate() {
                let k = k % 700 * (1 << 100) + k % 3;
                t.prefetch(k);
                t.get(k)[i % 6] += 1 + i as u64;
                *want.entry(k).or_default() += 1 + i as u64;
            }
            let got: std::collections::HashMap<u128, u64> = t.into_iter().map(|(k, s)| (k, s.iter().sum())).collect();
            prop_assert_eq!(got, want);
        }
    }
}
