//! `FakeAdminApi`: the simulated organization over HTTP on loopback, behaving like the real API.
//!
//! Auth (401 for unknown keys, 403 for regular `sk-ant-api…` keys) with the error envelope and a
//! request id; `anthropic-version` required; strict query validation with the real 400s; buckets
//! oldest first including empty ones; `page_`-style opaque tokens; null semantics; Priority absent
//! from cost; code execution and session runtime only in cost. Fault knobs inject 429 with
//! `retry-after`, 500/529 and latency. Every request is logged so tests can assert on traffic.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::org::Organization;
use super::params::{Invalid, Params, ReportRange, encode_page};
use crate::api::client::FAST_MODE_BETA;
use crate::api::wire::{Bucket, CacheCreation, CostResult, ReportPage, ServerToolUse, UsageResult};
use crate::api::{BucketWidth, UsageDimension};
use crate::error::{Error, Result};

/// Fault knobs. Counters are over all requests the server receives, 1-based.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// Added to every response.
    pub latency: Duration,
    /// Every Nth request gets 429 with `retry-after` (0 = never).
    pub rate_limit_every: u32,
    /// `retry-after-ms` sent with a 429 (`retry-after` carries the same, rounded up to seconds).
    pub retry_after_ms: u64,
    /// Every Nth request fails with `error_status` (0 = never).
    pub error_every: u32,
    /// 500 (`api_error`) or 529 (`overloaded_error`); default 500.
    pub error_status: u16,
}

/// What the server saw, for tests.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLog {
    pub path: String,
    pub query: String,
    pub status: u16,
    pub beta: Option<String>,
}

struct Shared {
    org: Arc<Organization>,
    faults: Faults,
    counter: AtomicU64,
    log: Mutex<Vec<RequestLog>>,
}

/// A running fake Admin API. Stops when dropped.
pub struct FakeAdminApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeAdminApi {
    /// Serves `org` on `127.0.0.1:port` (0 picks a free port) on the current tokio runtime.
    pub async fn start(org: Organization, faults: Faults, port: u16) -> Result<FakeAdminApi> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| Error::input(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let addr = listener.local_addr().map_err(|e| Error::input(e.to_string()))?;
        let shared =
            Arc::new(Shared { org: Arc::new(org), faults, counter: AtomicU64::new(0), log: Mutex::new(vec![]) });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/v1/organizations/usage_report/messages", get(usage))
            .route("/v1/organizations/cost_report", get(cost))
            .route("/v1/organizations/me", get(me))
            .route("/v1/organizations/workspaces", get(workspaces))
            .route("/v1/organizations/workspaces/{id}", get(workspace))
            .route("/v1/organizations/api_keys", get(api_keys))
            .route("/v1/organizations/api_keys/{id}", get(api_key))
            .fallback(not_found)
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(FakeAdminApi { addr, shared, shutdown: Some(tx) })
    }

    /// [`FakeAdminApi::start`] on the shared runtime, for blocking callers (CLI, Python).
    pub fn start_blocking(org: Organization, faults: Faults, port: u16) -> Result<FakeAdminApi> {
        crate::runtime::runtime()?.block_on(FakeAdminApi::start(org, faults, port))
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The Admin key it accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.org.admin_key
    }

    pub fn organization(&self) -> &Organization {
        &self.shared.org
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RequestLog> {
        self.shared.log.lock().expect("log lock").clone()
    }

    pub fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for FakeAdminApi {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An API error: status, `error.type`, message.
struct ApiError(StatusCode, &'static str, String);

fn invalid(msg: Invalid) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, "invalid_request_error", msg)
}

/// Runs a handler body with auth, faults, latency, the request id and the log around it.
async fn respond(
    s: &Shared,
    path: &str,
    headers: &HeaderMap,
    raw: Option<String>,
    body: impl FnOnce() -> Result<Value, ApiError>,
) -> Response {
    let n = s.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let request_id = format!("req_sim{:020}", n);
    if !s.faults.latency.is_zero() {
        tokio::time::sleep(s.faults.latency).await;
    }
    let outcome = check(s, headers, n).and_then(|_| body());
    let beta = headers.get("anthropic-beta").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut response = match outcome {
        Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        Err(ApiError(status, kind, message)) => {
            let body = json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id});
            let mut r = (status, axum::Json(body)).into_response();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let ms = s.faults.retry_after_ms;
                let h = r.headers_mut();
                h.insert("retry-after", ms.div_ceil(1000).max(1).to_string().parse().expect("header"));
                h.insert("retry-after-ms", ms.to_string().parse().expect("header"));
            }
            r
        }
    };
    response.headers_mut().insert("request-id", request_id.parse().expect("header"));
    s.log.lock().expect("log lock").push(RequestLog {
        path: path.to_owned(),
        query: raw.unwrap_or_default(),
        status: response.status().as_u16(),
        beta,
    });
    response
}

fn check(s: &Shared, headers: &HeaderMap, n: u64) -> Result<(), ApiError> {
    let f = &s.faults;
    if f.rate_limit_every > 0 && n % f.rate_limit_every as u64 == 0 {
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "This request would exceed your account's rate limit. Please try again later.".into(),
        ));
    }
    if f.error_every > 0 && n % f.error_every as u64 == 0 {
        return Err(match f.error_status {
            529 => ApiError(StatusCode::from_u16(529).expect("529"), "overloaded_error", "Overloaded".into()),
            _ => ApiError(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "Internal server error".into()),
        });
    }
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")));
    match key {
        None => {
            return Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "x-api-key header is required".into(),
            ));
        }
        Some(k) if k == s.org.admin_key => {}
        Some(k) if k.starts_with("sk-ant-api") => {
            return Err(ApiError(
                StatusCode::FORBIDDEN,
                "permission_error",
                "This API key does not have permission to access organization usage reports.".into(),
            ));
        }
        Some(_) => {
            return Err(ApiError(StatusCode::UNAUTHORIZED, "authentication_error", "invalid x-api-key".into()));
        }
    }
    if headers.get("anthropic-version").is_none() {
        return Err(invalid("anthropic-version: header is required".into()));
    }
    Ok(())
}

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

