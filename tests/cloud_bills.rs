//! Cloud bills from hand-written rows (tests/common/cloud.rs): every spelling gives the same lines,
//! every status and cause is the one worked out by hand from the reference's prices.
//!
//! Prices used (cloud-billing.md §1.4; regional = 1.1 × global; cache 0.1× / 1.25× / 2× input):
//! Sonnet 4.6 regional input $3.30, global output $15; Haiku 4.5 regional 5m write $1.375, 1h
//! write $2.20; Opus 4.8 regional input $5.50 (global $5); Opus 5 regional cache read $0.55, no
//! global cache leg; Sonnet 5 global batch input 0.5 × $2 = $1. Vertex: Sonnet 4.6 global input
//! $3, regional output $16.50; Opus 4.8 regional 1h write 2 × $5.50 = $11; Haiku 4.5 global cache
//! read $0.10 (regional $0.11).

mod common;

use common::cloud::*;
use counterfoil::cloud::reconcile::default_tolerance;
use counterfoil::cloud::{CloudBill, CloudStatus, reconcile_cloud};
use counterfoil::rates::RateCard;
use counterfoil::window::TimeWindow;
use rust_decimal::Decimal;

fn usd(s: &str) -> i128 {
    counterfoil::money::to_mantissa(s.parse::<Decimal>().unwrap()).unwrap()
}

fn read(cur: &[&std::path::Path], gcp: &[&std::path::Path]) -> CloudBill {
    let card = RateCard::bundled();
    let cur: Vec<_> = cur.iter().map(|p| p.to_path_buf()).collect();
    let gcp: Vec<_> = gcp.iter().map(|p| p.to_path_buf()).collect();
    CloudBill::read(&cur, &gcp, &card).unwrap()
}

fn without_source(bill: &CloudBill) -> Vec<counterfoil::cloud::CloudLine> {
    bill.lines
        .iter()
        .cloned()
        .map(|mut l| {
            l.source = String::new();
            l
        })
        .collect()
}

#[test]
fn cur2_csv_gzip_and_legacy_headers_give_identical_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (dir.path().join("cur2.csv"), dir.path().join("cur2.csv.gz"), dir.path().join("legacy.csv"));
    write_cur2_csv(&a, &aws_rows(), false);
    write_cur2_csv(&b, &aws_rows(), true);
    write_legacy_csv(&c, &aws_rows());
    let (x, y, z) = (read(&[&a], &[]), read(&[&b], &[]), read(&[&c], &[]));
    assert_eq!(x.lines.len(), 11, "11 Claude rows, the EC2 row skipped");
    assert_eq!(without_source(&x), without_source(&y));
    assert_eq!(without_source(&x), without_source(&z));
    let other = x.other[&counterfoil::rates::cloud::Provider::AwsBedrock];
    assert_eq!((other.rows, other.cost), (1, usd("12.34")));
    let first = &x.lines[0];
    assert_eq!(first.quantity, Some(2_500_000));
    assert_eq!(first.model.as_deref(), Some("claude-sonnet-4-6"));
    assert_eq!(first.tags.as_deref(), Some(r#"{"user_team":"ml"}"#));
    assert_eq!(first.region.as_deref(), Some("us-east-1"));
}

#[test]
fn aws_rows_get_the_statuses_and_causes_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cur2.csv");
    write_cur2_csv(&p, &aws_rows(), false);
    let card = RateCard::bundled();
    let rec = reconcile_cloud(read(&[&p], &[]), &card, default_tolerance(), None, None).unwrap();
    let status: Vec<&str> = rec.lines.iter().map(|l| l.status.as_str()).collect();
    assert_eq!(
        status,
        [
            "match",
            "match",
            "match",
            "mismatch",
            "mismatch",
            "unpriced",
            "match",
            "unpriced",
            "unpriced",
            "not_usage",
            "match"
        ]
    );
    let expected: Vec<Option<i128>> = rec.lines.iter().map(|l| l.expected).collect();
    let want = ["8.25", "1.851", "1.1", "0.88", "5.5", "", "1.1", "", "", "", "4"];
    assert_eq!(expected, want.iter().map(|w| (!w.is_empty()).then(|| usd(w))).collect::<Vec<_>>());
    let notes: Vec<&str> = rec.lines.iter().map(|l| l.note.as_deref().unwrap_or("")).collect();
    assert!(notes[3].starts_with("1h cache writes billed at the 5m rate"), "{}", notes[3]);
    assert!(notes[4].starts_with("regional usage billed at the global rate"), "{}", notes[4]);
    assert!(notes[5].contains("sells no cache_read_input_tokens leg at global scope"), "{}", notes[5]);
    assert!(notes[7].contains("CacheStorage"), "{}", notes[7]);
    assert!(notes[8].contains("Claude Nova 9"), "{}", notes[8]);
    let t = &rec.totals()[&None];
    assert_eq!(t.billed, usd("31.351"));
    assert_eq!(t.underbilled, usd("0.83"), "0.33 (1h at 5m) + 0.5 (regional at global)");
    assert_eq!(t.overbilled, 0);
    assert_eq!(t.unchecked, usd("9.5"));
    assert_eq!(t.not_usage, usd("0.83"));
    assert_eq!(rec.findings.len(), 5, "two mismatch causes, three unpriced reasons");
    assert_eq!(rec.exit_code(), 1);
    assert!(t.unknown.iter().any(|u| u.contains("Claude Nova 9")), "{:?}", t.unknown);
}

