//! Notifications against loopback receivers that record every request (DESIGN §12): the three
//! encodings, money equal to the reconciliation's, exactly once across runs with a store,
//! resolves after a fix, retries, a sink that is down or slow, and no secret anywhere.

mod common;

use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::receiver::{Received, Receiver};
use counterfoil::cli::run;
use counterfoil::sim::{FakeAdminApi, Faults, OrgConfig, Organization, Plant};
use counterfoil::store::{Store, SyncOptions};
use serde_json::Value;

const START: &str = "2026-11-15";
const END: &str = "2026-11-20";

/// The PagerDuty endpoint of every test (one environment variable for the process): each test
/// uses its own routing key and looks only at its requests.
fn pagerduty() -> &'static Receiver {
    static PD: OnceLock<Receiver> = OnceLock::new();
    PD.get_or_init(|| {
        let r = Receiver::ok();
        // SAFETY: set once, before any test sends to PagerDuty; nothing else writes it.
        unsafe { std::env::set_var("COUNTERFOIL_PAGERDUTY_URL", &r.url) };
        r
    })
}

fn pd_requests(key: &str) -> Vec<Received> {
    pagerduty().requests().into_iter().filter(|r| r.body["routing_key"] == key).collect()
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["counterfoil"];
    argv.extend_from_slice(args);
    let code = run(argv, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

fn api(plants: Vec<Plant>) -> FakeAdminApi {
    let mut cfg = OrgConfig::new(8, 6, common::today());
    cfg.plants = plants;
    FakeAdminApi::start_blocking(Organization::generate(cfg), Faults::default(), 0).unwrap()
}

fn reconcile(api: &FakeAdminApi, extra: &[&str]) -> (i32, String, String) {
    let (base, key) = (api.base_url(), api.api_key());
    let mut args = vec!["reconcile", "--start", START, "--end", END, "--base-url", &base, "--api-key", &key];
    args.extend_from_slice(extra);
    cli(&args)
}

/// The discrepancy lines of a `--format json` reconciliation.
fn discrepancies(json: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(json).unwrap();
    let bad = ["mismatch", "missing_usage", "missing_cost", "unpriced"];
    v["lines"].as_array().unwrap().iter().filter(|l| bad.contains(&l["status"].as_str().unwrap())).cloned().collect()
}

fn no_secret(texts: &[&str], secrets: &[&str]) {
    for t in texts {
        for s in secrets {
            assert!(!t.contains(s), "a secret ({s}) was shown: {t}");
        }
    }
}

#[test]
fn without_a_store_every_discrepancy_is_opened_in_each_form_with_the_reports_money() {
    let api = api(vec![Plant::Bend, Plant::DropCostLine, Plant::UnknownModel]);
    let (slack, hook) = (Receiver::ok(), Receiver::ok());
    let pd_key = "PDKEYSECRET0000000000000000000001";
    pagerduty();
    let (s, w, p) = (format!("slack:{}", slack.url), format!("webhook:{}", hook.url), format!("pagerduty:{pd_key}"));
    let t = Instant::now();
    let (code, out, err) = reconcile(&api, &["--format", "json", "--notify", &s, "--notify", &w, "--notify", &p]);
    let with = t.elapsed();
    assert_eq!(code, 1, "{err}");
    let t = Instant::now();
    let (code2, _, _) = reconcile(&api, &["--format", "json"]);
    eprintln!("reconcile with three sinks {with:?}, without {:?}", t.elapsed());
    assert_eq!(code2, 1);
    no_secret(&[&out, &err], &["SECRET"]);
    assert!(err.contains("notified slack (127.0.0.1)"), "{err}");

    let lines = discrepancies(&out);
    assert!(lines.len() >= 3, "{}", lines.len());
    let org = api.organization();

    // Slack: one message, Block Kit within the limits, with a text fallback.
    let msgs = slack.requests();
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0].body;
    let findings: std::collections::BTreeSet<String> =
        lines.iter().map(|l| l["finding"].as_str().unwrap_or("").to_owned()).collect();
    assert!(m["text"].as_str().unwrap().contains(&format!("{} opened", findings.len())), "{m}");
    let blocks = m["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks.last().unwrap()["type"], "context");
    // One section per finding (F1…), however many lines it spans.
    let listed = findings.len().min(10) + usize::from(findings.len() > 10);
    assert_eq!(blocks.len(), 1 + 1 + listed + 1, "header, split, at most ten findings and N more, context");
    let sections: Vec<&str> = blocks[2..blocks.len() - 1].iter().filter_map(|b| b["text"]["text"].as_str()).collect();
    for f in &findings {
        assert_eq!(sections.iter().filter(|s| s.contains(&format!(" {f} "))).count(), 1, "{f} once: {sections:?}");
    }

    // CloudEvents: one structured-mode POST per discrepancy, the money to the digit.
    let events = hook.requests();
    assert_eq!(events.len(), lines.len());
    for (e, l) in events.iter().zip(&lines) {
        assert_eq!(e.header("content-type"), "application/cloudevents+json");
        let b = &e.body;
        assert_eq!(b["specversion"], "1.0");
        assert_eq!(b["type"], "dev.counterfoil.finding.opened");
        assert_eq!(b["source"], format!("counterfoil://{}", org.id));
        let id = b["data"]["finding_id"].as_str().unwrap();
        assert!(id.starts_with("f_"));
        assert_eq!(b["id"], format!("{id}:finding.opened:{}", b["time"].as_str().unwrap()));
        assert_eq!(b["subject"], b["data"]["line_key"]);
        for m in ["expected_usd", "reported_usd", "delta_usd"] {
            assert_eq!(b["data"][m], l[m], "{m} of {}", b["subject"]);
        }
        assert_eq!(b["data"]["organization"]["name"], org.name.as_str());
        assert_eq!(b["data"]["window"]["start"], START);
        assert!(!b["data"]["title"].as_str().unwrap().is_empty());
        assert!(!b["data"]["next_step"].as_str().unwrap().is_empty());
    }

    // PagerDuty: a trigger per discrepancy, dedup_key the finding id, error for over-billing.
    let pd = pd_requests(pd_key);
    assert_eq!(pd.len(), lines.len());
    for (r, e) in pd.iter().zip(&events) {
        let b = &r.body;
        assert_eq!(b["event_action"], "trigger");
        assert_eq!(b["dedup_key"], e.body["data"]["finding_id"]);
        let over = e.body["data"]["direction"] == "overbilled";
        assert_eq!(b["payload"]["severity"], if over { "error" } else { "warning" });
        assert!(!b["payload"]["summary"].as_str().unwrap().is_empty());
    }
    assert!(pd.iter().any(|r| r.body["payload"]["severity"] == "error"), "the bend is over-billing");
}

#[test]
fn five_hundred_findings_stay_within_slacks_limits() {
    use counterfoil::notify::encode::{Split, slack};
    use counterfoil::notify::event::test_event;
    let mut events = Vec::new();
    for i in 0..500 {
        let mut e = test_event(Utc::now());
        e.event = "finding.opened";
        e.title = format!("<!channel> & {}", "x".repeat(4000 + i));
        events.push(e);
    }
    let refs: Vec<_> = events.iter().collect();
    let m = slack(&refs, Split { summary: None });
    let blocks = m["blocks"].as_array().unwrap();
    assert!(blocks.len() <= 50);
    assert_eq!(blocks.len(), 1 + 10 + 1 + 1);
    assert_eq!(blocks[11]["text"]["text"], "and 490 more");
    for b in blocks {
        if let Some(t) = b["text"]["text"].as_str() {
            assert!(t.chars().count() <= 3000);
            assert!(!t.contains("<!channel>"), "escaped");
        }
    }
    assert!(m.to_string().contains("&lt;!channel&gt; &amp;"));
}

/// A store synced at 2026-11-20T06:00 over six days: 11-14 … 11-18 settled.
fn synced_store(api: &FakeAdminApi, now: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).unwrap();
    sync(&store, api, now);
    (dir, store)
}

fn sync(store: &Store, api: &FakeAdminApi, now: &str) {
    let now: DateTime<Utc> = now.parse().unwrap();
    api.set_now(now);
    let config = counterfoil::api::ClientConfig { now: Some(now), ..common::config(0, 4) };
    let client = common::client_for(api, config);
    let o = SyncOptions { backfill_days: 6, restate_days: 10, settle_hours: 24 };
    counterfoil::runtime::block_on(store.sync(&client, &o, &AtomicBool::new(false))).unwrap().unwrap();
}

fn store_reconcile(dir: &std::path::Path, sinks: &[&str]) -> (i32, String, String) {
    let mut args = vec!["reconcile", "--store", dir.to_str().unwrap(), "--start", START, "--end", END];
    for s in sinks {
        args.extend_from_slice(&["--notify", s]);
    }
    cli(&args)
}

fn types(r: &[Received]) -> Vec<String> {
    r.iter().map(|r| r.body["type"].as_str().unwrap_or("").to_owned()).collect()
}

#[test]
fn with_a_store_each_event_reaches_each_sink_once_and_a_fix_resolves_it() {
    let api = api(vec![Plant::Bend]);
    let (dir, store) = synced_store(&api, "2026-11-20T06:00:00Z");
    let day = api.organization().planted[0].key.date;
    let hook = Receiver::ok();
    let pd_key = "PDKEYSECRET0000000000000000000002";
    pagerduty();
    let (w, p) = (format!("webhook:{}", hook.url), format!("pagerduty:{pd_key}"));

    // Timing with a third sink, Slack: its notified rows land in the same log.
    let slack = Receiver::ok();
    let s = format!("slack:{}", slack.url);
    let t = Instant::now();
    let (code, _, err) = store_reconcile(dir.path(), &[&w, &p, &s]);
    eprintln!("reconcile --store with three sinks, first run: {:?}", t.elapsed());
    assert_eq!(code, 1, "{err}");
    assert_eq!(slack.requests().len(), 1);
    let t = Instant::now();
    store_reconcile(dir.path(), &[&w, &p, &s]);
    eprintln!("reconcile --store with three sinks, nothing new: {:?}", t.elapsed());
    assert_eq!(slack.requests().len(), 1, "a run with no events sends nothing");
    let first = hook.requests();
    assert_eq!(types(&first), ["dev.counterfoil.finding.opened"], "{day}");
    assert_eq!(pd_requests(pd_key).len(), 1);

    // The next run has nothing new: nothing is sent.
    let (code, _, err) = store_reconcile(dir.path(), &[&w, &p]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(hook.requests().len(), 1, "never sent twice once acknowledged");
    assert_eq!(pd_requests(pd_key).len(), 1);

    // Anthropic rebills the day: the finding resolves, PagerDuty's incident with it.
    assert!(api.fix(day).unwrap());
    sync(&store, &api, "2026-11-21T06:00:00Z");
    let (code, _, err) = store_reconcile(dir.path(), &[&w, &p]);
    assert_eq!(code, 0, "{err}");
    let all = hook.requests();
    assert_eq!(types(&all[1..]), ["dev.counterfoil.finding.resolved"]);
    assert_eq!(all[1].body["data"]["finding_id"], first[0].body["data"]["finding_id"]);
    let pd = pd_requests(pd_key);
    assert_eq!(pd.len(), 2);
    assert_eq!(pd[1].body["event_action"], "resolve");
    assert_eq!(pd[1].body["dedup_key"], pd[0].body["dedup_key"]);

    // It breaks again: reopened, once.
    api.rebreak(day).unwrap();
    sync(&store, &api, "2026-11-22T06:00:00Z");
    store_reconcile(dir.path(), &[&w, &p]);
    store_reconcile(dir.path(), &[&w, &p]);
    assert_eq!(types(&hook.requests()[2..]), ["dev.counterfoil.finding.reopened"]);
    assert_eq!(pd_requests(pd_key).len(), 3);

    // The log says what each sink acknowledged, naming sinks without their secrets.
    let log = store.finding_events().unwrap();
    let notified = log.column("event").unwrap().str().unwrap().iter().filter(|e| *e == Some("notified")).count();
    assert_eq!(notified, 3 + 1 + 3 * 2, "three subscriptions, Slack's one event, three events to two sinks");
    let sinks: Vec<String> = log.column("sink").unwrap().str().unwrap().iter().flatten().map(str::to_owned).collect();
    assert!(
        sinks.iter().all(|s| ["webhook:127.0.0.1:", "pagerduty:127.0.0.1:", "slack:127.0.0.1:"]
            .iter()
            .any(|p| s.starts_with(p))),
        "{sinks:?}"
    );
    no_secret(&[&sinks.join(" ")], &["SECRET"]);
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap_or_default();
        assert!(!bytes.windows(6).any(|w| w == b"SECRET"), "no secret in the store's files");
    }
}

#[test]
fn a_sink_that_is_down_does_not_stop_the_others_and_gets_its_events_next_run_once() {
    let api = api(vec![Plant::Bend, Plant::DropCostLine]);
    let (dir, _store) = synced_store(&api, "2026-11-20T06:00:00Z");
    let up = Receiver::ok();
    // Down for the whole first run (four attempts each), then up.
    let flaky = Receiver::start(|n| (if n < 4 { 503 } else { 200 }, vec![], Duration::ZERO));
    let (a, b) = (format!("webhook:{}", up.url), format!("webhook:{}", flaky.url));
    let (code, _, err) = store_reconcile(dir.path(), &[&a, &b]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("notification to webhook (127.0.0.1) failed (HTTP 503 after 4 attempts)"), "{err}");
    assert!(err.contains("they are sent again by the next run"), "{err}");
    no_secret(&[&err], &["SECRET"]);
    let opened = up.requests().len();
    assert!(opened >= 1, "the other sink got everything");
    assert_eq!(flaky.requests().len(), 4, "three retries, then the sink's turn ends");

    let (code, _, err) = store_reconcile(dir.path(), &[&a, &b]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(up.requests().len(), opened, "nothing twice");
    let resent: Vec<_> = flaky.requests()[4..].iter().map(|r| r.body["id"].clone()).collect();
    let firsts: Vec<_> = up.requests().iter().map(|r| r.body["id"].clone()).collect();
    assert_eq!(resent, firsts, "the same events, same ids, once");
    store_reconcile(dir.path(), &[&a, &b]);
    assert_eq!(flaky.requests().len(), 4 + opened);
}

#[test]
fn retries_honour_retry_after_and_a_slow_sink_is_bounded_by_the_timeout() {
    let api = api(vec![Plant::Bend]);
    let once = Receiver::start(|n| (if n == 0 { 500 } else { 200 }, vec![], Duration::ZERO));
    let limited = Receiver::start(|n| {
        if n == 0 {
            (429, vec![("retry-after", "1".to_owned())], Duration::ZERO)
        } else {
            (200, vec![], Duration::ZERO)
        }
    });
    let slow = Receiver::start(|_| (200, vec![], Duration::from_secs(30)));
    let (a, b, c) = (format!("slack:{}", once.url), format!("slack:{}", limited.url), format!("slack:{}", slow.url));
    let t = Instant::now();
    let (code, _, err) = reconcile(&api, &["--notify", &a, "--notify", &b, "--notify", &c, "--notify-timeout", "0.5"]);
    let took = t.elapsed();
    assert_eq!(code, 4, "{err}");
    assert_eq!(once.requests().len(), 2, "500 then 200: delivered once");
    let l = limited.requests();
    assert_eq!(l.len(), 2);
    assert!(err.contains("failed (no answer within 0.5 s)"), "{err}");
    assert_eq!(slow.requests().len(), 1, "a timeout is not retried");
    assert!(took >= Duration::from_secs(1), "Retry-After: 1 was waited for ({took:?})");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn bad_specs_fail_before_any_request() {
    let api = api(vec![Plant::Bend]);
    for spec in [
        "slack",
        "teams:https://x.example/SECRET",
        "webhook:http://hooks.example.com/SECRET",
        "slack:env:COUNTERFOIL_TEST_UNSET_HOOK",
        "pagerduty:",
    ] {
        let before = api.requests().len();
        let (code, out, err) = reconcile(&api, &["--notify", spec]);
        assert_eq!(code, 2, "{spec}: {err}");
        assert!(err.starts_with("error: --notify"), "{spec}: {err}");
        assert_eq!(api.requests().len(), before, "{spec}: no request to the API");
        no_secret(&[&out, &err], &["SECRET"]);
    }
}

#[test]
fn a_run_with_no_events_sends_nothing_and_notify_test_reaches_each_sink() {
    let api = api(vec![]);
    let hook = Receiver::ok();
    let w = format!("webhook:{}", hook.url);
    let (code, _, err) = reconcile(&api, &["--notify", &w]);
    assert_eq!(code, 0, "{err}");
    assert!(hook.requests().is_empty());

    let slack = Receiver::ok();
    let s = format!("slack:{}", slack.url);
    let (code, _, err) = cli(&["notify", "--test", "--notify", &s, "--notify", &w]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(hook.requests()[0].body["type"], "dev.counterfoil.test");
    assert_eq!(slack.requests().len(), 1);
    let down = "webhook:http://127.0.0.1:9/SECRET";
    let (code, _, err) = cli(&["notify", "--test", "--notify", &s, "--notify", down, "--notify-timeout", "1"]);
    assert_eq!(code, 4, "{err}");
    no_secret(&[&err], &["SECRET"]);
}

#[test]
fn a_failed_job_is_told_as_job_failed() {
    let hook = Receiver::ok();
    let w = format!("webhook:{}", hook.url);
    let (code, _, err) = cli(&[
        "reconcile",
        "--start",
        START,
        "--end",
        END,
        "--base-url",
        "http://127.0.0.1:9",
        "--api-key",
        "sk-ant-admin01-x",
        "--max-retries",
        "0",
        "--notify",
        &w,
    ]);
    assert_eq!(code, 4, "{err}");
    let r = hook.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].body["type"], "dev.counterfoil.job.failed");
    assert!(r[0].body["data"]["title"].as_str().unwrap().contains("could not reach"));
}

#[test]
fn sync_tells_a_failed_job_and_forecast_a_budget_exceeded() {
    let hook = Receiver::ok();
    let w = format!("webhook:{}", hook.url);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let (code, _, err) = cli(&[
        "sync",
        "--store",
        store.to_str().unwrap(),
        "--base-url",
        "http://127.0.0.1:9",
        "--api-key",
        "sk-ant-admin01-x",
        "--max-retries",
        "0",
        "--notify",
        &w,
    ]);
    assert_eq!(code, 4, "{err}");
    let r = hook.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].body["type"], "dev.counterfoil.job.failed");
    assert_eq!(r[0].body["source"], "counterfoil://unknown");
    assert_eq!(r[0].body["data"]["finding_id"], "job_sync");

    // The real clock's month, so the forecast has a month to date.
    let today = Utc::now().date_naive();
    let org = Organization::generate(OrgConfig::new(3, 35, today));
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0).unwrap();
    let (base, key) = (api.base_url(), api.api_key());
    let (code, _, err) = cli(&["forecast", "--budget", "1", "--base-url", &base, "--api-key", &key, "--notify", &w]);
    assert_eq!(code, 1, "{err}");
    let r = hook.requests();
    assert_eq!(r.len(), 2, "{err}");
    assert_eq!(r[1].body["type"], "dev.counterfoil.budget.exceeded");
    assert_eq!(r[1].body["data"]["expected_usd"], "1");
    let (code, _, err) =
        cli(&["forecast", "--budget", "100000000", "--base-url", &base, "--api-key", &key, "--notify", &w]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(hook.requests().len(), 2, "within budget: nothing sent");
}
