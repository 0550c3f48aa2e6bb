//! price(): the worked examples of pricing.md §7, properties of the arithmetic, and one
//! regression test per pricing failure other tools shipped (field-notes.md), named for it.

use chrono::{NaiveDate, TimeZone, Utc};
use counterfoil::api::wire::{Bucket, CacheCreation, ServerToolUse, UsageResult};
use counterfoil::frames::{UsageFrame, usage_frame};
use counterfoil::money::format_scaled;
use counterfoil::pricing::{Pricer, price};
use counterfoil::rates::{PriceQuery, RateCard, TokenType};
use polars::prelude::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

struct Row<'a> {
    day: &'a str,
    model: &'a str,
    tier: &'a str,
    ctx: &'a str,
    geo: &'a str,
    tokens: [u64; 5],
    web: u64,
}

fn row<'a>(day: &'a str, model: &'a str, tokens: [u64; 5]) -> Row<'a> {
    Row { day, model, tier: "standard", ctx: "0-200k", geo: "global", tokens, web: 0 }
}

fn usage(rows: &[Row<'_>]) -> UsageFrame {
    let buckets: Vec<Bucket<UsageResult>> = rows
        .iter()
        .map(|r| {
            let d: NaiveDate = r.day.parse().unwrap();
            let start = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap());
            Bucket {
                starting_at: start,
                ending_at: start + chrono::Duration::days(1),
                results: vec![UsageResult {
                    uncached_input_tokens: r.tokens[0],
                    cache_creation: CacheCreation {
                        ephemeral_5m_input_tokens: r.tokens[1],
                        ephemeral_1h_input_tokens: r.tokens[2],
                    },
                    cache_read_input_tokens: r.tokens[3],
                    output_tokens: r.tokens[4],
                    server_tool_use: ServerToolUse { web_search_requests: r.web },
                    model: Some(r.model.into()),
                    service_tier: Some(r.tier.into()),
                    context_window: Some(r.ctx.into()),
                    inference_geo: Some(r.geo.into()),
                    speed: Some("standard".into()),
                    ..Default::default()
                }],
            }
        })
        .collect();
    UsageFrame::new(&usage_frame(&buckets).unwrap()).unwrap()
}

/// Σ expected_usd as a decimal string, and whether every row was priced.
fn total(df: &DataFrame) -> (String, usize) {
    let e = df.column("expected_usd").unwrap();
    let sum: i128 = e.decimal().unwrap().physical().iter().flatten().sum();
    (format_scaled(sum, 12), e.null_count())
}

fn expected_of(df: &DataFrame, token_type: &str) -> String {
    let f = df.clone().lazy().filter(col("token_type").eq(lit(token_type))).collect().unwrap();
    total(&f).0
}

#[test]
fn worked_example_a_sonnet_4_5_batch() {
    let mut r = row("2026-01-15", "claude-sonnet-4-5-20250929", [1_234_567, 0, 0, 0, 89_000]);
    r.tier = "batch";
    let p = price(&usage(&[r]), &RateCard::bundled()).unwrap();
    assert_eq!(expected_of(&p, "uncached_input_tokens"), "1.8518505");
    assert_eq!(expected_of(&p, "output_tokens"), "0.6675");
    assert_eq!(total(&p), ("2.5193505".into(), 0));
}

#[test]
fn worked_example_b_opus_4_1_one_hour_write() {
    let card = RateCard::bundled();
    let p = price(&usage(&[row("2026-03-01", "claude-opus-4-1-20250805", [0, 0, 187_654, 0, 0])]), &card).unwrap();
    assert_eq!(total(&p).0, "5.62962");
    let mut b = row("2026-03-01", "claude-opus-4-1-20250805", [0, 0, 187_654, 0, 0]);
    b.tier = "batch";
    assert_eq!(total(&price(&usage(&[b]), &card).unwrap()).0, "2.81481");
}

