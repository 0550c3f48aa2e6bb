//! The aggregation against sums taken by hand: any row order, days centuries apart, wide keys,
//! values crossing a column's chunks and threads, sums past 64 bits.

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

/// The naive sum: a sorted map from (day, value) to the total of the counts.
fn by_hand(rows: &[(i64, Option<&str>, i64)]) -> Vec<(i32, Option<String>, i64)> {
    let mut m: std::collections::BTreeMap<(i32, Option<String>), i64> = Default::default();
    for (t, v, n) in rows {
        *m.entry((t.div_euclid(MICROS_PER_DAY) as i32, v.map(str::to_owned))).or_default() += n;
    }
    m.into_iter().map(|((d, v), n)| (d, v, n)).collect()
}

fn summed(rows: &[(i64, Option<&str>, i64)]) -> Vec<(i32, Option<String>, i64)> {
    let mut g: Vec<(i32, Option<String>, i64)> = sum_by_day(&frame(rows), &["model"])
        .unwrap()
        .into_iter()
        .map(|g| (g.day, g.dims[0].as_deref().map(str::to_owned), g.counts[4]))
        .collect();
    g.sort();
    g
}

#[test]
fn rows_in_no_order_sum_like_sorted_ones() {
    // The first row's day is the latest: every other row is on a day before it.
    let d = MICROS_PER_DAY;
    let rows = [(40 * d, Some("a"), 1), (3 * d, Some("a"), 2), (0, Some("b"), 4), (3 * d + 5, Some("a"), 8)];
    assert_eq!(summed(&rows), vec![(0, Some("b".into()), 4), (3, Some("a".into()), 10), (40, Some("a".into()), 1)]);
}

proptest::proptest! {
    /// Any rows, in any order, over days close together or centuries apart (the packed and
    /// the wide key), sum to what a sorted map by hand gives.
    #[test]
    fn sums_equal_a_map_by_hand(
        rows in proptest::collection::vec(
            (proptest::prop_oneof![0i64..400, -60_000i64..60_000], 0usize..4, 0i64..1_000_000),
            1..1200,
        )
    ) {
        let names = [None, Some("claude-opus-4-6"), Some("claude-sonnet-4-5-20250929"), Some("x")];
        let rows: Vec<(i64, Option<&str>, i64)> =
            rows.iter().map(|&(day, v, n)| (day * MICROS_PER_DAY + n % 86_400, names[v], n)).collect();
        proptest::prop_assert_eq!(summed(&rows), by_hand(&rows));
    }
}

#[test]
fn a_group_summed_before_and_after_a_column_passes_65536_values_is_one_group() {
    let names: Vec<String> = (0..70_000).map(|i| format!("model-{i}")).collect();
    let mut rows: Vec<(i64, Option<&str>, i64)> = vec![(0, Some("a"), 1)];
    rows.extend(names.iter().map(|n| (0, Some(n.as_str()), 10)));
    rows.push((0, Some("a"), 2)); // after the packed key ran out of codes
    let g = summed(&rows);
    assert_eq!(g.len(), 70_001);
    assert_eq!(g.iter().find(|g| g.1.as_deref() == Some("a")).map(|g| g.2), Some(3));
    assert_eq!(g.iter().map(|g| g.2).sum::<i64>(), 700_003);
}

#[test]
fn threads_meet_on_values_not_on_their_own_codes() {
    // Enough rows for two threads; each thread sees the values in another order, so their
    // codes for one value differ.
    let names = [Some("claude-opus-4-6"), None, Some("claude-sonnet-4-5-20250929"), Some("x")];
    let n = 2 * MIN_ROWS_PER_THREAD + 10;
    let rows: Vec<(i64, Option<&str>, i64)> = (0..n)
        .map(|i| {
            let v = if i < n / 2 { names[i % 4] } else { names[3 - i % 4] };
            ((i % 3) as i64 * MICROS_PER_DAY, v, (i % 7) as i64)
        })
        .collect();
    assert_eq!(summed(&rows), by_hand(&rows));
}

#[test]
fn a_sum_past_u64_is_counted_exactly_before_it_is_refused() {
    let rows = [(0, Some("a"), i64::MAX), (0, Some("a"), i64::MAX), (0, Some("a"), i64::MAX)];
    let e = sum_by_day(&frame(&rows), &["model"]).unwrap_err();
    assert!(e.to_string().contains(&(3 * i64::MAX as i128).to_string()), "{e}");
}

#[test]
fn a_sum_beyond_int64_is_refused_not_wrapped() {
    let big = 6_000_000_000_000_000_000;
    let e = sum_by_day(&frame(&[(0, Some("a"), big), (0, Some("a"), big)]), &["model"]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("beyond Int64"), "{e}");
}
