//! Cloud list prices: what a Claude token costs on AWS Bedrock and Google Vertex AI.
//!
//! The clouds bill Claude themselves, at their own list prices (DESIGN §13, reference
//! `cloud-billing.md` §1.4, pricing.md §2.8): a global endpoint costs Anthropic's own list price,
//! a regional (in-region or geo-profile) endpoint 1.1 × that for Sonnet 4.5, Haiku 4.5, Opus 4.5
//! and later, batch half the on-demand price of its scope. The card states each of those prices
//! as a dated `[[cloud_price]]` row, with the five token prices written out — no multiplier is
//! applied at lookup time except one documented rule: a batch price absent from the card is half
//! the standard price of the same row (DESIGN §13). A token price absent from a row means the
//! cloud does not sell that leg at that scope (Opus 5 has no global cache legs: AWS bills them at
//! the regional cache rate, under a regional usage type); asking for it is an `Unpriced` reason,
//! never a guess.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::TokenType;

/// Where Claude was bought, besides Anthropic itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    AwsBedrock,
    GcpVertex,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::AwsBedrock, Provider::GcpVertex];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::AwsBedrock => "aws_bedrock",
            Provider::GcpVertex => "gcp_vertex",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The name a person reads ("AWS Bedrock").
    pub fn title(self) -> &'static str {
        match self {
            Provider::AwsBedrock => "AWS Bedrock",
            Provider::GcpVertex => "Google Vertex AI",
        }
    }
}

/// A global endpoint (routed anywhere) or a regional one (in-region, or a `us.`/`eu.` profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Global,
    Regional,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Regional => "regional",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::Global, Scope::Regional].into_iter().find(|x| x.as_str() == s)
    }
}

/// One `[[cloud_price]]` row: USD per million tokens on `[valid_from, valid_to)`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CloudPrice {
    pub provider: Provider,
    /// A model id of the card (or one of its aliases).
    pub model: String,
    pub scope: Scope,
    /// `standard` (default), `batch` or `priority`.
    #[serde(default = "standard")]
    pub service_tier: String,
    /// `0-200k`, `200k-1M` or `any` (default).
    #[serde(default = "any")]
    pub context_window: String,
    pub valid_from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    #[serde(with = "rust_decimal::serde::str")]
    pub input: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub output: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub cache_write_5m: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub cache_write_1h: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

fn standard() -> String {
    "standard".into()
}
fn any() -> String {
    "any".into()
}

/// What a cloud line's rate depends on.
#[derive(Debug, Clone, Copy)]
pub struct CloudRateQuery<'a> {
    pub provider: Provider,
    /// The card's canonical model id.
    pub model: &'a str,
    pub scope: Scope,
    pub service_tier: &'a str,
    pub context_window: &'a str,
    pub token_type: TokenType,
    pub day: NaiveDate,
}

impl CloudPrice {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day < to)
    }

    /// The price of one token type, `None` where this row does not sell it.
    pub fn rate(&self, t: TokenType) -> Option<Decimal> {
        match t {
            TokenType::Input => Some(self.input),
            TokenType::Output => Some(self.output),
            TokenType::CacheRead => self.cache_read,
            TokenType::CacheWrite5m => self.cache_write_5m,
            TokenType::CacheWrite1h => self.cache_write_1h,
        }
    }

    fn matches(&self, q: &CloudRateQuery<'_>, tier: &str) -> bool {
        self.provider == q.provider
            && self.model == q.model
            && self.scope == q.scope
            && self.service_tier == tier
            && (self.context_window == q.context_window || self.context_window == "any")
            && self.valid_on(q.day)
    }

    /// Checks one row as a user card may write it; the message names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !["standard", "batch", "priority"].contains(&self.service_tier.as_str()) {
            return Err(format!("service_tier must be standard, batch or priority, found {:?}", self.service_tier));
        }
        if !["any", "0-200k", "200k-1M"].contains(&self.context_window.as_str()) {
            return Err(format!("context_window must be any, 0-200k or 200k-1M, found {:?}", self.context_window));
        }
        if self.valid_to.is_some_and(|to| to <= self.valid_from) {
            return Err("valid_to must be after valid_from".into());
        }
        let prices = [Some(self.input), Some(self.output), self.cache_read, self.cache_write_5m, self.cache_write_1h];
        if prices.into_iter().flatten().any(|p| p.is_sign_negative() || p > super::card::MAX_TOKEN_PRICE) {
            return Err(format!("token prices must be between 0 and {} USD per MTok", super::card::MAX_TOKEN_PRICE));
        }
        Ok(())
    }
}

