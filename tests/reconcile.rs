//! Reconciliation end to end over the fake API: every status reachable, exactly the plants
//! flagged, tolerance boundaries, null keys, and keys that must never collide.

mod common;

use std::collections::BTreeSet;

use counterfoil::frames::{CostFrame, UsageFrame};
use counterfoil::jobs::fetch::fetch;
use counterfoil::rates::RateCard;
use counterfoil::reconcile::{LineKey, Options, Reconciliation, Status, Tolerance, reconcile};
use counterfoil::runtime::block_on;
use counterfoil::sim::{FakeAdminApi, Faults, OrgConfig, Organization, Plant};
use polars::prelude::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn org_with(seed: u64, days: u32, plants: &[Plant]) -> Organization {
    let mut cfg = OrgConfig::new(seed, days, common::today());
    cfg.plants = plants.to_vec();
    Organization::generate(cfg)
}

/// The full path: fake API, client, fetch, reconcile.
fn run(org: Organization, options: Options) -> (Reconciliation, Organization) {
    let truth = org.clone();
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0).unwrap();
    let client = common::client_for(&api, common::config(0, 4));
    let card = RateCard::bundled();
    let window = truth.window();
    let fetched = block_on(fetch(&client, window)).unwrap().unwrap();
    let options = Options { window: Some(window), workspace_names: fetched.workspace_names, ..options };
    (reconcile(&fetched.usage, &fetched.cost, &card, &options).unwrap(), truth)
}

/// (key, status) of every line that is not match / not_in_cost_report / cost_only.
fn flagged(rec: &Reconciliation) -> BTreeSet<(LineKey, String)> {
    let l = &rec.lines;
    let s = |c: &str, i: usize| l.column(c).unwrap().str().unwrap().get(i).map(std::sync::Arc::<str>::from);
    let dates = l.column("date").unwrap().cast(&DataType::Int32).unwrap();
    let dates = dates.i32().unwrap();
    (0..l.height())
        .filter(|&i| !matches!(s("status", i).as_deref(), Some("match" | "not_in_cost_report" | "cost_only")))
        .map(|i| {
            let key = LineKey {
                date: chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                    + chrono::Duration::days(dates.get(i).unwrap() as i64),
                workspace_id: s("workspace_id", i),
                model: s("model", i),
                service_tier: s("service_tier", i),
                context_window: s("context_window", i),
                inference_geo: s("inference_geo", i),
                cost_type: counterfoil::frames::CostType::from(&*s("cost_type", i).unwrap()),
                token_type: s("token_type", i),
                api_key_id: None,
            };
            (key, s("status", i).unwrap().to_string())
        })
        .collect()
}

fn planted(org: &Organization) -> BTreeSet<(LineKey, String)> {
    org.planted.iter().map(|p| (p.key.clone(), p.status.as_str().to_owned())).collect()
}

#[test]
fn a_clean_organization_reconciles_exactly() {
    let (rec, org) = run(org_with(3, 7, &[]), Options::default());
    assert!(rec.ok(), "{:?}", rec.summary.counts);
    assert_eq!(rec.summary.delta(), 0, "cost lines are tokens × list price exactly");
    let c = &rec.summary.counts;
    assert!(c["match"] > 50);
    assert!(c["not_in_cost_report"] > 0, "Priority usage is priced for information");
    assert!(c["cost_only"] > 0, "code execution and sessions");
    // The reported total is the cost report's, to the last digit.
    let truth: i128 = org
        .cost_lines
        .values()
        .flatten()
        .map(|l| counterfoil::money::to_mantissa(counterfoil::money::cents_to_usd(l.amount_cents)).unwrap())
        .sum();
    assert_eq!(rec.summary.reported_all, truth);
    // The default workspace (null id) joins like any other.
    let nulls = rec
        .lines
        .clone()
        .lazy()
        .filter(col("workspace_id").is_null().and(col("status").eq(lit("match"))))
        .collect()
        .unwrap();
    assert!(nulls.height() > 0);
    assert_eq!(nulls.column("workspace_name").unwrap().str().unwrap().get(0), Some("Default"));
}

#[test]
fn each_plant_is_found_with_its_status() {
    for plant in Plant::ALL {
        let (rec, org) = run(org_with(5, 6, &[plant]), Options::default());
        let expected = planted(&org);
        assert!(!expected.is_empty(), "{plant:?} was planted");
        assert_eq!(flagged(&rec), expected, "{plant:?}");
        assert!(!rec.ok());
    }
}

#[test]
fn every_status_is_reachable_and_explained() {
    let (rec, _) = run(org_with(9, 8, &Plant::ALL), Options::default());
    for s in Status::ALL {
        assert!(rec.summary.counts[s.as_str()] > 0, "{} never reached", s.as_str());
    }
    let expl = rec.lines.clone().lazy().filter(col("status").neq(lit("match"))).collect().unwrap();
    assert_eq!(expl.column("explanation").unwrap().null_count(), 0, "every non-match line is explained");
    let all: Vec<String> =
        expl.column("explanation").unwrap().str().unwrap().iter().flatten().map(str::to_owned).collect();
    assert!(all.iter().any(|e| e.contains("1h cache writes billed at the 5m rate")), "{all:?}");
    assert!(all.iter().any(|e| e.contains("unknown model")));
}