#[test]
fn gcp_ndjson_and_flattened_csv_give_identical_lines_and_hand_checked_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("billing.ndjson"), dir.path().join("billing.csv"));
    write_gcp_ndjson(&a, &gcp_rows());
    write_gcp_csv(&b, &gcp_rows());
    let (x, y) = (read(&[], &[&a]), read(&[], &[&b]));
    assert_eq!(without_source(&x), without_source(&y));
    assert_eq!(x.lines.len(), 7, "6 Claude rows and one credit line");
    let card = RateCard::bundled();
    let rec = reconcile_cloud(x, &card, default_tolerance(), None, None).unwrap();
    let status: Vec<&str> = rec.lines.iter().map(|l| l.status.as_str()).collect();
    assert_eq!(status, ["match", "match", "mismatch", "mismatch", "not_usage", "match", "not_usage"]);
    assert_eq!(rec.lines[1].line.model.as_deref(), Some("claude-opus-4-8"), "\"Claude Opus 4 8\"");
    assert_eq!(rec.lines[1].expected, Some(usd("5.5")));
    assert!(rec.lines[2].note.as_deref().unwrap().starts_with("a global cache leg billed at the regional rate"));
    assert_eq!(rec.lines[2].delta(), Some(usd("0.02")));
    assert!(
        rec.lines[3].note.as_deref().unwrap().starts_with("billed at 1.2× the list price"),
        "{:?}",
        rec.lines[3].note
    );
    let t = &rec.totals()[&None];
    assert_eq!((t.billed, t.not_usage, t.overbilled), (usd("13.7"), usd("-0.5"), usd("0.35")));
}

#[test]
fn a_window_selects_by_usage_day_and_a_bill_of_another_month_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cur2.csv");
    write_cur2_csv(&p, &aws_rows(), false);
    let card = RateCard::bundled();
    let files = counterfoil::jobs::cloud::CloudFiles { cur: vec![p.clone()], ..Default::default() };
    let nov3 = TimeWindow::parse("2026-11-03", "2026-11-04").unwrap();
    let rec = counterfoil::jobs::cloud::reconcile_files(&files, &card, default_tolerance(), Some(nov3)).unwrap();
    assert_eq!(rec.lines.len(), 11);
    let oct = TimeWindow::parse("2026-10-01", "2026-11-01").unwrap();
    let e = counterfoil::jobs::cloud::reconcile_files(&files, &card, default_tolerance(), Some(oct)).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("they cover 2026-11-03 → 2026-11-03"), "{e}");
}

#[test]
fn bad_bills_are_clear_errors_naming_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let card = RateCard::bundled();
    let err = |name: &str, body: &[u8], gcp: bool| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let (c, g) = if gcp { (vec![], vec![p]) } else { (vec![p], vec![]) };
        let e = CloudBill::read(&c, &g, &card).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        e.to_string()
    };
    let no_cost =
        "line_item_usage_type,line_item_usage_start_date,line_item_line_item_type\nx,2026-11-03T00:00:00Z,Usage\n";
    assert!(
        err("a.csv", no_cost.as_bytes(), false).contains("no line_item_unblended_cost column (lineItem/UnblendedCost")
    );
    let mut rows = aws_rows();
    rows[0].amount = "1.2345675";
    let p = dir.path().join("frac.csv");
    write_cur2_csv(&p, &rows, false);
    let e = CloudBill::read(&[p], &[], &card).unwrap_err().to_string();
    assert!(e.contains("frac.csv row 1 (line_item_usage_amount)") && e.contains("not a whole number of tokens"), "{e}");
    let renamed = "service_desc,cost,usage_start_time\nClaude Sonnet 4.6,1,2026-11-04 10:00:00 UTC\n";
    assert!(err("g.csv", renamed.as_bytes(), true).contains("not a Google Cloud billing export"));
    assert!(err("junk.parquet", b"not parquet at all", false).contains("junk.parquet: not a readable Parquet file"));
    let gz = dir.path().join("cut.csv.gz");
    write_cur2_csv(&gz, &aws_rows(), true);
    let bytes = std::fs::read(&gz).unwrap();
    assert!(err("cut2.csv.gz", &bytes[..bytes.len() / 2], false).contains("cut2.csv.gz: not a readable gzip file"));
    assert!(err("empty.ndjson", b"\n", true).contains("empty"));
    let gcp_as_cur = dir.path().join("gcp.csv");
    write_gcp_csv(&gcp_as_cur, &gcp_rows());
    let e = CloudBill::read(&[gcp_as_cur], &[], &card).unwrap_err();
    assert!(e.to_string().contains("not an AWS Cost and Usage Report"), "{e}");
}