/// The rate of `q` from `prices`, or why there is none. Two rows for the same query are a card
/// error caught at load time ([`check_overlaps`]), so the first match is the only one.
pub fn cloud_rate(prices: &[CloudPrice], q: &CloudRateQuery<'_>) -> Result<Decimal, String> {
    let row = |tier: &str| prices.iter().find(|p| p.matches(q, tier));
    let (row, factor) = match row(q.service_tier) {
        Some(r) => (r, Decimal::ONE),
        None if q.service_tier == "batch" => match row("standard") {
            Some(r) => (r, Decimal::new(5, 1)),
            None => return Err(no_row(q)),
        },
        None => return Err(no_row(q)),
    };
    match row.rate(q.token_type) {
        Some(rate) => Ok(rate * factor),
        None => Err(format!(
            "{} sells no {} {} at {} scope for {}",
            q.provider.title(),
            q.token_type.api_name(),
            "leg",
            q.scope.as_str(),
            q.model
        )),
    }
}

fn no_row(q: &CloudRateQuery<'_>) -> String {
    format!(
        "no {} price for {} ({} scope, {} tier, context {}) on {} in the rate card",
        q.provider.title(),
        q.model,
        q.scope.as_str(),
        q.service_tier,
        q.context_window,
        q.day
    )
}

/// Refuses two rows that would answer the same query on the same day.
pub fn check_overlaps(prices: &[CloudPrice]) -> Result<(), String> {
    for (i, a) in prices.iter().enumerate() {
        for b in &prices[i + 1..] {
            let same = a.provider == b.provider
                && a.model == b.model
                && a.scope == b.scope
                && a.service_tier == b.service_tier
                && (a.context_window == b.context_window || a.context_window == "any" || b.context_window == "any");
            let overlap = a.valid_to.is_none_or(|t| b.valid_from < t) && b.valid_to.is_none_or(|t| a.valid_from < t);
            if same && overlap {
                return Err(format!(
                    "two [[cloud_price]] rows for {} {} {} {} overlap (from {} and from {})",
                    a.provider.as_str(),
                    a.model,
                    a.scope.as_str(),
                    a.service_tier,
                    a.valid_from,
                    b.valid_from
                ));
            }
        }
    }
    Ok(())
}

/// Layers `rows` over `card`'s cloud prices: a row with the same provider, model, scope, tier,
/// context window and `valid_from` replaces the card's; model ids become the card's own ids.
pub(super) fn layer(card: &mut super::RateCard, rows: Vec<CloudPrice>) -> Result<(), String> {
    for mut row in rows {
        row.validate().map_err(|m| format!("cloud price for {:?}: {m}", row.model))?;
        let Some(model) = card.resolve(&row.model) else {
            return Err(format!("cloud price for {:?}: no such model in the card", row.model));
        };
        row.model = model.id.get_ref().clone();
        let same = |p: &CloudPrice| {
            (p.provider, &p.model, p.scope, &p.service_tier, &p.context_window, p.valid_from)
                == (row.provider, &row.model, row.scope, &row.service_tier, &row.context_window, row.valid_from)
        };
        match card.cloud_prices.iter_mut().find(|p| same(p)) {
            Some(p) => *p = row,
            None => card.cloud_prices.push(row),
        }
    }
    check_overlaps(&card.cloud_prices)
}
