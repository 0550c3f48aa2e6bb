//! The Analytics API end to end against the fake: window rules, paging, both spellings, legacy
//! and analytics agreeing on tokens, the planted contract found and fixed by the suggested
//! overlay, and the Claude Code frame against the fake's ground truth. Expected prices and dates
//! are written out by hand from `reference/pricing.md` and the simulated contract's definition.

mod common;

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use counterfoil::api::{AnalyticsEndpoint, AnalyticsQuery, BucketWidth};
use counterfoil::calibrate::{SuggestionKind, suggest};
use counterfoil::frames::analytics::{analytics_cost_frame, analytics_usage_frame};
use counterfoil::frames::claude_code::claude_code_frame;
use counterfoil::jobs::fetch::{fetch, fetch_analytics};
use counterfoil::rates::RateCard;
use counterfoil::reconcile::{Options, Reconciliation, reconcile, reconcile_analytics};
use counterfoil::runtime::block_on;
use counterfoil::sim::{Contract, FakeAdminApi, Faults, OrgConfig, Organization};
use counterfoil::{AdminClient, TimeWindow};
use polars::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// 24 days to 2026-11-20 under the demo contract: data from 2026-10-27, Sonnet 5.5's discount
/// from the middle (2026-11-08), Haiku 4.5's new list price ten days before the end (2026-11-10).
fn contract_org() -> Organization {
    let config = OrgConfig::new(11, 24, common::today());
    let contract = Contract::demo(TimeWindow::last_days(common::today(), 24));
    Organization::generate(config.with_contract(contract).unwrap())
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A hostile server answering every request with `page`, and a client for it.
fn hostile(page: String) -> (common::hostile::Hostile, AdminClient) {
    let h = common::hostile::Hostile::start("127.0.0.1", move |_, _, _| common::hostile::Reply::json(page.clone()));
    let key = counterfoil::ApiKey::new("sk-ant-admin01-test").unwrap();
    let client =
        AdminClient::new(key, counterfoil::BaseUrl::parse(&h.base_url).unwrap(), common::config(0, 1)).unwrap();
    (h, client)
}

fn serve(org: Organization) -> (FakeAdminApi, AdminClient) {
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0).unwrap();
    let client = common::client_for(&api, common::config(0, 4));
    (api, client)
}

fn strs(df: &DataFrame, c: &str) -> Vec<Option<String>> {
    df.column(c).unwrap().str().unwrap().iter().map(|v| v.map(str::to_owned)).collect()
}

fn decimals(df: &DataFrame, c: &str) -> Vec<Option<Decimal>> {
    let phys = df.column(c).unwrap().decimal().unwrap().physical().clone();
    phys.iter().map(|m| m.map(|m| Decimal::from_i128_with_scale(m, 12).normalize())).collect()
}

fn dates(df: &DataFrame) -> Vec<NaiveDate> {
    let d = df.column("date").unwrap().cast(&DataType::Int32).unwrap();
    d.i32().unwrap().iter().map(|v| day("1970-01-01") + Duration::days(v.unwrap() as i64)).collect()
}

/// Σ of the six counts per model.
fn per_model(df: &DataFrame) -> BTreeMap<String, [i64; 6]> {
    let cols = counterfoil::frames::COUNT_COLUMNS;
    let mut out: BTreeMap<String, [i64; 6]> = BTreeMap::new();
    let models = strs(df, "model");
    for (j, c) in cols.iter().enumerate() {
        let v = df.column(c).unwrap().i64().unwrap().clone();
        for (i, m) in models.iter().enumerate() {
            out.entry(m.clone().unwrap_or_default()).or_default()[j] += v.get(i).unwrap_or(0);
        }
    }
    out
}

