//! `FakeAdminApi`: the simulated organization over HTTP on loopback, behaving like the real API.
//!
//! Auth (401 for unknown keys, 403 for regular `sk-ant-api…` keys) with the error envelope and a
//! request id; `anthropic-version` required; strict query validation with the real 400s; buckets
//! oldest first including empty ones; `page_`-style opaque tokens; null semantics; Priority absent
//! from cost; code execution and session runtime only in cost. Fault knobs inject 429 with
//! `retry-after`, 500/529 and latency. Every request is logged so tests can assert on traffic.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::org::Organization;
use super::params::Invalid;
use super::{org_api, reports};
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

thread_local! {
    /// The organization the request being answered belongs to (chosen by its key), set by
    /// `respond` around the synchronous handler body.
    static CURRENT: std::cell::RefCell<Option<Arc<Organization>>> = const { std::cell::RefCell::new(None) };
}

pub(super) struct Shared {
    org: RwLock<Arc<Organization>>,
    /// More organizations behind the same server (a fleet), each chosen by its Admin key.
    others: Vec<Arc<Organization>>,
    /// The simulated "now"; `None`: [`Organization::default_now`].
    now: Mutex<Option<DateTime<Utc>>>,
    /// An outage in simulated time: while "now" is in `[from, to)`, every request fails.
    outage: Mutex<Option<(DateTime<Utc>, DateTime<Utc>)>>,
    /// Every Admin key revoked: each request answers 401 from now on.
    revoked: std::sync::atomic::AtomicBool,
    pub(super) faults: Faults,
    counter: AtomicU64,
    log: Mutex<Vec<RequestLog>>,
    spelling: Mutex<super::analytics::AnalyticsSpelling>,
    /// The rows of the last few analytics queries (paging asks for the same rows page after page).
    analytics_cache: Mutex<Vec<(String, Arc<Vec<Value>>)>>,
}

impl Shared {
    /// The organization of the request being answered (the first one outside a request), as it
    /// is now (restatements included).
    pub(super) fn org(&self) -> Arc<Organization> {
        CURRENT.with(|c| c.borrow().clone()).unwrap_or_else(|| self.primary())
    }

    fn primary(&self) -> Arc<Organization> {
        self.org.read().expect("org lock").clone()
    }

    /// The organization whose Admin key this is.
    fn org_of_key(&self, key: &str) -> Option<Arc<Organization>> {
        let first = self.primary();
        if first.admin_key == key {
            return Some(first);
        }
        self.others.iter().find(|o| o.admin_key == key).cloned()
    }

    /// How the analytics endpoints spell what the reference leaves unconfirmed.
    pub(super) fn analytics_spelling(&self) -> super::analytics::AnalyticsSpelling {
        self.spelling.lock().expect("spelling lock").clone()
    }

    /// The rows of the analytics query `key`, computed once for all its pages.
    pub(super) fn analytics_rows_cached(&self, key: &str, compute: impl FnOnce() -> Vec<Value>) -> Arc<Vec<Value>> {
        let spelled = format!("{key}|{:?}", self.analytics_spelling());
        let mut cache = self.analytics_cache.lock().expect("cache lock");
        if let Some((_, rows)) = cache.iter().find(|(k, _)| *k == spelled) {
            return rows.clone();
        }
        let rows = Arc::new(compute());
        if cache.len() >= 8 {
            cache.remove(0);
        }
        cache.push((spelled, rows.clone()));
        rows
    }

