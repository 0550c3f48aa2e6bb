//! Frames: the column contract, exact money, and token totals that no grouping can change.

mod common;

use std::sync::OnceLock;

use counterfoil::api::{BucketWidth, CostQuery, UsageDimension, UsageQuery};
use counterfoil::frames::{COST_COLUMNS, USAGE_COLUMNS, cost_frame, usage_frame};
use counterfoil::money::{cents_to_usd, to_mantissa};
use counterfoil::runtime::block_on;
use counterfoil::sim::{FakeAdminApi, Faults};
use polars::prelude::*;
use proptest::prelude::*;

fn shared_api() -> &'static FakeAdminApi {
    static API: OnceLock<FakeAdminApi> = OnceLock::new();
    API.get_or_init(|| FakeAdminApi::start_blocking(common::org(99, 5), Faults::default(), 0).unwrap())
}

#[test]
fn usage_and_cost_frames_follow_the_contract() {
    let api = shared_api();
    let client = common::client_for(api, common::config(0, 2));
    let w = api.organization().window();
    let usage =
        usage_frame(&block_on(client.usage_buckets(&UsageQuery::new(w, BucketWidth::Hour))).unwrap().unwrap()).unwrap();
    let names: Vec<&str> = usage.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, USAGE_COLUMNS);
    let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    assert_eq!(usage.column("bucket_start").unwrap().dtype(), &utc);
    assert_eq!(usage.column("bucket_end").unwrap().dtype(), &utc);
    assert_eq!(usage.column("output_tokens").unwrap().dtype(), &DataType::Int64);
    assert_eq!(usage.column("model").unwrap().dtype(), &DataType::String);

    let cost = cost_frame(&block_on(client.cost_buckets(&CostQuery::new(w))).unwrap().unwrap()).unwrap();
    let names: Vec<&str> = cost.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, COST_COLUMNS);
    assert_eq!(cost.column("amount_usd").unwrap().dtype(), &DataType::Decimal(38, 12));
    // The reported total equals the organization's billed cents / 100, to the last digit.
    let truth: i128 = api
        .organization()
        .cost_lines
        .values()
        .flatten()
        .map(|l| to_mantissa(cents_to_usd(l.amount_cents)).unwrap())
        .sum();
    let got: i128 = cost.column("amount_usd").unwrap().decimal().unwrap().physical().iter().flatten().sum();
    assert_eq!(got, truth);
    assert!(got > 0);

    let empty = usage_frame(&[]).unwrap();
    assert_eq!(empty.height(), 0);
    assert_eq!(empty.schema(), usage.schema(), "an empty result keeps the schema");
}

fn token_totals(df: &DataFrame) -> Vec<i64> {
    [
        "uncached_input_tokens",
        "cache_creation_5m_input_tokens",
        "cache_creation_1h_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
        "web_search_requests",
    ]
    .iter()
    .map(|c| df.column(c).unwrap().as_materialized_series().sum::<i64>().unwrap())
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the grouping and width, the totals are the organization's ground truth.
    #[test]
    fn totals_are_invariant_under_grouping(mask in 0u16..512, width in prop_oneof![Just(BucketWidth::Day), Just(BucketWidth::Hour)]) {
        let api = shared_api();
        let client = common::client_for(api, common::config(0, 3));
        let w = api.organization().window();
        let mut q = UsageQuery::new(w, width);
        q.group_by = UsageDimension::ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, d)| *d).collect();
        let df = usage_frame(&block_on(client.usage_buckets(&q)).unwrap().unwrap()).unwrap();
        let truth: Vec<i64> = api.organization().usage_totals(w.start, w.end).iter().map(|&t| t as i64).collect();
        prop_assert_eq!(token_totals(&df), truth);
        // Dimensions not grouped by are null on every row.
        for d in UsageDimension::ALL {
            if !q.group_by.contains(&d) {
                prop_assert_eq!(df.column(d.as_str()).unwrap().null_count(), df.height(), "{} not grouped", d.as_str());
            }
        }
    }
}
