//! Calibration (`rates --suggest`) under a contract with bounded terms and a one-day glitch: the
//! glitch is reported as a one-off and never becomes a price, a bounded change ends with the
//! card's own prices (to the digit), and the overlay reconciles every other line. Dates and
//! prices are written out by hand from the contract below and `reference/pricing.md` §1.

mod common;

use chrono::NaiveDate;
use counterfoil::calibrate::{MIN_RUN_DAYS, MIN_RUN_LINES, SuggestionKind, suggest};
use counterfoil::jobs::fetch::{fetch, fetch_analytics};
use counterfoil::rates::{Discount, PriceQuery, RateCard, TokenType};
use counterfoil::reconcile::{Options, Reconciliation, reconcile, reconcile_analytics};
use counterfoil::runtime::block_on;
use counterfoil::sim::{Contract, FakeAdminApi, Faults, OrgConfig, Organization, PriceChange};
use counterfoil::{AdminClient, TimeWindow};
use polars::prelude::*;
use rust_decimal_macros::dec;

const HAIKU: &str = "claude-haiku-4-5-20251001";
const OPUS: &str = "claude-opus-5-5";
const SONNET: &str = "claude-sonnet-5-5";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// 24 days to 2026-11-20 (data from 2026-10-27): Opus 5.5 12 % off 10-30 … 11-05, Haiku 4.5 at
/// 1.2 × list 11-08 … 11-12, and Sonnet 5.5 billed 1.07 × list on 11-15 only.
fn org() -> Organization {
    let contract = Contract {
        discounts: vec![Discount {
            model: OPUS.into(),
            valid_from: day("2026-10-30"),
            valid_to: Some(day("2026-11-06")),
            discount: dec!(0.12),
            source: None,
        }],
        price_changes: vec![
            PriceChange {
                model: HAIKU.into(),
                from: day("2026-11-08"),
                to: Some(day("2026-11-13")),
                factor: dec!(1.2),
            },
            PriceChange {
                model: SONNET.into(),
                from: day("2026-11-15"),
                to: Some(day("2026-11-16")),
                factor: dec!(1.07),
            },
        ],
    };
    Organization::generate(OrgConfig::new(11, 24, common::today()).with_contract(contract).unwrap())
}

fn recs(client: &AdminClient, w: TimeWindow, card: &RateCard) -> [(&'static str, Reconciliation); 2] {
    let f = block_on(fetch(client, w)).unwrap().unwrap();
    let options = Options { window: Some(w), workspace_names: f.workspace_names, ..Options::default() };
    let legacy = reconcile(&f.usage, &f.cost, card, &options).unwrap();
    let a = block_on(fetch_analytics(client, w)).unwrap().unwrap();
    let analytics = reconcile_analytics(&a.usage, &a.cost, card, &options).unwrap();
    [("legacy", legacy), ("analytics", analytics)]
}

/// Lines of `model` on `date` that are discrepancies.
fn discrepant(rec: &Reconciliation) -> Vec<(String, NaiveDate)> {
    let l = &rec.lines;
    let model = l.column("model").unwrap().str().unwrap().clone();
    let status = l.column("status").unwrap().str().unwrap().clone();
    let dates = l.column("date").unwrap().cast(&DataType::String).unwrap();
    let dates = dates.str().unwrap();
    (0..l.height())
        .filter(|&i| matches!(status.get(i), Some("mismatch" | "missing_cost" | "missing_usage" | "unpriced")))
        .map(|i| (model.get(i).unwrap_or("").to_owned(), day(dates.get(i).unwrap())))
        .collect()
}

#[test]
fn a_glitch_is_a_one_off_and_bounded_terms_end_with_the_cards_own_prices() {
    let api = FakeAdminApi::start_blocking(org(), Faults::default(), 0).unwrap();
    let client = common::client_for(&api, common::config(0, 4));
    let w = TimeWindow::last_days(common::today(), 24);
    let card = RateCard::bundled();
    for (name, rec) in recs(&client, w, &card) {
        let cal = suggest(&rec, &card).unwrap();
        let got: Vec<_> = cal.suggestions.iter().map(|s| (s.kind, s.model.as_str(), s.from, s.to, s.ratio)).collect();
        assert_eq!(
            got,
            vec![
                (SuggestionKind::PriceChange, HAIKU, day("2026-11-08"), Some(day("2026-11-13")), dec!(1.2)),
                (SuggestionKind::Discount, OPUS, day("2026-10-30"), Some(day("2026-11-06")), dec!(0.88)),
            ],
            "{name}"
        );
        let one_offs: Vec<_> = cal.one_offs.iter().map(|s| (s.model.as_str(), s.from, s.days, s.ratio)).collect();
        assert_eq!(one_offs, vec![(SONNET, day("2026-11-15"), 1, dec!(1.07))], "{name}");
        assert!(cal.suggestions.iter().all(|s| s.days >= MIN_RUN_DAYS && s.lines >= MIN_RUN_LINES));

        let overlay = cal.overlay_toml(&card).unwrap();
        assert!(overlay.contains("# A suggestion needs a run of at least 3 days and 6 lines"), "{overlay}");
        assert!(overlay.contains("# one-off, not a price (1 days,"), "{overlay}");
        assert!(!overlay.contains("4.99999"), "{overlay}");
        let fixed = RateCard::from_toml(&overlay, "overlay").unwrap();
        // Haiku 4.5 lists $1 / $5 (pricing.md §1): 1.2 × inside, exactly the list from 11-13 on.
        let haiku = |d: &str| {
            let q = PriceQuery {
                model: HAIKU,
                day: day(d),
                service_tier: Some("standard"),
                context_window: Some("0-200k"),
                inference_geo: Some("not_available"),
                speed: Some("standard"),
            };
            let p = fixed.price(&q).unwrap();
            (p.rate(TokenType::Input).to_string(), p.rate(TokenType::Output).to_string())
        };
        assert_eq!(haiku("2026-11-12"), ("1.2".into(), "6".into()), "{name}");
        assert_eq!(haiku("2026-11-13"), ("1".into(), "5".into()), "{name}");

        // With the overlay, the glitch's lines are the only discrepancies left.
        let again = recs(&client, w, &fixed).into_iter().find(|(n, _)| *n == name).unwrap().1;
        let left = discrepant(&again);
        assert!(!left.is_empty(), "{name}: the glitch is still a discrepancy");
        assert!(left.iter().all(|(m, d)| m == SONNET && *d == day("2026-11-15")), "{name}: {left:?}");
    }
}
