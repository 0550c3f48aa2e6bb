//! The rate card as data: models with dated rate rows, modifiers, unit prices.
//!
//! Field names are those of the TOML file (`card.toml`); deserialising refuses unknown fields so
//! that a typo in a user card (`cache_wirte_1h`) fails loudly instead of pricing at a default.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Defined with the frames' other vocabularies; the card names its price columns by it.
pub use crate::frames::TokenType;

/// A whole card file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CardFile {
    pub schema: String,
    #[serde(default = "usd")]
    pub currency: String,
    #[serde(default = "million")]
    pub token_unit: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
    /// For user cards: `"bundled"` (default) layers this file over the bundled card; `"none"`
    /// makes it stand alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Org-wide factor on every token price (a negotiated discount), e.g. `"0.9"`.
    #[serde(default, with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub discount_factor: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_cache_multipliers: Option<CacheMultipliers>,
    #[serde(default, rename = "modifier")]
    pub modifiers: Vec<Modifier>,
    #[serde(default, rename = "unit_price")]
    pub unit_prices: Vec<UnitPrice>,
    #[serde(default, rename = "model")]
    pub models: Vec<ModelEntry>,
    #[serde(default, rename = "discount", skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<Discount>,
    /// Bedrock and Vertex list prices (`rates::cloud`).
    #[serde(default, rename = "cloud_price", skip_serializing_if = "Vec::is_empty")]
    pub cloud_prices: Vec<super::cloud::CloudPrice>,
}

/// A negotiated discount on one model's token prices over `[valid_from, valid_to)`: a contract
/// term, so it lives in the card (never in the tolerance). The Analytics API's list-price check
/// leaves it out; cost_report, billed after discounts, needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    pub model: String,
    pub valid_from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// The share taken off list price: `"0.12"` is 12 % off.
    #[serde(with = "rust_decimal::serde::str")]
    pub discount: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Discount {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day < to)
    }
}

fn usd() -> String {
    "USD".into()
}
fn million() -> u64 {
    1_000_000
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheMultipliers {
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_write_5m: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_write_1h: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_read: Decimal,
}

/// A multiplier keyed on a usage dimension value (batch, US-only inference), or a marker that
/// such rows are not in cost_report (Priority).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Modifier {
    pub id: String,
    pub dimension: String,
    pub value: String,
    #[serde(default, with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub factor: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub not_in_cost_report: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A non-token price (web search per request, code execution per container-hour, …).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnitPrice {
    pub id: String,
    pub cost_type: String,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One model with its lifecycle and dated rate rows.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub id: Spanned<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<NaiveDate>,
    /// First day the model no longer answers on the first-party API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<NaiveDate>,
    /// Whether `inference_geo = us` applies (models released after 2026-02-01).
    #[serde(default)]
    pub geo_eligible: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, rename = "rate")]
    pub rates: Vec<RateRow>,
}

/// Prices valid on `[valid_from, valid_to)` for one context window and speed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateRow {
    pub valid_from: Spanned<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// `0-200k`, `200k-1M`, or `any` (default).
    #[serde(default = "any")]
    pub context_window: String,
    /// `standard` (default) or `fast`.
    #[serde(default = "standard")]
    pub speed: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub input: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub cache_write_5m: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub cache_write_1h: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub output: Decimal,
    /// Says that this row breaks the usual cache relations on purpose (5m = 1.25 × input,
    /// 1h = 2 × input, read ≤ input), so loading it gives no warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceptions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

fn any() -> String {
    "any".into()
}
fn standard() -> String {
    "standard".into()
}

impl RateRow {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        *self.valid_from.get_ref() <= day && self.valid_to.is_none_or(|to| day < to)
    }

    pub fn matches_window(&self, window: &str) -> bool {
        self.context_window == "any" || self.context_window == window
    }

    /// The explicit price of `t`, or the default multiplier times the input price.
    pub fn price(&self, t: TokenType, defaults: &CacheMultipliers) -> Decimal {
        match t {
            TokenType::Input => self.input,
            TokenType::Output => self.output,
            // Both factors are bounded by the card validator (≤ 10⁶ × 100): no overflow.
            TokenType::CacheWrite5m => self.cache_write_5m.unwrap_or(self.input * defaults.cache_write_5m),
            TokenType::CacheWrite1h => self.cache_write_1h.unwrap_or(self.input * defaults.cache_write_1h),
            TokenType::CacheRead => self.cache_read.unwrap_or(self.input * defaults.cache_read),
        }
    }
}
