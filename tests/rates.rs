//! Rate cards: user cards layer over the bundled one, validation names file, line and field,
//! and the effective card round-trips through TOML.

use counterfoil::rates::{PriceQuery, RateCard, TokenType};
use polars::prelude::*;
use rust_decimal_macros::dec;

fn q(model: &str) -> PriceQuery<'_> {
    PriceQuery {
        model,
        day: "2026-11-01".parse().unwrap(),
        service_tier: Some("standard"),
        context_window: Some("0-200k"),
        inference_geo: Some("global"),
        speed: Some("standard"),
    }
}

const NEGOTIATED: &str = r#"
schema = "counterfoil.ratecard/1"

[[model]]
id = "claude-sonnet-4-6"
name = "Claude Sonnet 4.6 (negotiated)"
released = "2026-02-17"
geo_eligible = true
  [[model.rate]]
  valid_from = "2026-02-17"
  input = "2.70"
  output = "13.50"

[[model]]
id = "claude-opus-6-preview"
released = "2026-11-01"
geo_eligible = true
  [[model.rate]]
  valid_from = "2026-11-01"
  input = "6"
  output = "30"
"#;

#[test]
fn a_user_card_changes_exactly_the_rows_it_names() {
    let bundled = RateCard::bundled();
    let user = RateCard::from_toml(NEGOTIATED, "negotiated.toml").unwrap();
    assert_eq!(user.price(&q("claude-sonnet-4-6")).unwrap().rate(TokenType::Input), dec!(2.70));
    assert_eq!(
        user.price(&q("claude-sonnet-4-6")).unwrap().rate(TokenType::CacheWrite1h),
        dec!(5.40),
        "defaults apply to the new input"
    );
    assert!(bundled.price(&q("claude-opus-6-preview")).is_err());
    assert_eq!(
        user.price(&q("claude-opus-6-preview")).unwrap().rate(TokenType::Output),
        dec!(30),
        "a model the bundled card does not know"
    );
    // Every other row is untouched.
    let key = |card: &RateCard| {
        card.to_frame()
            .unwrap()
            .lazy()
            .filter(col("model").neq(lit("claude-sonnet-4-6")).and(col("model").neq(lit("claude-opus-6-preview"))))
            .collect()
            .unwrap()
            .drop("origin")
            .unwrap()
    };
    assert!(key(&bundled).equals_missing(&key(&user)));
    let origins = user.to_frame().unwrap().lazy().filter(col("origin").eq(lit("negotiated.toml"))).collect().unwrap();
    assert_eq!(origins.height(), 2);
}

#[test]
fn a_discount_factor_scales_every_token_price() {
    let user =
        RateCard::from_toml("schema = \"counterfoil.ratecard/1\"\ndiscount_factor = \"0.85\"\n", "d.toml").unwrap();
    let (b, u) = (RateCard::bundled().price(&q("claude-opus-5")).unwrap(), user.price(&q("claude-opus-5")).unwrap());
    for t in TokenType::ALL {
        assert_eq!(u.rate(t), b.rate(t) * dec!(0.85));
    }
}

#[test]
fn the_effective_card_round_trips_through_toml() {
    for card in [RateCard::bundled(), RateCard::from_toml(NEGOTIATED, "n.toml").unwrap()] {
        let text = card.to_toml().unwrap();
        let back = RateCard::from_toml(&text, "export.toml").unwrap();
        let strip = |c: &RateCard| c.to_frame().unwrap().drop("origin").unwrap();
        assert!(strip(&card).equals_missing(&strip(&back)));
        assert_eq!(back.modifiers, card.modifiers);
        assert_eq!(back.unit_prices, card.unit_prices);
    }
}

fn error_of(text: &str) -> (String, String) {
    match RateCard::from_toml(text, "user.toml").unwrap_err() {
        counterfoil::Error::RateCard { location, message } => (location, message),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_name_the_file_line_and_field() {
    let head = "schema = \"counterfoil.ratecard/1\"\n[[model]]\nid = \"m\"\nreleased = \"2026-01-01\"\n  [[model.rate]]\n  valid_from = \"2026-01-01\"\n";
    let (loc, msg) = error_of(&format!("{head}  input = \"1\"\n  output = \"5\"\n  cache_wirte_1h = \"2\"\n"));
    assert_eq!(loc, "user.toml:9");
    assert!(msg.contains("cache_wirte_1h"), "{msg}");
    let (loc, msg) = error_of(&format!("{head}  input = \"one\"\n  output = \"5\"\n"));
    assert_eq!(loc, "user.toml:7");
    assert!(!msg.is_empty());
    let (loc, msg) = error_of(&format!(
        "{head}  input = \"1\"\n  output = \"5\"\n  [[model.rate]]\n  valid_from = \"2026-06-01\"\n  input = \"2\"\n  output = \"9\"\n"
    ));
    assert_eq!(loc, "user.toml:10", "{msg}");
    assert!(msg.contains("overlap"), "{msg}");
    let (_, msg) = error_of(&format!("{head}  valid_to = \"2025-01-01\"\n  input = \"1\"\n  output = \"5\"\n"));
    assert!(msg.contains("valid_to"), "{msg}");
    let (loc, msg) = error_of("schema = \"something/2\"\n");
    assert_eq!(loc, "user.toml:1");
    assert!(msg.contains("schema"));
    let (_, msg) = error_of("schema = \"counterfoil.ratecard/1\"\ndiscount_factor = \"1.5\"\n");
    assert!(msg.contains("discount_factor"));
}

/// pricing.md §2.6: Opus 4.6 fast is $30 / $150 until 2026-06-28; from 2026-06-29 a fast request
/// runs at standard speed and bills at the standard $5 / $25 (cache at the default 1.25×, 2×,
/// 0.1× of input; the US geo 1.1× on top). Written out by hand from the table, not from the card.
#[test]
fn opus_4_6_fast_bills_at_standard_from_2026_06_29() {
    let card = RateCard::bundled();
    let day = |d: &str| d.parse().unwrap();
    let rates = |p: counterfoil::rates::Priced| TokenType::ALL.map(|t| p.rate(t));
    let fast = |d: &str, geo: &'static str| PriceQuery {
        day: day(d),
        speed: Some("fast"),
        inference_geo: Some(geo),
        ..q("claude-opus-4-6")
    };
    // [input, 5m write, 1h write, read, output]
    assert_eq!(
        rates(card.price(&fast("2026-06-28", "global")).unwrap()),
        [dec!(30), dec!(37.5), dec!(60), dec!(3), dec!(150)]
    );
    assert_eq!(
        rates(card.price(&fast("2026-06-29", "global")).unwrap()),
        [dec!(5), dec!(6.25), dec!(10), dec!(0.5), dec!(25)]
    );
    assert_eq!(
        rates(card.price(&fast("2026-11-01", "us")).unwrap()),
        [dec!(5.5), dec!(6.875), dec!(11), dec!(0.55), dec!(27.5)]
    );
    let long = PriceQuery { context_window: Some("200k-1M"), ..fast("2026-07-15", "global") };
    assert_eq!(rates(card.price(&long).unwrap())[0], dec!(5), "no long-context surcharge either");
    // Speed unknown: it cannot change the price after 06-29, so the row is priced; before, it can.
    let unknown = |d: &str| PriceQuery { day: day(d), speed: None, ..q("claude-opus-4-6") };
    assert_eq!(rates(card.price(&unknown("2026-07-15")).unwrap())[4], dec!(25));
    let err = card.price(&unknown("2026-06-01")).unwrap_err();
    assert!(err.to_string().contains("speed is unknown"), "{err}");
}
