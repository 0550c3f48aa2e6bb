//! The column decoder of usage pages (`frames::usage_decode`) against the wire types: the same frame
//! from every body the API sends, the same verdict (and message) on every body it should not.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use counterfoil::api::wire::{Bucket, CacheCreation, ReportPage, ServerToolUse, UsageResult};
use counterfoil::api::{BucketWidth, UsageDimension, UsageQuery};
use counterfoil::frames::{UsagePage, fetch_usage, usage_frame};
use counterfoil::runtime::block_on;
use counterfoil::sim::{FakeAdminApi, Faults};
use proptest::prelude::*;

/// What the wire types make of a body, or the error's text.
fn by_wire(body: &[u8]) -> Result<UsagePage, String> {
    let page: ReportPage<UsageResult> =
        counterfoil::api::decode("/v1/organizations/usage_report/messages", body).map_err(|e| e.to_string())?;
    let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> = page.data.iter().map(|b| (b.starting_at, b.ending_at)).collect();
    let frame = usage_frame(&page.data).map_err(|e| e.to_string())?;
    Ok(UsagePage { bounds, has_more: page.has_more, next_page: page.next_page, frame })
}

fn agree(body: &[u8]) -> Result<(), TestCaseError> {
    let fast = UsagePage::parse("/v1/organizations/usage_report/messages", body);
    match (fast, by_wire(body)) {
        (Ok(p), Ok(w)) => {
            prop_assert_eq!(p.bounds, w.bounds);
            prop_assert_eq!((p.has_more, p.next_page), (w.has_more, w.next_page));
            prop_assert!(p.frame.equals_missing(&w.frame), "{}\n{}", p.frame, w.frame);
            prop_assert_eq!(p.frame.schema(), w.frame.schema());
        }
        (Err(e), Err(w)) => prop_assert_eq!(e.to_string(), w),
        (f, w) => prop_assert!(
            false,
            "column decoder {:?} but wire types {:?}",
            f.map(|p| p.frame.height()),
            w.map(|w| w.frame.height())
        ),
    }
    Ok(())
}

fn text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("claude-sonnet-4-5".to_string())),
        Just(Some("wrkspc_01".to_string())),
        Just(Some("apikey_0123456789abcdefghij".to_string())),
        Just(Some("quote \" and \\ backslash".to_string())),
        Just(Some("é ünïcødé \u{1F600}".to_string())),
        Just(Some(String::new())),
    ]
}

fn result() -> impl Strategy<Value = UsageResult> {
    (
        proptest::array::uniform6(prop_oneof![0u64..1_000_000, Just(u64::MAX), Just(i64::MAX as u64)]),
        proptest::collection::vec(text(), 9),
    )
        .prop_map(|(c, d)| UsageResult {
            uncached_input_tokens: c[0],
            cache_creation: CacheCreation { ephemeral_5m_input_tokens: c[1], ephemeral_1h_input_tokens: c[2] },
            cache_read_input_tokens: c[3],
            output_tokens: c[4],
            server_tool_use: ServerToolUse { web_search_requests: c[5] },
            workspace_id: d[0].clone(),
            api_key_id: d[1].clone(),
            model: d[2].clone(),
            service_tier: d[3].clone(),
            context_window: d[4].clone(),
            inference_geo: d[5].clone(),
            speed: d[6].clone(),
            account_id: d[7].clone(),
            service_account_id: d[8].clone(),
        })
}

