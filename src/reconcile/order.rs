//! Line keys in key order, sorted by small ranks instead of by their strings.
//!
//! A reconciliation of a year split by workspace has a few hundred thousand lines, and sorting
//! them by [`LineKey`]'s `Ord` compares strings (33-byte ids with a common prefix) some twenty
//! times a line. Each key column has only a few dozen distinct values, though: each is given
//! its rank among them once (found by the string's address first: the lines share their
//! strings), and the lines are sorted on the ranks. The order is exactly `LineKey`'s.

use std::sync::Arc;

use polars::prelude::PlHashMap;

use super::key::LineKey;

/// One text column of a key.
type Field = fn(&LineKey) -> Option<&Arc<str>>;

/// The columns of a key, in `LineKey`'s field order after the date (cost type is the 6th).
const TEXT: [Field; 7] = [
    |k| k.workspace_id.as_ref(),
    |k| k.model.as_ref(),
    |k| k.service_tier.as_ref(),
    |k| k.context_window.as_ref(),
    |k| k.inference_geo.as_ref(),
    |k| k.token_type.as_ref(),
    |k| k.api_key_id.as_ref(),
];

/// The rank of each key's value among the distinct values of one column (`None` first, as
/// `Option`'s order puts it).
pub(crate) fn text_ranks<'a>(values: impl Iterator<Item = Option<&'a str>> + Clone) -> Vec<u32> {
    // Distinct addresses first (cheap to hash), then distinct strings among them.
    let mut by_address: PlHashMap<(usize, usize), &'a str> = PlHashMap::default();
    for v in values.clone().flatten() {
        by_address.entry((v.as_ptr() as usize, v.len())).or_insert(v);
    }
    let mut distinct: Vec<&str> = by_address.values().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let rank_of = |s: &str| distinct.binary_search(&s).map_or(0, |r| r as u32 + 1);
    let rank: PlHashMap<(usize, usize), u32> = by_address.iter().map(|(&a, &s)| (a, rank_of(s))).collect();
    values.map(|v| v.map_or(0, |v| rank[&(v.as_ptr() as usize, v.len())])).collect()
}

/// The positions of `keys` in key order (`keys[order[0]]` is the least).
pub fn key_order(keys: &[&LineKey]) -> Vec<usize> {
    let n = keys.len();
    // [date, workspace, model, tier, window, geo, cost type, token type, API key]
    let mut sort: Vec<[u32; 9]> = vec![[0; 9]; n];
    for (s, k) in sort.iter_mut().zip(keys) {
        s[0] = (chrono::Datelike::num_days_from_ce(&k.date) as u32) ^ (1 << 31); // order kept
    }
    for (j, col) in TEXT.iter().enumerate() {
        let at = if j < 5 { j + 1 } else { j + 2 };
        let r = text_ranks(keys.iter().map(|k| col(k).map(|v| &**v)));
        sort.iter_mut().zip(r).for_each(|(s, r)| s[at] = r);
    }
    let mut types: Vec<&str> = keys.iter().map(|k| k.cost_type.as_str()).collect();
    types.sort_unstable();
    types.dedup();
    for (s, k) in sort.iter_mut().zip(keys) {
        s[6] = types.binary_search(&k.cost_type.as_str()).map_or(0, |r| r as u32);
    }
    // Sorted as contiguous (ranks, position) pairs: a comparison reads no other memory.
    let mut order: Vec<([u32; 9], u32)> = sort.into_iter().zip(0..).collect();
    order.sort_unstable();
    order.into_iter().map(|(_, i)| i as usize).collect()
}

/// Sorts `items` by their key (each key is unique: the sort needs no tie rule).
pub fn sort_by_key<T>(mut items: Vec<T>, key: impl Fn(&T) -> &LineKey) -> Vec<T> {
    let order = key_order(&items.iter().map(&key).collect::<Vec<_>>());
    permute(&mut items, &order);
    items
}

/// Puts `items[order[i]]` at position `i`, in place (a line is a few hundred bytes: moved once,
/// not copied into a second vector).
pub(crate) fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut done = vec![false; items.len()];
    for start in 0..items.len() {
        let mut at = start;
        while !done[at] {
            done[at] = true;
            let next = order[at];
            if next == start {
                break;
            }
            items.swap(at, next);
            at = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;

    use super::*;
    use crate::frames::CostType;

    fn text(pool: &[Arc<str>], i: usize) -> Option<Arc<str>> {
        (i > 0).then(|| pool[(i - 1) % pool.len()].clone())
    }

    proptest! {
        #[test]
        fn permute_puts_each_item_where_the_order_says(order in Just((0..60).collect::<Vec<usize>>()).prop_shuffle()) {
            let mut items: Vec<usize> = (100..160).collect();
            permute(&mut items, &order);
            let want: Vec<usize> = order.iter().map(|&i| 100 + i).collect();
            prop_assert_eq!(items, want);
        }

        /// The rank sort gives exactly `LineKey`'s order, with strings shared or not, nulls,
        /// dates before the Common Era and cost types of any name.
        #[test]
        fn ranks_sort_like_the_keys_themselves(
            rows in proptest::collection::vec((-800_000i32..800_000, proptest::collection::vec(0usize..5, 7), 0usize..4), 1..200)
        ) {
            // Two copies of every string at different addresses, as two threads would make them.
            let words = ["b", "a", "wrkspc_01JKJZS2YFSTBQQ5W6ASQZ1", "wrkspc_01JKJZS2YFSTBQQ5W6ASQZ0"];
            let pool: Vec<Arc<str>> = words.iter().chain(&words).map(|w| Arc::from(*w)).collect();
            let types = [CostType::Tokens, CostType::WebSearch, CostType::from("zeta"), CostType::from("code_execution")];
            let keys: Vec<LineKey> = rows
                .iter()
                .enumerate()
                .map(|(i, (day, t, c))| LineKey {
                    date: NaiveDate::from_num_days_from_ce_opt(*day).unwrap(),
                    workspace_id: text(&pool, t[0] + i % 2 * 4),
                    model: text(&pool, t[1]),
                    service_tier: text(&pool, t[2]),
                    context_window: text(&pool, t[3]),
                    inference_geo: text(&pool, t[4]),
                    cost_type: types[*c].clone(),
                    token_type: text(&pool, t[5] + i % 3),
                    api_key_id: text(&pool, t[6]),
                })
                .collect();
            let got: Vec<&LineKey> = key_order(&keys.iter().collect::<Vec<_>>()).into_iter().map(|i| &keys[i]).collect();
            let mut want: Vec<&LineKey> = keys.iter().collect();
            want.sort();
            prop_assert_eq!(got, want);
        }
    }
}
