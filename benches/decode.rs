//! Decode throughput: usage-report JSON pages → the usage frame, in MB/s of JSON: the client's
//! column decoder (`frames::usage_decode`), and for comparison the wire types + `usage_frame`.
//!
//!     cargo bench --bench decode
//!
//! The pages are real responses of the fake Admin API (90 days, hourly, every dimension), fetched
//! once over loopback; the timed loops are exactly what the client does with them, on one thread.

use std::time::Instant;

use chrono::NaiveDate;
use counterfoil::api::decode;
use counterfoil::api::wire::{ReportPage, UsageResult};
use counterfoil::frames::{UsagePage, usage_frame};
use counterfoil::runtime::block_on;
use counterfoil::sim::{FakeAdminApi, Faults, OrgConfig, Organization};

fn main() {
    let org = Organization::generate(OrgConfig::new(7, 90, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()));
    let w = org.window();
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0).unwrap();
    let dims = [
        "api_key_id",
        "workspace_id",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
        "account_id",
        "service_account_id",
    ];
    let bodies: Vec<Vec<u8>> = block_on(async {
        let http = reqwest::Client::new();
        let mut out = Vec::new();
        let mut start = w.start;
        while start < w.end {
            let end = (start + chrono::Duration::hours(168)).min(w.end);
            let mut q: Vec<(String, String)> = vec![
                ("starting_at".into(), counterfoil::window::fmt_rfc3339(start)),
                ("ending_at".into(), counterfoil::window::fmt_rfc3339(end)),
                ("bucket_width".into(), "1h".into()),
                ("limit".into(), "168".into()),
            ];
            q.extend(dims.iter().map(|d| ("group_by[]".to_owned(), d.to_string())));
            let r = http
                .get(format!("{}/v1/organizations/usage_report/messages", api.base_url()))
                .query(&q)
                .header("x-api-key", api.api_key())
                .header("anthropic-version", "2023-06-01")
                .send()
                .await
                .unwrap();
            out.push(r.bytes().await.unwrap().to_vec());
            start = end;
        }
        out
    })
    .unwrap();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let rounds = 20;
    let mut rows = 0;
    let mb = (bytes * rounds) as f64 / 1e6;
    let t0 = Instant::now();
    for _ in 0..rounds {
        let mut pages = bodies.iter().map(|b| UsagePage::parse("usage", b).unwrap().frame);
        let mut df = pages.next().unwrap();
        for p in pages {
            df.vstack_mut_owned(p).unwrap();
        }
        rows = df.height();
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "column decoder (the client's path): {:.1} MB of JSON ({} pages, {} rows) x {rounds} in {secs:.2} s = {:.0} MB/s on one thread",
        bytes as f64 / 1e6,
        bodies.len(),
        rows,
        mb / secs
    );
    let t0 = Instant::now();
    for _ in 0..rounds {
        let mut buckets = Vec::new();
        for b in &bodies {
            let page: ReportPage<UsageResult> = decode("usage", b).unwrap();
            buckets.extend(page.data);
        }
        rows = usage_frame(&buckets).unwrap().height();
    }
    let secs = t0.elapsed().as_secs_f64();
    let pages: Vec<ReportPage<UsageResult>> = bodies.iter().map(|b| decode("usage", b).unwrap()).collect();
    let buckets: Vec<_> = pages.into_iter().flat_map(|p| p.data).collect();
    let t1 = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(usage_frame(&buckets).unwrap());
    }
    println!("of which the frame builder alone: {:.3} s", t1.elapsed().as_secs_f64());
    println!(
        "wire types + usage_frame: {:.1} MB of JSON ({} pages, {} rows) x {rounds} in {secs:.2} s = {:.0} MB/s on one thread",
        bytes as f64 / 1e6,
        bodies.len(),
        rows,
        mb / secs
    );
    let t0 = Instant::now();
    for _ in 0..rounds {
        for b in &bodies {
            let page: ReportPage<UsageResult> = serde_json::from_slice(b).unwrap();
            std::hint::black_box(page);
        }
    }
    println!("plain serde_json decode (no path tracking, no frame): {:.0} MB/s", mb / t0.elapsed().as_secs_f64());
}
