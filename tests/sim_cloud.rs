//! The simulated cloud bills as data: deterministic, every plant once and nothing else wrong,
//! prices that match figures written here by hand from `reference/cloud-billing.md` §1.4 and
//! `pricing.md` §2.8, Opus 5's global cache legs billed regionally, invocation logs that add up.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use counterfoil::sim::cloud::PLANTS;
use counterfoil::sim::{CloudBills, CloudConfig, CloudTruthLine};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// 14 days across a month boundary (2026-10-25 … 2026-11-07).
fn config() -> CloudConfig {
    CloudConfig::new(7, 14, NaiveDate::from_ymd_opt(2026, 11, 8).unwrap())
}

fn bills() -> &'static CloudBills {
    static B: OnceLock<CloudBills> = OnceLock::new();
    B.get_or_init(|| CloudBills::generate(config()))
}

#[test]
fn the_same_config_gives_the_same_truth_and_another_seed_another() {
    let again = CloudBills::generate(config());
    assert_eq!(again.truth_json(), bills().truth_json());
    let other = CloudBills::generate(CloudConfig::new(8, 14, config().end));
    assert_ne!(other.truth_json(), bills().truth_json());
    // A day's traffic does not depend on the window around it.
    let day = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
    let short = CloudBills::generate(CloudConfig::new(7, 3, NaiveDate::from_ymd_opt(2026, 11, 4).unwrap()));
    let of = |b: &CloudBills| -> Vec<CloudTruthLine> {
        b.truth()
            .iter()
            .filter(|l| l.date == day && l.line_item_type == "Usage" && l.plant.is_none())
            .cloned()
            .collect()
    };
    assert_eq!(of(&short), of(bills()));
}

#[test]
fn every_plant_is_there_once_and_nothing_else_is_wrong() {
    let truth = bills().truth();
    for p in PLANTS {
        assert_eq!(truth.iter().filter(|l| l.plant == Some(p)).count(), 1, "{p}");
    }
    assert_eq!(truth.iter().filter(|l| l.plant.is_some()).count(), PLANTS.len());
    let plant = |p: &str| truth.iter().find(|l| l.plant == Some(p)).unwrap();
    for l in truth.iter().filter(|l| l.plant.is_none()) {
        match l.line_item_type {
            "Usage" => assert_eq!(Some(l.billed_usd), l.expected_usd, "{l:?}"),
            _ => assert!(l.expected_usd.is_none() && l.quantity.is_none() && l.token_type.is_none(), "{l:?}"),
        }
    }
    // Costing errors, by their exact amounts.
    let ratio = |p: &str| plant(p).billed_usd / plant(p).expected_usd.unwrap();
    assert_eq!(ratio("regional_billed_global"), dec!(3) / dec!(3.3));
    assert_eq!(ratio("write_1h_billed_5m"), dec!(1.375) / dec!(2.2));
    assert_eq!(ratio("cache_wrong_scope"), dec!(1.1));
    assert_eq!(ratio("vertex_overbilled"), dec!(1.2));
    let gap = plant("invocation_gap");
    assert_eq!(Some(gap.billed_usd), gap.expected_usd, "the bill row itself is right");
    let storage = plant("unknown_usage_type");
    assert_eq!((storage.token_type, storage.expected_usd), (None, None));
    assert_eq!(storage.source_id.as_deref(), Some("USE1-MP:USE1_CacheStorage-Units"));
    let nova = plant("unknown_product");
    assert_eq!((nova.model, nova.expected_usd), (None, None));
    let providers: Vec<_> = PLANTS.iter().map(|p| plant(p).provider).collect();
    assert_eq!(providers.iter().filter(|p| **p == "gcp_vertex").count(), 2);
    assert!(CloudBills::generate(config().with_plants(false)).truth().iter().all(|l| l.plant.is_none()));
}

