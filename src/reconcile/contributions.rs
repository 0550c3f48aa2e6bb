//! What each usage group contributes to each reconciliation line: the one place usage is priced
//! and mapped to the line key (coarsening included). Reconciliation sums contributions per line;
//! attribution keeps them apart per API key, so both see exactly the same lines and prices.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;

use super::key::LineKey;
use crate::error::{Error, Result};
use crate::frames::aggregate::{Group, sum_by_day};
use crate::frames::{CostType, UsageFrame};
use crate::money::to_mantissa;
use crate::pricing::{KeyPrice, NOT_IN_COST_REPORT, cost_of, key_price, units_cost};
use crate::rates::{PriceQuery, RateCard, TokenType, Unpriceable};

/// The price dimensions, in the order `sum_by_day` groups by them (before any extra dimension).
pub const PRICE_DIMS: [&str; 6] = ["workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"];

/// One usage group's share of one line.
#[derive(Debug, Clone)]
pub struct Contribution {
    pub line: LineKey,
    /// The group it came from (day, then [`PRICE_DIMS`], then the extra dimensions asked for).
    pub group: Arc<Group>,
    /// Index into [`TokenType::ALL`]; `None` for web search.
    pub token: Option<usize>,
    pub quantity: i64,
    /// The exact expected amount, or why there is none.
    pub expected: std::result::Result<i128, Unpriceable>,
    /// The rate used, as a scale-12 mantissa (per MTok for tokens, per request for web search).
    pub rate: Option<i128>,
    /// Priority Tier: priced for information, never in cost_report.
    pub not_in_cost_report: bool,
    /// The card's doubt about the price.
    pub note: Option<String>,
}

pub(crate) fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day as i64)
}

/// Every contribution of `usage`, grouped by day, [`PRICE_DIMS`] and `extra` dimensions; with
/// `by_key`, `api_key_id` is one of them and also part of each line key (analytics lines per key).
///
/// On a coarsened day the dimensions cost_report left null are dropped from the line key, except
/// for usage that is not in cost_report at all (Priority): it keeps its full key, so it is never
/// merged into a billed line.
///
/// Each contribution is handed to `sink` as it is made (never collected: half a million of them
/// for a quarter split by API key would be a hundred and sixty megabytes of fresh memory).
pub fn contributions(
    usage: &UsageFrame,
    card: &RateCard,
    coarse: &BTreeMap<NaiveDate, Vec<&'static str>>,
    extra: &[&str],
    by_key: bool,
    mut sink: impl FnMut(Contribution) -> Result<()>,
) -> Result<()> {
    let mut dims: Vec<&str> = PRICE_DIMS.iter().copied().chain(extra.iter().copied()).collect();
    if by_key && !dims.contains(&"api_key_id") {
        dims.push("api_key_id");
    }
    let key_at = dims.iter().position(|d| *d == "api_key_id");
    let groups = sum_by_day(usage, &dims)?;
    let web_unit = card.unit_price(CostType::WebSearch.as_str()).map(|u| to_mantissa(u.price)).transpose()?;
    type Key = (i32, [Option<Arc<str>>; 5]);
    let mut prices: polars::prelude::PlHashMap<Key, KeyPrice> = Default::default();
    // One shared string per token type for every line (an allocation per line otherwise).
    let token_names: Vec<Arc<str>> = TokenType::ALL.iter().map(|t| Arc::from(t.api_name())).collect();
    for g in groups {
        let g = Arc::new(g);
        let date = date_of(g.day);
        let d = |j: usize| g.dims[j].as_deref();
        let (model, tier, ctx, geo, speed) = (d(1), d(2), d(3), d(4), d(5));
        let api_key = if by_key { key_at.and_then(|j| g.dims[j].clone()) } else { None };
        let pk: Key = (g.day, [1, 2, 3, 4, 5].map(|j| g.dims[j].clone()));
        let price = prices.entry(pk).or_insert_with(|| {
            let q = PriceQuery {
                model: model.unwrap_or(""),
                day: date,
                service_tier: tier,
                context_window: ctx,
                inference_geo: geo,
                speed,
            };
            key_price(card, &q)
        });
        let billed = price.status != NOT_IN_COST_REPORT;
        let c = coarse.get(&date).filter(|_| billed);
        let keep = |name: &str, j: usize| if c.is_some_and(|c| c.contains(&name)) { None } else { g.dims[j].clone() };
        for t in 0..TokenType::ALL.len() {
            let n = g.counts[t];
            if n == 0 {
                continue;
            }
            let line = LineKey {
                date,
                workspace_id: g.dims[0].clone(),
                model: keep("model", 1),
                service_tier: keep("service_tier", 2),
                context_window: keep("context_window", 3),
                inference_geo: keep("inference_geo", 4),
                cost_type: CostType::Tokens,
                token_type: Some(token_names[t].clone()),
                api_key_id: api_key.clone(),
            };
            let (expected, rate) = match price.micros {
                Some(micros) => (Ok(cost_of(n, micros[t])?), Some(micros[t] * 1_000_000)),
                None => {
                    let reason =
                        price.reason.clone().ok_or_else(|| Error::Internal("unpriced without a reason".into()))?;
                    (Err(reason), None)
                }
            };
            sink(Contribution {
                line,
                group: g.clone(),
                token: Some(t),
                quantity: n,
                expected,
                rate,
                not_in_cost_report: !billed && price.micros.is_some(),
                note: price.note.clone(),
            })?;
        }
        let w = g.counts[5];
        if w > 0 {
            let line = LineKey {
                date,
                workspace_id: g.dims[0].clone(),
                model: None,
                service_tier: None,
                context_window: None,
                inference_geo: None,
                cost_type: CostType::WebSearch,
                token_type: None,
                api_key_id: api_key.clone(),
            };
            let (expected, rate) = match web_unit {
                Some(unit) => (Ok(units_cost(w, unit)?), Some(unit)),
                None => (Err(Unpriceable::NoUnitPrice { cost_type: CostType::WebSearch.to_string() }), None),
            };
            sink(Contribution {
                line,
                group: g.clone(),
                token: None,
                quantity: w,
                expected,
                rate,
                not_in_cost_report: false,
                note: None,
            })?;
        }
    }
    Ok(())
}
