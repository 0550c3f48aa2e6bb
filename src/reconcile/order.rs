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
    let ranks = rank_columns(keys);
    // Each column's ranks need a few bits (a few dozen values; the days between the first and
    // the last): when they all fit one `u64`, the lines are sorted as (u64, position) pairs, a
    // third of the bytes of the ranks themselves and one comparison each.
    let bits: Vec<u32> = ranks.iter().map(|c| u32::BITS - c.iter().max().unwrap_or(&0).leading_zeros()).collect();
    if bits.iter().sum::<u32>() <= u64::BITS {
        let mut order: Vec<(u64, u32)> = (0..keys.len())
            .map(|i| (ranks.iter().zip(&bits).fold(0u64, |k, (c, &b)| (k << b) | u64::from(c[i])), i as u32))
            .collect();
        order.sort_unstable();
        return order.into_iter().map(|(_, i)| i as usize).collect();
    }
    // Sorted as contiguous (ranks, position) pairs: a comparison reads no other memory.
    let mut order: Vec<([u32; 9], u32)> =
        (0..keys.len()).map(|i| (std::array::from_fn(|j| ranks[j][i]), i as u32)).collect();
    order.sort_unstable();
    order.into_iter().map(|(_, i)| i as usize).collect()
}

/// Each key's rank in each of its columns, in `LineKey`'s field order: [date (days after the
/// first), workspace, model, tier, window, geo, cost type, token type, API key]. The keys are
/// read once, into one small column per field: a key lives in a line of a few hundred bytes,
/// and reading the lines once per column cost more than the ranking.
fn rank_columns(keys: &[&LineKey]) -> [Vec<u32>; 9] {
    let n = keys.len();
    let mut days: Vec<i32> = Vec::with_capacity(n);
    let mut types: Vec<&str> = Vec::with_capacity(n);
    let mut texts: [Vec<Option<&str>>; 7] = std::array::from_fn(|_| Vec::with_capacity(n));
    for k in keys {
        days.push(chrono::Datelike::num_days_from_ce(&k.date));
        types.push(k.cost_type.as_str());
        for (column, field) in texts.iter_mut().zip(TEXT) {
            column.push(field(k).map(|v| &**v));
        }
    }
    let first = days.iter().copied().min().unwrap_or(0);
    let mut distinct_types = types.clone();
    distinct_types.sort_unstable();
    distinct_types.dedup();
    let [ws, model, tier, window, geo, token, api_key] = texts.map(|c| text_ranks(c.iter().copied()));
    [
        days.iter().map(|&d| d.abs_diff(first)).collect(),
        ws,
        model,
        tier,
        window,
        geo,
        types.iter().map(|t| distinct_types.binary_search(t).map_or(0, |r| r as u32)).collect(),
        token,
        api_key,
    ]
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

    #[test]
    fn keys_too_varied_for_one_u64_sort_on_their_ranks_alike() {
        // Dates at both ends of the calendar (28 bits) and 40 values in every text column (6 bits
        // each): 72 bits, more than the packed sort holds.
        let pool: Vec<Arc<str>> = (0..40).map(|i| Arc::from(format!("v{:02}", (i * 17) % 40))).collect();
        let ends = [NaiveDate::MIN, NaiveDate::MAX, NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()];
        let keys: Vec<LineKey> = (0..400)
            .map(|i| LineKey {
                date: ends[i % 3],
                workspace_id: text(&pool, i % 41),
                model: text(&pool, (i * 7) % 41),
                service_tier: text(&pool, (i * 11) % 41),
                context_window: text(&pool, (i * 13) % 41),
                inference_geo: text(&pool, (i * 19) % 41),
                cost_type: CostType::Tokens,
                token_type: text(&pool, (i * 23) % 41),
                api_key_id: text(&pool, (i * 29) % 41),
            })
            .collect();
        let refs: Vec<&LineKey> = keys.iter().collect();
        let bits: u32 = rank_columns(&refs).iter().map(|c| u32::BITS - c.iter().max().unwrap().leading_zeros()).sum();
        assert!(bits > u64::BITS, "{bits} bits would take the packed sort");
        let got: Vec<&LineKey> = key_order(&refs).into_iter().map(|i| &keys[i]).collect();
        let mut want = refs.clone();
        want.sort();
        assert_eq!(got, want);
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