/// USD per MTok, written by hand from the references (not from the simulator's table).
#[rustfmt::skip]
const HAND: &[(&str, &str, &str, &str, &str, &str, Decimal)] = &[
    // provider, model, scope, tier, context, token type, price
    ("aws_bedrock", "claude-haiku-4-5-20251001", "regional", "standard", "0-200k", "uncached_input_tokens", dec!(1.10)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "regional", "standard", "0-200k", "output_tokens", dec!(5.50)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "regional", "standard", "0-200k", "cache_read_input_tokens", dec!(0.11)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "regional", "standard", "0-200k", "cache_creation.ephemeral_5m_input_tokens", dec!(1.375)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "regional", "standard", "0-200k", "cache_creation.ephemeral_1h_input_tokens", dec!(2.20)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "global", "standard", "0-200k", "uncached_input_tokens", dec!(1.00)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "global", "standard", "0-200k", "cache_creation.ephemeral_5m_input_tokens", dec!(1.25)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "global", "standard", "0-200k", "cache_read_input_tokens", dec!(0.10)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "global", "standard", "0-200k", "cache_creation.ephemeral_1h_input_tokens", dec!(2.00)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "global", "standard", "0-200k", "output_tokens", dec!(5.00)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "regional", "batch", "0-200k", "uncached_input_tokens", dec!(0.55)),
    ("aws_bedrock", "claude-haiku-4-5-20251001", "regional", "batch", "0-200k", "output_tokens", dec!(2.75)),
    ("aws_bedrock", "claude-sonnet-4-6", "regional", "standard", "0-200k", "cache_creation.ephemeral_5m_input_tokens", dec!(4.125)),
    ("aws_bedrock", "claude-sonnet-4-6", "regional", "standard", "0-200k", "output_tokens", dec!(16.50)),
    ("aws_bedrock", "claude-opus-4-8", "global", "standard", "0-200k", "uncached_input_tokens", dec!(5.00)),
    ("aws_bedrock", "claude-opus-4-8", "global", "standard", "200k-1M", "output_tokens", dec!(25.00)),
    ("aws_bedrock", "claude-opus-4-8", "global", "standard", "200k-1M", "cache_read_input_tokens", dec!(0.50)),
    ("aws_bedrock", "claude-sonnet-5", "regional", "standard", "0-200k", "uncached_input_tokens", dec!(2.20)),
    ("aws_bedrock", "claude-sonnet-5", "regional", "standard", "0-200k", "output_tokens", dec!(11.00)),
    ("aws_bedrock", "claude-sonnet-5", "global", "batch", "0-200k", "uncached_input_tokens", dec!(1.00)),
    ("aws_bedrock", "claude-opus-5", "regional", "standard", "0-200k", "cache_read_input_tokens", dec!(0.55)),
    ("aws_bedrock", "claude-opus-5", "regional", "standard", "0-200k", "cache_creation.ephemeral_5m_input_tokens", dec!(6.875)),
    ("aws_bedrock", "claude-opus-5", "global", "standard", "0-200k", "uncached_input_tokens", dec!(5.00)),
    ("gcp_vertex", "claude-sonnet-4-6", "global", "standard", "0-200k", "uncached_input_tokens", dec!(3.00)),
    ("gcp_vertex", "claude-sonnet-4-6", "global", "standard", "0-200k", "cache_creation.ephemeral_5m_input_tokens", dec!(3.75)),
    ("gcp_vertex", "claude-sonnet-4-6", "global", "standard", "0-200k", "cache_read_input_tokens", dec!(0.30)),
    ("gcp_vertex", "claude-sonnet-4-6", "global", "standard", "0-200k", "output_tokens", dec!(15.00)),
    ("gcp_vertex", "claude-opus-4-8", "regional", "standard", "0-200k", "uncached_input_tokens", dec!(5.50)),
    ("gcp_vertex", "claude-opus-4-8", "regional", "standard", "200k-1M", "cache_creation.ephemeral_1h_input_tokens", dec!(11.00)),
    ("gcp_vertex", "claude-opus-4-8", "regional", "standard", "0-200k", "cache_read_input_tokens", dec!(0.55)),
    ("gcp_vertex", "claude-opus-4-8", "regional", "standard", "0-200k", "output_tokens", dec!(27.50)),
    ("gcp_vertex", "claude-opus-4-8", "global", "standard", "0-200k", "cache_creation.ephemeral_1h_input_tokens", dec!(10.00)),
    ("gcp_vertex", "claude-haiku-4-5-20251001", "regional", "standard", "0-200k", "cache_creation.ephemeral_5m_input_tokens", dec!(1.375)),
    ("gcp_vertex", "claude-haiku-4-5-20251001", "global", "standard", "0-200k", "output_tokens", dec!(5.00)),
];

#[test]
fn prices_match_figures_written_by_hand() {
    let mtok = dec!(1000000);
    for &(provider, model, scope, tier, ctx, token, price) in HAND {
        let lines: Vec<_> = bills()
            .truth()
            .iter()
            .filter(|l| {
                (l.provider, l.model, l.scope, l.service_tier, l.context_window, l.token_type)
                    == (provider, Some(model), Some(scope), Some(tier), Some(ctx), Some(token))
            })
            .collect();
        assert!(!lines.is_empty(), "no line for {provider} {model} {scope} {tier} {ctx} {token}");
        for l in lines {
            let q = Decimal::from(l.quantity.unwrap());
            assert_eq!(l.expected_usd, Some(q * price / mtok), "{l:?}");
        }
    }
}