#[test]
fn legacy_and_analytics_agree_on_tokens_and_requests() {
    let org = common::org(5, 10);
    let truth = org.clone();
    let (api, client) = serve(org);
    let w = truth.window();
    let legacy = block_on(fetch(&client, w)).unwrap().unwrap();
    let analytics = block_on(fetch_analytics(&client, w)).unwrap().unwrap();
    assert_eq!(per_model(legacy.usage.df()), per_model(analytics.usage.df()), "same tokens per model, same window");
    let t = truth.usage_totals(w.start, w.end);
    let all: [i64; 6] = per_model(analytics.usage.df()).values().fold([0; 6], |mut a, v| {
        a.iter_mut().zip(v).for_each(|(x, y)| *x += y);
        a
    });
    assert_eq!(all.map(|v| v as u64), t, "and both equal the organization's records");
    // Requests: the ungrouped total is the sum over the records; both spellings read the same.
    let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Usage, w);
    q.group_by = vec![];
    let requests: u64 = truth.records_in(w.start, w.end).iter().map(|r| r.requests).sum();
    for (key, flat) in [("requests", false), ("request_count", true)] {
        api.set_analytics_spelling(key, flat);
        let rows = block_on(client.analytics_rows(&q)).unwrap().unwrap();
        let df = analytics_usage_frame(&rows, &q.group_by, false).unwrap();
        assert_eq!(df.height(), 1, "no group, no bucket: one row over the window");
        assert_eq!(df.column("requests").unwrap().i64().unwrap().get(0), Some(requests as i64), "{key}");
        assert_eq!(df.column("output_tokens").unwrap().i64().unwrap().get(0), Some(t[4] as i64), "{key}");
        assert_eq!(df.column("bucket_end").unwrap().null_count(), 1, "bucket_end is null when not bucketed");
    }
}

#[test]
fn window_rules_are_checked_before_any_request() {
    let (api, client) = serve(common::org(5, 3));
    let ask = |c: &AdminClient, start: &str, end: &str, width: Option<BucketWidth>, group: &[&str]| {
        let w = TimeWindow::parse(start, end).unwrap();
        let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Cost, w);
        q.bucket_width = width;
        q.group_by = group.iter().map(|s| (*s).to_owned()).collect();
        block_on(c.analytics_rows(&q)).unwrap()
    };
    let e = ask(&client, "2025-12-20", "2026-01-10", None, &[]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("before 2026-01-01") && e.hint().unwrap().contains("legacy"), "{e}");
    let e = ask(&client, "2026-11-01T00:30:00Z", "2026-11-02T00:00:00Z", None, &[]).unwrap_err();
    assert!(e.to_string().contains("2026-11-01T00:30:00Z"), "whole hours without a bucket: {e}");
    let e = ask(&client, "2026-11-01", "2026-11-02", None, &["description"]).unwrap_err();
    assert!(e.to_string().contains("cannot group by") && e.hint().unwrap().contains("token_type"), "{e}");
    let mut later = common::config(0, 1);
    later.now = Some(Utc.with_ymd_and_hms(2027, 6, 1, 0, 0, 0).unwrap());
    let e = ask(&common::client_for(&api, later), "2026-03-01", "2026-03-02", None, &[]).unwrap_err();
    assert!(e.to_string().contains("365 days"), "{e}");
    let w = TimeWindow::parse("2026-11-01", "2026-11-02").unwrap();
    let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Usage, w);
    q.filters.insert("cost_types".into(), vec!["tokens".into()]);
    let e = block_on(client.analytics_rows(&q)).unwrap().unwrap_err();
    assert!(e.to_string().contains("cost_types"), "a cost-only filter on usage: {e}");
    assert!(api.requests().is_empty(), "every refusal came before a request");
}

