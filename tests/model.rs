//! Cost modeling against answers derived by hand from `reference/pricing.md` (never from the
//! product's own price function): attribution parts add up to the bill exactly, cache economics
//! with each model's own multipliers, what-if scenarios (the forecast is in tests/forecast.rs).

use chrono::{Duration, NaiveDate};
use counterfoil::api::wire::{Bucket, CacheCreation, CostResult, ServerToolUse, UsageResult};
use counterfoil::frames::{CostFrame, UsageFrame, cost_frame, usage_frame};
use counterfoil::model::{Labels, Scenario, attribute, cache_report, whatif};
use counterfoil::rates::RateCard;
use polars::prelude::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// USD as a scale-12 mantissa.
fn usd(d: Decimal) -> i128 {
    counterfoil::money::to_mantissa(d).unwrap()
}

#[derive(Clone)]
struct U<'a> {
    day: &'a str,
    key: Option<&'a str>,
    model: &'a str,
    tier: &'a str,
    geo: &'a str,
    speed: Option<&'a str>,
    /// input, 5m write, 1h write, read, output
    tokens: [u64; 5],
}

fn u<'a>(day: &'a str, key: &'a str, model: &'a str, tokens: [u64; 5]) -> U<'a> {
    U { day, key: Some(key), model, tier: "standard", geo: "not_available", speed: Some("standard"), tokens }
}

fn midnight(day: &str) -> chrono::DateTime<chrono::Utc> {
    day.parse::<NaiveDate>().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc()
}

fn usage(rows: &[U<'_>]) -> UsageFrame {
    let buckets: Vec<Bucket<UsageResult>> = rows
        .iter()
        .map(|r| Bucket {
            starting_at: midnight(r.day),
            ending_at: midnight(r.day) + Duration::days(1),
            results: vec![UsageResult {
                uncached_input_tokens: r.tokens[0],
                cache_creation: CacheCreation {
                    ephemeral_5m_input_tokens: r.tokens[1],
                    ephemeral_1h_input_tokens: r.tokens[2],
                },
                cache_read_input_tokens: r.tokens[3],
                output_tokens: r.tokens[4],
                server_tool_use: ServerToolUse { web_search_requests: 0 },
                api_key_id: r.key.map(str::to_owned),
                workspace_id: Some("wrkspc_a".into()),
                model: Some(r.model.into()),
                service_tier: Some(r.tier.into()),
                context_window: Some("0-200k".into()),
                inference_geo: Some(r.geo.into()),
                speed: r.speed.map(str::to_owned),
                ..Default::default()
            }],
        })
        .collect();
    UsageFrame::new(&usage_frame(&buckets).unwrap()).unwrap()
}

/// One cost line: (day, model, token type, cost_type, USD).
type CostLine<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, Decimal);