#[test]
fn cost_report_without_geo_reconciles_at_the_coarser_key() {
    let cfg = OrgConfig::new(4, 5, common::today()).with_cost_null(&["inference_geo".into()]).unwrap();
    let (rec, _) = run(Organization::generate(cfg), Options::default());
    assert!(rec.ok(), "{:?}", rec.summary.counts);
    assert_eq!(rec.summary.coarsened.len(), 5);
    assert!(rec.summary.coarsened.iter().all(|(_, dims)| dims == &vec!["inference_geo"]));
    assert!(rec.summary.to_json()["coarsened"].as_array().unwrap().len() == 5);
}

/// When cost_report leaves service_tier null, Priority usage (never in cost_report) must not be
/// merged into the billed lines: it stays its own `not_in_cost_report` line.
#[test]
fn coarsening_never_merges_priority_into_billed_lines() {
    let cfg = OrgConfig::new(12, 6, common::today()).with_cost_null(&["service_tier".into()]).unwrap();
    let (rec, _) = run(Organization::generate(cfg), Options::default());
    assert!(rec.ok(), "{:?}", rec.summary.counts);
    assert!(rec.summary.coarsened.iter().all(|(_, dims)| dims == &vec!["service_tier"]));
    let priority = rec.lines.clone().lazy().filter(col("service_tier").eq(lit("priority"))).collect().unwrap();
    assert!(priority.height() > 0, "Priority lines keep their tier");
    let statuses = priority.column("status").unwrap().str().unwrap().clone();
    assert!(statuses.iter().all(|s| s == Some("not_in_cost_report")));
    assert!(rec.summary.priority_expected > 0);
}

#[test]
fn tolerance_boundary_is_inclusive() {
    let (base, _) = run(org_with(6, 3, &[Plant::Bend]), Options::default());
    let planted_delta =
        base.discrepancies().unwrap().column("delta_usd").unwrap().decimal().unwrap().physical().get(0).unwrap().abs();
    let at = |m: i128| Tolerance::new(rust_decimal::Decimal::from_i128_with_scale(m, 12), dec!(0)).unwrap();
    let (exact, _) =
        run(org_with(6, 3, &[Plant::Bend]), Options { tolerance: at(planted_delta), ..Options::default() });
    assert!(exact.ok(), "|delta| == abs_tol is a match");
    let (below, _) =
        run(org_with(6, 3, &[Plant::Bend]), Options { tolerance: at(planted_delta - 1), ..Options::default() });
    assert_eq!(below.summary.counts["mismatch"], 1, "one 1e-12 below is a mismatch");
    let (rel, _) = run(
        org_with(6, 3, &[Plant::Bend]),
        Options { tolerance: Tolerance::new(dec!(0), dec!(0.07)).unwrap(), ..Options::default() },
    );
    assert!(rel.ok(), "a 7% bend is inside rel_tol = 0.07 of reported");
}

/// Two usage rows and two cost lines that differ only in one key dimension stay two lines.
#[test]
fn keys_differing_in_one_dimension_never_collide() {
    let card = RateCard::bundled();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    let start = day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros();
    for (dim, a, b) in [
        ("context_window", "0-200k", "200k-1M"),
        ("inference_geo", "global", "us"),
        ("service_tier", "standard", "batch"),
    ] {
        let val = |x: &str, d: &str, default: &str| {
            if dim == d { x.to_owned() } else { default.to_owned() }
        };
        let ctx = [val(a, "context_window", "0-200k"), val(b, "context_window", "0-200k")];
        let geo = [val(a, "inference_geo", "global"), val(b, "inference_geo", "global")];
        let tier = [val(a, "service_tier", "standard"), val(b, "service_tier", "standard")];
        let usage = counterfoil::frames::usage_frame(&[counterfoil::api::wire::Bucket {
            starting_at: chrono::DateTime::from_timestamp_micros(start).unwrap(),
            ending_at: chrono::DateTime::from_timestamp_micros(start).unwrap() + chrono::Duration::days(1),
            results: (0..2)
                .map(|i| counterfoil::api::wire::UsageResult {
                    uncached_input_tokens: 1_000_000,
                    model: Some("claude-sonnet-4-6".into()),
                    service_tier: Some(tier[i].clone()),
                    context_window: Some(ctx[i].clone()),
                    inference_geo: Some(geo[i].clone()),
                    speed: Some("standard".into()),
                    ..Default::default()
                })
                .collect(),
        }])
        .unwrap();
        // Cost: standard $3, batch $1.50, us $3.30 per MTok; 200k-1M at standard rates in Nov 2026.
        let cents = |i: usize| -> &str {
            match (tier[i].as_str(), geo[i].as_str()) {
                ("batch", _) => "150",
                (_, "us") => "330",
                _ => "300",
            }
        };
        let results = (0..2)
            .map(|i| counterfoil::api::wire::CostResult {
                amount: cents(i).parse().unwrap(),
                currency: "USD".into(),
                workspace_id: None,
                description: Some("Claude Sonnet 4.6 Usage - Input Tokens".into()),
                cost_type: Some("tokens".into()),
                model: Some("claude-sonnet-4-6".into()),
                service_tier: Some(tier[i].clone()),
                token_type: Some("uncached_input_tokens".into()),
                context_window: Some(ctx[i].clone()),
                inference_geo: Some(geo[i].clone()),
                speed: None,
            })
            .collect();
        let cost = counterfoil::frames::cost_frame(&[counterfoil::api::wire::Bucket {
            starting_at: chrono::DateTime::from_timestamp_micros(start).unwrap(),
            ending_at: chrono::DateTime::from_timestamp_micros(start).unwrap() + chrono::Duration::days(1),
            results,
        }])
        .unwrap();
        let (usage, cost) = (UsageFrame::new(&usage).unwrap(), CostFrame::new(&cost).unwrap());
        let rec = reconcile(&usage, &cost, &card, &Options::default()).unwrap();
        assert_eq!(rec.lines.height(), 2, "{dim}");
        assert!(rec.ok(), "{dim}: {:?}", rec.summary.counts);
    }
}

