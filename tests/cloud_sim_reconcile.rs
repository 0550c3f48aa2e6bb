//! The readers and `reconcile_cloud` against the simulator's cloud bills (written by a separate
//! price table, `sim::cloud::prices`, from the references): every spelling of the same rows gives
//! the same lines, every plant is found with the right status, nothing else is flagged, and the
//! billed totals per provider equal the ground truth to the digit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use counterfoil::cloud::reconcile::{CheckedLine, default_tolerance};
use counterfoil::cloud::table::{self, Table};
use counterfoil::cloud::{CloudBill, CloudLine, CloudStatus, cur, reconcile_cloud};
use counterfoil::jobs::cloud::{CloudFiles, read_invocations, reconcile_files};
use counterfoil::money::to_mantissa;
use counterfoil::rates::RateCard;
use counterfoil::rates::cloud::Provider;
use counterfoil::sim::cloud::{CloudBills, CloudConfig};
use counterfoil::window::TimeWindow;

fn bills() -> (tempfile::TempDir, CloudBills) {
    let dir = tempfile::tempdir().unwrap();
    let bills = CloudBills::generate(CloudConfig::new(7, 14, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()));
    bills.write_all(dir.path()).unwrap();
    (dir, bills)
}

fn window(b: &CloudBills) -> TimeWindow {
    let start = b.config.start();
    TimeWindow::parse(&start.to_string(), &b.config.end.to_string()).unwrap()
}

fn lines(paths: &[PathBuf], provider: Provider) -> Vec<CloudLine> {
    let card = RateCard::bundled();
    let (cur, gcp) = if provider == Provider::AwsBedrock { (paths, &[][..]) } else { (&[][..], paths) };
    let mut l = CloudBill::read(cur, gcp, &card).unwrap().lines;
    for x in &mut l {
        x.source.clear();
        // Only CUR 2.0 has the IAM principal column; the legacy CUR does not.
        x.principal = None;
    }
    l.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    l
}

/// Equal line for line; on failure, the first line that differs (not thousands of them).
fn same(a: &[CloudLine], b: &[CloudLine], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: line count");
    if let Some((x, y)) = a.iter().zip(b).find(|(x, y)| x != y) {
        panic!("{what}: first difference\n{x:?}\n{y:?}");
    }
}

fn p(dir: &Path, rel: &str) -> Vec<PathBuf> {
    vec![dir.join(rel)]
}

#[test]
fn every_spelling_of_the_same_rows_gives_identical_lines() {
    let (dir, _) = bills();
    let d = dir.path();
    let aws = lines(&p(d, "cur2"), Provider::AwsBedrock);
    assert!(aws.len() > 3000, "{}", aws.len());
    same(&aws, &lines(&p(d, "cur2-csv"), Provider::AwsBedrock), "CUR 2.0 CSV.gz");
    same(&aws, &lines(&p(d, "legacy-cur"), Provider::AwsBedrock), "legacy CUR CSV headers");
    same(&aws, &lines(&p(d, "legacy-cur-athena"), Provider::AwsBedrock), "legacy CUR Athena Parquet");
    let gcp = lines(&p(d, "gcp/billing.parquet"), Provider::GcpVertex);
    assert!(gcp.len() > 1500, "{}", gcp.len());
    same(&gcp, &lines(&p(d, "gcp/billing.ndjson"), Provider::GcpVertex), "nested NDJSON");
    same(&gcp, &lines(&p(d, "gcp/billing.csv"), Provider::GcpVertex), "flattened CSV");
}

fn key(provider: &str, account: &str, date: NaiveDate, model: Option<&str>, source: Option<&str>) -> String {
    format!("{provider}|{account}|{date}|{}|{}", model.unwrap_or("-"), source.unwrap_or("-"))
}

fn line_key(l: &CheckedLine) -> String {
    let source = match l.line.provider {
        Provider::AwsBedrock => l.line.usage_type.as_deref(),
        Provider::GcpVertex => l.line.sku_id.as_deref(),
    };
    key(
        l.line.provider.as_str(),
        l.line.account_id.as_deref().unwrap_or(""),
        l.line.date,
        l.line.model.as_deref(),
        source,
    )
}

