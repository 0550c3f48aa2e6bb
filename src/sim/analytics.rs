//! The Usage and Cost Analytics API of the fake (`/v1/organizations/analytics/usage|cost`).
//!
//! Built from the same minute records and billing card as the legacy endpoints, so tokens agree
//! with `usage_report` and `list_amount` with cost_report's list amounts; `amount` is after the
//! contract's discounts. Rows exist only where there is usage (no empty buckets); ungrouped
//! dimensions are null in `group`. Paging is by row. Where the reference is unsure (the request
//! count's key, flat or nested metric names) the fake serves whichever spelling it is told to,
//! so the client is tested against each. Its window rules are the documented ones, plus a 31-day
//! cap per request that the client must split around.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, DurationRound, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::billing::list_cents;
use super::org::{Organization, UsageRecord};
use super::params::Params;
use super::server::{ApiError, Shared, invalid, respond};
use crate::api::analytics::{AnalyticsEndpoint, COST_ONLY_FILTERS, COST_ONLY_GROUPS, FILTERS, USAGE_GROUPS, earliest};
use crate::rates::TokenType;
use crate::window::fmt_rfc3339;

/// How the fake spells what the reference leaves unconfirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsSpelling {
    /// The request count's key: `requests` (default) or `request_count`.
    pub request_key: String,
    /// Metrics flat (`cache_creation_5m_input_tokens`) instead of nested like the legacy report.
    pub flat: bool,
}

impl Default for AnalyticsSpelling {
    fn default() -> Self {
        AnalyticsSpelling { request_key: "requests".into(), flat: false }
    }
}

pub(super) async fn usage(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || body(&s, &headers, raw.as_deref(), AnalyticsEndpoint::Usage);
    respond(&s, AnalyticsEndpoint::Usage.path(), &headers, raw.clone(), body).await
}

pub(super) async fn cost(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || body(&s, &headers, raw.as_deref(), AnalyticsEndpoint::Cost);
    respond(&s, AnalyticsEndpoint::Cost.path(), &headers, raw.clone(), body).await
}

/// One row being summed: list and net cents, tokens, web searches, requests.
#[derive(Default)]
struct Acc {
    list: Decimal,
    net: Decimal,
    tokens: [u64; 5],
    web: u64,
    requests: u64,
}

/// (bucket start, (dimension, its value as JSON text)): JSON values have no order.
type RowKey = (DateTime<Utc>, Vec<(String, String)>);

