//! The client against the fake Admin API: paging, windows, retries, errors, null semantics.

mod common;

use std::time::Duration;

use counterfoil::api::{BucketWidth, CostQuery, UsageDimension, UsageQuery};
use counterfoil::frames::{cost_frame, usage_frame};
use counterfoil::sim::Faults;
use counterfoil::{Error, TimeWindow};
use polars::prelude::*;

fn sum(df: &DataFrame, c: &str) -> i64 {
    df.column(c).unwrap().as_materialized_series().sum::<i64>().unwrap()
}

fn totals(df: &DataFrame) -> [u64; 6] {
    let cols = [
        "uncached_input_tokens",
        "cache_creation_5m_input_tokens",
        "cache_creation_1h_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
        "web_search_requests",
    ];
    cols.map(|c| sum(df, c) as u64)
}

#[tokio::test]
async fn every_width_pages_to_the_ground_truth() {
    let org = common::org(11, 6);
    let api = common::serve(org, Faults::default()).await;
    let client = common::client_for(&api, common::config(0, 3));
    let truth_org = api.organization();
    for (width, start, end) in [
        (BucketWidth::Day, "2026-11-01", "2026-11-20"),
        (BucketWidth::Hour, "2026-11-14", "2026-11-20"),
        (BucketWidth::Minute, "2026-11-18T00:00:00Z", "2026-11-19T12:00:00Z"),
    ] {
        let w = TimeWindow::parse(start, end).unwrap();
        let buckets = client.usage_buckets(&UsageQuery::new(w, width)).await.unwrap();
        let expected_buckets = (w.end - w.start).num_seconds() / width.duration().num_seconds();
        assert_eq!(buckets.len() as i64, expected_buckets, "{width}: one bucket per interval, empty ones included");
        let df = usage_frame(&buckets).unwrap();
        assert_eq!(totals(&df), truth_org.usage_totals(w.start, w.end), "{width}");
    }
    // 1440 minute buckets per page at most: 36 hours took 2 pages in one window... plus the day
    // and hour fetches: several pages, no 400.
    assert!(api.requests().iter().all(|r| r.status == 200));
    assert!(api.requests().len() >= 4);
}

#[tokio::test]
async fn null_semantics_default_workspace_console_key_and_old_geo() {
    // An early-2026 window: Sonnet 4.5 and Haiku 4.5 (no data residency) are in use.
    let org = counterfoil::sim::Organization::generate(counterfoil::sim::OrgConfig::new(
        4,
        10,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    ));
    let api = common::serve(org, Faults::default()).await;
    let client = common::client_for(&api, common::config(0, 2));
    let w = api.organization().window();
    let df = usage_frame(&client.usage_buckets(&UsageQuery::new(w, BucketWidth::Day)).await.unwrap()).unwrap();
    let ws = df.column("workspace_id").unwrap();
    assert!(ws.null_count() > 0, "the default workspace is a null workspace_id even when grouped");
    assert!(ws.null_count() < df.height());
    assert!(df.column("api_key_id").unwrap().null_count() > 0, "Console use has a null api_key_id");
    let card = counterfoil::rates::RateCard::bundled();
    let geo = df.column("inference_geo").unwrap().str().unwrap().clone();
    let model = df.column("model").unwrap().str().unwrap().clone();
    for (g, m) in geo.iter().zip(model.iter()) {
        let (g, m) = (g.unwrap(), m.unwrap());
        if !card.resolve(m).unwrap().geo_eligible {
            assert_eq!(g, "not_available", "{m}");
        } else {
            assert_ne!(g, "not_available", "{m}");
        }
    }
    assert_eq!(df.column("speed").unwrap().null_count(), 0, "grouped by speed by default, as every price dimension");
    let log = api.requests();
    assert!(
        log.iter()
            .filter(|r| r.path.ends_with("/messages"))
            .all(|r| r.beta.as_deref() == Some(counterfoil::api::FAST_MODE_BETA))
    );
}