/// Edits of the JSON text that a faithful decoder must treat like the wire types do.
const EDITS: [(&str, &str); 13] = [
    ("\"output_tokens\":", "\"output_tokens\":1,\"output_tokens\":"),
    ("\"cache_read_input_tokens\":", "\"cache_read_input_tokenz\":"),
    ("\"ephemeral_1h_input_tokens\":", "\"ephemeral_24h_input_tokens\":"),
    ("\"web_search_requests\":", "\"web_fetch_requests\":2,\"web_search_requests\":"),
    ("\"model\":", "\"model\":7,\"_model\":"),
    ("\"has_more\":", "\"brand_new\":{\"x\":[1,2]},\"has_more\":"),
    ("\"uncached_input_tokens\":", "\"uncached_input_tokens\":1.5,\"_u\":"),
    ("\"starting_at\":", "\"results\":[],\"starting_at\":"),
    ("\"next_page\":", "\"next_page\":null,\"_n\":"),
    ("\"ending_at\":\"", "\"ending_at\":\"not a time"),
    // Strings the column decoder reads unchecked: what serde_json's checked read refuses.
    ("\"model\":\"", "\"model\":\"\t"),
    ("\"output_tokens\":", "\"out\u{1}put\":0,\"output_tokens\":"),
    ("\"model\":\"", "\"model\":\"\\ud800"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn same_frame_or_same_error_as_the_wire_types(
        buckets in proptest::collection::vec(proptest::collection::vec(result(), 0..5), 0..5),
        has_more in any::<bool>(),
        sorted_keys in any::<bool>(),
        edit in proptest::option::of(0..EDITS.len()),
    ) {
        let t0 = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
        let page = ReportPage {
            data: buckets.into_iter().enumerate().map(|(i, results)| Bucket {
                starting_at: t0 + Duration::hours(i as i64),
                ending_at: t0 + Duration::hours(i as i64 + 1),
                results,
            }).collect(),
            has_more,
            next_page: has_more.then(|| "page_x".to_string()),
        };
        // Field order as the structs declare it, or sorted (bounds after results).
        let mut body = if sorted_keys {
            serde_json::to_string(&serde_json::to_value(&page).unwrap()).unwrap()
        } else {
            serde_json::to_string(&page).unwrap()
        };
        match edit {
            Some(e) => body = body.replacen(EDITS[e].0, EDITS[e].1, 1),
            // A body the API could send goes through the column decoder, not the fallback.
            None if !body.contains(&u64::MAX.to_string()) => prop_assert!(UsagePage::columns(body.as_bytes()).is_ok(), "{}", body),
            None => {}
        }
        agree(body.as_bytes())?;
    }
}

#[test]
fn hand_written_bodies_agree_too() {
    let row = r#"{"uncached_input_tokens":1,"cache_creation":{"ephemeral_1h_input_tokens":2,"ephemeral_5m_input_tokens":3},"cache_read_input_tokens":4,"output_tokens":5,"server_tool_use":{"web_search_requests":6},"model":"m"}"#;
    let bucket = |r: &str| {
        format!(r#"{{"starting_at":"2026-09-01T00:00:00Z","ending_at":"2026-09-01T01:00:00Z","results":[{r}]}}"#)
    };
    for body in [
        format!(r#"{{"data":[{}],"has_more":false}}"#, bucket(row)),
        format!(
            r#"{{"data":[{}],"has_more":false,"next_page":null}}"#,
            bucket(&row.replace("\"model\":\"m\"", "\"model\":null"))
        ),
        format!(r#"{{"data":[{}]}}"#, bucket(row)),
        format!(
            r#"{{"data":[{}],"has_more":false}}"#,
            bucket(&row.replace(",\"server_tool_use\":{\"web_search_requests\":6}", ""))
        ),
        format!(
            r#"{{"data":[{}],"has_more":false}}"#,
            bucket(&row.replace("\"output_tokens\":5", "\"output_tokens\":-5"))
        ),
        format!(
            r#"{{"data":[{}],"has_more":false}}"#,
            bucket(&row.replace("\"output_tokens\":5", "\"output_tokens\":9223372036854775808"))
        ),
        format!(r#"{{"data":[{}],"has_more":false}} trailing"#, bucket(row)),
        r#"{"data":[],"has_more":false}"#.to_string(),
        r#"[]"#.to_string(),
    ] {
        agree(body.as_bytes()).map_err(|e| format!("{e}\n{body}")).unwrap();
    }
    assert!(UsagePage::columns(format!(r#"{{"data":[{}]}}"#, bucket(row)).as_bytes()).is_err(), "has_more is required");
    let beyond = format!(
        r#"{{"data":[{}],"has_more":false}}"#,
        bucket(&row.replace("\"output_tokens\":5", "\"output_tokens\":9223372036854775808"))
    );
    let e = UsagePage::parse("usage_report", beyond.as_bytes()).unwrap_err();
    assert_eq!(e.exit_code(), 4);
    assert!(
        e.to_string().contains("output_tokens = 9223372036854775808") && e.to_string().contains("refusing to clamp"),
        "{e}"
    );
}

/// Through the client and the fake: `fetch_usage()` is `usage_frame(usage_buckets())`, for each
/// width, with every dimension (speed included) and with filters.
#[test]
fn the_client_frame_is_the_wire_frame() {
    let api = FakeAdminApi::start_blocking(common::org(21, 4), Faults::default(), 0).unwrap();
    let client = common::client_for(&api, common::config(0, 3));
    let w = api.organization().window();
    let day = w.end - Duration::days(1);
    let mut queries = vec![UsageQuery::new(w, BucketWidth::Hour), UsageQuery::new(w, BucketWidth::Day)];
    let mut all = UsageQuery::new(w, BucketWidth::Hour);
    all.group_by = UsageDimension::ALL.to_vec();
    queries.push(all);
    let mut minute = UsageQuery::new(
        counterfoil::window::TimeWindow::new(day, day + Duration::hours(3)).unwrap(),
        BucketWidth::Minute,
    );
    minute.filters.models = vec!["claude-sonnet-4-5-20250929".into()];
    queries.push(minute);
    for q in &queries {
        let fast = block_on(fetch_usage(&client, q)).unwrap().unwrap();
        let wire = usage_frame(&block_on(client.usage_buckets(q)).unwrap().unwrap()).unwrap();
        assert!(fast.height() > 0, "{q:?}");
        assert!(fast.equals_missing(&wire), "{q:?}");
    }
}
