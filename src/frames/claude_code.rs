//! The Claude Code report as a frame: one row per day and actor (sessions, lines, commits, pull
//! requests, tool actions, estimated cost), or per day, actor and model with tokens.
//!
//! `estimated_cost.amount` is a JSON number of cents; it is read from its decimal text, never
//! through a float, and a value that needs more than 12 decimals of USD is refused.

use std::str::FromStr;

use polars::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::columns::{date, int, money, text};
use crate::api::analytics_wire::ClaudeCodeRecord;
use crate::error::{Error, Result};
use crate::money::{cents_to_usd, to_mantissa};

fn bad(message: String) -> Error {
    Error::ApiResponse { endpoint: "usage_report/claude_code".into(), message }
}

/// A non-negative integer count under `key` (absent: 0, as the report omits zero tool actions).
fn count(m: &Map<String, Value>, key: &str, day: &str) -> Result<i64> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v
            .as_u64()
            .and_then(|n| i64::try_from(n).ok())
            .ok_or_else(|| bad(format!("{day}: {key} = {v} is not a count (a non-negative integer within Int64)"))),
    }
}

/// The Claude Code frame: one row per day and actor (`by_model = false`), or per day, actor and
/// model with its tokens and estimated cost (`by_model = true`).
pub fn claude_code_frame(records: &[ClaudeCodeRecord], by_model: bool) -> Result<DataFrame> {
    let actor = |r: &ClaudeCodeRecord| -> (Option<String>, Option<String>) {
        let kind = r.actor.get("type").and_then(Value::as_str).map(str::to_owned);
        let who = ["email_address", "api_key_name", "user_id", "id"]
            .iter()
            .find_map(|k| r.actor.get(*k).and_then(Value::as_str).map(str::to_owned));
        (kind, who)
    };
    let usd = |r: &ClaudeCodeRecord, raw: &serde_json::value::RawValue| -> Result<i128> {
        let d = Decimal::from_str(raw.get().trim_matches('"'))
            .map_err(|_| bad(format!("{}: estimated_cost.amount {} is not a decimal", r.date, raw.get())))?;
        to_mantissa(cents_to_usd(d)).map_err(|e| bad(e.to_string()))
    };
    if by_model {
        let mut day = vec![];
        let mut kinds = vec![];
        let mut who = vec![];
        let mut model = vec![];
        let mut tok: [Vec<i64>; 4] = Default::default();
        let mut cost = vec![];
        for r in records {
            for m in &r.model_breakdown {
                let (k, w) = actor(r);
                day.push(Some(r.date.date_naive()));
                kinds.push(k);
                who.push(w);
                model.push(Some(m.model.clone()));
                for (col, key) in tok.iter_mut().zip(["input", "output", "cache_read", "cache_creation"]) {
                    if m.tokens.get(key).is_none_or(Value::is_null) {
                        return Err(bad(format!(
                            "{}: model {} has no tokens.{key}; refusing to read it as 0",
                            r.date, m.model
                        )));
                    }
                    col.push(count(&m.tokens, key, &r.date.to_string())?);
                }
                cost.push(Some(usd(r, &m.estimated_cost.amount)?));
            }
        }
        let n = day.len();
        let [i, o, cr, cc] = tok;
        let columns = vec![
            date("date", day),
            text("actor_type", kinds),
            text("actor", who),
            text("model", model),
            int("input_tokens", i),
            int("output_tokens", o),
            int("cache_read_tokens", cr),
            int("cache_creation_tokens", cc),
            money("estimated_cost_usd", cost)?,
        ];
        return Ok(DataFrame::new(n, columns)?);
    }
    let n = records.len();
    let (mut accepted, mut rejected, mut cost) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for r in records {
        let (mut a, mut rj) = (0i64, 0i64);
        for v in r.tool_actions.values().filter_map(Value::as_object) {
            a += count(v, "accepted", &r.date.to_string())?;
            rj += count(v, "rejected", &r.date.to_string())?;
        }
        accepted.push(a);
        rejected.push(rj);
        let mut total = 0i128;
        for m in &r.model_breakdown {
            total = crate::money::add(total, usd(r, &m.estimated_cost.amount)?, "an estimated cost")?;
        }
        cost.push(Some(total));
    }
    let to_i64 = |v: u64| i64::try_from(v).map_err(|_| bad("a count is beyond Int64".into()));
    let metric =
        |f: &dyn Fn(&ClaudeCodeRecord) -> u64| -> Result<Vec<i64>> { records.iter().map(|r| to_i64(f(r))).collect() };
    // The numbers first (an 80-column terminal shows the leading columns), the labels after.
    let columns = vec![
        date("date", records.iter().map(|r| Some(r.date.date_naive())).collect()),
        text("actor", records.iter().map(|r| actor(r).1).collect()),
        int("sessions", metric(&|r| r.core_metrics.num_sessions)?),
        int("lines_added", metric(&|r| r.core_metrics.lines_of_code.added)?),
        int("lines_removed", metric(&|r| r.core_metrics.lines_of_code.removed)?),
        int("commits", metric(&|r| r.core_metrics.commits_by_claude_code)?),
        int("pull_requests", metric(&|r| r.core_metrics.pull_requests_by_claude_code)?),
        money("estimated_cost_usd", cost)?,
        int("tool_actions_accepted", accepted),
        int("tool_actions_rejected", rejected),
        text("actor_type", records.iter().map(|r| actor(r).0).collect()),
        text("customer_type", records.iter().map(|r| r.customer_type.clone()).collect()),
        text("terminal_type", records.iter().map(|r| r.terminal_type.clone()).collect()),
    ];
    Ok(DataFrame::new(n, columns)?)
}