fn body(s: &Shared, headers: &HeaderMap, raw: Option<&str>, endpoint: AnalyticsEndpoint) -> Result<Value, ApiError> {
    let cost = endpoint == AnalyticsEndpoint::Cost;
    let beta = headers
        .get_all("anthropic-beta")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|b| b.trim() == crate::api::ANALYTICS_BETA));
    if !beta {
        return Err(invalid(format!(
            "this endpoint requires the anthropic-beta header {}",
            crate::api::ANALYTICS_BETA
        )));
    }
    let groups: Vec<&str> =
        USAGE_GROUPS.iter().chain(if cost { &COST_ONLY_GROUPS[..] } else { &[] }).copied().collect();
    let filters: Vec<String> =
        FILTERS.iter().chain(if cost { &COST_ONLY_FILTERS[..] } else { &[] }).map(|f| format!("{f}[]")).collect();
    let mut allowed: Vec<&str> = vec![
        "starting_at",
        "ending_at",
        "time_bucket_width",
        "group_by[]",
        "order_by",
        "order",
        "limit",
        "page",
        "exclude_deleted_users",
    ];
    allowed.extend(filters.iter().map(String::as_str));
    let p = Params::parse(raw, &allowed).map_err(invalid)?;
    let group = p.enums("group_by[]", &groups).map_err(invalid)?;
    p.bool("exclude_deleted_users").map_err(invalid)?;
    let (org, now) = (s.org(), s.now());
    let start = p.time("starting_at").map_err(invalid)?.ok_or_else(|| invalid("starting_at: field required".into()))?;
    if start < earliest() {
        return Err(invalid("starting_at: must be no earlier than 2026-01-01T00:00:00Z".into()));
    }
    if start < now - Duration::days(365) {
        return Err(invalid("starting_at: must be within the last 365 days".into()));
    }
    let width = match p.one("time_bucket_width") {
        None => None,
        Some("1m") => Some(Duration::minutes(1)),
        Some("1h") => Some(Duration::hours(1)),
        Some("1d") => Some(Duration::days(1)),
        Some(w) => return Err(invalid(format!("time_bucket_width: invalid value {w:?}; expected 1m, 1h or 1d"))),
    };
    let step = width.unwrap_or(Duration::hours(1));
    if start.duration_trunc(step).ok() != Some(start) {
        return Err(invalid("starting_at: must be aligned to the time bucket (whole hours without one)".into()));
    }
    let end = match p.time("ending_at").map_err(invalid)? {
        Some(e) if e <= start => return Err(invalid("ending_at: must be after starting_at".into())),
        Some(e) if e - start > Duration::days(31) => {
            return Err(invalid("ending_at: the range may span at most 31 days".into()));
        }
        Some(e) => e,
        None => (start + Duration::days(31)).min(now).duration_trunc(Duration::hours(1)).unwrap_or(start),
    };
    if end.duration_trunc(step).ok() != Some(end) {
        return Err(invalid("ending_at: must be aligned to the time bucket (whole hours without one)".into()));
    }
    let limit = p.int("limit").map_err(invalid)?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit: must be between 1 and 1000".into()));
    }
    let wanted: Vec<(String, Vec<String>)> = allowed
        .iter()
        .filter(|k| k.ends_with("s[]"))
        .map(|k| (filter_dim(k), p.all(k)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let key = format!("{endpoint:?}|{}|{now}|{:p}", without_page(raw), Arc::as_ptr(&org));
    let all = s.analytics_rows_cached(&key, || {
        rows_of(&org, now, cost, &group, &groups, width, start, end, &wanted, &s.analytics_spelling())
    });
    let offset = match p.one("page") {
        None => 0,
        Some(token) => {
            decode_row(token).filter(|o| *o < all.len()).ok_or_else(|| invalid("page: invalid page token".into()))?
        }
    };
    let next = offset + limit as usize;
    let page: Vec<&Value> = all.iter().skip(offset).take(limit as usize).collect();
    let more = next < all.len();
    Ok(json!({"data": page, "has_more": more, "next_page": more.then(|| encode_row(next))}))
}

/// Every row of one query, in order (bucket, then group values).
#[allow(clippy::too_many_arguments)]
fn rows_of(
    org: &Organization,
    now: DateTime<Utc>,
    cost: bool,
    group: &[String],
    groups: &[&str],
    width: Option<Duration>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    wanted: &[(String, Vec<String>)],
    spelling: &AnalyticsSpelling,
) -> Vec<Value> {
    let bucket = |t: DateTime<Utc>| match width {
        Some(w) => t.duration_trunc(w).unwrap_or(t),
        None => start,
    };
    let mut rows: BTreeMap<RowKey, Acc> = BTreeMap::new();
    let keep = |dims: &dyn Fn(&str) -> Value| {
        wanted.iter().all(|(dim, values)| {
            let v = dims(dim);
            let id = match &v {
                Value::Object(o) => actor_id(o),
                Value::String(s) => Some(s.clone()),
                _ => None,
            };
            id.is_some_and(|id| values.contains(&id))
        })
    };
    let key_of = |t: DateTime<Utc>, dims: &dyn Fn(&str) -> Value| -> RowKey {
        (bucket(t), group.iter().map(|g| (g.clone(), dims(g).to_string())).collect())
    };
    for r in org.records_at(start, end, now) {
        let day = r.minute.date_naive();
        let base = |d: &str| record_dim(org, r, d);
        if !cost {
            if !keep(&base) {
                continue;
            }
            let a = rows.entry(key_of(r.minute, &base)).or_default();
            for (t, n) in a.tokens.iter_mut().zip(r.tokens) {
                *t += n;
            }
            a.web += r.web_search_requests;
            a.requests += r.requests;
            continue;
        }
        let factor = org.config.contract.factor(&org.card, &r.model, day);
        let mut counted = false;
        if let Some(cents) = list_cents(&org.card, r) {
            for t in TokenType::ALL.into_iter().filter(|t| r.tokens[*t as usize] > 0) {
                let dims = |d: &str| match d {
                    "cost_type" => json!("tokens"),
                    "token_type" => json!(t.api_name()),
                    _ => base(d),
                };
                if !keep(&dims) {
                    continue;
                }
                let a = rows.entry(key_of(r.minute, &dims)).or_default();
                a.list += cents[t as usize];
                a.net += cents[t as usize] * factor;
                if !counted {
                    a.requests += r.requests;
                    counted = true;
                }
            }
        }
        let unit = org.card.unit_price("web_search").map(|u| u.price).unwrap_or_default();
        let dims = |d: &str| match d {
            "cost_type" => json!("web_search"),
            _ => base(d),
        };
        if r.web_search_requests > 0 && keep(&dims) {
            let a = rows.entry(key_of(r.minute, &dims)).or_default();
            let cents = Decimal::from(r.web_search_requests) * unit * Decimal::ONE_HUNDRED;
            (a.list, a.net) = (a.list + cents, a.net + cents);
        }
    }
    if cost {
        runtime_rows(org, start, end, now, &keep, &key_of, &mut rows);
    }
    let split = group.iter().any(|g| g == "cost_type" || g == "token_type");
    rows.into_iter()
        .map(|((t, dims), a)| {
            let mut g: Map<String, Value> = groups.iter().map(|d| ((*d).to_owned(), Value::Null)).collect();
            g.extend(dims.into_iter().map(|(k, v)| (k, serde_json::from_str(&v).unwrap_or(Value::Null))));
            let (s0, e0) = match width {
                Some(w) => (t, t + w),
                None => (start, end),
            };
            let mut row = json!({"starting_at": fmt_rfc3339(s0), "ending_at": fmt_rfc3339(e0), "group": g});
            row[if cost { "cost" } else { "usage" }] =
                if cost { cost_metrics(&a, split, spelling) } else { usage_metrics(&a, spelling) };
            row
        })
        .collect()
}

/// The query without its `page`, to find a cached result.
fn without_page(raw: Option<&str>) -> String {
    raw.unwrap_or("").split('&').filter(|kv| !kv.starts_with("page=")).collect::<Vec<_>>().join("&")
}

/// Code execution and session runtime: billed per day and workspace, at list, no usage behind.
#[allow(clippy::type_complexity)] // `keep` and `key_of` take a row's dimension lookup
fn runtime_rows(
    org: &Organization,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    keep: &dyn Fn(&dyn Fn(&str) -> Value) -> bool,
    key_of: &dyn Fn(DateTime<Utc>, &dyn Fn(&str) -> Value) -> RowKey,
    rows: &mut BTreeMap<RowKey, Acc>,
) {
    let mut day = start.date_naive();
    while super::timeline::midnight(day) < end {
        let midnight = super::timeline::midnight(day);
        // A day's runtime is billed once the day is over and inside the range.
        if midnight >= start && midnight + Duration::days(1) <= end {
            for l in org.cost_lines_at(day, now).iter().flat_map(|c| c.iter()) {
                if !matches!(l.cost_type.as_str(), "code_execution" | "session_usage") {
                    continue;
                }
                let dims = |d: &str| match d {
                    "cost_type" => json!(l.cost_type),
                    "workspace_id" => json!(l.workspace_id),
                    "agent_id" if l.cost_type == "session_usage" => json!(super::people::AGENT_ID),
                    _ => Value::Null,
                };
                if keep(&dims) {
                    let a = rows.entry(key_of(midnight, &dims)).or_default();
                    (a.list, a.net) = (a.list + l.amount_cents, a.net + l.amount_cents);
                }
            }
        }
        day += Duration::days(1);
    }
}

/// `models[]` → `model`, `inference_geos[]` → `inference_geo`, `actor_ids[]` → `actor`.
fn filter_dim(filter: &str) -> String {
    let f = filter.trim_end_matches("[]");
    match f {
        "actor_ids" => "actor".into(),
        "claude_tag_categories" => "claude_tag_category".into(),
        f => f.strip_suffix('s').unwrap_or(f).into(),
    }
}

fn actor_id(o: &Map<String, Value>) -> Option<String> {
    ["user_id", "service_account_id", "api_key_id"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str).map(str::to_owned))
}

