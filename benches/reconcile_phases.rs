//! Where reconcile's time goes, phase by phase, on N synthetic hourly usage rows (default 10M).
//!
//!     cargo bench --bench reconcile_phases [-- ROWS]
//!
//! The frame mimics `reconcile_bench.py`: 90 days of hours, 5 workspaces (one the default),
//! 50 keys, 7 models, three tiers, both context windows and geos. Each phase is timed alone
//! (median of 5) on the output of the previous one, then the whole `reconcile` call.

use std::time::Instant;

use counterfoil::frames::aggregate::sum_by_day;
use counterfoil::frames::{CostFrame, UsageFrame};
use counterfoil::rates::RateCard;
use counterfoil::reconcile::contributions::{PRICE_DIMS, contributions};
use counterfoil::reconcile::sides::{cost_side, usage_side};
use counterfoil::reconcile::{Options, reconcile};
use polars::prelude::*;

const MODELS: [&str; 7] = [
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-opus-4-8",
    "claude-sonnet-5",
    "claude-opus-5",
];

fn usage(n: usize) -> DataFrame {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 8, 25).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let per_hour = (n / 2160).max(1);
    let h = |i: usize| (i as i64 * 2_654_435_761) % 1_000_003;
    let col = |name: &str, f: &dyn Fn(usize) -> Option<String>| {
        StringChunked::from_iter_options(name.into(), (0..n).map(f)).into_column()
    };
    let ints =
        |name: &str, f: &dyn Fn(usize) -> i64| Int64Chunked::from_iter_values(name.into(), (0..n).map(f)).into_column();
    let ts = |name: &str, off: i64| {
        Int64Chunked::from_iter_values(
            name.into(),
            (0..n).map(|i| start.timestamp_micros() + ((i / per_hour) as i64 + off) * 3_600_000_000),
        )
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column()
    };
    let eligible = |i: usize| (i * 7) % 7 >= 2;
    DataFrame::new(
        n,
        vec![
            ts("bucket_start", 0),
            ts("bucket_end", 1),
            col("workspace_id", &|i| {
                [None, Some("wrkspc_a"), Some("wrkspc_b"), Some("wrkspc_c"), Some("wrkspc_d")][(i * 3) % 5]
                    .map(str::to_owned)
            }),
            col("api_key_id", &|i| Some(format!("apikey_{}", (i * 13) % 50))),
            col("model", &|i| Some(MODELS[(i * 7) % 7].to_owned())),
            col("service_tier", &|i| {
                Some(
                    ["standard", "batch", "priority"][match (i * 11) % 20 {
                        0..15 => 0,
                        15..19 => 1,
                        _ => 2,
                    }]
                    .to_owned(),
                )
            }),
            col("context_window", &|i| {
                Some(if (i * 17) % 25 == 0 && eligible(i) { "200k-1M" } else { "0-200k" }.to_owned())
            }),
            col("inference_geo", &|i| {
                Some(
                    if !eligible(i) {
                        "not_available"
                    } else if (i * 19) % 10 == 0 {
                        "us"
                    } else {
                        "global"
                    }
                    .to_owned(),
                )
            }),
            col("speed", &|_| Some("standard".to_owned())),
            ints("uncached_input_tokens", &|i| h(i) % 50_000),
            ints("cache_creation_5m_input_tokens", &|i| if h(i) % 3 == 0 { h(i) % 20_000 } else { 0 }),
            ints("cache_creation_1h_input_tokens", &|i| if h(i) % 5 == 0 { h(i) % 40_000 } else { 0 }),
            ints("cache_read_input_tokens", &|i| (h(i) * 7) % 200_000),
            ints("output_tokens", &|i| h(i) % 4_000 + 1),
            ints("web_search_requests", &|i| if h(i) % 9 == 0 { h(i) % 4 } else { 0 }),
        ],
    )
    .unwrap()
}

fn median<T>(label: &str, mut f: impl FnMut() -> T) -> T {
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..5 {
        let t = Instant::now();
        out = Some(f());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!("{label:38} {:8.3} s", times[2]);
    out.unwrap()
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    let t = Instant::now();
    let df = usage(n);
    println!("generated {n} rows in {:.1} s", t.elapsed().as_secs_f64());
    let card = RateCard::bundled();
    let u = median("UsageFrame::new (validate)", || UsageFrame::new(&df).unwrap());
    median("sum_by_day (day + 6 price dims)", || sum_by_day(&u, &PRICE_DIMS).unwrap());
    let coarse = Default::default();
    median("contributions (sum + price + expand)", || {
        let mut n = 0usize;
        contributions(&u, &card, &coarse, &[], false, |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        n
    });
    median("usage_side (… + fold to lines)", || usage_side(&u, &card, &coarse, false).unwrap());
    let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    let cols: Vec<Column> = counterfoil::frames::COST_COLUMNS
        .iter()
        .map(|c| match *c {
            "bucket_start" | "bucket_end" => Column::full_null((*c).into(), 0, &utc),
            "amount_usd" => Column::full_null((*c).into(), 0, &counterfoil::frames::normalize::money_type()),
            _ => Column::full_null((*c).into(), 0, &DataType::String),
        })
        .collect();
    let cost = CostFrame::new(&DataFrame::new(0, cols).unwrap()).unwrap();
    cost_side(&cost).unwrap();
    let options = Options::default();
    let rec = median("reconcile (validated frames, whole)", || reconcile(&u, &cost, &card, &options).unwrap());
    median("reconcile incl. UsageFrame::new", || {
        reconcile(&UsageFrame::new(&df).unwrap(), &cost, &card, &options).unwrap()
    });
    println!("{} lines", rec.lines.height());
}