#[test]
fn every_plant_is_found_and_nothing_else_is_flagged() {
    let (dir, bills) = bills();
    let d = dir.path();
    let card = RateCard::bundled();
    let files =
        CloudFiles { cur: p(d, "cur2"), gcp: p(d, "gcp/billing.parquet"), invocations: p(d, "bedrock-invocations") };
    let rec = reconcile_files(&files, &card, default_tolerance(), Some(window(&bills))).unwrap();
    let want: BTreeMap<&str, CloudStatus> = [
        ("regional_billed_global", CloudStatus::Mismatch),
        ("write_1h_billed_5m", CloudStatus::Mismatch),
        ("cache_wrong_scope", CloudStatus::Mismatch),
        ("vertex_overbilled", CloudStatus::Mismatch),
        ("unknown_usage_type", CloudStatus::Unpriced),
        ("unknown_product", CloudStatus::Unpriced),
        ("invocation_gap", CloudStatus::UsageMismatch),
    ]
    .into();
    let planted: BTreeMap<String, &str> = bills
        .truth()
        .iter()
        .filter_map(|t| t.plant.map(|pl| (key(t.provider, &t.account_id, t.date, t.model, t.source_id.as_deref()), pl)))
        .collect();
    assert_eq!(planted.len(), 7, "{planted:?}");
    let flagged: Vec<&CheckedLine> = rec.lines.iter().filter(|l| l.status.is_discrepancy()).collect();
    assert_eq!(flagged.len(), 7, "{:#?}", flagged.iter().map(|l| (line_key(l), l.status, &l.note)).collect::<Vec<_>>());
    for l in flagged {
        let k = match l.status {
            // A log check is a day × account × model × class, not one bill row.
            CloudStatus::UsageMismatch => planted
                .keys()
                .find(|k| planted[*k] == "invocation_gap" && k.starts_with(line_key(l).rsplit_once('|').unwrap().0))
                .cloned()
                .unwrap_or_default(),
            _ => line_key(l),
        };
        let plant = planted.get(&k).unwrap_or_else(|| panic!("a false alarm: {k} {:?} {:?}", l.status, l.note));
        assert_eq!(l.status, want[plant], "{plant}: {:?}", l.note);
    }
    let cause = |plant: &str| {
        let k = planted.iter().find(|(_, p)| **p == plant).unwrap().0;
        rec.lines.iter().find(|l| line_key(l) == *k && l.status.is_discrepancy()).unwrap().note.clone().unwrap()
    };
    assert!(cause("regional_billed_global").starts_with("regional usage billed at the global rate"));
    assert!(cause("write_1h_billed_5m").starts_with("1h cache writes billed at the 5m rate"));
    assert!(cause("cache_wrong_scope").starts_with("a global cache leg billed at the regional rate"));
    assert!(cause("vertex_overbilled").starts_with("billed at 1.2× the list price"), "{}", cause("vertex_overbilled"));
    let gap = rec.lines.iter().find(|l| l.status == CloudStatus::UsageMismatch).unwrap();
    let gap_truth = bills.truth().iter().find(|t| t.plant == Some("invocation_gap")).unwrap();
    assert_eq!((gap.line.date, gap.line.model.as_deref()), (gap_truth.date, gap_truth.model));
    let billed: i64 = bills
        .truth()
        .iter()
        .filter(|t| {
            (t.date, t.model, t.account_id.as_str(), t.token_type)
                == (gap_truth.date, gap_truth.model, gap_truth.account_id.as_str(), gap_truth.token_type)
        })
        .filter_map(|t| t.quantity)
        .sum();
    assert_eq!(gap.line.quantity, Some(billed), "the bill's side: every row of that day, account, model and class");
    assert!(gap.logged_quantity.unwrap() < billed);
    assert_eq!(rec.findings.len(), 7);
}