/// A record's value of one group dimension (null where the simulator has none).
fn record_dim(org: &Organization, r: &UsageRecord, dim: &str) -> Value {
    let s = |v: &str| Value::String(v.to_owned());
    match dim {
        "actor" => match (&r.account_id, &r.service_account_id, &r.api_key_id) {
            (Some(u), _, _) => json!({"type": "user_actor", "user_id": u, "deleted": false, "name": null,
                                       "email_address": format!("{}@simulated.example", u.to_lowercase())}),
            (_, Some(sa), _) => json!({"type": "service_account_actor", "service_account_id": sa}),
            (_, _, Some(k)) => json!({"type": "api_actor", "api_key_id": k,
                "api_key_name": org.api_keys.iter().find(|x| &x.id == k).map(|x| x.name.clone())}),
            _ => Value::Null,
        },
        "actor_type" => record_dim(org, r, "actor").get("type").cloned().unwrap_or(Value::Null),
        "api_key_id" => json!(r.api_key_id),
        "workspace_id" => json!(r.workspace_id),
        "model" => s(&r.model),
        "service_tier" => s(&r.service_tier),
        "context_window" => s(&r.context_window),
        "inference_geo" => s(&r.inference_geo),
        "speed" => s(&r.speed),
        "product" => s("api"),
        _ => Value::Null,
    }
}