fn cost(lines: &[CostLine<'_>]) -> CostFrame {
    let buckets: Vec<Bucket<CostResult>> = lines
        .iter()
        .map(|(day, model, tt, ct, amount)| Bucket {
            starting_at: midnight(day),
            ending_at: midnight(day) + Duration::days(1),
            results: vec![CostResult {
                amount: amount * dec!(100), // the API speaks cents
                currency: "USD".into(),
                workspace_id: Some("wrkspc_a".into()),
                description: Some("line".into()),
                cost_type: Some((*ct).into()),
                model: model.map(str::to_owned),
                service_tier: model.map(|_| "standard".to_owned()),
                token_type: tt.map(str::to_owned),
                context_window: model.map(|_| "0-200k".to_owned()),
                inference_geo: model.map(|_| "not_available".to_owned()),
                speed: None,
            }],
        })
        .collect();
    CostFrame::new(&cost_frame(&buckets).unwrap()).unwrap()
}

fn money_col(df: &DataFrame, c: &str) -> Vec<Option<i128>> {
    df.column(c).unwrap().decimal().unwrap().physical().iter().collect()
}

fn strs(df: &DataFrame, c: &str) -> Vec<Option<String>> {
    df.column(c).unwrap().str().unwrap().iter().map(|s| s.map(str::to_owned)).collect()
}

const SONNET45: &str = "claude-sonnet-4-5-20250929"; // $3 in, $15 out (pricing.md §1)
const INPUT: &str = "uncached_input_tokens";

#[test]
fn attribution_splits_the_billed_line_over_keys_by_expected_usd() {
    // Keys A and B used 1M and 3M input tokens of Sonnet 4.5: $3 and $9 at list. The bill says
    // $12.60 (5% more): A gets 3.15 and B 9.45, summing to the line to the last digit.
    let u = usage(&[
        u("2026-03-02", "apikey_A", SONNET45, [1_000_000, 0, 0, 0, 0]),
        u("2026-03-02", "apikey_B", SONNET45, [3_000_000, 0, 0, 0, 0]),
    ]);
    let c = cost(&[
        ("2026-03-02", Some(SONNET45), Some(INPUT), "tokens", dec!(12.60)),
        ("2026-03-02", None, None, "code_execution", dec!(0.75)),
    ]);
    let a = attribute(&u, &c, &RateCard::bundled(), &Labels::default(), None).unwrap();
    let keys = strs(&a, "api_key_id");
    let alloc = money_col(&a, "allocated_usd");
    let expected = money_col(&a, "expected_usd");
    let basis = strs(&a, "basis");
    let row = |k: Option<&str>| keys.iter().position(|x| x.as_deref() == k).unwrap();
    assert_eq!(expected[row(Some("apikey_A"))], Some(usd(dec!(3))));
    assert_eq!(expected[row(Some("apikey_B"))], Some(usd(dec!(9))));
    assert_eq!(alloc[row(Some("apikey_A"))], Some(usd(dec!(3.15))));
    assert_eq!(alloc[row(Some("apikey_B"))], Some(usd(dec!(9.45))));
    assert_eq!(basis[row(Some("apikey_A"))].as_deref(), Some("expected"));
    // Code execution has no usage: it stays whole, with no key.
    assert_eq!(alloc[row(None)], Some(usd(dec!(0.75))));
    assert_eq!(basis[row(None)].as_deref(), Some("no_usage"));
    let total: i128 = alloc.iter().flatten().sum();
    assert_eq!(total, usd(dec!(13.35)), "the parts add up to the bill");
}

#[test]
fn a_billed_line_with_no_usage_keeps_every_key_dimension_of_its_cost_line() {
    // Haiku billed on 11-04 with no usage that day: one no_usage row, the cost line's key whole.
    let usage = usage(&[u("2026-11-03", "apikey_A", "claude-haiku-4-5", [1_000, 0, 0, 0, 0])]);
    let c = cost(&[("2026-11-04", Some("claude-haiku-4-5"), Some(INPUT), "tokens", dec!(2.5))]);
    let df = attribute(&usage, &c, &RateCard::bundled(), &Labels::default(), None).unwrap();
    let basis = strs(&df, "basis");
    let i = basis.iter().position(|b| b.as_deref() == Some("no_usage")).expect("a no_usage row");
    assert_eq!(basis.iter().filter(|b| b.as_deref() == Some("no_usage")).count(), 1);
    let at = |c: &str| strs(&df, c)[i].clone();
    assert_eq!(at("workspace_id").as_deref(), Some("wrkspc_a"));
    assert_eq!(at("model").as_deref(), Some("claude-haiku-4-5"));
    assert_eq!(at("service_tier").as_deref(), Some("standard"));
    assert_eq!(at("context_window").as_deref(), Some("0-200k"));
    assert_eq!(at("inference_geo").as_deref(), Some("not_available"));
    assert_eq!(at("token_type").as_deref(), Some(INPUT));
    assert_eq!(at("api_key_id"), None, "no key: nobody's usage is behind it");
    assert_eq!(money_col(&df, "allocated_usd")[i], Some(usd(dec!(2.5))));
}

#[test]
fn an_unpriced_key_on_a_line_switches_the_split_to_tokens_and_unbilled_usage_is_not_allocated() {
    // Opus 5 has a fast rate, so a row without speed cannot be priced: the line splits by tokens.
    let mut b = u("2026-11-02", "apikey_B", "claude-opus-5", [1_000_000, 0, 0, 0, 0]);
    b.speed = None;
    b.geo = "global";
    let mut a = u("2026-11-02", "apikey_A", "claude-opus-5", [1_000_000, 0, 0, 0, 0]);
    a.geo = "global";
    let mut unbilled = u("2026-11-03", "apikey_A", "claude-opus-5", [2_000_000, 0, 0, 0, 0]);
    unbilled.geo = "global";
    let usage = usage(&[a, b, unbilled]);
    let mut c = cost(&[("2026-11-02", Some("claude-opus-5"), Some(INPUT), "tokens", dec!(10))]).into_df();
    c.with_column(Column::new("inference_geo".into(), ["global"])).unwrap();
    let c = CostFrame::new(&c).unwrap();
    let df = attribute(&usage, &c, &RateCard::bundled(), &Labels::default(), None).unwrap();
    let basis = strs(&df, "basis");
    let alloc = money_col(&df, "allocated_usd");
    let dates = df.column("date").unwrap().cast(&DataType::String).unwrap();
    let dates: Vec<_> = dates.str().unwrap().iter().map(|d| d.unwrap().to_owned()).collect();
    for (i, d) in dates.iter().enumerate() {
        if d == "2026-11-02" {
            assert_eq!(basis[i].as_deref(), Some("quantity"));
            assert_eq!(alloc[i], Some(usd(dec!(5))), "$10 over 1M + 1M tokens");
        } else {
            assert_eq!((basis[i].as_deref(), alloc[i]), (None, None), "usage with no bill keeps no allocation");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random keys and a random billed amount: the parts of the line sum to it exactly.
    #[test]
    fn attribution_parts_sum_to_the_reported_line(tokens in proptest::collection::vec(0u64..5_000_000, 1..9), cents in 0i64..100_000_000_000, scale in 0u32..8) {
        let names: Vec<String> = (0..tokens.len()).map(|i| format!("apikey_{i}")).collect();
        let rows: Vec<U<'_>> = tokens.iter().zip(&names).map(|(t, k)| u("2026-03-02", k, SONNET45, [*t, 0, 0, 0, 1])).collect();
        let reported = Decimal::new(cents, scale);
        let c = cost(&[("2026-03-02", Some(SONNET45), Some(INPUT), "tokens", reported)]);
        let df = attribute(&usage(&rows), &c, &RateCard::bundled(), &Labels::default(), None).unwrap();
        let tt = strs(&df, "token_type");
        let alloc = money_col(&df, "allocated_usd");
        let sum: i128 = tt.iter().zip(&alloc).filter(|(t, _)| t.as_deref() == Some(INPUT)).filter_map(|(_, a)| *a).sum();
        let any_input = tokens.iter().any(|t| *t > 0);
        if any_input {
            prop_assert_eq!(sum, usd(reported));
        }
    }
}

#[test]
fn cache_economics_with_each_models_own_read_rate() {
    // Opus 5.5 on 2026-10-01: input $4, 5m $5, 1h $8, read $0.20 (0.05×, pricing.md §1).
    // 1M uncached, 2M 5m writes, 1M 1h writes, 10M reads:
    //   premium = 2M × (5 − 4) + 1M × (8 − 4) = $6; savings = 10M × (4 − 0.20) = $38; net $32.
    let row = u("2026-10-01", "apikey_A", "claude-opus-5-5", [1_000_000, 2_000_000, 1_000_000, 10_000_000, 0]);
    let mut row = row;
    row.geo = "global";
    let mut batch = row.clone();
    batch.tier = "batch";
    batch.key = Some("apikey_B");
    let df = cache_report(&usage(&[row, batch]), &RateCard::bundled(), &["api_key_id"]).unwrap();
    let premium = money_col(&df, "write_premium_usd");
    let savings = money_col(&df, "read_savings_usd");
    let net = money_col(&df, "net_savings_usd");
    assert_eq!((premium[0], savings[0], net[0]), (Some(usd(dec!(6))), Some(usd(dec!(38))), Some(usd(dec!(32)))));
    // Batch halves every rate: premium $3, savings $19.
    assert_eq!((premium[1], savings[1]), (Some(usd(dec!(3))), Some(usd(dec!(19)))));
    let hit = df.column("cache_hit_rate").unwrap().f64().unwrap().get(0).unwrap();
    assert!((hit - 10.0 / 14.0).abs() < 1e-12);
    // An unknown model: money null, the tokens counted as unpriced.
    let mut unknown = u("2026-10-01", "apikey_C", "claude-opus-9", [0, 0, 0, 5, 0]);
    unknown.geo = "global";
    let df = cache_report(&usage(&[unknown]), &RateCard::bundled(), &["model"]).unwrap();
    assert_eq!(money_col(&df, "net_savings_usd"), vec![None]);
    assert_eq!(df.column("unpriced_tokens").unwrap().i64().unwrap().get(0), Some(5));
    assert!(
        cache_report(&usage(&[u("2026-10-01", "k", SONNET45, [1, 0, 0, 0, 0])]), &RateCard::bundled(), &["colour"])
            .is_err()
    );
}

fn scenario_total(u: &UsageFrame, s: &Scenario) -> (Option<i128>, Option<i128>, Option<bool>) {
    let df = whatif(u, s, &RateCard::bundled(), &["model"]).unwrap();
    let e = df.column("exact").unwrap().bool().unwrap().get(0);
    (money_col(&df, "baseline_usd")[0], money_col(&df, "scenario_usd")[0], e)
}

#[test]
fn what_if_scenarios_against_hand_prices() {
    // Sonnet 4.5: 2M input + 1M output = 2 × $3 + 1 × $15 = $21.
    let s45 = usage(&[u("2026-03-02", "apikey_A", SONNET45, [2_000_000, 0, 0, 0, 1_000_000])]);
    let all_batch = Scenario { batch_share: Some(dec!(1.0)), ..Scenario::default() };
    assert_eq!(
        scenario_total(&s45, &all_batch),
        (Some(usd(dec!(21))), Some(usd(dec!(10.5))), Some(true)),
        "a batch share of 1 halves it exactly"
    );
    let some_batch = Scenario { batch_share: Some(dec!(0.3)), ..Scenario::default() };
    assert_eq!(scenario_total(&s45, &some_batch).1, Some(usd(dec!(17.85))), "0.3 × $10.50 + 0.7 × $21");
    let discounted = Scenario { discount_factor: Some(dec!(0.9)), ..Scenario::default() };
    assert_eq!(scenario_total(&s45, &discounted).1, Some(usd(dec!(18.9))));
    // Opus 4.1 ($15 / $75) swapped to Sonnet 4.5 ($3 / $15) on the same day: 1M + 1M tokens.
    let opus = usage(&[u("2026-03-02", "apikey_A", "claude-opus-4-1-20250805", [1_000_000, 0, 0, 0, 1_000_000])]);
    let swap = Scenario {
        swap_models: [("claude-opus-4-1-20250805".to_owned(), SONNET45.to_owned())].into(),
        ..Scenario::default()
    };
    assert_eq!(scenario_total(&opus, &swap), (Some(usd(dec!(90))), Some(usd(dec!(18))), Some(true)));
    // 1h writes at the 5m rate: 1M × $18.75 instead of $30.
    let writes = usage(&[u("2026-03-02", "apikey_A", "claude-opus-4-1-20250805", [0, 0, 1_000_000, 0, 0])]);
    let ttl = Scenario { cache_ttl: Some("5m".into()), ..Scenario::default() };
    assert_eq!(scenario_total(&writes, &ttl), (Some(usd(dec!(30))), Some(usd(dec!(18.75))), Some(true)));
    // Sonnet 5.5's cache-read cut of 2026-10-07: 10M reads on 2026-10-10 at $0.10, at $0.20 on 2026-10-01.
    let mut reads = u("2026-10-10", "apikey_A", "claude-sonnet-5-5", [0, 0, 0, 10_000_000, 0]);
    reads.geo = "global";
    let before_cut = Scenario { price_date: Some("2026-10-01".parse().unwrap()), ..Scenario::default() };
    assert_eq!(scenario_total(&usage(&[reads]), &before_cut), (Some(usd(dec!(1))), Some(usd(dec!(2))), Some(true)));
    // US-only inference: Sonnet 4.6 input $3 → $3.30 (1.1×).
    let mut s46 = u("2026-11-02", "apikey_A", "claude-sonnet-4-6", [1_000_000, 0, 0, 0, 0]);
    s46.geo = "global";
    let us = Scenario { inference_geo: Some("us".into()), ..Scenario::default() };
    assert_eq!(scenario_total(&usage(&[s46]), &us).1, Some(usd(dec!(3.3))));
    // A swap to a model not yet released on that day cannot be priced: unpriced, null money.
    let early =
        Scenario { swap_models: [(SONNET45.to_owned(), "claude-sonnet-5-5".to_owned())].into(), ..Scenario::default() };
    let df = whatif(&s45, &early, &RateCard::bundled(), &["model"]).unwrap();
    assert_eq!(strs(&df, "status"), vec![Some("unpriced".to_owned())]);
    assert_eq!(money_col(&df, "scenario_usd"), vec![None]);
    // `where` limits the scenario: only apikey_B moves to batch.
    let two = usage(&[
        u("2026-03-02", "apikey_A", SONNET45, [1_000_000, 0, 0, 0, 0]),
        u("2026-03-02", "apikey_B", SONNET45, [1_000_000, 0, 0, 0, 0]),
    ]);
    let only_b = Scenario {
        batch_share: Some(dec!(1)),
        r#where: [("api_key_id".to_owned(), vec![Some("apikey_B".to_owned())])].into(),
        ..Scenario::default()
    };
    assert_eq!(scenario_total(&two, &only_b).1, Some(usd(dec!(4.5))), "$3 + $1.50");
}

#[test]
fn what_if_refuses_what_it_cannot_model() {
    let s45 = usage(&[u("2026-03-02", "apikey_A", SONNET45, [1, 0, 0, 0, 0])]);
    let card = RateCard::bundled();
    let bad = [
        Scenario { swap_models: [(SONNET45.to_owned(), "claude-nope".to_owned())].into(), ..Scenario::default() },
        Scenario { batch_share: Some(dec!(1.5)), ..Scenario::default() },
        Scenario { batch_share: Some(dec!(0.1234567)), ..Scenario::default() },
        Scenario { r#where: [("colour".to_owned(), vec![])].into(), ..Scenario::default() },
        Scenario { cache_ttl: Some("24h".into()), ..Scenario::default() },
        Scenario { price_date: Some("2020-01-01".parse().unwrap()), ..Scenario::default() },
    ];
    for s in bad {
        let e = whatif(&s45, &s, &card, &["model"]).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }
}