#[test]
fn hand_checked_cloud_prices_per_provider_scope_and_token_class() {
    use counterfoil::rates::TokenType::*;
    use counterfoil::rates::cloud::{CloudRateQuery, Provider::*, Scope::*, cloud_rate};
    let card = RateCard::bundled();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
    let rate = |provider, model, scope, tier, token_type| {
        let q =
            CloudRateQuery { provider, model, scope, service_tier: tier, context_window: "0-200k", token_type, day };
        cloud_rate(&card.cloud_prices, &q).map(|d| d.normalize().to_string())
    };
    for (p, m, s, tier, t, want) in [
        (AwsBedrock, "claude-haiku-4-5-20251001", Regional, "standard", CacheWrite5m, "1.375"),
        (AwsBedrock, "claude-haiku-4-5-20251001", Regional, "standard", CacheWrite1h, "2.2"),
        (AwsBedrock, "claude-haiku-4-5-20251001", Global, "standard", CacheRead, "0.1"),
        (AwsBedrock, "claude-sonnet-4-6", Regional, "standard", Input, "3.3"),
        (AwsBedrock, "claude-sonnet-4-6", Global, "standard", Output, "15"),
        (AwsBedrock, "claude-opus-5", Regional, "standard", CacheWrite5m, "6.875"),
        (AwsBedrock, "claude-sonnet-5", Regional, "standard", Output, "11"),
        (AwsBedrock, "claude-sonnet-5", Global, "batch", Input, "1"),
        (GcpVertex, "claude-sonnet-4-6", Global, "standard", CacheRead, "0.3"),
        (GcpVertex, "claude-opus-4-8", Regional, "standard", CacheWrite1h, "11"),
        (GcpVertex, "claude-haiku-4-5-20251001", Regional, "standard", Output, "5.5"),
    ] {
        assert_eq!(rate(p, m, s, tier, t).as_deref(), Ok(want), "{p:?} {m} {s:?} {tier} {t:?}");
    }
    assert!(rate(AwsBedrock, "claude-opus-5", Global, "standard", CacheRead).is_err());
    assert!(rate(GcpVertex, "claude-opus-5", Global, "standard", Input).is_err(), "no Vertex price seen for Opus 5");
    assert!(rate(AwsBedrock, "claude-sonnet-4-6", Regional, "priority", Input).is_err(), "priority is not guessed");
    let before = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let q = CloudRateQuery {
        provider: AwsBedrock,
        model: "claude-sonnet-4-6",
        scope: Global,
        service_tier: "standard",
        context_window: "0-200k",
        token_type: Input,
        day: before,
    };
    assert!(cloud_rate(&card.cloud_prices, &q).unwrap_err().contains("on 2026-06-30"));
    assert_eq!(CloudStatus::ALL.len(), 5);
}

#[test]
fn a_user_card_replaces_a_cloud_price_and_bad_rows_are_refused() {
    let head = "schema = \"counterfoil.ratecard/1\"\n";
    let row = |extra: &str| {
        format!(
            "{head}[[cloud_price]]\nprovider = \"aws_bedrock\"\nmodel = \"claude-sonnet-4-6\"\nscope = \"regional\"\nvalid_from = \"2026-07-01\"\ninput = \"3\"\noutput = \"15\"\n{extra}"
        )
    };
    let card = RateCard::from_toml(&row(""), "user.toml").unwrap();
    let bundled = RateCard::bundled();
    assert_eq!(card.cloud_prices.len(), bundled.cloud_prices.len(), "replaced, not added");
    let p = card
        .cloud_prices
        .iter()
        .find(|p| {
            p.model == "claude-sonnet-4-6" && p.scope.as_str() == "regional" && p.provider.as_str() == "aws_bedrock"
        })
        .unwrap();
    assert_eq!((p.input.to_string(), p.cache_read), ("3".to_string(), None), "the user's row, whole");
    for (extra, want) in [
        ("service_tier = \"flex\"\n", "service_tier must be standard, batch or priority"),
        ("context_window = \"1M\"\n", "context_window must be"),
    ] {
        let e = RateCard::from_toml(&row(extra), "user.toml").unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("user.toml"), "{e}");
    }
    let unknown = row("").replace("claude-sonnet-4-6", "claude-nova-9");
    assert!(RateCard::from_toml(&unknown, "user.toml").unwrap_err().to_string().contains("no such model"));
    let overlap = row("").replace("2026-07-01", "2026-08-01");
    let e = RateCard::from_toml(&overlap, "user.toml").unwrap_err().to_string();
    assert!(e.contains("overlap"), "{e}");
}