#[test]
fn worked_example_c_sonnet_4_long_context() {
    let mut r = row("2026-01-20", "claude-sonnet-4-20250514", [20_000, 30_000, 0, 250_000, 4_000]);
    r.ctx = "200k-1M";
    let card = RateCard::bundled();
    assert_eq!(total(&price(&usage(&[r]), &card).unwrap()).0, "0.585");
    let mut b = row("2026-01-20", "claude-sonnet-4-20250514", [20_000, 30_000, 0, 250_000, 4_000]);
    b.ctx = "200k-1M";
    b.tier = "batch";
    assert_eq!(total(&price(&usage(&[b]), &card).unwrap()).0, "0.2925");
    let standard = row("2026-01-20", "claude-sonnet-4-20250514", [20_000, 30_000, 0, 250_000, 4_000]);
    assert_eq!(total(&price(&usage(&[standard]), &card).unwrap()).0, "0.3075");
}

#[test]
fn web_search_is_its_own_row_at_a_cent_each() {
    let mut r = row("2026-11-01", "claude-sonnet-4-6", [10, 0, 0, 0, 0]);
    r.web = 37;
    let p = price(&usage(&[r]), &RateCard::bundled()).unwrap();
    let web = p.clone().lazy().filter(col("cost_type").eq(lit("web_search"))).collect().unwrap();
    assert_eq!(web.height(), 1);
    assert_eq!(total(&web).0, "0.37");
    assert_eq!(web.column("token_type").unwrap().null_count(), 1);
}

// ---- regression tests, one per field-notes failure ----

#[test]
fn one_hour_writes_priced_at_the_five_minute_rate() {
    let card = RateCard::bundled();
    for (day, model) in [
        ("2026-07-01", "claude-opus-4-1-20250805"),
        ("2026-07-01", "claude-sonnet-4-6"),
        ("2026-10-01", "claude-opus-5-5"),
        ("2026-10-01", "claude-haiku-4-5-20251001"),
    ] {
        let p = price(&usage(&[row(day, model, [0, 1_000_000, 1_000_000, 0, 0])]), &card);
        let p = match p {
            Ok(p) => p,
            Err(e) => panic!("{model}: {e}"),
        };
        assert_eq!(p.column("expected_usd").unwrap().null_count(), 0, "{model} is priced on {day}");
        let w5: Decimal = expected_of(&p, "cache_creation.ephemeral_5m_input_tokens").parse().unwrap();
        let w1: Decimal = expected_of(&p, "cache_creation.ephemeral_1h_input_tokens").parse().unwrap();
        assert_eq!(w1 / w5, dec!(1.6), "{model}: 1h = 2× input, 5m = 1.25× input");
    }
}

#[test]
fn cents_read_as_dollars() {
    // cost_report's "54.702" is cents: $0.54702, never $54.702.
    let usd = counterfoil::money::cents_to_usd("54.702".parse().unwrap());
    assert_eq!(usd, dec!(0.54702));
}

#[test]
fn batch_discount_skipped_on_cache_tokens() {
    let card = RateCard::bundled();
    let q = |tier| PriceQuery {
        model: "claude-sonnet-4-6",
        day: "2026-08-01".parse().unwrap(),
        service_tier: Some(tier),
        context_window: Some("0-200k"),
        inference_geo: Some("global"),
        speed: Some("standard"),
    };
    let (s, b) = (card.price(&q("standard")).unwrap(), card.price(&q("batch")).unwrap());
    for t in TokenType::ALL {
        assert_eq!(b.rate(t) * dec!(2), s.rate(t), "{t:?}");
    }
    assert_eq!(b.rate(TokenType::CacheRead), dec!(0.15), "not the flat batch input rate");
}

#[test]
fn long_context_premium_applied_to_4_6_models_after_ga() {
    let card = RateCard::bundled();
    let q = |model, day: &str| PriceQuery {
        model,
        day: day.parse().unwrap(),
        service_tier: Some("standard"),
        context_window: Some("200k-1M"),
        inference_geo: Some("global"),
        speed: Some("standard"),
    };
    assert_eq!(
        card.price(&q("claude-opus-4-6", "2026-03-01")).unwrap().rate(TokenType::Input),
        dec!(10),
        "premium while beta"
    );
    assert_eq!(
        card.price(&q("claude-opus-4-6", "2026-03-13")).unwrap().rate(TokenType::Input),
        dec!(5),
        "standard from GA"
    );
    assert_eq!(card.price(&q("claude-sonnet-4-6", "2026-06-01")).unwrap().rate(TokenType::Output), dec!(15));
    assert_eq!(card.price(&q("claude-opus-4-8", "2026-09-01")).unwrap().rate(TokenType::Input), dec!(5));
    assert!(
        card.price(&q("claude-sonnet-4-5-20250929", "2026-05-01")).is_err(),
        ">200k requests error after 2026-04-30"
    );
}