#[tokio::test]
async fn filters_and_speed_beta_header() {
    let api = common::serve(common::org(8, 7), Faults::default()).await;
    let client = common::client_for(&api, common::config(0, 2));
    let w = api.organization().window();
    let mut q = UsageQuery::new(w, BucketWidth::Day);
    q.group_by = vec![UsageDimension::Model, UsageDimension::ServiceTier, UsageDimension::Speed];
    q.filters.service_tiers = vec!["batch".into()];
    let df = usage_frame(&client.usage_buckets(&q).await.unwrap()).unwrap();
    assert!(df.height() > 0);
    let tiers = df.column("service_tier").unwrap().str().unwrap().clone();
    assert!(tiers.iter().all(|t| t == Some("batch")));
    assert_eq!(df.column("speed").unwrap().null_count(), 0, "grouped by speed with the beta header");
    let log = api.requests();
    assert!(log.iter().all(|r| r.beta.as_deref() == Some(counterfoil::api::FAST_MODE_BETA)));
    q.group_by = vec![UsageDimension::Model];
    q.filters = Default::default();
    client.usage_buckets(&q).await.unwrap();
    assert_eq!(api.requests().last().unwrap().beta, None, "no beta header unless speed is used");
}

#[tokio::test]
async fn concurrent_windows_equal_sequential_paging() {
    let api = common::serve(common::org(21, 20), Faults::default()).await;
    let w = api.organization().window();
    let q = UsageQuery::new(w, BucketWidth::Hour);
    let seq = usage_frame(&common::client_for(&api, common::config(0, 1)).usage_buckets(&q).await.unwrap()).unwrap();
    let conc = usage_frame(&common::client_for(&api, common::config(0, 4)).usage_buckets(&q).await.unwrap()).unwrap();
    assert!(seq.height() > 1000);
    assert!(seq.equals_missing(&conc));
    let c = cost_frame(&common::client_for(&api, common::config(0, 1)).cost_buckets(&CostQuery::new(w)).await.unwrap())
        .unwrap();
    let c4 =
        cost_frame(&common::client_for(&api, common::config(0, 4)).cost_buckets(&CostQuery::new(w)).await.unwrap())
            .unwrap();
    assert!(c.equals_missing(&c4));
}

#[tokio::test]
async fn every_fault_knob_is_survived_with_complete_data() {
    let org = common::org(31, 10);
    let w = org.window();
    let truth = org.usage_totals(w.start, w.end);
    let knobs = [
        Faults { rate_limit_every: 3, retry_after_ms: 5, ..Faults::default() },
        Faults { error_every: 3, error_status: 500, ..Faults::default() },
        Faults { error_every: 3, error_status: 529, ..Faults::default() },
        Faults { latency: Duration::from_millis(30), ..Faults::default() },
    ];
    for faults in knobs {
        let api = common::serve(org.clone(), faults.clone()).await;
        // Minute buckets: ten pages, so every third request meets a fault.
        let client = common::client_for(&api, common::config(10, 4));
        let buckets = client.usage_buckets(&UsageQuery::new(w, BucketWidth::Minute)).await.unwrap();
        let starts: Vec<_> = buckets.iter().map(|b| b.starting_at).collect();
        let mut dedup = starts.clone();
        dedup.dedup();
        assert_eq!(starts, dedup, "{faults:?}: no duplicate buckets");
        assert_eq!(starts.len(), 10 * 24 * 60);
        assert_eq!(totals(&usage_frame(&buckets).unwrap()), truth, "{faults:?}");
        if faults.rate_limit_every > 0 || faults.error_every > 0 {
            assert!(api.requests().iter().any(|r| r.status >= 429), "{faults:?}: faults were injected");
        }
    }
}

