//! The store over a timeline: a backfill, hourly runs, late data restating T-1 and T-2, a new
//! UTC day and an unchanged run, checked against the simulated organization's ground truth to the
//! exact Decimal, with the restatement log, `_history/` and the request log.

mod common;

use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use counterfoil::api::{AdminClient, ApiKey, BaseUrl, ClientConfig};
use counterfoil::money::{cents_to_usd, to_mantissa};
use counterfoil::rates::RateCard;
use counterfoil::reconcile::Tolerance;
use counterfoil::runtime::block_on;
use counterfoil::sim::{FakeAdminApi, Faults, OrgConfig, Organization, Plant};
use counterfoil::store::{Dataset, Store, SyncOptions, SyncSummary};
use counterfoil::window::TimeWindow;
use polars::prelude::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn client(api: &FakeAdminApi, now: DateTime<Utc>) -> AdminClient {
    let config = ClientConfig { now: Some(now), ..common::config(0, 4) };
    AdminClient::new(ApiKey::new(api.api_key()).unwrap(), BaseUrl::parse(&api.base_url()).unwrap(), config).unwrap()
}

/// One sync at `now` (the fake's clock and the client's agree).
fn sync(store: &Store, api: &FakeAdminApi, now: &str) -> SyncSummary {
    api.set_now(at(now));
    let o = SyncOptions { backfill_days: 3, restate_days: 3, settle_hours: 24 };
    block_on(store.sync(&client(api, at(now)), &o, &AtomicBool::new(false))).unwrap().unwrap()
}

/// The store's day equals the truth at the fake's "now": token totals and every cost cent.
fn assert_day_is_true(store: &Store, api: &FakeAdminApi, d: NaiveDate) {
    let org = api.organization();
    let now = api.now();
    let w = TimeWindow {
        start: d.and_hms_opt(0, 0, 0).unwrap().and_utc(),
        end: (d + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap().and_utc(),
    };
    let usage = store.read(Dataset::Usage, w, None).unwrap();
    let truth = org.records_at(w.start, w.end, now);
    for (i, (c, _)) in counterfoil::frames::TOKEN_COLUMNS.iter().enumerate() {
        let stored: i64 = usage.column(c).unwrap().i64().unwrap().sum().unwrap_or(0);
        let want: u64 = truth.iter().map(|r| r.tokens[i]).sum();
        assert_eq!(stored as u64, want, "{d} {c}");
    }
    let cost = store.read(Dataset::Cost, w, None).unwrap();
    let stored: i128 = cost.column("amount_usd").unwrap().decimal().unwrap().physical().iter().flatten().sum();
    let want: i128 = org
        .cost_lines_at(d, now)
        .map(|ls| ls.iter().map(|l| to_mantissa(cents_to_usd(l.amount_cents)).unwrap()).sum())
        .unwrap_or(0);
    assert_eq!(stored, want, "{d} cost, to the last 1e-12 dollar");
}

#[test]
fn a_timeline_of_backfill_hourly_runs_restatements_and_a_new_day() {
    let org = Organization::generate(OrgConfig::new(5, 20, common::today()));
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).unwrap();

    // 1. The first run backfills three full days and today so far.
    let s = sync(&store, &api, "2026-11-12T10:30:00Z");
    assert_eq!((s.written, s.unchanged, s.restated), (8, 0, 0), "{s:?}");
    assert_eq!(s.days, [day("2026-11-09"), day("2026-11-10"), day("2026-11-11"), day("2026-11-12")]);
    for d in ["2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12"] {
        assert_day_is_true(&store, &api, day(d));
    }
    let state = store.state().unwrap();
    assert!(!state.usage[&day("2026-11-10")].complete, "inside the restatement window");

    // 2. An hour later: new hours of today arrive (written, not a restatement); yesterday is unchanged.
    let before = api.requests().len();
    let s = sync(&store, &api, "2026-11-12T11:30:00Z");
    assert_eq!((s.written, s.unchanged, s.restated), (2, 2, 0), "{s:?}");
    assert_eq!(s.days, [day("2026-11-11"), day("2026-11-12")], "only today and yesterday");
    assert_day_is_true(&store, &api, day("2026-11-12"));
    let reread: Vec<_> =
        api.requests()[before..].iter().filter(|r| r.path.contains("report")).map(|r| r.query.clone()).collect();
    assert!(reread.iter().all(|q| q.contains("starting_at=2026-11-11")), "{reread:?}");

    // 3. Late data changes T-1 and T-2. The hourly run sees T-1 at once, but T-1 had not settled
    //    when it was last read (11:30, 11.5 h after it ended; settling takes 24 h): export lag, a
    //    late arrival kept in _history/, not a restatement. T-2 waits for its once-a-day re-read.
    api.restate(day("2026-11-11"), 0.1).unwrap();
    api.restate(day("2026-11-10"), 0.1).unwrap();
    let s = sync(&store, &api, "2026-11-12T12:30:00Z");
    // Late usage lands anywhere in the day: hours of 11-11 that ended before 11-11T11:30 had
    // settled at the 11:30 fetch (a restatement of usage); the daily cost bucket, ending
    // 11-12T00:00, had not (a late arrival, not logged).
    assert_eq!((s.restated, s.late), (1, 1), "{s:?}");
    assert_day_is_true(&store, &api, day("2026-11-11"));
    assert_eq!(store.restatements().unwrap().height(), 1, "only the settled hours' change is a restatement");

    // 4. A new UTC day: T-2 … T-3 are re-read. 2026-11-10 was last read at 11-12T10:30, 34.5 h
    //    after it ended, so it had settled: its change is a restatement. The rest of 2026-11-12
    //    arriving is not (those buckets had not ended at the last fetch).
    let s = sync(&store, &api, "2026-11-13T01:30:00Z");
    assert_eq!(s.days, [day("2026-11-10"), day("2026-11-11"), day("2026-11-12"), day("2026-11-13")]);
    assert_eq!(s.restated, 2, "usage and cost of 2026-11-10 only: {s:?}");
    let log = store.restatements().unwrap();
    assert_eq!(log.height(), 3);
    let dates: Vec<_> = log
        .column("date")
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|d| d.unwrap().to_owned())
        .collect();
    assert_eq!(dates, ["2026-11-11", "2026-11-10", "2026-11-10"]);
    let tokens = |c: &str| log.column(c).unwrap().i64().unwrap().get(1).unwrap();
    assert!(tokens("new_tokens") > tokens("old_tokens"), "late usage adds tokens");
    let usd = |c: &str| log.column(c).unwrap().decimal().unwrap().physical().get(2).unwrap();
    assert!(usd("new_usd") > usd("old_usd"), "and cost");
    for d in ["2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13"] {
        assert_day_is_true(&store, &api, day(d));
    }
    assert!(store.state().unwrap().usage[&day("2026-11-09")].complete, "older than T-3: complete");

    // 5. Nothing changed: nothing is written, and only today and yesterday are asked for.
    let before = api.requests().len();
    let s = sync(&store, &api, "2026-11-13T01:30:00Z");
    assert_eq!((s.written, s.unchanged, s.restated), (0, 4, 0), "{s:?}");
    let asked: Vec<_> =
        api.requests()[before..].iter().filter(|r| r.path.contains("report")).map(|r| r.query.clone()).collect();
    assert!(asked.iter().all(|q| q.contains("starting_at=2026-11-12")), "{asked:?}");
    assert_eq!(s.requests, asked.len() as u64 + 1, "the reports and the organization check");

    // Every replaced partition is kept in _history/.
    let history = |ds: &str, d: &str| {
        std::fs::read_dir(dir.path().join("_history").join(ds).join(format!("date={d}")))
            .map(|r| r.count())
            .unwrap_or(0)
    };
    assert_eq!(history("usage", "2026-11-11"), 1);
    assert_eq!(history("usage", "2026-11-12"), 3, "10:30 → 11:30 → 12:30 → the next day");
    assert_eq!(history("usage", "2026-11-09"), 0);
    assert_eq!(api.organization().restated.len(), 2, "the ground truth records the restatements");
}

