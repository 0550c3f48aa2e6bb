//! The two sides of a reconciliation, each summed to the line key.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use polars::prelude::*;

use super::key::{CostSide, LineKey, UsageSide};
use crate::error::{Error, Result};
use crate::frames::usage::TOKEN_COLUMNS;
use crate::money::{to_mantissa, to_scale_12};
use crate::pricing::{KeyPrice, NOT_IN_COST_REPORT, key_price};
use crate::rates::{PriceQuery, RateCard, TokenType};
use crate::window::TimeWindow;

/// Key dimensions that cost_report may leave null on every line of a day.
pub const COARSENABLE: [&str; 4] = ["model", "service_tier", "context_window", "inference_geo"];

/// The bucket's UTC day, as days since the epoch (Datetime → Date truncates in UTC).
fn day_expr() -> Expr {
    col("bucket_start").cast(DataType::Date).cast(DataType::Int32).alias("day")
}

fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day as i64)
}

fn need(df: &DataFrame, cols: &[&str], what: &str) -> Result<()> {
    let missing: Vec<&str> = cols.iter().copied().filter(|c| df.column(c).is_err()).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::input(format!("the {what} frame lacks column(s) {}", missing.join(", "))))
    }
}

/// Rows whose bucket starts inside `window`.
pub fn clip(df: &DataFrame, window: Option<TimeWindow>) -> Result<DataFrame> {
    need(df, &["bucket_start"], "input")?;
    let Some(w) = window else {
        return Ok(df.clone());
    };
    let (s, e) = (w.start.timestamp_micros(), w.end.timestamp_micros());
    let t = col("bucket_start").cast(DataType::Int64);
    Ok(df.clone().lazy().filter(t.clone().gt_eq(lit(s)).and(t.lt(lit(e)))).collect()?)
}

fn text(c: &Column, i: usize) -> Result<Option<String>> {
    Ok(c.str()?.get(i).map(str::to_owned))
}

/// Cost rows summed to the line key. Needs cost grouped by description (structured fields).
pub fn cost_side(cost: &DataFrame) -> Result<BTreeMap<LineKey, CostSide>> {
    let keys = ["workspace_id", "model", "service_tier", "context_window", "inference_geo", "cost_type", "token_type"];
    need(cost, &[&keys[..], &["bucket_start", "amount_usd", "description"]].concat(), "cost")?;
    let mut by = vec![day_expr()];
    by.extend(keys.iter().map(|k| col(*k)));
    let g = cost.clone().lazy().group_by(by).agg([col("amount_usd").sum(), col("description").first()]).collect()?;
    let day = g.column("day")?.i32()?.clone();
    let amount = g.column("amount_usd")?.decimal()?.clone();
    let scale = amount.scale();
    let mut out = BTreeMap::new();
    for i in 0..g.height() {
        let Some(cost_type) = text(g.column("cost_type")?, i)? else {
            return Err(Error::input_hint(
                "the cost frame has no cost_type: it was not grouped by description",
                "fetch cost with group_by=[\"workspace_id\", \"description\"]",
            ));
        };
        let key = LineKey {
            date: date_of(day.get(i).expect("day")),
            workspace_id: text(g.column("workspace_id")?, i)?,
            model: text(g.column("model")?, i)?,
            service_tier: text(g.column("service_tier")?, i)?,
            context_window: text(g.column("context_window")?, i)?,
            inference_geo: text(g.column("inference_geo")?, i)?,
            cost_type,
            token_type: text(g.column("token_type")?, i)?,
        };
        let m = amount.physical().get(i).unwrap_or(0);
        let reported = to_scale_12(m, scale);
        out.insert(key, CostSide { reported, description: text(g.column("description")?, i)? });
    }
    Ok(out)
}