#[test]
fn billed_totals_and_skipped_rows_equal_the_ground_truth() {
    let (dir, bills) = bills();
    let d = dir.path();
    let card = RateCard::bundled();
    let bill = CloudBill::read(&p(d, "cur2"), &p(d, "gcp/billing.ndjson"), &card).unwrap();
    let other = bill.other.clone();
    let rec = reconcile_cloud(bill, &card, default_tolerance(), Some(window(&bills)), None).unwrap();
    assert_eq!(rec.outside_window, 0);
    let totals = rec.totals();
    for provider in Provider::ALL {
        let truth: Vec<_> = bills.truth().iter().filter(|t| t.provider == provider.as_str()).collect();
        let usage: rust_decimal::Decimal =
            truth.iter().filter(|t| t.line_item_type == "Usage").map(|t| t.billed_usd).sum();
        let not_usage: rust_decimal::Decimal =
            truth.iter().filter(|t| t.line_item_type != "Usage").map(|t| t.billed_usd).sum();
        let t = &totals[&Some(provider)];
        assert_eq!(t.billed, to_mantissa(usage).unwrap(), "{provider:?} usage billed");
        assert_eq!(t.not_usage, to_mantissa(not_usage).unwrap(), "{provider:?} not usage");
        // The invocation gap's bill row is correct: it is priced and matches like any other.
        let correct = |t: &&&counterfoil::sim::CloudTruthLine| t.plant.is_none() || t.plant == Some("invocation_gap");
        let expected: rust_decimal::Decimal = truth.iter().filter(correct).filter_map(|t| t.expected_usd).sum();
        let ours: i128 = rec
            .lines
            .iter()
            .filter(|l| l.line.provider == provider && l.status == CloudStatus::Match)
            .filter_map(|l| l.expected)
            .sum();
        assert_eq!(
            ours,
            to_mantissa(expected).unwrap(),
            "{provider:?}: the card's list price = the simulator's own price table"
        );
        let (rows, cost) = bills.other()[provider.as_str()];
        assert_eq!((other[&provider].rows, other[&provider].cost), (rows, to_mantissa(cost).unwrap()));
    }
}

#[test]
fn invocation_logs_read_back_to_the_simulators_records() {
    let (dir, bills) = bills();
    let logs = read_invocations(&p(dir.path(), "bedrock-invocations"), &RateCard::bundled()).unwrap();
    assert_eq!(logs.len(), bills.invocations().len());
    assert!(logs.iter().all(|l| l.model.is_some()), "every profile id maps to a card model");
    let sum = |f: fn(&counterfoil::cloud::invocations::Invocation) -> i64| logs.iter().map(f).sum::<i64>();
    assert!(sum(|l| l.input) > 0 && sum(|l| l.output) > 0 && sum(|l| l.cache_write) > 0 && sum(|l| l.cache_read) > 0);
}

#[test]
fn a_parquet_bill_read_in_many_slices_at_once_is_the_bill_read_whole() {
    // Pieces are read on every core at once and added in the file's order; a CUR's in two passes
    // (product and cost first, the rest for the rows that can be Claude). The lines (their
    // sources, which name each row's place in the file, included), the other rows and the files
    // are those of one pass over the whole file by Polars' own Parquet reader, every row decoded.
    let (dir, _) = bills();
    let card = RateCard::bundled();
    let d = dir.path();
    for (cur, gcp) in [(p(d, "cur2"), vec![]), (vec![], p(d, "gcp/billing.parquet"))] {
        let (provider, paths) = if cur.is_empty() { (Provider::GcpVertex, &gcp) } else { (Provider::AwsBedrock, &cur) };
        let mut one_pass = CloudBill::default();
        for path in paths {
            for file in table::data_files(path).unwrap() {
                let keep: &dyn Fn(&str) -> bool = if cur.is_empty() { &|_| true } else { &cur::needed };
                one_pass.read_table(provider, &Table::read(&file, Some(keep)).unwrap(), &card).unwrap();
            }
        }
        one_pass.files.dedup();
        assert!(one_pass.lines.len() > 20, "a bill of a few lines would not test the pieces");
        assert!(one_pass.other[&provider].rows > 0, "a bill of Claude rows only would not test the prefilter");
        for rows in [usize::MAX, 7] {
            let read = CloudBill::read_in_slices(&cur, &gcp, &card, rows).unwrap();
            assert_eq!(
                format!("{:?}", read.lines),
                format!("{:?}", one_pass.lines),
                "{provider:?} in pieces of {rows}"
            );
            assert_eq!(read.other, one_pass.other);
            assert_eq!(read.files, one_pass.files);
        }
    }
}
