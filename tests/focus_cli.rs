//! `counterfoil focus` against the fake Admin API and from a store: one row per reconciliation
//! line, money sums equal to the reconciliation's summary to the digit, the organization and the
//! unsettled days from the store's state, and the bad inputs (version, extension, empty window).

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use counterfoil::money::to_mantissa;
use counterfoil::report::focus::FocusVersion;
use polars::prelude::*;
use rust_decimal::Decimal;

fn cli(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["counterfoil"];
    argv.extend_from_slice(args);
    let code = counterfoil::cli::run(argv, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

fn read_parquet(path: &std::path::Path) -> DataFrame {
    use polars_io::SerReader;
    polars_io::parquet::read::ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

fn sum(df: &DataFrame, column: &str, statuses: Option<&[&str]>) -> i128 {
    let money = df.column(column).unwrap().decimal().unwrap().physical().clone();
    let status = df.column("x_ReconcileStatus").unwrap().str().unwrap().clone();
    money
        .iter()
        .zip(status.iter())
        .filter(|(_, s)| statuses.is_none_or(|want| want.contains(&s.unwrap())))
        .map(|(m, _)| m.unwrap_or(0))
        .sum()
}

fn summary_usd(summary: &serde_json::Value, key: &str) -> i128 {
    to_mantissa(summary[key].as_str().unwrap().parse::<Decimal>().unwrap()).unwrap()
}

#[test]
fn cli_writes_one_row_per_line_with_the_summary_s_money() {
    let org = common::org(5, 6);
    let org_id = org.id.clone();
    let api = counterfoil::sim::FakeAdminApi::start_blocking(org, counterfoil::sim::Faults::default(), 0).unwrap();
    let (base, key) = (api.base_url(), api.api_key().to_owned());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("focus.parquet");
    let window = ["--start", "2026-11-14", "--end", "2026-11-20", "--base-url", &base, "--api-key", &key];
    fn args<'a>(cmd: &'a str, window: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [&[cmd][..], window, extra].concat()
    }
    let (code, _, err) = cli(&args("focus", &window, &["--out", out.to_str().unwrap()]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote") && err.contains("FOCUS 1.2"), "{err}");
    let focus = read_parquet(&out);
    let (_, json, _) = cli(&args("reconcile", &window, &["--format", "json"]));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(focus.height(), json["lines"].as_array().unwrap().len());
    assert!(focus.height() > 50);
    let s = &json["summary"];
    // To the digit: everything billed, the compared lines' two sides, and Priority at list.
    assert_eq!(sum(&focus, "BilledCost", None), summary_usd(s, "reported_all_usd"));
    let compared: &[&str] = &["match", "mismatch", "missing_cost", "missing_usage"];
    assert_eq!(sum(&focus, "BilledCost", Some(compared)), summary_usd(s, "reported_usd"));
    assert_eq!(sum(&focus, "x_ExpectedCost", Some(compared)), summary_usd(s, "expected_usd"));
    assert_eq!(sum(&focus, "x_ExpectedCost", Some(&["not_in_cost_report"])), summary_usd(s, "priority_expected_usd"));
    let account = focus.column("BillingAccountId").unwrap().str().unwrap().clone();
    assert!(account.iter().all(|a| a == Some(org_id.as_str())));

    // 1.3: the two new provider columns; CSV: decimal text.
    let csv = dir.path().join("focus13.csv");
    let (code, _, err) = cli(&args("focus", &window, &["--out", csv.to_str().unwrap(), "--focus-version", "1.3"]));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.lines().next().unwrap().split(',').eq(FocusVersion::V1_3.columns()));
    assert_eq!(text.lines().count(), focus.height() + 1);

    // An unsupported version is exit 2 naming the supported ones, before any fetch.
    let (code, _, err) = cli(&args("focus", &window, &["--out", out.to_str().unwrap(), "--focus-version", "2.0"]));
    assert_eq!(code, 2);
    assert!(err.contains("unsupported FOCUS version \"2.0\"") && err.contains("1.2, 1.3"), "{err}");
    let (code, _, err) = cli(&args("focus", &window, &["--out", dir.path().join("f.json").to_str().unwrap()]));
    assert_eq!(code, 2, "{err}");

    // A window with no data: a valid file with the full schema and no rows.
    let empty = dir.path().join("empty.parquet");
    let (code, _, err) = cli(&[
        "focus",
        "--start",
        "2026-10-01",
        "--end",
        "2026-10-03",
        "--base-url",
        &base,
        "--api-key",
        &key,
        "--out",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let df = read_parquet(&empty);
    assert_eq!(df.height(), 0);
    assert_eq!(df.get_column_names().iter().map(|c| c.as_str()).collect::<Vec<_>>(), FocusVersion::V1_2.columns());
}

#[test]
fn from_a_store_the_organization_and_unsettled_days_come_from_its_state() {
    let now: DateTime<Utc> = "2026-11-20T06:00:00Z".parse().unwrap();
    let org = common::org(3, 6);
    let (org_id, org_name) = (org.id.clone(), org.name.clone());
    let api = counterfoil::sim::FakeAdminApi::start_blocking(org, counterfoil::sim::Faults::default(), 0).unwrap();
    api.set_now(now);
    let dir = tempfile::tempdir().unwrap();
    let store = counterfoil::store::Store::create_or_open(dir.path()).unwrap();
    let config = counterfoil::api::ClientConfig { now: Some(now), ..common::config(0, 4) };
    let client = common::client_for(&api, config);
    let options = counterfoil::store::SyncOptions { backfill_days: 5, restate_days: 3, ..Default::default() };
    counterfoil::runtime::block_on(store.sync(&client, &options, &AtomicBool::new(false))).unwrap().unwrap();

    let out = dir.path().join("focus.parquet");
    let path = dir.path().to_str().unwrap();
    // An export leaves the store as it was: no findings recorded (or `--new-only` would not alert).
    let findings = dir.path().join("findings.parquet");
    let before = std::fs::read(&findings).ok();
    let (code, _, err) = cli(&[
        "focus",
        "--store",
        path,
        "--start",
        "2026-11-15",
        "--end",
        "2026-11-20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&findings).ok(), before);
    let df = read_parquet(&out);
    assert!(df.height() > 10);
    let col = |c: &str| df.column(c).unwrap().clone();
    assert!(col("BillingAccountId").str().unwrap().iter().all(|a| a == Some(org_id.as_str())));
    assert!(col("BillingAccountName").str().unwrap().iter().all(|a| a == Some(org_name.as_str())));
    // Fetched at 2026-11-20T06:00, a day is settled 24 h after it ends: 11-18 (ended 11-19T00:00)
    // is settled, 11-19 is provisional.
    let days = col("ChargePeriodStart").datetime().unwrap().physical().clone();
    let provisional = col("x_Provisional").bool().unwrap().clone();
    let cutoff = "2026-11-19T00:00:00Z".parse::<DateTime<Utc>>().unwrap().timestamp_micros();
    let seen: BTreeSet<(bool, bool)> =
        days.iter().zip(provisional.iter()).map(|(d, p)| (d.unwrap() >= cutoff, p.unwrap())).collect();
    assert_eq!(seen, BTreeSet::from([(false, false), (true, true)]));
}
