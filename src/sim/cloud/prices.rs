//! The simulator's own Bedrock and Vertex list prices, USD per million tokens.
//!
//! Written by hand from `reference/cloud-billing.md` §1.4 (Bedrock Price List figures) and
//! `reference/pricing.md` §1 and §2.8 (Anthropic's list prices; regional and multi-region
//! endpoints cost 1.1 × global for Sonnet 4.5, Haiku 4.5, Opus 4.5 and later), never read from
//! the rate card: the bills are an independent oracle for the card's `[[cloud_price]]` rows. Both
//! clouds publish the same numbers for the models simulated here, so one table serves both.
//!
//! Rules the table follows (and its tests check): global = Anthropic's list price; regional =
//! 1.1 × global; 5m write = 1.25 ×, 1h write = 2 ×, cache read = 0.1 × input; batch = 0.5 × the
//! scope's on-demand price (`cloud-billing.md` corrections, "as first-party batch"). The 200k-1M
//! window costs the same as 0-200k for every 4.6+ model (`pricing.md` §2.3); Haiku 4.5 has no 1M
//! window. Opus 5 has no global cache legs ("cache legs in-region only"): a global-profile call
//! bills its cache reads and writes under the regional usage type at the regional rate.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::traffic::{Scope, Tier};
use crate::rates::TokenType;

pub(crate) const HAIKU_4_5: &str = "claude-haiku-4-5-20251001";
pub(crate) const SONNET_4_6: &str = "claude-sonnet-4-6";
pub(crate) const OPUS_4_8: &str = "claude-opus-4-8";
pub(crate) const SONNET_5: &str = "claude-sonnet-5";
pub(crate) const OPUS_5: &str = "claude-opus-5";

/// One model and scope: input, 5m write, 1h write, cache read, output (`TokenType::ALL` order).
struct Row {
    model: &'static str,
    scope: Scope,
    usd_per_mtok: [Option<&'static str>; 5],
    long_context: bool,
}

const fn row(model: &'static str, scope: Scope, p: [Option<&'static str>; 5], long_context: bool) -> Row {
    Row { model, scope, usd_per_mtok: p, long_context }
}

use Scope::{Global, Regional};

#[rustfmt::skip]
const TABLE: [Row; 10] = [
    //                                  input          5m write         1h write        cache read      output
    row(HAIKU_4_5, Global,   [Some("1"),    Some("1.25"),  Some("2"),    Some("0.1"),  Some("5")],    false),
    row(HAIKU_4_5, Regional, [Some("1.1"),  Some("1.375"), Some("2.2"),  Some("0.11"), Some("5.5")],  false),
    row(SONNET_4_6, Global,  [Some("3"),    Some("3.75"),  Some("6"),    Some("0.3"),  Some("15")],   true),
    row(SONNET_4_6, Regional,[Some("3.3"),  Some("4.125"), Some("6.6"),  Some("0.33"), Some("16.5")], true),
    row(OPUS_4_8, Global,    [Some("5"),    Some("6.25"),  Some("10"),   Some("0.5"),  Some("25")],   true),
    row(OPUS_4_8, Regional,  [Some("5.5"),  Some("6.875"), Some("11"),   Some("0.55"), Some("27.5")], true),
    row(SONNET_5, Global,    [Some("2"),    Some("2.5"),   Some("4"),    Some("0.2"),  Some("10")],   true),
    row(SONNET_5, Regional,  [Some("2.2"),  Some("2.75"),  Some("4.4"),  Some("0.22"), Some("11")],   true),
    row(OPUS_5, Global,      [Some("5"),    None,          None,         None,         Some("25")],   true),
    row(OPUS_5, Regional,    [Some("5.5"),  Some("6.875"), Some("11"),   Some("0.55"), Some("27.5")], true),
];

fn index(t: TokenType) -> usize {
    TokenType::ALL.iter().position(|x| *x == t).expect("TokenType::ALL lists every token type")
}

/// The list price of one token class, USD per million tokens; `None` where the cloud sells no
/// such SKU (Opus 5's global cache legs, Haiku 4.5's 1M window, a model not in the table).
pub(crate) fn list_price(model: &str, scope: Scope, tier: Tier, long: bool, t: TokenType) -> Option<Decimal> {
    let row = TABLE.iter().find(|r| r.model == model && r.scope == scope)?;
    if long && !row.long_context {
        return None;
    }
    let on_demand = Decimal::from_str(row.usd_per_mtok[index(t)]?).expect("the table holds decimals");
    Some(match tier {
        Tier::Standard => on_demand,
        Tier::Batch => on_demand * Decimal::new(5, 1),
    })
}

/// Whether the model sells a cache SKU of this scope (Opus 5: regional only).
pub(crate) fn has_cache_legs(model: &str, scope: Scope) -> bool {
    list_price(model, scope, Tier::Standard, false, TokenType::CacheRead).is_some()
}

/// `tokens` at `usd_per_mtok`, exact.
pub(crate) fn cost(tokens: i64, usd_per_mtok: Decimal) -> Decimal {
    (Decimal::from(tokens) * usd_per_mtok / Decimal::from(1_000_000)).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const MODELS: [&str; 5] = [HAIKU_4_5, SONNET_4_6, OPUS_4_8, SONNET_5, OPUS_5];

    #[test]
    fn regional_is_1_1_times_global_and_cache_legs_follow_input() {
        for m in MODELS {
            let g = |t| list_price(m, Global, Tier::Standard, false, t);
            let r = |t| list_price(m, Regional, Tier::Standard, false, t);
            for t in TokenType::ALL {
                if let (Some(g), Some(r)) = (g(t), r(t)) {
                    assert_eq!(r, g * dec!(1.1), "{m} {t:?}");
                }
            }
            for (get, scope) in [(&g as &dyn Fn(TokenType) -> Option<Decimal>, "global"), (&r, "regional")] {
                let input = get(TokenType::Input).expect("every model sells input");
                for (t, k) in [
                    (TokenType::CacheWrite5m, dec!(1.25)),
                    (TokenType::CacheWrite1h, dec!(2)),
                    (TokenType::CacheRead, dec!(0.1)),
                ] {
                    if let Some(p) = get(t) {
                        assert_eq!(p, input * k, "{m} {scope} {t:?}");
                    }
                }
                assert_eq!(get(TokenType::Output), Some(input * dec!(5)), "{m} {scope} output");
            }
        }
    }

    #[test]
    fn batch_halves_and_opus_5_has_no_global_cache() {
        let p = |m, s, tier, t| list_price(m, s, tier, false, t);
        assert_eq!(p(HAIKU_4_5, Regional, Tier::Batch, TokenType::Input), Some(dec!(0.55)));
        assert_eq!(p(SONNET_5, Global, Tier::Batch, TokenType::Output), Some(dec!(5)));
        assert!(!has_cache_legs(OPUS_5, Global));
        assert!(has_cache_legs(OPUS_5, Regional));
        assert_eq!(list_price(HAIKU_4_5, Global, Tier::Standard, true, TokenType::Input), None);
        assert_eq!(list_price(OPUS_4_8, Global, Tier::Standard, true, TokenType::Input), Some(dec!(5)));
        assert_eq!(cost(1_234_567, dec!(1.375)), dec!(1.697529625));
    }
}
