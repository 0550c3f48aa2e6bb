//! `price(usage, card)`: what every token of a usage frame should have cost.
//!
//! Performance and exactness notes. Each distinct (day, model, tier, context window, geo, speed)
//! is looked up in the card once; rows then only index into that small table. A rate of R USD per
//! MTok applied to N tokens costs N × R / 10⁶ USD, whose scale-12 mantissa is exactly
//! N × (R × 10⁶): one integer multiplication, no rounding, as long as R has at most six decimals
//! (a rate with more is reported as unpriced instead of being rounded). The long frame itself is
//! built by [`Pricer`] (`long.rs`), in row batches when the caller streams it.

use polars::prelude::DataFrame;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::frames::UsageFrame;
use crate::rates::{PriceQuery, RateCard, Unpriceable};

mod long;
pub use long::{PRICED_COLUMNS, Pricer};

/// `price_status` values.
pub const PRICED: &str = "priced";
pub const UNPRICED: &str = "unpriced";
pub const NOT_IN_COST_REPORT: &str = "not_in_cost_report";

/// A looked-up price key: rates as integer micro-dollars per MTok (`R × 10⁶`, per
/// [`TokenType::ALL`]), or why it is unpriced; the status and the card's doubts.
pub(crate) struct KeyPrice {
    /// `None` exactly when `reason` is set.
    pub micros: Option<[i128; 5]>,
    pub status: &'static str,
    pub reason: Option<Unpriceable>,
    /// The card's doubts about the price (`uncertain`), when priced.
    pub note: Option<String>,
}

impl KeyPrice {
    fn unpriced(reason: Unpriceable) -> KeyPrice {
        KeyPrice { micros: None, status: UNPRICED, reason: Some(reason), note: None }
    }

    /// The `price_note` text: why unpriced, or the card's doubt.
    pub fn note_text(&self) -> Option<String> {
        self.reason.as_ref().map(ToString::to_string).or_else(|| self.note.clone())
    }
}

/// The scale-12 USD mantissa of `quantity` tokens at `micros` (R × 10⁶ for R USD per MTok):
/// `quantity × R / 10⁶ × 10¹²` = `quantity × micros`, exact, or an error instead of a wrap.
pub fn cost_of(quantity: i64, micros: i128) -> Result<i128> {
    (quantity as i128)
        .checked_mul(micros)
        .ok_or_else(|| Error::input(format!("{quantity} tokens at this rate overflow exact money")))
        .and_then(|m| crate::money::check_mantissa(m, "an expected amount"))
}

/// The scale-12 USD mantissa of `units` at a unit price mantissa (scale 12), exact.
pub fn units_cost(units: i64, price: i128) -> Result<i128> {
    (units as i128)
        .checked_mul(price)
        .ok_or_else(|| Error::input(format!("{units} units at this price overflow exact money")))
        .and_then(|m| crate::money::check_mantissa(m, "an expected amount"))
}

/// `R × 10⁶` as an integer, if `R` has at most six decimals.
pub fn rate_micros(rate: Decimal) -> Option<i128> {
    let scaled = rate.checked_mul(Decimal::from(1_000_000))?;
    (scaled.fract().is_zero()).then(|| scaled.trunc().mantissa() / 10i128.pow(scaled.trunc().scale()))
}

/// The price of one usage key (the one place card prices become exact integer rates).
pub(crate) fn key_price(card: &RateCard, q: &PriceQuery<'_>) -> KeyPrice {
    if q.model.is_empty() {
        return KeyPrice::unpriced(Unpriceable::MissingDimension { dimension: "model" });
    }
    match card.price(q) {
        Err(reason) => KeyPrice::unpriced(reason),
        Ok(p) => {
            let micros: Option<Vec<i128>> = p.usd_per_mtok.iter().map(|r| rate_micros(*r)).collect();
            match micros {
                None => KeyPrice::unpriced(Unpriceable::Arithmetic {
                    model: p.model_id.clone(),
                    detail: format!(
                        "a rate of {} has more than 6 decimals per MTok; refusing to round",
                        p.usd_per_mtok.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("/")
                    ),
                }),
                Some(m) => KeyPrice {
                    micros: Some([m[0], m[1], m[2], m[3], m[4]]),
                    status: if p.not_in_cost_report { NOT_IN_COST_REPORT } else { PRICED },
                    reason: None,
                    note: p.uncertain,
                },
            }
        }
    }
}

/// Prices a usage frame (DESIGN §3 columns) with `card`: one row per usage row × token type with
/// tokens, plus one row per usage row with web searches. Zero quantities are left out. The whole
/// frame at once; [`Pricer`] gives the same rows in batches.
pub fn price(usage: &UsageFrame, card: &RateCard) -> Result<DataFrame> {
    Pricer::new(usage, card.clone())?.price_all()
}
