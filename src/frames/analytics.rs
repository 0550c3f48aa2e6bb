//! Frames of the Usage and Cost Analytics API (DESIGN §11).
//!
//! `analytics_usage`: `bucket_start`, `bucket_end` (null when not bucketed), one column per
//! requested group dimension (the API's names), the token counts under the legacy names,
//! `web_search_requests` and `requests`. `analytics_cost`: the dimensions, `amount_usd`,
//! `list_amount_usd` (exact USD from fractional-cent strings), `currency`, `requests`.
//!
//! Read tolerantly where the reference is unsure, never by guessing a number: each metric is
//! looked up under its plausible spellings (`cache_creation.ephemeral_5m_input_tokens` or
//! `cache_creation_5m_input_tokens`; `requests` or `request_count`); two spellings that disagree,
//! a float where a count or an amount belongs, or no spelling at all is an error naming the row.

use std::collections::BTreeMap;
use std::str::FromStr;

use polars::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::columns::{datetime, micros, money, text};
use crate::api::analytics_wire::AnalyticsRow;
use crate::api::{AnalyticsEndpoint, AnalyticsQuery};
use crate::error::{Error, Result};
use crate::money::{cents_to_usd, to_mantissa};

fn bad(endpoint: &str, message: String) -> Error {
    Error::ApiResponse { endpoint: endpoint.into(), message }
}

/// `a.b` looks inside object `a`.
fn lookup<'a>(m: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut v = m.get(parts.next()?)?;
    for p in parts {
        v = v.as_object()?.get(p)?;
    }
    Some(v)
}

/// A count under one of `spellings`: `Ok(None)` when absent (or null), an error when two
/// spellings disagree or the value is not a non-negative integer within Int64.
fn count(m: &Map<String, Value>, spellings: &[&str], endpoint: &str, row: usize) -> Result<Option<i64>> {
    let mut found: Option<(i64, &str)> = None;
    for s in spellings {
        let Some(v) = lookup(m, s) else { continue };
        if v.is_null() {
            continue;
        }
        let n = v.as_u64().and_then(|n| i64::try_from(n).ok()).ok_or_else(|| {
            bad(endpoint, format!("row {row}: {s} = {v} is not a count (a non-negative integer within Int64)"))
        })?;
        match found {
            Some((other, name)) if other != n => {
                return Err(bad(endpoint, format!("row {row}: {name} = {other} and {s} = {n} disagree")));
            }
            _ => found = Some((n, s)),
        }
    }
    Ok(found.map(|(n, _)| n))
}

/// An amount in cents (a decimal string, or an integer) as a scale-12 USD mantissa.
fn cents(m: &Map<String, Value>, key: &str, endpoint: &str, row: usize) -> Result<Option<i128>> {
    let Some(v) = m.get(key).filter(|v| !v.is_null()) else { return Ok(None) };
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        other => {
            return Err(bad(
                endpoint,
                format!("row {row}: {key} = {other} is not a decimal string of cents; refusing to guess it"),
            ));
        }
    };
    let d = Decimal::from_str(text.trim())
        .map_err(|_| bad(endpoint, format!("row {row}: {key} = {text:?} is not a decimal")))?;
    to_mantissa(cents_to_usd(d)).map(Some).map_err(|e| bad(endpoint, format!("row {row}: {key}: {e}")))
}

/// A group value as text: strings as they are; an actor object as its id (or e-mail, or name).
fn dim_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            ["user_id", "service_account_id", "api_key_id", "id", "email_address", "api_key_name", "name"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str).map(str::to_owned))
                .or_else(|| Some(v.to_string()))
        }
        other => Some(other.to_string()),
    }
}

