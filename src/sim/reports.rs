//! The report endpoints of the fake API: `usage_report/messages` and `cost_report`.
//!
//! Usage rows are aggregated from the organization's minute records by the requested `group_by`
//! tuple (ungrouped dimensions null); cost rows are the billed lines, merged by the requested
//! grouping. Both page by buckets, oldest first, empty buckets included.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::params::{Params, ReportRange, encode_page};
use super::server::{ApiError, Shared, invalid, respond};
use crate::api::client::FAST_MODE_BETA;
use crate::api::wire::{Bucket, CacheCreation, CostResult, ReportPage, ServerToolUse, UsageResult};
use crate::api::{BucketWidth, UsageDimension};

fn has_fast_beta(headers: &HeaderMap) -> bool {
    headers
        .get_all("anthropic-beta")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|b| b.trim() == FAST_MODE_BETA))
}

const USAGE_PARAMS: &[&str] = &[
    "starting_at",
    "ending_at",
    "bucket_width",
    "limit",
    "page",
    "group_by[]",
    "api_key_ids[]",
    "workspace_ids[]",
    "account_ids[]",
    "service_account_ids[]",
    "models[]",
    "service_tiers[]",
    "context_window[]",
    "inference_geos[]",
    "speeds[]",
];
const TIERS: &[&str] = &["standard", "batch", "priority", "priority_on_demand", "flex", "flex_discount"];

pub(super) async fn usage(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || usage_body(&s, &headers, raw.as_deref());
    respond(&s, "/v1/organizations/usage_report/messages", &headers, raw.clone(), body).await
}

fn usage_body(s: &Shared, headers: &HeaderMap, raw: Option<&str>) -> Result<Value, ApiError> {
    let p = Params::parse(raw, USAGE_PARAMS).map_err(invalid)?;
    let width = match p.one("bucket_width").unwrap_or("1d") {
        "1m" => BucketWidth::Minute,
        "1h" => BucketWidth::Hour,
        "1d" => BucketWidth::Day,
        w => {
            return Err(invalid(format!("bucket_width: invalid value {w:?}; expected 1m, 1h or 1d")));
        }
    };
    let dims: Vec<&str> = UsageDimension::ALL.iter().map(|d| d.as_str()).collect();
    let group = p.enums("group_by[]", &dims).map_err(invalid)?;
    let tiers = p.enums("service_tiers[]", TIERS).map_err(invalid)?;
    let windows = p.enums("context_window[]", &["0-200k", "200k-1M"]).map_err(invalid)?;
    let geos = p.enums("inference_geos[]", &["global", "us", "not_available"]).map_err(invalid)?;
    let speeds = p.enums("speeds[]", &["standard", "fast"]).map_err(invalid)?;
    let beta = has_fast_beta(headers);
    if (group.iter().any(|g| g == "speed") || !speeds.is_empty()) && !beta {
        return Err(invalid(format!(
            "speed: grouping or filtering by speed requires the anthropic-beta header {FAST_MODE_BETA}"
        )));
    }
    let (org, now) = (s.org(), s.now());
    let range = ReportRange::parse(&p, width, now).map_err(invalid)?;
    let (starts, next) = range.page();
    let (keys, ws, models, accts, svacs) = (
        p.all("api_key_ids[]"),
        p.all("workspace_ids[]"),
        p.all("models[]"),
        p.all("account_ids[]"),
        p.all("service_account_ids[]"),
    );
    let keep =
        |want: &Vec<String>, have: &Option<String>| want.is_empty() || have.as_ref().is_some_and(|h| want.contains(h));
    let keep_s = |want: &Vec<String>, have: &String| want.is_empty() || want.contains(have);
    let grouped = |d: UsageDimension| group.iter().any(|g| g == d.as_str());
    let step = width.duration();
    let mut data = Vec::with_capacity(starts.len());
    for start in starts {
        let mut rows: BTreeMap<[Option<String>; 9], [u64; 6]> = BTreeMap::new();
        for r in org.records_at(start, start + step, now) {
            if !(keep(&keys, &r.api_key_id)
                && keep(&ws, &r.workspace_id)
                && keep_s(&models, &r.model)
                && keep(&accts, &r.account_id)
                && keep(&svacs, &r.service_account_id)
                && keep_s(&tiers, &r.service_tier)
                && keep_s(&windows, &r.context_window)
                && keep_s(&geos, &r.inference_geo)
                && keep_s(&speeds, &r.speed))
            {
                continue;
            }
            let g = |d: UsageDimension, v: Option<&String>| if grouped(d) { v.cloned() } else { None };
            let key = [
                g(UsageDimension::ApiKeyId, r.api_key_id.as_ref()),
                g(UsageDimension::WorkspaceId, r.workspace_id.as_ref()),
                g(UsageDimension::Model, Some(&r.model)),
                g(UsageDimension::ServiceTier, Some(&r.service_tier)),
                g(UsageDimension::ContextWindow, Some(&r.context_window)),
                g(UsageDimension::InferenceGeo, Some(&r.inference_geo)),
                g(UsageDimension::Speed, Some(&r.speed)),
                g(UsageDimension::AccountId, r.account_id.as_ref()),
                g(UsageDimension::ServiceAccountId, r.service_account_id.as_ref()),
            ];
            let acc = rows.entry(key).or_default();
            for (total, n) in acc.iter_mut().zip(r.tokens) {
                *total += n;
            }
            acc[5] += r.web_search_requests;
        }
        let results: Vec<Value> = rows
            .into_iter()
            .map(|([key, ws, model, tier, ctx, geo, speed, acct, svac], t)| {
                let row = UsageResult {
                    uncached_input_tokens: t[0],
                    cache_creation: CacheCreation { ephemeral_5m_input_tokens: t[1], ephemeral_1h_input_tokens: t[2] },
                    cache_read_input_tokens: t[3],
                    output_tokens: t[4],
                    server_tool_use: ServerToolUse { web_search_requests: t[5] },
                    api_key_id: key,
                    workspace_id: ws,
                    model,
                    service_tier: tier,
                    context_window: ctx,
                    inference_geo: geo,
                    account_id: acct,
                    service_account_id: svac,
                    speed: None,
                };
                let mut v = serde_json::to_value(row).expect("serialisable");
                if beta {
                    v["speed"] = speed.map(Value::String).unwrap_or(Value::Null);
                }
                v
            })
            .collect();
        data.push(json!({"starting_at": crate::window::fmt_rfc3339(start), "ending_at": crate::window::fmt_rfc3339(start + step), "results": results}));
    }
    Ok(json!({"data": data, "has_more": next.is_some(), "next_page": next.map(encode_page)}))
}

