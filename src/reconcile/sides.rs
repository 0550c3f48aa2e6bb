//! The two sides of a reconciliation, each summed to the line key with checked arithmetic.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::*;

use super::contributions::{contributions, date_of};
use super::key::{CostSide, LINE_KEY_COLUMNS, LineKey, SideMap, StrPool, UsageSide};
use crate::error::{Error, Result};
use crate::frames::{AnalyticsCostFrame, CostFrame, CostType, UsageFrame};
use crate::rates::RateCard;
use crate::window::TimeWindow;

/// Key dimensions that cost_report may leave null on every line of a day.
pub const COARSENABLE: [&str; 4] = ["model", "service_tier", "context_window", "inference_geo"];

const MICROS_PER_DAY: i64 = 86_400_000_000;

fn starts(df: &DataFrame) -> Result<Int64Chunked> {
    Ok(df.column("bucket_start")?.as_materialized_series().to_physical_repr().i64()?.clone())
}

/// Rows whose bucket starts inside `window` (normalised frames: `bucket_start` is µs UTC);
/// `None` when every row already does (nothing to copy).
fn clip(df: &DataFrame, window: Option<TimeWindow>) -> Result<Option<DataFrame>> {
    let Some(w) = window else {
        return Ok(None);
    };
    let (s, e) = (w.start.timestamp_micros(), w.end.timestamp_micros());
    let t = starts(df)?;
    // One vectorisable pass per chunk (Polars' generic min/max kernels are slow in this build).
    let inside = |a: &polars_arrow::array::PrimitiveArray<i64>| {
        a.validity().is_none() && a.values().iter().fold(true, |ok, &v| ok & (v >= s) & (v < e))
    };
    if t.downcast_iter().all(inside) {
        return Ok(None);
    }
    let mask: BooleanChunked = t.iter().map(|t| t.is_some_and(|t| t >= s && t < e)).collect();
    Ok(Some(df.filter(&mask)?))
}

/// The rows of `u` inside `window`. A filtered valid frame is still valid: not validated again.
pub fn clip_usage(u: &UsageFrame, window: Option<TimeWindow>) -> Result<UsageFrame> {
    Ok(match clip(u.df(), window)? {
        None => u.clone(),
        Some(df) => UsageFrame::from_valid(df),
    })
}

pub fn clip_cost(c: &CostFrame, window: Option<TimeWindow>) -> Result<CostFrame> {
    Ok(match clip(c.df(), window)? {
        None => c.clone(),
        Some(df) => CostFrame::from_valid(df),
    })
}

/// Cost rows summed to the line key. Needs cost grouped by description (structured fields).
pub fn cost_side(cost: &CostFrame) -> Result<SideMap<CostSide>> {
    let df = cost.df();
    let text = |c: &str| -> Result<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
    let (ws, model, tier, ctx, geo, ctype, ttype, desc) = (
        text("workspace_id")?,
        text("model")?,
        text("service_tier")?,
        text("context_window")?,
        text("inference_geo")?,
        text("cost_type")?,
        text("token_type")?,
        text("description")?,
    );
    let amount = df.column("amount_usd")?.decimal()?.physical().clone();
    let start = starts(df)?;
    let mut pool = StrPool::default();
    // Every row may be a key of its own: sized once, not rehashed as it grows.
    let mut out: SideMap<CostSide> = SideMap::with_capacity_and_hasher(df.height(), Default::default());
    for i in 0..df.height() {
        let Some(cost_type) = ctype.get(i) else {
            return Err(Error::input_hint(
                "the cost frame has no cost_type: it was not grouped by description",
                "fetch cost with group_by=[\"workspace_id\", \"description\"]",
            ));
        };
        let day = start.get(i).unwrap_or(0).div_euclid(MICROS_PER_DAY) as i32;
        let key = LineKey {
            date: date_of(day),
            workspace_id: pool.get(ws.get(i)),
            model: pool.get(model.get(i)),
            service_tier: pool.get(tier.get(i)),
            context_window: pool.get(ctx.get(i)),
            inference_geo: pool.get(geo.get(i)),
            cost_type: CostType::from(cost_type),
            token_type: pool.get(ttype.get(i)),
            api_key_id: None,
        };
        let side = out.entry(key).or_default();
        side.reported = crate::money::add(side.reported, amount.get(i).unwrap_or(0), "a cost line's total")?;
        if side.description.is_none() {
            side.description = pool.get(desc.get(i));
        }
    }
    Ok(out)
}

