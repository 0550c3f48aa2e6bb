//! The organization endpoints of the fake API: `me`, workspaces and API keys, with ID-cursor
//! paging (`after_id`, `before_id`, `limit`), plus the 404 for anything else.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::params::Params;
use super::server::{ApiError, Shared, invalid, respond};

pub(super) async fn me(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || {
        let org = s.org();
        Ok(json!({"id": org.id, "name": org.name, "type": "organization"}))
    };
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

pub(super) async fn workspaces(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || {
        let p =
            Params::parse(raw.as_deref(), &["limit", "after_id", "before_id", "include_archived"]).map_err(invalid)?;
        let archived = p.bool("include_archived").map_err(invalid)?;
        let org = s.org();
        let items = org
            .workspaces
            .iter()
            .filter(|w| archived || w.archived_at.is_none())
            .map(|w| serde_json::to_value(w).expect("json"))
            .collect();
        list_page(&p, items)
    };
    respond(&s, "/v1/organizations/workspaces", &headers, raw.clone(), body).await
}

pub(super) async fn workspace(State(s): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let body = || {
        s.org()
            .workspaces
            .iter()
            .find(|w| w.id == id)
            .map(|w| serde_json::to_value(w).expect("json"))
            .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "not_found_error", format!("workspace {id} not found")))
    };
    respond(&s, "/v1/organizations/workspaces/{id}", &headers, None, body).await
}

pub(super) async fn api_keys(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || {
        let p = Params::parse(
            raw.as_deref(),
            &["limit", "after_id", "before_id", "status", "workspace_id", "created_by_user_id"],
        )
        .map_err(invalid)?;
        let status = p.one("status");
        if let Some(st) = status
            && !["active", "inactive", "archived", "expired"].contains(&st)
        {
            return Err(invalid(format!("status: invalid value {st:?}")));
        }
        let ws = p.one("workspace_id");
        let org = s.org();
        let items = org
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

pub(super) async fn api_key(State(s): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let body = || {
        s.org()
            .api_keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| serde_json::to_value(k).expect("json"))
            .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "not_found_error", format!("API key {id} not found")))
    };
    respond(&s, "/v1/organizations/api_keys/{id}", &headers, None, body).await
}

pub(super) async fn not_found(State(s): State<Arc<Shared>>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let path = uri.path().to_owned();
    let body = || Err(ApiError(StatusCode::NOT_FOUND, "not_found_error", format!("Not found: {path}")));
    respond(&s, uri.path(), &headers, uri.query().map(str::to_owned), body).await
}