/// The fetched frames of one planted organization, and their reconciliation.
fn fixture() -> &'static (UsageFrame, CostFrame, Reconciliation, counterfoil::TimeWindow) {
    static F: std::sync::OnceLock<(UsageFrame, CostFrame, Reconciliation, counterfoil::TimeWindow)> =
        std::sync::OnceLock::new();
    F.get_or_init(|| {
        let org = org_with(31, 4, &Plant::ALL);
        let window = org.window();
        let api = FakeAdminApi::start_blocking(org, Faults::default(), 0).unwrap();
        let client = common::client_for(&api, common::config(0, 4));
        let fetched = block_on(fetch(&client, window)).unwrap().unwrap();
        let options = Options { window: Some(window), ..Options::default() };
        let rec = reconcile(&fetched.usage, &fetched.cost, &RateCard::bundled(), &options).unwrap();
        (fetched.usage, fetched.cost, rec, window)
    })
}

/// `df` with rows permuted by `seed`, split into `chunks` chunks, and its timestamps in `unit`.
fn vary(df: &DataFrame, seed: u64, chunks: usize, unit: TimeUnit) -> DataFrame {
    let n = df.height();
    let mut order: Vec<IdxSize> = (0..n as IdxSize).collect();
    let mut x = seed | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let mut shuffled = df.take(&IdxCa::from_vec("i".into(), order)).unwrap();
    for c in ["bucket_start", "bucket_end"] {
        let us = shuffled.column(c).unwrap().as_materialized_series().to_physical_repr().i64().unwrap().clone();
        let scaled: Int64Chunked = match unit {
            TimeUnit::Nanoseconds => us.apply_values(|v| v * 1000),
            TimeUnit::Milliseconds => us.apply_values(|v| v / 1000),
            TimeUnit::Microseconds => us,
        };
        let col = scaled.with_name(c.into()).into_datetime(unit, Some(TimeZone::UTC)).into_column();
        shuffled.replace(c, col).unwrap();
    }
    let step = n.div_ceil(chunks.max(1)).max(1);
    let mut out = shuffled.slice(0, step);
    let mut at = step;
    while at < n {
        out.vstack_mut(&shuffled.slice(at as i64, step)).unwrap();
        at += step;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The same lines in any row order, split into any number of chunks, in any time unit.
    #[test]
    fn same_lines_in_any_order_chunking_and_unit(seed in any::<u64>(), chunks in 1usize..7, unit in 0usize..3) {
        let (usage, cost, base, window) = fixture();
        let unit = [TimeUnit::Nanoseconds, TimeUnit::Microseconds, TimeUnit::Milliseconds][unit];
        let u = UsageFrame::new(&vary(usage.df(), seed, chunks, unit)).unwrap();
        let c = CostFrame::new(&vary(cost.df(), seed ^ 7, chunks, unit)).unwrap();
        let rec = reconcile(&u, &c, &RateCard::bundled(), &Options { window: Some(*window), ..Options::default() }).unwrap();
        prop_assert!(rec.lines.equals_missing(&base.lines));
        prop_assert_eq!(&rec.summary, &base.summary);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random organizations with random plants: exactly the plants are flagged; everything else
    /// is match, not_in_cost_report or cost_only; the reported total is the cost report's.
    #[test]
    fn exactly_the_plants_are_flagged(seed in 0u64..10_000, days in 2u32..8, mask in 0u8..64) {
        let plants: Vec<Plant> = Plant::ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, p)| *p).collect();
        let (rec, org) = run(org_with(seed, days, &plants), Options::default());
        prop_assert_eq!(flagged(&rec), planted(&org));
        let truth: i128 = org.cost_lines.values().flatten().map(|l| counterfoil::money::to_mantissa(counterfoil::money::cents_to_usd(l.amount_cents)).unwrap()).sum();
        prop_assert_eq!(rec.summary.reported_all, truth);
    }
}