/// Days on which cost_report leaves a key dimension null on every token line.
pub fn coarsened_days(costs: &SideMap<CostSide>) -> BTreeMap<NaiveDate, Vec<&'static str>> {
    let mut seen: BTreeMap<NaiveDate, [bool; 4]> = BTreeMap::new(); // dimension ever non-null that day
    for k in costs.keys().filter(|k| k.cost_type == CostType::Tokens) {
        let e = seen.entry(k.date).or_default();
        for (flag, v) in e.iter_mut().zip([&k.model, &k.service_tier, &k.context_window, &k.inference_geo]) {
            *flag |= v.is_some();
        }
    }
    seen.into_iter()
        .filter_map(|(d, flags)| {
            let dims: Vec<&'static str> = COARSENABLE.iter().zip(flags).filter(|(_, f)| !f).map(|(n, _)| *n).collect();
            (!dims.is_empty()).then_some((d, dims))
        })
        .collect()
}

/// Usage priced and summed to the line key: one line per token type, plus web search per day
/// and workspace (see [`contributions`]).
pub fn usage_side(
    usage: &UsageFrame,
    card: &RateCard,
    coarse: &BTreeMap<NaiveDate, Vec<&'static str>>,
    by_key: bool,
) -> Result<SideMap<UsageSide>> {
    let mut out: SideMap<UsageSide> = SideMap::default();
    contributions(usage, card, coarse, &[], by_key, |c| out.entry(c.line.clone()).or_default().add(&c))?;
    Ok(out)
}

pub fn clip_analytics_cost(c: &AnalyticsCostFrame, window: Option<TimeWindow>) -> Result<AnalyticsCostFrame> {
    Ok(match clip(c.df(), window)? {
        None => c.clone(),
        Some(df) => AnalyticsCostFrame::from_valid(df),
    })
}

/// Analytics cost rows summed to the line key: `list_amount` is what the line is checked on
/// (`reported`), `amount` rides along as `net`. Rows without a cost type (the endpoint was not
/// grouped by it) cannot meet usage and are refused.
pub fn analytics_cost_side(cost: &AnalyticsCostFrame, by_key: bool) -> Result<SideMap<CostSide>> {
    let df = cost.df();
    let text = |c: &str| -> Result<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
    // The key's dimensions (every key column but the day), then the API key: read by index below.
    let dims = LINE_KEY_COLUMNS.into_iter().filter(|c| *c != "date").chain(["api_key_id"]);
    let cols: Vec<StringChunked> = dims.map(text).collect::<Result<_>>()?;
    let amount = df.column("amount_usd")?.decimal()?.physical().clone();
    let list = df.column("list_amount_usd")?.decimal()?.physical().clone();
    let start = starts(df)?;
    let mut pool = StrPool::default();
    let mut out: SideMap<CostSide> = SideMap::default();
    for i in 0..df.height() {
        let vals: [Option<Arc<str>>; 8] = std::array::from_fn(|j| pool.get(cols[j].get(i)));
        let v = |j: usize| vals[j].clone();
        let Some(cost_type) = cols[5].get(i).map(CostType::from) else {
            return Err(Error::input_hint(
                format!(
                    "analytics cost row {i} has no cost_type: the query was not grouped by cost_type and token_type"
                ),
                "fetch analytics cost with group_by including cost_type and token_type (reconcile --source analytics does)",
            ));
        };
        let day = start.get(i).unwrap_or(0).div_euclid(MICROS_PER_DAY) as i32;
        // Web search is priced per request whatever the model: usage meets it per day and
        // workspace (and key), so the model dimensions the API may attach are dropped.
        let web = cost_type == CostType::WebSearch;
        let dim = |j: usize| if web { None } else { v(j) };
        let key = LineKey {
            date: date_of(day),
            workspace_id: v(0),
            model: dim(1),
            service_tier: dim(2),
            context_window: dim(3),
            inference_geo: dim(4),
            cost_type,
            token_type: v(6),
            api_key_id: if by_key { v(7) } else { None },
        };
        let side = out.entry(key).or_default();
        side.reported = crate::money::add(side.reported, list.get(i).unwrap_or(0), "a line's list amount")?;
        side.net = Some(crate::money::add(side.net.unwrap_or(0), amount.get(i).unwrap_or(0), "a line's amount")?);
    }
    Ok(out)
}
