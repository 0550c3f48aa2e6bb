//! What the simulated organization is billed: cost_report lines computed from its usage.
//!
//! As the real cost_report appears to do (pricing.md §5), each line is tokens × list price exactly,
//! in cents with fractional digits. Priority Tier usage is not billed here (it is billed outside
//! cost_report); web search is billed per (day, workspace); code execution and Managed Agents
//! session runtime exist only here, with no usage behind them.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::org::UsageRecord;
use crate::api::wire::Workspace;
use crate::rates::{PriceQuery, RateCard, TokenType};

/// One line of the cost report, as the fake serves it when grouped by workspace and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostLine {
    pub workspace_id: Option<String>,
    pub description: String,
    pub cost_type: String,
    pub model: Option<String>,
    pub service_tier: Option<String>,
    pub token_type: Option<String>,
    pub context_window: Option<String>,
    pub inference_geo: Option<String>,
    /// In cents, as the API reports amounts.
    pub amount_cents: Decimal,
}

/// What a model unknown to the rate card is billed as.
const SHADOW_MODEL: &str = "claude-opus-5";

type TokenKey = (Option<String>, String, String, String, String, TokenType);

/// What one record's tokens cost at list, in cents per [`TokenType::ALL`]; `None` for usage
/// billed outside cost_report (Priority). A model the card does not know (a planted error) is
/// billed like Opus 5.
pub(crate) fn list_cents(card: &RateCard, r: &UsageRecord) -> Option<[Decimal; 5]> {
    let q = PriceQuery {
        model: &r.model,
        day: r.minute.date_naive(),
        service_tier: Some(&r.service_tier),
        context_window: Some(&r.context_window),
        inference_geo: Some(&r.inference_geo),
        speed: Some(&r.speed),
    };
    let priced = card
        .price(&q)
        .or_else(|_| card.price(&PriceQuery { model: SHADOW_MODEL, ..q }))
        .expect("the simulator only generates priceable usage");
    if priced.not_in_cost_report {
        return None;
    }
    Some(TokenType::ALL.map(|t| Decimal::from(r.tokens[t as usize]) * priced.rate(t) / Decimal::from(10_000)))
}

/// A whole day's bill: tokens and web search of `records`, plus code execution and session runtime.
pub(crate) fn bill_day(
    card: &RateCard,
    workspaces: &[Workspace],
    day: NaiveDate,
    records: &[UsageRecord],
    seed: u64,
) -> Vec<CostLine> {
    let mut lines = bill_usage(card, records);
    lines.extend(bill_runtime(card, workspaces, day, seed));
    lines
}

/// The token and web-search lines of `records` (of one day).
pub(crate) fn bill_usage(card: &RateCard, records: &[UsageRecord]) -> Vec<CostLine> {
    let mut tokens: BTreeMap<TokenKey, Decimal> = BTreeMap::new();
    let mut web: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for r in records {
        if r.web_search_requests > 0 {
            *web.entry(r.workspace_id.clone()).or_default() += r.web_search_requests;
        }
        let Some(cents) = list_cents(card, r) else { continue };
        for t in TokenType::ALL {
            if r.tokens[t as usize] == 0 {
                continue;
            }
            let key = (
                r.workspace_id.clone(),
                r.model.clone(),
                r.service_tier.clone(),
                r.context_window.clone(),
                r.inference_geo.clone(),
                t,
            );
            *tokens.entry(key).or_default() += cents[t as usize];
        }
    }
    let mut lines: Vec<CostLine> = tokens
        .into_iter()
        .map(|((ws, model, tier, ctx, geo, t), cents)| CostLine {
            description: describe(card, &model, &tier, &ctx, &geo, t),
            workspace_id: ws,
            cost_type: "tokens".into(),
            model: Some(model),
            service_tier: Some(tier),
            token_type: Some(t.api_name().into()),
            context_window: Some(ctx),
            inference_geo: Some(geo),
            amount_cents: cents.normalize(),
        })
        .collect();
    let unit = |cost_type: &str| card.unit_price(cost_type).map(|u| u.price).unwrap_or_default();
    for (ws, n) in web {
        lines.push(non_token(
            ws,
            "Web Search Usage",
            "web_search",
            Decimal::from(n) * unit("web_search") * Decimal::ONE_HUNDRED,
        ));
    }
    lines
}

/// Code execution and agent sessions of a day: container- and session-hours in hundredths.
fn bill_runtime(card: &RateCard, workspaces: &[Workspace], day: NaiveDate, seed: u64) -> Vec<CostLine> {
    let unit = |cost_type: &str| card.unit_price(cost_type).map(|u| u.price).unwrap_or_default();
    let mut lines = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC0DE ^ day.num_days_from_ce() as u64);
    for (i, w) in workspaces.iter().enumerate().take(2) {
        if w.archived_at.is_some() || !rng.random_bool(0.8) {
            continue;
        }
        let hours = Decimal::new(rng.random_range(1..4_000), 2);
        lines.push(non_token(
            Some(w.id.clone()),
            "Code Execution Usage",
            "code_execution",
            hours * unit("code_execution") * Decimal::ONE_HUNDRED,
        ));
        if i == 1 {
            let sessions = Decimal::new(rng.random_range(1..2_000), 2);
            lines.push(non_token(
                Some(w.id.clone()),
                "Managed Agents Session Usage",
                "session_usage",
                sessions * unit("session_usage") * Decimal::ONE_HUNDRED,
            ));
        }
    }
    lines
}

fn non_token(workspace_id: Option<String>, description: &str, cost_type: &str, cents: Decimal) -> CostLine {
    CostLine {
        workspace_id,
        description: description.into(),
        cost_type: cost_type.into(),
        model: None,
        service_tier: None,
        token_type: None,
        context_window: None,
        inference_geo: None,
        amount_cents: cents.normalize(),
    }
}

/// "Claude Sonnet 4.5 Usage - Input Tokens, Cache Write (Batch)": a label, never parsed.
fn describe(card: &RateCard, model: &str, tier: &str, ctx: &str, geo: &str, t: TokenType) -> String {
    let name = card.resolve(model).and_then(|m| m.name.clone()).unwrap_or_else(|| model.to_owned());
    let mut s = format!("{name} Usage - {}", t.label());
    if tier == "batch" {
        s.push_str(" (Batch)");
    }
    if ctx == "200k-1M" {
        s.push_str(" (Long Context)");
    }
    if geo == "us" {
        s.push_str(" (US)");
    }
    s
}