/// The metric columns of the usage endpoint: (column, spellings).
const USAGE_METRICS: [(&str, &[&str]); 7] = [
    ("uncached_input_tokens", &["uncached_input_tokens", "input_tokens"]),
    (
        "cache_creation_5m_input_tokens",
        &["cache_creation.ephemeral_5m_input_tokens", "cache_creation_5m_input_tokens", "ephemeral_5m_input_tokens"],
    ),
    (
        "cache_creation_1h_input_tokens",
        &["cache_creation.ephemeral_1h_input_tokens", "cache_creation_1h_input_tokens", "ephemeral_1h_input_tokens"],
    ),
    ("cache_read_input_tokens", &["cache_read_input_tokens"]),
    ("output_tokens", &["output_tokens"]),
    ("web_search_requests", &["server_tool_use.web_search_requests", "web_search_requests"]),
    ("requests", &["requests", "request_count", "num_requests"]),
];
/// Metrics that must be there (a missing token count is an error, never 0).
const REQUIRED: usize = 5;
const REQUEST_SPELLINGS: &[&str] = &["requests", "request_count", "num_requests"];

type Key = (Option<i64>, Option<i64>, Vec<Option<String>>);

/// The frame of an analytics query's rows: usage or cost, by the query's endpoint, bucketed when
/// the query names a bucket width.
pub fn analytics_frame(rows: &[AnalyticsRow], query: &AnalyticsQuery) -> Result<DataFrame> {
    let bucketed = query.bucket_width.is_some();
    match query.endpoint {
        AnalyticsEndpoint::Usage => analytics_usage_frame(rows, &query.group_by, bucketed),
        AnalyticsEndpoint::Cost => analytics_cost_frame(rows, &query.group_by, bucketed),
    }
}

/// The `analytics_usage` frame of `rows` grouped by `group_by`; rows of one group from several
/// pieces of an un-bucketed window are summed.
pub fn analytics_usage_frame(rows: &[AnalyticsRow], group_by: &[String], bucketed: bool) -> Result<DataFrame> {
    let endpoint = "analytics/usage";
    let mut acc: BTreeMap<Key, [Option<i64>; 7]> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let m = r.usage.as_ref().ok_or_else(|| bad(endpoint, format!("row {i} has no usage object")))?;
        let mut values = [None; 7];
        for (j, (name, spellings)) in USAGE_METRICS.iter().enumerate() {
            values[j] = count(m, spellings, endpoint, i)?;
            if j < REQUIRED && values[j].is_none() {
                let keys: Vec<&String> = m.keys().collect();
                return Err(bad(
                    endpoint,
                    format!("row {i} has no {name} (looked for {}; the row has {keys:?})", spellings.join(" or ")),
                ));
            }
        }
        let key = row_key(r, group_by, bucketed);
        let e = acc.entry(key).or_insert([Some(0), Some(0), Some(0), Some(0), Some(0), Some(0), Some(0)]);
        for (slot, v) in e.iter_mut().zip(values) {
            *slot = match (*slot, v) {
                (Some(a), Some(b)) => {
                    Some(a.checked_add(b).ok_or_else(|| bad(endpoint, "a count is beyond Int64".into()))?)
                }
                _ => None, // one piece without the metric: the whole group has none
            };
        }
    }
    let mut columns = key_columns(&acc, group_by);
    for (j, (name, _)) in USAGE_METRICS.iter().enumerate() {
        columns.push(Int64Chunked::from_iter_options((*name).into(), acc.values().map(|v| v[j])).into_column());
    }
    Ok(DataFrame::new(acc.len(), columns)?)
}

/// The `analytics_cost` frame: amounts and list amounts exact, currency USD.
pub fn analytics_cost_frame(rows: &[AnalyticsRow], group_by: &[String], bucketed: bool) -> Result<DataFrame> {
    let endpoint = "analytics/cost";
    let mut acc: BTreeMap<Key, (i128, i128, Option<i64>)> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let m = r.cost.as_ref().ok_or_else(|| bad(endpoint, format!("row {i} has no cost object")))?;
        let currency = m.get("currency").and_then(Value::as_str).unwrap_or("USD");
        if !currency.eq_ignore_ascii_case("USD") {
            return Err(bad(endpoint, format!("row {i} is in {currency}; counterfoil only handles USD")));
        }
        let amount = cents(m, "amount", endpoint, i)?.ok_or_else(|| bad(endpoint, format!("row {i} has no amount")))?;
        let list = cents(m, "list_amount", endpoint, i)?
            .ok_or_else(|| bad(endpoint, format!("row {i} has no list_amount")))?;
        let requests = count(m, REQUEST_SPELLINGS, endpoint, i)?;
        let e = acc.entry(row_key(r, group_by, bucketed)).or_insert((0, 0, Some(0)));
        e.0 = crate::money::add(e.0, amount, "an amount").map_err(|err| bad(endpoint, err.to_string()))?;
        e.1 = crate::money::add(e.1, list, "a list amount").map_err(|err| bad(endpoint, err.to_string()))?;
        e.2 = match (e.2, requests) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            _ => None,
        };
    }
    let mut columns = key_columns(&acc, group_by);
    columns.push(money("amount_usd", acc.values().map(|v| Some(v.0)).collect())?);
    columns.push(money("list_amount_usd", acc.values().map(|v| Some(v.1)).collect())?);
    columns.push(text("currency", acc.values().map(|_| Some("USD".to_owned())).collect()));
    columns.push(Int64Chunked::from_iter_options("requests".into(), acc.values().map(|v| v.2)).into_column());
    Ok(DataFrame::new(acc.len(), columns)?)
}