pub(super) async fn cost(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || cost_body(&s, raw.as_deref());
    respond(&s, "/v1/organizations/cost_report", &headers, raw.clone(), body).await
}

fn cost_body(s: &Shared, raw: Option<&str>) -> Result<Value, ApiError> {
    let p = Params::parse(raw, &["starting_at", "ending_at", "bucket_width", "limit", "page", "group_by[]"])
        .map_err(invalid)?;
    if let Some(w) = p.one("bucket_width")
        && w != "1d"
    {
        return Err(invalid(format!("bucket_width: cost_report only supports '1d', got {w:?}")));
    }
    let group = p.enums("group_by[]", &["workspace_id", "description"]).map_err(invalid)?;
    let (by_ws, by_desc) = (group.iter().any(|g| g == "workspace_id"), group.iter().any(|g| g == "description"));
    let (org, now) = (s.org(), s.now());
    let range = ReportRange::parse(&p, BucketWidth::Day, now).map_err(invalid)?;
    let (starts, next) = range.page();
    let mut data = Vec::new();
    for start in starts {
        type Key = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let mut rows: BTreeMap<Key, rust_decimal::Decimal> = BTreeMap::new();
        for l in org.cost_lines_at(start.date_naive(), now).iter().flat_map(|c| c.iter()) {
            let ws = if by_ws { l.workspace_id.clone() } else { None };
            let key = if by_desc {
                (
                    ws,
                    Some(l.description.clone()),
                    Some(l.cost_type.clone()),
                    l.model.clone(),
                    l.service_tier.clone(),
                    l.token_type.clone(),
                    l.context_window.clone(),
                    l.inference_geo.clone(),
                )
            } else {
                (ws, None, None, None, None, None, None, None)
            };
            *rows.entry(key).or_default() += l.amount_cents;
        }
        let results: Vec<CostResult> = rows
            .into_iter()
            .map(|((ws, desc, ctype, model, tier, ttype, ctx, geo), amount)| CostResult {
                amount: amount.normalize(),
                currency: "USD".into(),
                workspace_id: ws,
                description: desc,
                cost_type: ctype,
                model,
                service_tier: tier,
                token_type: ttype,
                context_window: ctx,
                inference_geo: geo,
                speed: None,
            })
            .collect();
        data.push(Bucket { starting_at: start, ending_at: start + chrono::Duration::days(1), results });
    }
    let page = ReportPage { data, has_more: next.is_some(), next_page: next.map(encode_page) };
    Ok(serde_json::to_value(page).expect("serialisable"))
}