#[test]
fn long_windows_are_split_and_rows_paged() {
    let org = common::org(8, 45);
    let truth = org.clone();
    let (api, client) = serve(org);
    let w = truth.window();
    let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Usage, w);
    q.group_by = vec![];
    let rows = block_on(client.analytics_rows(&q)).unwrap().unwrap();
    let df = analytics_usage_frame(&rows, &q.group_by, false).unwrap();
    assert_eq!(df.height(), 1, "the two pieces' rows are summed back");
    let t = truth.usage_totals(w.start, w.end);
    assert_eq!(df.column("cache_read_input_tokens").unwrap().i64().unwrap().get(0), Some(t[3] as i64));
    let log = api.requests();
    assert_eq!(log.len(), 2, "45 days = a 31-day piece and a 14-day piece (the fake refuses more than 31)");
    assert!(
        log.iter().all(|r| r.beta.as_deref() == Some(counterfoil::api::ANALYTICS_BETA)),
        "beta header on every request"
    );
    // Daily rows by model and key: far more than one page of 100 rows.
    let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Cost, TimeWindow::last_days(common::today(), 20));
    q.bucket_width = Some(BucketWidth::Day);
    q.group_by = vec!["api_key_id".into(), "model".into(), "token_type".into(), "cost_type".into()];
    let before = api.requests().len();
    let rows = block_on(client.analytics_rows(&q)).unwrap().unwrap();
    assert!(api.requests().len() - before > 3, "paged by row");
    let df = analytics_cost_frame(&rows, &q.group_by, true).unwrap();
    let list: Decimal = decimals(&df, "list_amount_usd").into_iter().flatten().sum();
    let billed: Decimal = truth
        .cost_lines
        .range(day("2026-10-31")..day("2026-11-20"))
        .flat_map(|(_, l)| l)
        .map(|l| l.amount_cents / dec!(100))
        .sum();
    assert_eq!(
        list, billed,
        "list amounts equal cost_report's (no contract, no plants): nothing lost or doubled in paging"
    );
    assert_eq!(df.column("requests").unwrap().null_count(), df.height(), "null when split by cost or token type");
}

#[test]
fn a_repeating_page_token_and_a_regular_key_are_refused() {
    let page = r#"{"data":[{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","group":{},
        "usage":{"uncached_input_tokens":1,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},
        "cache_read_input_tokens":0,"output_tokens":1,"requests":1}}],"has_more":true,"next_page":"page_same"}"#;
    let (h, client) = hostile(page.to_owned());
    let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Usage, TimeWindow::parse("2026-11-01", "2026-11-02").unwrap());
    q.bucket_width = Some(BucketWidth::Day);
    let e = block_on(client.analytics_rows(&q)).unwrap().unwrap_err();
    assert!(e.to_string().contains("repeated") && e.exit_code() == 4, "{e}");
    assert_eq!(h.requests().len(), 2);

    let org = common::org(5, 3);
    let regular = org.regular_key.clone();
    let (api, _) = serve(org);
    let e = block_on(common::client_with_key(&api, &regular).analytics_rows(&q)).unwrap().unwrap_err();
    assert_eq!(e.exit_code(), 3);
    assert!(e.hint().unwrap().contains("read:analytics"), "{:?}", e.hint());
}

fn analytics_rec(client: &AdminClient, w: TimeWindow, card: &RateCard, by_key: bool) -> Reconciliation {
    let f = block_on(fetch_analytics(client, w)).unwrap().unwrap();
    let options =
        Options { window: Some(w), workspace_names: f.workspace_names, by_api_key: by_key, ..Options::default() };
    reconcile_analytics(&f.usage, &f.cost, card, &options).unwrap()
}

fn legacy_rec(client: &AdminClient, w: TimeWindow, card: &RateCard) -> Reconciliation {
    let f = block_on(fetch(client, w)).unwrap().unwrap();
    let options = Options { window: Some(w), workspace_names: f.workspace_names, ..Options::default() };
    reconcile(&f.usage, &f.cost, card, &options).unwrap()
}