fn cents(d: Decimal) -> Value {
    Value::String(d.normalize().to_string())
}

fn usage_metrics(a: &Acc, sp: &AnalyticsSpelling) -> Value {
    let [input, w5, w1, read, output] = a.tokens;
    let mut m = if sp.flat {
        json!({"uncached_input_tokens": input, "cache_creation_5m_input_tokens": w5, "cache_creation_1h_input_tokens": w1,
               "cache_read_input_tokens": read, "output_tokens": output, "web_search_requests": a.web})
    } else {
        json!({"uncached_input_tokens": input,
               "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
               "cache_read_input_tokens": read, "output_tokens": output,
               "server_tool_use": {"web_search_requests": a.web}})
    };
    m[sp.request_key.as_str()] = json!(a.requests);
    m
}

fn cost_metrics(a: &Acc, split: bool, sp: &AnalyticsSpelling) -> Value {
    let mut m = json!({"amount": cents(a.net), "list_amount": cents(a.list), "currency": "USD"});
    // Null when split by cost or token type: there is no per-component request count.
    m[sp.request_key.as_str()] = if split { Value::Null } else { json!(a.requests) };
    m
}

fn encode_row(offset: usize) -> String {
    format!("page_{}", STANDARD.encode(format!("row:{offset}")))
}

fn decode_row(token: &str) -> Option<usize> {
    let raw = STANDARD.decode(token.strip_prefix("page_")?).ok()?;
    std::str::from_utf8(&raw).ok()?.strip_prefix("row:")?.parse().ok()
}