#[test]
fn reconcile_from_the_store_gives_the_api_lines_and_alerts_once() {
    let mut cfg = OrgConfig::new(8, 10, common::today());
    cfg.plants = vec![Plant::Bend, Plant::DropCostLine];
    let org = Organization::generate(cfg);
    let w = org.window();
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).unwrap();
    let now = common::today().and_hms_opt(6, 0, 0).unwrap().and_utc();
    api.set_now(now);
    let o = SyncOptions { backfill_days: 10, restate_days: 3, settle_hours: 24 };
    let c = client(&api, now);
    block_on(store.sync(&c, &o, &AtomicBool::new(false))).unwrap().unwrap();

    let card = RateCard::bundled();
    let fetched = block_on(counterfoil::jobs::fetch::fetch(&c, w)).unwrap().unwrap();
    let options = counterfoil::reconcile::Options {
        window: Some(w),
        workspace_names: fetched.workspace_names,
        ..Default::default()
    };
    let from_api = counterfoil::reconcile::reconcile(&fetched.usage, &fetched.cost, &card, &options).unwrap();
    let (first, new) = store.reconcile(w, &card, Tolerance::default(), now).unwrap();
    let same = first.lines.drop_many(["first_seen", "provisional"]);
    assert!(same.equals_missing(&from_api.lines), "same lines as from the API");
    assert!(new && !first.ok());
    let (second, new) = store.reconcile(w, &card, Tolerance::default(), now + Duration::hours(1)).unwrap();
    assert!(!new, "an hourly job alerts once");
    let seen = second.lines.column("first_seen").unwrap().drop_nulls();
    assert_eq!(seen.len(), 2);
    let f = store.findings().unwrap();
    assert_eq!(f.height(), 2);
    assert_eq!(f.column("resolved_at").unwrap().null_count(), 2);
    // A tolerance that accepts the bend resolves that finding; the history says when.
    let loose = Tolerance::new(rust_decimal::Decimal::new(1000, 0), rust_decimal::Decimal::ZERO).unwrap();
    store.reconcile(w, &card, loose, now + Duration::hours(2)).unwrap();
    let f = store.findings().unwrap();
    assert_eq!(f.column("resolved_at").unwrap().null_count(), 1, "the bend is resolved, the dropped line is not");
}

#[test]
fn bad_stores_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let e = Store::create_or_open(dir.path()).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("not a counterfoil store"), "{e}");
    assert!(Store::open(dir.path()).is_err());
    let empty = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(empty.path()).unwrap();
    std::fs::write(
        empty.path().join("state.json"),
        r#"{"schema":"counterfoil.store/9","created_at":"2026-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let e = Store::open(empty.path()).unwrap_err();
    assert!(e.to_string().contains("newer counterfoil"), "{e}");
    std::fs::write(empty.path().join("state.json"), "{").unwrap();
    assert!(store.state().unwrap_err().to_string().contains("state.json"));
}