#[test]
fn the_planted_discount_and_stale_price_are_found_and_the_overlay_fixes_them() {
    let org = contract_org();
    let w = org.window();
    let (_api, client) = serve(org);
    let card = RateCard::bundled();
    let rec = analytics_rec(&client, w, &card, false);
    let l = &rec.lines;
    let (model, status, ctype) = (strs(l, "model"), strs(l, "status"), strs(l, "cost_type"));
    let (days, discount) = (dates(l), decimals(l, "discount"));
    let (expected, list, reported) =
        (decimals(l, "expected_usd"), decimals(l, "list_usd"), decimals(l, "reported_usd"));
    let haiku = "claude-haiku-4-5-20251001";
    let mut stale = 0;
    for i in 0..l.height() {
        let m = model[i].as_deref().unwrap_or("");
        let token = ctype[i].as_deref() == Some("tokens");
        // Only Haiku 4.5 token lines from 2026-11-10 on are billed above the card, at 1.2 × it.
        let is_stale = token && m == haiku && days[i] >= day("2026-11-10") && expected[i] != Some(Decimal::ZERO);
        if status[i].as_deref() == Some("mismatch") {
            assert!(is_stale, "line {i} ({m}, {}) mismatches", days[i]);
            assert_eq!(list[i], expected[i].map(|e| e * dec!(1.2)), "line {i}: list = 1.2 × the card");
            stale += 1;
        }
        if status[i].as_deref() == Some("cost_only") || list[i].is_none() || !token {
            continue;
        }
        let want = match m {
            "claude-opus-5-5" => dec!(0.12),
            "claude-sonnet-5-5" if days[i] >= day("2026-11-08") => dec!(0.08),
            _ => Decimal::ZERO,
        };
        if list[i] != Some(Decimal::ZERO) {
            assert_eq!(discount[i], Some(want), "line {i}: {m} on {}", days[i]);
            assert_eq!(reported[i], list[i].map(|x| x * (Decimal::ONE - want)), "amount = list × (1 − discount)");
        }
    }
    assert!(stale > 20, "{stale} stale-price lines");
    assert_eq!(rec.summary.discrepancies(), stale, "nothing else is a discrepancy");
    let opus = rec.summary.discount_by_model.iter().find(|m| m.model.as_deref() == Some("claude-opus-5-5")).unwrap();
    assert_eq!(opus.discount(), Some(120_000_000_000), "12 % per model, exactly");

    // Calibration from both histories finds the three terms with their dates.
    let want = vec![
        (SuggestionKind::PriceChange, haiku.to_owned(), day("2026-11-10"), dec!(1.2)),
        (SuggestionKind::Discount, "claude-opus-5-5".to_owned(), day("2026-10-27"), dec!(0.88)),
        (SuggestionKind::Discount, "claude-sonnet-5-5".to_owned(), day("2026-11-08"), dec!(0.92)),
    ];
    let legacy = legacy_rec(&client, w, &card);
    assert!(!legacy.ok(), "cost_report bills after discounts: the bundled card cannot match it");
    for (name, r) in [("analytics", &rec), ("legacy", &legacy)] {
        let cal = suggest(r, &card).unwrap();
        let got: Vec<_> = cal.suggestions.iter().map(|s| (s.kind, s.model.clone(), s.from, s.ratio)).collect();
        assert_eq!(got, want, "{name}");
        assert!(cal.suggestions.iter().all(|s| s.to.is_none()), "{name}: all still in effect");
        let overlay = cal.overlay_toml(&card).unwrap();
        assert!(
            overlay.contains("# price_change: claude-haiku-4-5-20251001") && overlay.contains("2026-11-10 to"),
            "{overlay}"
        );
        let fixed = RateCard::from_toml(&overlay, "overlay").unwrap();
        assert!(analytics_rec(&client, w, &fixed, false).ok(), "{name} overlay: analytics lines all match");
        assert!(legacy_rec(&client, w, &fixed).ok(), "{name} overlay: cost_report lines all match");
    }
}

#[test]
fn lines_per_key_sum_to_the_unsplit_lines() {
    let org = contract_org();
    let w = TimeWindow::last_days(common::today(), 5);
    let (_api, client) = serve(org);
    let card = RateCard::bundled();
    let (one, by_key) = (analytics_rec(&client, w, &card, false), analytics_rec(&client, w, &card, true));
    assert!(by_key.lines.height() > one.lines.height());
    assert!(by_key.lines.column("api_key_id").is_ok() && one.lines.column("api_key_id").is_err());
    let sum = |r: &Reconciliation, c: &str| -> Decimal { decimals(&r.lines, c).into_iter().flatten().sum() };
    for c in ["expected_usd", "reported_usd", "list_usd"] {
        assert_eq!(sum(&one, c), sum(&by_key, c), "{c}");
    }
    assert_eq!(one.summary.discrepancies() > 0, by_key.summary.discrepancies() > 0);
}

