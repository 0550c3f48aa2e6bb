//! The fake Admin API answers like the real one (reference/admin-api.md §14), to any client:
//! these tests speak raw HTTP with reqwest, not through counterfoil's client.

mod common;

use counterfoil::runtime::block_on;
use counterfoil::sim::{FakeAdminApi, Faults, Organization};
use polars::prelude::ChunkAgg;
use serde_json::Value;

async fn get(base: &str, path: &str, key: Option<&str>, version: bool) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    if version {
        req = req.header("anthropic-version", "2023-06-01");
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap())
}

const DAY_Q: &str =
    "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&ending_at=2026-11-13T00:00:00Z";

#[tokio::test]
async fn auth_errors_carry_the_envelope_and_request_id() {
    let org = common::org(1, 5);
    let regular = org.regular_key.clone();
    let api = common::serve(org, Faults::default()).await;
    let base = api.base_url();
    for (key, status, kind) in [
        (None, 401, "authentication_error"),
        (Some("garbage"), 401, "authentication_error"),
        (Some(regular.as_str()), 403, "permission_error"),
    ] {
        let (s, h, body) = get(&base, DAY_Q, key, true).await;
        assert_eq!(s, status);
        assert_eq!(body["type"], "error");
        assert_eq!(body["error"]["type"], kind);
        let rid = h.get("request-id").unwrap().to_str().unwrap();
        assert!(rid.starts_with("req_"));
        assert_eq!(body["request_id"], rid);
    }
    let (s, _, body) = get(&base, DAY_Q, Some(api.api_key().as_str()), false).await;
    assert_eq!(s, 400, "anthropic-version is required");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (s, _, _) = get(&base, "/v1/organizations/nope", Some(api.api_key().as_str()), true).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn validation_400s() {
    let api = common::serve(common::org(1, 5), Faults::default()).await;
    let (base, key) = (api.base_url(), api.api_key().to_owned());
    let bad = [
        "/v1/organizations/usage_report/messages?ending_at=2026-11-13T00:00:00Z",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&limit=32",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&bucket_width=1h&limit=169",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&bucket_width=1m&limit=1441",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&bucket_width=2h",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&group_by[]=colour",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&group_by[]=speed",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&group_by=model",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&page=page_bogus",
        "/v1/organizations/usage_report/messages?starting_at=2026-11-10T00:00:00Z&ending_at=2026-11-09T00:00:00Z",
        "/v1/organizations/cost_report?starting_at=2026-11-10T00:00:00Z&bucket_width=1h",
        "/v1/organizations/cost_report?starting_at=2026-11-10T00:00:00Z&group_by[]=model",
    ];
    for path in bad {
        let (s, _, body) = get(&base, path, Some(&key), true).await;
        assert_eq!(s, 400, "{path}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let ok = format!("{DAY_Q}&beta=true&limit=31");
    assert_eq!(get(&base, &ok, Some(&key), true).await.0, 200, "beta=true is ignored");
}

#[tokio::test]
async fn buckets_are_oldest_first_with_empty_ones_and_opaque_pages() {
    // Data covers 2026-11-15..19; ask for 2026-11-12..19 with 2 buckets a page.
    let api = common::serve(common::org(3, 5), Faults::default()).await;
    let (base, key) = (api.base_url(), api.api_key().to_owned());
    let q = "/v1/organizations/usage_report/messages?starting_at=2026-11-12T00:00:00Z&ending_at=2026-11-19T00:00:00Z&limit=2";
    let (s, _, p1) = get(&base, q, Some(&key), true).await;
    assert_eq!(s, 200);
    assert_eq!(p1["data"].as_array().unwrap().len(), 2);
    assert_eq!(p1["data"][0]["starting_at"], "2026-11-12T00:00:00Z");
    assert_eq!(p1["data"][0]["results"], Value::Array(vec![]), "days before the data are empty buckets");
    assert_eq!(p1["has_more"], true);
    let token = p1["next_page"].as_str().unwrap();
    assert!(token.starts_with("page_"));
    let mut starts = vec![];
    let mut page = Some(token.to_owned());
    starts.extend(p1["data"].as_array().unwrap().iter().map(|b| b["starting_at"].as_str().unwrap().to_owned()));
    while let Some(t) = page {
        let (_, _, p) = get(&base, &format!("{q}&page={t}"), Some(&key), true).await;
        starts.extend(p["data"].as_array().unwrap().iter().map(|b| b["starting_at"].as_str().unwrap().to_owned()));
        page = p["next_page"].as_str().map(str::to_owned);
        assert_eq!(p["has_more"], page.is_some());
    }
    assert_eq!(starts.len(), 7);
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
    // Ungrouped: one total row per non-empty bucket, every dimension null.
    let (_, _, p) = get(
        &base,
        "/v1/organizations/usage_report/messages?starting_at=2026-11-16T00:00:00Z&ending_at=2026-11-17T00:00:00Z",
        Some(&key),
        true,
    )
    .await;
    let rows = p["data"][0]["results"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    for dim in [
        "api_key_id",
        "workspace_id",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
        "account_id",
        "service_account_id",
    ] {
        assert_eq!(rows[0][dim], Value::Null, "{dim}");
    }
    assert!(rows[0].get("speed").is_none(), "speed only with the fast-mode beta header");
}

#[tokio::test]
async fn cost_report_has_no_priority_and_non_token_lines_only_by_description() {
    let org = common::org(5, 7);
    let api = common::serve(org, Faults::default()).await;
    let (base, key) = (api.base_url(), api.api_key().to_owned());
    let q = "/v1/organizations/cost_report?starting_at=2026-11-13T00:00:00Z&ending_at=2026-11-20T00:00:00Z&limit=31";
    let (_, _, by_desc) =
        get(&base, &format!("{q}&group_by[]=workspace_id&group_by[]=description"), Some(&key), true).await;
    let lines: Vec<&Value> =
        by_desc["data"].as_array().unwrap().iter().flat_map(|b| b["results"].as_array().unwrap()).collect();
    assert!(lines.iter().all(|l| l["service_tier"] != "priority"));
    assert!(lines.iter().any(|l| l["cost_type"] == "code_execution"));
    assert!(lines.iter().any(|l| l["cost_type"] == "session_usage"));
    assert!(lines.iter().any(|l| l["cost_type"] == "web_search" && l["model"].is_null()));
    assert!(lines.iter().all(|l| l["amount"].is_string()), "amounts are decimal strings");
    let (_, _, totals) = get(&base, q, Some(&key), true).await;
    for b in totals["data"].as_array().unwrap() {
        let rows = b["results"].as_array().unwrap();
        assert!(rows.len() <= 1);
        if let Some(r) = rows.first() {
            assert!(r["description"].is_null() && r["cost_type"].is_null() && r["workspace_id"].is_null());
        }
    }
    // Usage never shows code execution: only web search among server tools.
    let (_, _, u) = get(
        &base,
        "/v1/organizations/usage_report/messages?starting_at=2026-11-13T00:00:00Z&ending_at=2026-11-14T00:00:00Z",
        Some(&key),
        true,
    )
    .await;
    let st = &u["data"][0]["results"][0]["server_tool_use"];
    assert_eq!(st.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["web_search_requests"]);
}

#[tokio::test]
async fn faults_429_with_retry_after_and_5xx() {
    let faults = Faults { rate_limit_every: 1, retry_after_ms: 1500, ..Faults::default() };
    let api = common::serve(common::org(1, 3), faults).await;
    let (s, h, body) = get(&api.base_url(), DAY_Q, Some(api.api_key().as_str()), true).await;
    assert_eq!(s, 429);
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(h.get("retry-after").unwrap(), "2");
    assert_eq!(h.get("retry-after-ms").unwrap(), "1500");
    let api = common::serve(common::org(1, 3), Faults { error_every: 1, error_status: 529, ..Faults::default() }).await;
    let (s, _, body) = get(&api.base_url(), DAY_Q, Some(api.api_key().as_str()), true).await;
    assert_eq!(s, 529);
    assert_eq!(body["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn workspaces_and_keys_page_by_id_cursor() {
    let org = common::org(2, 4);
    let n_ws = org.workspaces.len();
    let archived = org.workspaces.iter().filter(|w| w.archived_at.is_some()).count();
    let api = common::serve(org, Faults::default()).await;
    let (base, key) = (api.base_url(), api.api_key().to_owned());
    let (_, _, active) = get(&base, "/v1/organizations/workspaces?limit=100", Some(&key), true).await;
    assert_eq!(active["data"].as_array().unwrap().len(), n_ws - archived);
    let (_, _, p1) = get(&base, "/v1/organizations/workspaces?limit=2&include_archived=true", Some(&key), true).await;
    assert_eq!(p1["has_more"], true);
    let after = p1["last_id"].as_str().unwrap();
    let (_, _, p2) = get(
        &base,
        &format!("/v1/organizations/workspaces?limit=100&include_archived=true&after_id={after}"),
        Some(&key),
        true,
    )
    .await;
    assert_eq!(p1["data"].as_array().unwrap().len() + p2["data"].as_array().unwrap().len(), n_ws);
    assert_eq!(p2["has_more"], false);
    let (_, _, keys) = get(&base, "/v1/organizations/api_keys?status=archived", Some(&key), true).await;
    assert!(keys["data"].as_array().unwrap().iter().all(|k| k["status"] == "archived"));
    let (_, _, me) = get(&base, "/v1/organizations/me", Some(&key), true).await;
    assert_eq!(me["type"], "organization");
}

#[test]
fn a_fleet_behind_one_server_answers_each_key_with_its_own_organization() {
    let orgs: Vec<Organization> = (0..3).map(|i| common::org(500 + i, 2)).collect();
    let truth = orgs.clone();
    let api = FakeAdminApi::start_fleet_blocking(orgs, Faults::default(), 0).unwrap();
    let keys = api.api_keys();
    assert_eq!(keys.len(), 3);
    for (key, org) in keys.iter().zip(&truth) {
        let client = common::client_with_key(&api, key);
        let w = org.window();
        let fetched = block_on(counterfoil::jobs::fetch::fetch(&client, w)).unwrap().unwrap();
        let out: i64 = fetched.usage.df().column("output_tokens").unwrap().i64().unwrap().sum().unwrap();
        assert_eq!(out as u64, org.usage_totals(w.start, w.end)[4], "each key sees its own organization");
        let me = block_on(client.organization()).unwrap().unwrap();
        assert_eq!(me.id, org.id);
    }
    let e = block_on(common::client_with_key(&api, "sk-ant-admin01-nobody").organization()).unwrap().unwrap_err();
    assert_eq!(e.exit_code(), 3, "a key of no organization is refused");
}