async fn usage(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
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
    let range = ReportRange::parse(&p, width, s.org.window().end).map_err(invalid)?;
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
        for r in s.org.records_in(start, start + step) {
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

async fn cost(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || cost_body(&s, raw.as_deref());
    respond(&s, "/v1/organizations/cost_report", &headers, raw.clone(), body).await
}

fn cost_body(s: &Shared, raw: Option<&str>) -> Result<Value, ApiError> {
    let p = Params::parse(raw, &["starting_at", "ending_at", "bucket_width", "limit", "page", "group_by[]"])
        .map_err(invalid)?;
    if let Some(w) = p.one("bucket_width") {
        if w != "1d" {
            return Err(invalid(format!("bucket_width: cost_report only supports '1d', got {w:?}")));
        }
    }
    let group = p.enums("group_by[]", &["workspace_id", "description"]).map_err(invalid)?;
    let (by_ws, by_desc) = (group.iter().any(|g| g == "workspace_id"), group.iter().any(|g| g == "description"));
    let range = ReportRange::parse(&p, BucketWidth::Day, s.org.window().end).map_err(invalid)?;
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
        for l in s.org.cost_lines.get(&start.date_naive()).into_iter().flatten() {
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

async fn me(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || Ok(json!({"id": s.org.id, "name": s.org.name, "type": "organization"}));
    respond(&s, "/v1/organizations/me", &headers, raw.clone(), body).await
}

/// ID-cursor paging over `items` (already filtered), as the list endpoints do.
fn list_page(p: &Params, items: Vec<Value>) -> Result<Value, ApiError> {
    let limit = p.int("limit").map_err(invalid)?.unwrap_or(20);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit: must be between 1 and 1000".into()));
    }
    let pos = |id: &str| items.iter().position(|v| v["id"] == id);
    let (lo, hi) = match (p.one("after_id"), p.one("before_id")) {
        (Some(a), _) => (pos(a).map(|i| i + 1).ok_or_else(|| invalid("after_id: unknown id".into()))?, items.len()),
        (None, Some(b)) => (0, pos(b).ok_or_else(|| invalid("before_id: unknown id".into()))?),
        (None, None) => (0, items.len()),
    };
    let take = (hi - lo).min(limit as usize);
    let page: Vec<Value> = items[lo..lo + take].to_vec();
    let first = page.first().map(|v| v["id"].clone()).unwrap_or(Value::Null);
    let last = page.last().map(|v| v["id"].clone()).unwrap_or(Value::Null);
    Ok(json!({"data": page, "has_more": lo + take < hi, "first_id": first, "last_id": last}))
}

async fn workspaces(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || {
        let p =
            Params::parse(raw.as_deref(), &["limit", "after_id", "before_id", "include_archived"]).map_err(invalid)?;
        let archived = p.bool("include_archived").map_err(invalid)?;
        let items = s
            .org
            .workspaces
            .iter()
            .filter(|w| archived || w.archived_at.is_none())
            .map(|w| serde_json::to_value(w).expect("json"))
            .collect();
        list_page(&p, items)
    };
    respond(&s, "/v1/organizations/workspaces", &headers, raw.clone(), body).await
}

async fn workspace(State(s): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let body = || {
        s.org
            .workspaces
            .iter()
            .find(|w| w.id == id)
            .map(|w| serde_json::to_value(w).expect("json"))
            .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "not_found_error", format!("workspace {id} not found")))
    };
    respond(&s, "/v1/organizations/workspaces/{id}", &headers, None, body).await
}

async fn api_keys(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || {
        let p = Params::parse(
            raw.as_deref(),
            &["limit", "after_id", "before_id", "status", "workspace_id", "created_by_user_id"],
        )
        .map_err(invalid)?;
        let status = p.one("status");
        if let Some(st) = status {
            if !["active", "inactive", "archived", "expired"].contains(&st) {
                return Err(invalid(format!("status: invalid value {st:?}")));
            }
        }
        let ws = p.one("workspace_id");
        let items = s
            .org
            .api_keys
            .iter()
            .filter(|k| {
                status.is_none_or(|st| k.status == st) && ws.is_none_or(|w| k.workspace_id.as_deref() == Some(w))
            })
            .map(|k| serde_json::to_value(k).expect("json"))
            .collect();
        list_page(&p, items)
    };
    respond(&s, "/v1/organizations/api_keys", &headers, raw.clone(), body).await
}

async fn api_key(State(s): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let body = || {
        s.org
            .api_keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| serde_json::to_value(k).expect("json"))
            .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "not_found_error", format!("API key {id} not found")))
    };
    respond(&s, "/v1/organizations/api_keys/{id}", &headers, None, body).await
}

async fn not_found(State(s): State<Arc<Shared>>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let path = uri.path().to_owned();
    let body = || Err(ApiError(StatusCode::NOT_FOUND, "not_found_error", format!("Not found: {path}")));
    respond(&s, uri.path(), &headers, uri.query().map(str::to_owned), body).await
}