#[test]
fn opus_5_global_calls_bill_their_cache_legs_regionally() {
    let opus5: Vec<_> = bills().truth().iter().filter(|l| l.model == Some("claude-opus-5")).collect();
    let global_in = opus5.iter().filter(|l| l.scope == Some("global") && l.region.as_deref() == Some("us-east-1"));
    assert!(global_in.count() > 0);
    for l in &opus5 {
        let cache = l.token_type.is_some_and(|t| t.starts_with("cache"));
        if cache {
            assert_eq!(l.scope, Some("regional"), "{l:?}");
            assert!(!l.source_id.as_deref().unwrap().contains("global"), "{l:?}");
        }
    }
    // The global stream (us-east-1) has cache legs at the regional rate: 0.55 read, 6.875 write.
    let legs: Vec<_> = opus5
        .iter()
        .filter(|l| l.region.as_deref() == Some("us-east-1") && l.token_type == Some("cache_read_input_tokens"))
        .collect();
    assert!(!legs.is_empty());
    for l in legs {
        assert_eq!(l.billed_usd, Decimal::from(l.quantity.unwrap()) * dec!(0.55) / dec!(1000000));
        assert_eq!(l.source_id.as_deref(), Some("USE1-MP:USE1_cache_read_tokens_standard-Units"));
    }
}

/// Canonical model of each Bedrock model id, written here by hand.
fn model_of(id: &str) -> &'static str {
    let base = id.trim_start_matches("us.").trim_start_matches("eu.").trim_start_matches("global.");
    match base {
        "anthropic.claude-haiku-4-5-20251001-v1:0" => "claude-haiku-4-5-20251001",
        "anthropic.claude-sonnet-4-6" => "claude-sonnet-4-6",
        "anthropic.claude-opus-4-8" => "claude-opus-4-8",
        "anthropic.claude-sonnet-5" => "claude-sonnet-5",
        "anthropic.claude-opus-5" => "claude-opus-5",
        other => panic!("unexpected model id {other}"),
    }
}

#[test]
fn invocation_logs_add_up_to_the_bill_except_the_gap() {
    type Key = (NaiveDate, String, &'static str, &'static str);
    let mut billed: BTreeMap<Key, i64> = BTreeMap::new();
    for l in bills().truth().iter().filter(|l| l.provider == "aws_bedrock" && l.model.is_some()) {
        let Some(t) = l.token_type else { continue };
        let class = if t.starts_with("cache_creation") { "cache_creation_input_tokens" } else { t };
        *billed.entry((l.date, l.account_id.clone(), l.model.unwrap(), class)).or_default() += l.quantity.unwrap();
    }
    let mut logged: BTreeMap<Key, i64> = BTreeMap::new();
    for r in bills().invocations() {
        let day = r.timestamp.date_naive();
        let model = model_of(&r.model_id);
        assert_eq!(model, r.model);
        for (class, n) in [
            ("uncached_input_tokens", r.input_tokens),
            ("cache_read_input_tokens", r.cache_read_input_tokens),
            ("cache_creation_input_tokens", r.cache_write_input_tokens),
            ("output_tokens", r.output_tokens),
        ] {
            *logged.entry((day, r.account_id.to_owned(), model, class)).or_default() += n;
        }
    }
    let gap = bills().truth().iter().find(|l| l.plant == Some("invocation_gap")).unwrap();
    let gap_key = (gap.date, gap.account_id.clone(), gap.model.unwrap(), gap.token_type.unwrap());
    let differ: Vec<_> = billed.iter().filter(|(k, v)| logged.get(*k).copied().unwrap_or(0) != **v).collect();
    assert_eq!(differ.len(), 1, "{differ:?}");
    assert_eq!(differ[0].0, &gap_key);
    assert!(logged[&gap_key] < billed[&gap_key]);
    let hours: std::collections::BTreeSet<_> = bills()
        .truth()
        .iter()
        .filter(|l| l.provider == "aws_bedrock" && l.model.is_some() && l.token_type.is_some() && l.plant.is_none())
        .map(|l| (l.usage_start, &l.account_id, l.model, &l.region))
        .collect();
    assert!(bills().invocations().len() >= 2 * hours.len(), "several records per billed hour");
}

#[test]
fn a_window_before_the_models_is_refused() {
    let early = CloudConfig::new(7, 14, NaiveDate::from_ymd_opt(2026, 8, 1).unwrap());
    assert!(early.check().unwrap_err().to_string().contains("2026-07-18"));
    assert!(CloudConfig::new(7, 0, config().end).check().is_err());
    config().check().unwrap();
}