#[test]
fn session_runtime_is_shown_in_hours_and_dollars() {
    let org = common::org(5, 7);
    let truth = org.clone();
    let w = truth.window();
    let (_api, client) = serve(org);
    let rec = legacy_rec(&client, w, &RateCard::bundled());
    let rt = rec.summary.session_runtime.clone().expect("the simulated org runs agents");
    let usd: Decimal = truth
        .cost_lines
        .values()
        .flatten()
        .filter(|l| l.cost_type == "session_usage")
        .map(|l| l.amount_cents / dec!(100))
        .sum();
    assert_eq!(Decimal::from_i128_with_scale(rt.usd, 12).normalize(), usd.normalize());
    assert_eq!(rt.hours(), Some((usd / dec!(0.08)).normalize()), "$0.08 per session-hour (pricing.md)");
    let j = rec.summary.to_json();
    assert_eq!(j["session_runtime"]["usd_per_hour"], "0.08");
}

#[test]
fn the_claude_code_frame_matches_the_fakes_ground_truth() {
    let org = common::org(5, 6);
    let truth = org.clone();
    let (_api, client) = serve(org);
    let w = TimeWindow::last_days(common::today(), 4);
    let records = block_on(client.claude_code(w)).unwrap().unwrap();
    let df = claude_code_frame(&records, false).unwrap();
    let by_model = claude_code_frame(&records, true).unwrap();
    // Opus 5 and Sonnet 5 list prices per MTok (pricing.md §1): input, output, cache read
    // (0.1 × input), 5-minute cache write (1.25 × input).
    let price = |m: &str| match m {
        "claude-opus-5" => [dec!(5), dec!(25), dec!(0.5), dec!(6.25)],
        "claude-sonnet-5" => [dec!(2), dec!(10), dec!(0.2), dec!(2.5)],
        other => panic!("unexpected model {other}"),
    };
    let mut want: Vec<(NaiveDate, String, i64, i64, i64, Decimal)> = Vec::new();
    let mut tokens = 0i64;
    for d in 0..4 {
        let date = w.start.date_naive() + Duration::days(d);
        for r in truth.claude_code_day(date) {
            let who =
                ["email_address", "api_key_name"].iter().find_map(|k| r.actor.get(*k)?.as_str()).unwrap().to_owned();
            let accepted: i64 = r.tool_actions.values().map(|v| v["accepted"].as_i64().unwrap()).sum();
            let mut cost = Decimal::ZERO;
            for m in &r.model_breakdown {
                let t = ["input", "output", "cache_read", "cache_creation"]
                    .map(|k| Decimal::from(m.tokens[k].as_i64().unwrap()));
                cost += t.iter().zip(price(&m.model)).map(|(n, p)| n * p).sum::<Decimal>() / dec!(1000000);
                tokens += m.tokens["output"].as_i64().unwrap();
            }
            want.push((
                date,
                who,
                r.core_metrics.num_sessions as i64,
                r.core_metrics.lines_of_code.added as i64,
                accepted,
                cost,
            ));
        }
    }
    assert_eq!(df.height(), want.len());
    let ints = |c: &str| df.column(c).unwrap().i64().unwrap().iter().map(Option::unwrap).collect::<Vec<_>>();
    let got: Vec<_> = dates(&df)
        .into_iter()
        .zip(strs(&df, "actor"))
        .zip(ints("sessions"))
        .zip(ints("lines_added"))
        .zip(ints("tool_actions_accepted"))
        .zip(decimals(&df, "estimated_cost_usd"))
        .map(|(((((d, a), s), l), t), c)| (d, a.unwrap(), s, l, t, c.unwrap()))
        .collect();
    let want: Vec<_> = want.into_iter().map(|(d, a, s, l, t, c)| (d, a, s, l, t, c.normalize())).collect();
    assert_eq!(got, want);
    let out: i64 = by_model.column("output_tokens").unwrap().i64().unwrap().sum().unwrap();
    assert_eq!(out, tokens);
}