/// Days on which cost_report leaves a key dimension null on every token line.
pub fn coarsened_days(costs: &BTreeMap<LineKey, CostSide>) -> BTreeMap<NaiveDate, Vec<&'static str>> {
    let mut seen: BTreeMap<NaiveDate, [bool; 4]> = BTreeMap::new(); // dimension ever non-null that day
    for k in costs.keys().filter(|k| k.cost_type == "tokens") {
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

/// Usage aggregated to the pricing key, priced, and summed to the line key (one per token type,
/// plus web search per day and workspace).
pub fn usage_side(
    usage: &DataFrame,
    card: &RateCard,
    coarse: &BTreeMap<NaiveDate, Vec<&'static str>>,
) -> Result<BTreeMap<LineKey, UsageSide>> {
    let dims = ["workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"];
    let tokens: Vec<&str> = TOKEN_COLUMNS.iter().map(|(c, _)| *c).chain(["web_search_requests"]).collect();
    need(usage, &[&dims[..], &tokens[..]].concat(), "usage")?;
    let mut by = vec![day_expr()];
    by.extend(dims.iter().map(|d| col(*d)));
    let g =
        usage.clone().lazy().group_by(by).agg(tokens.iter().map(|t| col(*t).sum()).collect::<Vec<_>>()).collect()?;

    let day = g.column("day")?.i32()?.clone();
    let s: Vec<StringChunked> = dims.iter().map(|d| Ok(g.column(d)?.str()?.clone())).collect::<Result<_>>()?;
    let q: Vec<Int64Chunked> = tokens.iter().map(|t| Ok(g.column(t)?.i64()?.clone())).collect::<Result<_>>()?;
    let web_unit = card.unit_price("web_search").map(|u| to_mantissa(u.price)).transpose()?;
    type Key<'a> = (i32, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let mut prices: HashMap<Key<'_>, KeyPrice> = HashMap::new();
    let mut out: BTreeMap<LineKey, UsageSide> = BTreeMap::new();
    for i in 0..g.height() {
        let d = day.get(i).expect("day");
        let date = date_of(d);
        let [ws, model, tier, ctx, geo, speed] = [0, 1, 2, 3, 4, 5].map(|j| s[j].get(i));
        let price = prices.entry((d, model, tier, ctx, geo, speed)).or_insert_with(|| {
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
        let c = coarse.get(&date);
        let keep = |name: &str, v: Option<&str>| {
            if c.is_some_and(|c| c.contains(&name)) { None } else { v.map(str::to_owned) }
        };
        for (t, tt) in TokenType::ALL.iter().enumerate() {
            let n = q[t].get(i).unwrap_or(0);
            if n == 0 {
                continue;
            }
            let key = LineKey {
                date,
                workspace_id: ws.map(str::to_owned),
                model: keep("model", model),
                service_tier: keep("service_tier", tier),
                context_window: keep("context_window", ctx),
                inference_geo: keep("inference_geo", geo),
                cost_type: "tokens".into(),
                token_type: Some(tt.api_name().into()),
            };
            let side = out.entry(key).or_default();
            // Scale-12 USD per MTok is micros × 10⁶; quantity × it / 10⁶ stays exact.
            match price.micros {
                Some(micros) => {
                    side.add(n, Ok(micros[t] * 1_000_000), 1_000_000);
                    side.not_in_cost_report |= price.status == NOT_IN_COST_REPORT;
                    if side.note.is_none() {
                        side.note.clone_from(&price.note);
                    }
                }
                None => side.add(n, Err(price.note.as_deref().unwrap_or("unpriced")), 1_000_000),
            }
        }
        let w = q[5].get(i).unwrap_or(0);
        if w > 0 {
            let key = LineKey {
                date,
                workspace_id: ws.map(str::to_owned),
                model: None,
                service_tier: None,
                context_window: None,
                inference_geo: None,
                cost_type: "web_search".into(),
                token_type: None,
            };
            out.entry(key).or_default().add(w, web_unit.ok_or("the rate card has no web_search unit price"), 1);
        }
    }
    Ok(out)
}