    /// The simulated present: buckets after it do not exist yet.
    pub(super) fn now(&self) -> DateTime<Utc> {
        let set = *self.now.lock().expect("now lock");
        set.unwrap_or_else(|| self.org().default_now())
    }
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
        FakeAdminApi::start_fleet(vec![org], faults, port).await
    }

    /// Serves several organizations behind one server, each chosen by its Admin key (a fleet).
    /// `set_now` and `restate` act on the first.
    pub async fn start_fleet(orgs: Vec<Organization>, faults: Faults, port: u16) -> Result<FakeAdminApi> {
        let mut orgs = orgs.into_iter();
        let org = orgs.next().ok_or_else(|| Error::input("a fake API needs at least one organization"))?;
        let others: Vec<Arc<Organization>> = orgs.map(Arc::new).collect();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| Error::input(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let addr = listener.local_addr().map_err(|e| Error::input(e.to_string()))?;
        let shared = Arc::new(Shared {
            org: RwLock::new(Arc::new(org)),
            others,
            now: Mutex::new(None),
            outage: Mutex::new(None),
            revoked: std::sync::atomic::AtomicBool::new(false),
            faults,
            counter: AtomicU64::new(0),
            log: Mutex::new(vec![]),
            spelling: Mutex::new(Default::default()),
            analytics_cache: Mutex::new(Vec::new()),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/v1/organizations/usage_report/messages", get(reports::usage))
            .route("/v1/organizations/cost_report", get(reports::cost))
            .route(crate::api::analytics::ANALYTICS_USAGE_PATH, get(super::analytics::usage))
            .route(crate::api::analytics::ANALYTICS_COST_PATH, get(super::analytics::cost))
            .route(crate::api::claude_code::CLAUDE_CODE_PATH, get(super::claude_code::report))
            .route("/v1/organizations/me", get(org_api::me))
            .route("/v1/organizations/workspaces", get(org_api::workspaces))
            .route("/v1/organizations/workspaces/{id}", get(org_api::workspace))
            .route("/v1/organizations/api_keys", get(org_api::api_keys))
            .route("/v1/organizations/api_keys/{id}", get(org_api::api_key))
            .fallback(org_api::not_found)
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

    /// [`FakeAdminApi::start_fleet`] for blocking callers.
    pub fn start_fleet_blocking(orgs: Vec<Organization>, faults: Faults, port: u16) -> Result<FakeAdminApi> {
        crate::runtime::runtime()?.block_on(FakeAdminApi::start_fleet(orgs, faults, port))
    }

    /// The Admin key of every organization served, in order.
    pub fn api_keys(&self) -> Vec<String> {
        std::iter::once(self.shared.primary())
            .chain(self.shared.others.iter().cloned())
            .map(|o| o.admin_key.clone())
            .collect()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The Admin key it accepts.
    pub fn api_key(&self) -> String {
        self.shared.org().admin_key.clone()
    }

    /// The organization it serves, as it is now (restatements included): the ground truth.
    pub fn organization(&self) -> Arc<Organization> {
        self.shared.org()
    }

    /// The simulated present.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.now()
    }

    /// How the analytics endpoints spell the request count and the metrics (the reference leaves
    /// both unconfirmed): `request_key` such as `requests` or `request_count`; `flat` metric names.
    pub fn set_analytics_spelling(&self, request_key: &str, flat: bool) {
        *self.shared.spelling.lock().expect("spelling lock") =
            super::analytics::AnalyticsSpelling { request_key: request_key.to_owned(), flat };
    }

    /// An outage: while the simulated present is in `[from, to)` every request answers 503, then
    /// the server recovers (`None` ends it). What a watcher must survive.
    pub fn set_outage(&self, window: Option<(DateTime<Utc>, DateTime<Utc>)>) {
        *self.shared.outage.lock().expect("outage lock") = window;
    }

    /// Revokes every Admin key: each request from now on answers 401 (what ends a watcher).
    pub fn revoke_keys(&self) {
        self.shared.revoked.store(true, Ordering::SeqCst);
    }

    /// Moves the simulated present (buckets after it do not exist; today's are partial).
    pub fn set_now(&self, now: DateTime<Utc>) {
        *self.shared.now.lock().expect("now lock") = Some(now);
    }

    /// Restates a past `day` between calls: about `share` of its usage arrives late and is
    /// billed into the day. Recorded in the organization's ground truth (`restated`).
    pub fn restate(&self, day: chrono::NaiveDate, share: f64) -> Result<usize> {
        let now = self.now();
        let mut guard = self.shared.org.write().expect("org lock");
        let mut org = (**guard).clone();
        let n = org.restate(day, share, now)?;
        *guard = Arc::new(org);
        Ok(n)
    }

    /// Rebills a past `day` correctly (its planted error fixed); true if the bill changed.
    pub fn fix(&self, day: chrono::NaiveDate) -> Result<bool> {
        let mut guard = self.shared.org.write().expect("org lock");
        let mut org = (**guard).clone();
        let changed = org.fix(day)?;
        *guard = Arc::new(org);
        Ok(changed)
    }

    /// Bills a fixed `day` wrongly again (the error comes back).
    pub fn rebreak(&self, day: chrono::NaiveDate) -> Result<()> {
        let mut guard = self.shared.org.write().expect("org lock");
        let mut org = (**guard).clone();
        org.rebreak(day)?;
        *guard = Arc::new(org);
        Ok(())
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
pub(super) struct ApiError(pub(super) StatusCode, pub(super) &'static str, pub(super) String);

pub(super) fn invalid(msg: Invalid) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, "invalid_request_error", msg)
}

/// Runs a handler body with auth, faults, latency, the request id and the log around it.
pub(super) async fn respond(
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
    let outcome = check(s, headers, n).and_then(|org| {
        CURRENT.with(|c| *c.borrow_mut() = Some(org));
        let out = body();
        CURRENT.with(|c| *c.borrow_mut() = None);
        out
    });
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

fn check(s: &Shared, headers: &HeaderMap, n: u64) -> Result<Arc<Organization>, ApiError> {
    let f = &s.faults;
    if s.revoked.load(Ordering::SeqCst) {
        return Err(ApiError(StatusCode::UNAUTHORIZED, "authentication_error", "invalid x-api-key".into()));
    }
    let outage = *s.outage.lock().expect("outage lock");
    if let Some((from, to)) = outage
        && (from..to).contains(&s.now())
    {
        return Err(ApiError(StatusCode::SERVICE_UNAVAILABLE, "api_error", "Service temporarily unavailable".into()));
    }
    if f.rate_limit_every > 0 && n.is_multiple_of(f.rate_limit_every as u64) {
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "This request would exceed your account's rate limit. Please try again later.".into(),
        ));
    }
    if f.error_every > 0 && n.is_multiple_of(f.error_every as u64) {
        return Err(match f.error_status {
            529 => ApiError(StatusCode::from_u16(529).expect("529"), "overloaded_error", "Overloaded".into()),
            _ => ApiError(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "Internal server error".into()),
        });
    }
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")));
    let org = match key {
        None => {
            return Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "x-api-key header is required".into(),
            ));
        }
        Some(k) => match s.org_of_key(k) {
            Some(org) => org,
            None if k.starts_with("sk-ant-api") => {
                return Err(ApiError(
                    StatusCode::FORBIDDEN,
                    "permission_error",
                    "This API key does not have permission to access organization usage reports.".into(),
                ));
            }
            None => {
                return Err(ApiError(StatusCode::UNAUTHORIZED, "authentication_error", "invalid x-api-key".into()));
            }
        },
    };
    if headers.get("anthropic-version").is_none() {
        return Err(invalid("anthropic-version: header is required".into()));
    }
    Ok(org)
}