#[test]
fn unknown_fields_and_values_are_kept_never_fatal() {
    let page = r#"{"data":[{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z",
        "group":{"model":"claude-opus-7","service_tier":"flex_discount","galaxy":"andromeda"},
        "cost":{"amount":"150.5","list_amount":"200","currency":"USD","request_count":3,"carbon_grams":12}}],
        "has_more":false,"next_page":null,"new_envelope_field":{"x":1}}"#;
    let (_h, client) = hostile(page.to_owned());
    let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Cost, TimeWindow::parse("2026-11-01", "2026-11-02").unwrap());
    q.bucket_width = Some(BucketWidth::Day);
    q.group_by = vec!["model".into(), "service_tier".into()];
    let rows = block_on(client.analytics_rows(&q)).unwrap().unwrap();
    let df = analytics_cost_frame(&rows, &q.group_by, true).unwrap();
    assert_eq!(strs(&df, "service_tier"), vec![Some("flex_discount".to_owned())], "an unknown value is kept as it is");
    assert_eq!(decimals(&df, "amount_usd"), vec![Some(dec!(1.505))], "cents to USD, exactly");
    assert_eq!(decimals(&df, "list_amount_usd"), vec![Some(dec!(2))]);
    assert_eq!(df.column("requests").unwrap().i64().unwrap().get(0), Some(3), "request_count is read too");
    let float = page.replace(r#""amount":"150.5""#, r#""amount":150.5"#);
    let (_h2, c2) = hostile(float);
    let rows = block_on(c2.analytics_rows(&q)).unwrap().unwrap();
    let e = analytics_cost_frame(&rows, &q.group_by, true).unwrap_err();
    assert!(e.to_string().contains("refusing to guess"), "a float amount is never read: {e}");
}

#[test]
fn a_card_that_misses_a_models_us_pricing_is_told_so() {
    // The bundled card with Sonnet 5.5 not US-eligible: its `us` lines cannot be priced, and are
    // billed at exactly 1.1 × the global price (pricing.md §2: US-only inference is 1.1×).
    let text = counterfoil::rates::BUNDLED_CARD.replacen(
        "id = \"claude-sonnet-5-5\"\nname = \"Claude Sonnet 5.5\"\nreleased = \"2026-09-28\"\ngeo_eligible = true",
        "id = \"claude-sonnet-5-5\"\nname = \"Claude Sonnet 5.5\"\nreleased = \"2026-09-28\"\ngeo_eligible = false",
        1,
    );
    let stale = RateCard::from_toml(&text, "bundled card.toml").unwrap();
    assert!(!stale.resolve("claude-sonnet-5-5").unwrap().geo_eligible);
    let org = common::org(5, 10);
    let w = org.window();
    let (_api, client) = serve(org);
    for (name, rec) in
        [("analytics", analytics_rec(&client, w, &stale, false)), ("legacy", legacy_rec(&client, w, &stale))]
    {
        assert!(!rec.ok(), "{name}: the US lines are unpriced");
        let cal = suggest(&rec, &stale).unwrap();
        let got: Vec<_> = cal.suggestions.iter().map(|s| (s.kind, s.model.as_str(), s.ratio)).collect();
        assert_eq!(got, vec![(SuggestionKind::GeoEligible, "claude-sonnet-5-5", dec!(1.1))], "{name}");
        let fixed = RateCard::from_toml(&cal.overlay_toml(&stale).unwrap(), "overlay").unwrap();
        let again =
            if name == "analytics" { analytics_rec(&client, w, &fixed, false) } else { legacy_rec(&client, w, &fixed) };
        assert!(again.ok(), "{name}: with the overlay every line matches");
    }
}