fn row_key(r: &AnalyticsRow, group_by: &[String], bucketed: bool) -> Key {
    let (s, e) = if bucketed { (r.starting_at.map(micros), r.ending_at.map(micros)) } else { (None, None) };
    (s, e, group_by.iter().map(|g| r.group.get(g).and_then(dim_text)).collect())
}

fn key_columns<V>(acc: &BTreeMap<Key, V>, group_by: &[String]) -> Vec<Column> {
    let mut columns = vec![
        datetime("bucket_start", acc.keys().map(|k| k.0).collect()),
        datetime("bucket_end", acc.keys().map(|k| k.1).collect()),
    ];
    for (j, g) in group_by.iter().enumerate() {
        columns.push(text(g, acc.keys().map(|k| k.2[j].clone()).collect()));
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(usage: Value) -> AnalyticsRow {
        serde_json::from_value(serde_json::json!({
            "starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z",
            "group": {"model": "claude-opus-5", "actor": {"type": "user_actor", "user_id": "user_1", "email_address": "a@b"}},
            "usage": usage,
        }))
        .unwrap()
    }

    #[test]
    fn plausible_spellings_are_read_and_disagreements_refused() {
        let nested = serde_json::json!({"uncached_input_tokens": 1, "cache_creation": {"ephemeral_5m_input_tokens": 2, "ephemeral_1h_input_tokens": 3},
            "cache_read_input_tokens": 4, "output_tokens": 5, "request_count": 6, "brand_new_metric": 7});
        let flat = serde_json::json!({"uncached_input_tokens": 1, "cache_creation_5m_input_tokens": 2, "cache_creation_1h_input_tokens": 3,
            "cache_read_input_tokens": 4, "output_tokens": 5, "requests": 6});
        let g = vec!["model".to_owned(), "actor".to_owned()];
        let a = analytics_usage_frame(&[row(nested)], &g, true).unwrap();
        let b = analytics_usage_frame(&[row(flat)], &g, true).unwrap();
        assert!(a.equals_missing(&b), "both spellings give the same frame");
        assert_eq!(a.column("actor").unwrap().str().unwrap().get(0), Some("user_1"));
        assert_eq!(a.column("web_search_requests").unwrap().null_count(), 1, "absent: null, never 0");
        let both = serde_json::json!({"uncached_input_tokens": 1, "input_tokens": 9, "cache_creation_5m_input_tokens": 2,
            "cache_creation_1h_input_tokens": 3, "cache_read_input_tokens": 4, "output_tokens": 5});
        assert!(analytics_usage_frame(&[row(both)], &g, true).unwrap_err().to_string().contains("disagree"));
        let missing = serde_json::json!({"uncached_input_tokens": 1, "output_tokens": 5});
        let e = analytics_usage_frame(&[row(missing)], &g, true).unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(e.to_string().contains("cache_creation_5m_input_tokens"), "{e}");
        let float = serde_json::json!({"uncached_input_tokens": 1.5, "cache_creation_5m_input_tokens": 2,
            "cache_creation_1h_input_tokens": 3, "cache_read_input_tokens": 4, "output_tokens": 5});
        assert!(analytics_usage_frame(&[row(float)], &g, true).is_err());
    }
}