#[test]
fn cancelled_price_change_encoded() {
    // Sonnet 5's rise to $3/$15 on 2026-09-01 never happened.
    let card = RateCard::bundled();
    for day in ["2026-08-31", "2026-09-01", "2026-11-20"] {
        let p = card
            .price(&PriceQuery {
                model: "claude-sonnet-5",
                day: day.parse().unwrap(),
                service_tier: Some("standard"),
                context_window: Some("0-200k"),
                inference_geo: Some("global"),
                speed: Some("standard"),
            })
            .unwrap();
        assert_eq!((p.rate(TokenType::Input), p.rate(TokenType::Output)), (dec!(2), dec!(10)), "{day}");
    }
}

#[test]
fn sonnet_5_5_cache_read_cut_missed() {
    let card = RateCard::bundled();
    let rows = [
        row("2026-10-06", "claude-sonnet-5-5", [0, 0, 0, 1_000_000, 0]),
        row("2026-10-07", "claude-sonnet-5-5", [0, 0, 0, 1_000_000, 0]),
    ];
    let p = price(&usage(&rows), &card).unwrap();
    let e = p.column("expected_usd").unwrap().decimal().unwrap().physical().clone();
    assert_eq!(format_scaled(e.get(0).unwrap(), 12), "0.2", "before the cut");
    assert_eq!(format_scaled(e.get(1).unwrap(), 12), "0.1", "from 2026-10-07");
}

#[test]
fn unknown_model_priced_at_zero() {
    let p = price(&usage(&[row("2026-11-01", "claude-opus-9", [1_000, 0, 0, 0, 10])]), &RateCard::bundled()).unwrap();
    assert_eq!(p.height(), 2);
    assert_eq!(p.column("expected_usd").unwrap().null_count(), 2, "null, never $0");
    let status = p.column("price_status").unwrap().str().unwrap().get(0).unwrap().to_owned();
    assert_eq!(status, "unpriced");
    assert!(p.column("price_note").unwrap().str().unwrap().get(0).unwrap().contains("unknown model"));
}

#[test]
fn priority_is_priced_but_flagged_and_flex_is_unpriced() {
    let mut pr = row("2026-11-01", "claude-sonnet-4-6", [1_000_000, 0, 0, 0, 0]);
    pr.tier = "priority";
    let mut fx = row("2026-11-01", "claude-sonnet-4-6", [1_000_000, 0, 0, 0, 0]);
    fx.tier = "flex";
    let p = price(&usage(&[pr, fx]), &RateCard::bundled()).unwrap();
    let st = p.column("price_status").unwrap().str().unwrap().clone();
    assert_eq!((st.get(0), st.get(1)), (Some("not_in_cost_report"), Some("unpriced")));
    assert_eq!(total(&p), ("3".into(), 1));
}

#[test]
fn uncertain_prices_carry_their_flag() {
    let p = price(&usage(&[row("2026-11-15", "claude-haiku-5-5", [1_000, 0, 0, 0, 0])]), &RateCard::bundled()).unwrap();
    assert!(p.column("price_note").unwrap().str().unwrap().get(0).unwrap().contains("100,000"));
}

// ---- properties ----