#[tokio::test]
async fn errors_map_to_their_variants_and_never_show_the_key() {
    let org = common::org(1, 3);
    let regular = org.regular_key.clone();
    let api = common::serve(org, Faults::default()).await;
    let w = TimeWindow::parse("2026-11-17", "2026-11-20").unwrap();
    let q = UsageQuery::new(w, BucketWidth::Day);

    let e = common::client_with_key(&api, "sk-ant-admin01-WRONGWRONGWRONG-abcd").usage_buckets(&q).await.unwrap_err();
    assert!(matches!(e, Error::Authentication(_)), "{e:?}");
    assert_eq!(e.exit_code(), 3);
    assert!(e.api_failure().unwrap().request_id.as_deref().unwrap().starts_with("req_"));
    let shown = format!("{e} {e:?} {}", e.hint().unwrap());
    assert!(!shown.contains("WRONGWRONG"), "{shown}");

    let e = common::client_with_key(&api, &regular).usage_buckets(&q).await.unwrap_err();
    assert!(matches!(e, Error::PermissionDenied(_)), "{e:?}");
    assert!(e.hint().unwrap().contains("Admin"));
    assert!(!format!("{e} {e:?}").contains(&regular[14..]));

    let mut bad = q.clone();
    bad.filters.service_tiers = vec!["gold".into()];
    let e = common::client_for(&api, common::config(0, 1)).usage_buckets(&bad).await.unwrap_err();
    match &e {
        Error::ApiStatus(f) => {
            assert_eq!(f.status, 400);
            assert!(f.message.contains("service_tiers[]"), "the server's message surfaces: {}", f.message);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.exit_code(), 4);

    // 429 on every request: the client gives up after its retries, with the attempt count.
    let api =
        common::serve(common::org(1, 3), Faults { rate_limit_every: 1, retry_after_ms: 1, ..Faults::default() }).await;
    let e = common::client_for(&api, common::config(2, 1)).usage_buckets(&q).await.unwrap_err();
    assert!(matches!(e, Error::RateLimit { attempts: 3, .. }), "{e:?}");
    assert_eq!(api.requests().len(), 3);

    // Nothing listening: a connection error after retries.
    let port = api.port();
    drop(api);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let dead = counterfoil::api::AdminClient::new(
        counterfoil::ApiKey::new("sk-ant-admin01-x").unwrap(),
        counterfoil::BaseUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        common::config(1, 1),
    )
    .unwrap();
    let e = dead.usage_buckets(&q).await.unwrap_err();
    assert!(matches!(e, Error::ApiConnection { .. }), "{e:?}");
    assert_eq!(e.exit_code(), 4);
}

#[tokio::test]
async fn unaligned_windows_are_refused_before_any_request() {
    let api = common::serve(common::org(1, 3), Faults::default()).await;
    let w = TimeWindow::parse("2026-11-17T10:30:00Z", "2026-11-18T00:00:00Z").unwrap();
    let e = common::client_for(&api, common::config(0, 1))
        .usage_buckets(&UsageQuery::new(w, BucketWidth::Hour))
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn labels_include_archived_workspaces_and_every_key() {
    let org = common::org(2, 4);
    let (n_ws, n_keys) = (org.workspaces.len(), org.api_keys.len());
    let api = common::serve(org, Faults::default()).await;
    let client = common::client_for(&api, common::config(0, 1));
    let ws = counterfoil::frames::workspaces_frame(&client.workspaces().await.unwrap()).unwrap();
    assert_eq!(ws.height(), n_ws);
    assert_eq!(ws.column("archived_at").unwrap().null_count(), n_ws - 1);
    let keys = counterfoil::frames::api_keys_frame(&client.api_keys().await.unwrap()).unwrap();
    assert_eq!(keys.height(), n_keys);
    assert_eq!(client.organization().await.unwrap().name, "Counterfoil Simulated Org");
}

/// The progress bar counts report pages: its position ends at its length, and list calls
/// (workspaces) do not add to it.
#[tokio::test]
async fn progress_counts_pages_right() {
    let api = common::serve(common::org(3, 40), Faults::default()).await;
    let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::hidden());
    bar.set_message("usage");
    let client = common::client_for(&api, common::config(0, 2)).with_progress(bar.clone());
    let w = api.organization().window();
    client.usage_buckets(&UsageQuery::new(w, BucketWidth::Day)).await.unwrap();
    client.workspaces().await.unwrap();
    assert_eq!((bar.position(), bar.length()), (2, Some(2)), "40 days = two pages of 31 days");
    assert_eq!(bar.message(), "usage", "the label is back after any wait");
}