fn models_on(day: NaiveDate) -> Vec<String> {
    let card = RateCard::bundled();
    card.models
        .iter()
        .filter(|m| m.released.is_none_or(|r| r <= day) && m.retired.is_none_or(|t| day < t))
        .map(|m| m.id.get_ref().clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn price_is_additive_and_zero_costs_zero(a in proptest::array::uniform5(0u64..5_000_000), b in proptest::array::uniform5(0u64..5_000_000), day_off in 0i64..300) {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(day_off);
        let ds = day.to_string();
        let card = RateCard::bundled();
        for m in models_on(day) {
            let sum: [u64; 5] = std::array::from_fn(|i| a[i] + b[i]);
            let pa = total(&price(&usage(&[row(&ds, &m, a)]), &card).unwrap());
            let pb = total(&price(&usage(&[row(&ds, &m, b)]), &card).unwrap());
            let ps = total(&price(&usage(&[row(&ds, &m, sum)]), &card).unwrap());
            if ps.1 > 0 { continue; } // not priceable that day in this window (e.g. no short-context row)
            prop_assert_eq!(pa.0.parse::<Decimal>().unwrap() + pb.0.parse::<Decimal>().unwrap(), ps.0.parse::<Decimal>().unwrap(), "{}", m);
            let zero = price(&usage(&[row(&ds, &m, [0; 5])]), &card).unwrap();
            prop_assert_eq!(zero.height(), 0);
        }
    }

    #[test]
    fn multipliers_batch_cache_and_geo(day_off in 0i64..330) {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(day_off);
        let card = RateCard::bundled();
        for m in models_on(day) {
            let q = |tier, geo| PriceQuery { model: &m, day, service_tier: Some(tier), context_window: Some("0-200k"), inference_geo: Some(geo), speed: Some("standard") };
            let Ok(std) = card.price(&q("standard", "global")) else { continue };
            let batch = card.price(&q("batch", "global")).unwrap();
            for t in TokenType::ALL {
                prop_assert_eq!(batch.rate(t) * dec!(2), std.rate(t));
            }
            let entry = card.resolve(&m).unwrap();
            let rows = &entry.rates;
            let explicit = rows.iter().any(|r| r.valid_on(day) && r.speed == "standard" && (r.cache_write_5m.is_some() || r.cache_write_1h.is_some()));
            if !explicit {
                prop_assert_eq!(std.rate(TokenType::CacheWrite5m), std.rate(TokenType::Input) * dec!(1.25));
                prop_assert_eq!(std.rate(TokenType::CacheWrite1h), std.rate(TokenType::Input) * dec!(2));
            }
            let us = card.price(&q("standard", "us"));
            let eligible = entry.geo_eligible && day >= NaiveDate::from_ymd_opt(2026, 2, 5).unwrap();
            match us {
                Ok(us) => {
                    prop_assert!(eligible, "{} priced with geo us but is not eligible", m);
                    for t in TokenType::ALL { prop_assert_eq!(us.rate(t), std.rate(t) * dec!(1.1)); }
                }
                Err(_) => prop_assert!(!eligible, "{} eligible but us unpriced", m),
            }
        }
    }

    /// The batches `price(..., lazy=True)` pulls are the eager frame cut into pieces: any batch
    /// size, any projection, unpriced rows, web search and zero counts included.
    #[test]
    fn batches_are_the_whole_frame_in_pieces(
        rows in proptest::collection::vec((0usize..4, 0usize..3, proptest::array::uniform5(0u64..3), 0u64..3, 0i64..40), 1..40),
        batch in 1usize..12,
        projection in proptest::sample::subsequence(vec!["expected_usd", "model", "token_type", "price_note", "quantity", "unit_price_usd"], 1..4),
    ) {
        let models = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "not-a-model"];
        let tiers = ["standard", "batch", "flex"];
        let days: Vec<String> = rows.iter().map(|r| (NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Duration::days(r.4)).to_string()).collect();
        let rs: Vec<Row<'_>> = rows.iter().zip(&days).map(|(r, d)| Row { tier: tiers[r.1], web: r.3, ..row(d, models[r.0], r.2.map(|t| t * 1_000)) }).collect();
        let u = usage(&rs);
        let card = RateCard::bundled();
        let whole = price(&u, &card).unwrap();
        let pricer = Pricer::new(&u, card).unwrap();
        let cols: Vec<String> = projection.iter().map(|c| c.to_string()).collect();
        let mut pieces = pricer.price(0, 0, Some(&cols)).unwrap();
        for offset in (0..pricer.height()).step_by(batch) {
            pieces.vstack_mut(&pricer.price(offset, batch, Some(&cols)).unwrap()).unwrap();
        }
        let expected = whole.select(projection.iter().copied()).unwrap();
        prop_assert!(pieces.equals_missing(&expected), "{pieces}\n{expected}");
        prop_assert_eq!(pricer.columns(), whole.get_column_names().iter().map(|c| c.as_str()).collect::<Vec<_>>());
    }
}

#[test]
fn unknown_projected_column_is_refused() {
    let pricer =
        Pricer::new(&usage(&[row("2026-03-01", "claude-sonnet-4-5", [1, 0, 0, 0, 1])]), RateCard::bundled()).unwrap();
    let e = pricer.price(0, 1, Some(&["expected_usd".to_string(), "cost".to_string()])).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("\"cost\""), "{e}");
}
