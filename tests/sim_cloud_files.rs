//! The simulated cloud bills as files, read back independently with Polars and serde_json: the
//! truth's totals equal the files' costs, every spelling of a row carries the same values,
//! quantities are whole tokens, the directory guard holds, and the CLI writes the same bytes.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::NaiveDate;
use counterfoil::sim::{CloudBills, CloudConfig};
use rust_decimal::Decimal;

mod sim_cloud_read;
use sim_cloud_read::*;

fn config() -> CloudConfig {
    CloudConfig::new(7, 14, NaiveDate::from_ymd_opt(2026, 11, 8).unwrap())
}

/// The bills and the directory they were written to (once per test binary).
fn written() -> &'static (tempfile::TempDir, CloudBills) {
    static W: OnceLock<(tempfile::TempDir, CloudBills)> = OnceLock::new();
    W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let bills = CloudBills::generate(config());
        bills.write_all(dir.path()).unwrap();
        (dir, bills)
    })
}

fn dir() -> &'static Path {
    written().0.path()
}

fn truth() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("truth.json")).unwrap()).unwrap()
}

fn money(v: &serde_json::Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

#[test]
fn truth_totals_equal_the_costs_in_the_files() {
    let t = truth();
    let (mut claude, mut other, mut others) = (Decimal::ZERO, Decimal::ZERO, 0u64);
    for month in ["2026-10", "2026-11"] {
        let df =
            parquet(&dir().join(format!("cur2/data/BILLING_PERIOD={month}/counterfoil-demo-00001.snappy.parquet")));
        let names = map_values(&df, "product", "product_name");
        for (name, cost) in names.iter().zip(floats(&df, "line_item_unblended_cost")) {
            let is_claude =
                name.as_deref().is_some_and(|n| n.starts_with("Claude ") && n.ends_with(" (Amazon Bedrock Edition)"));
            if is_claude { claude += cost.unwrap() } else { (other, others) = (other + cost.unwrap(), others + 1) }
        }
    }
    let aws = &t["totals"]["aws_bedrock"];
    assert_eq!(claude, money(&aws["usage_billed_usd"]) + money(&aws["not_usage_usd"]));
    assert_eq!(
        (others, other),
        (t["other"]["aws_bedrock"]["rows"].as_u64().unwrap(), money(&t["other"]["aws_bedrock"]["cost_usd"]))
    );
    assert!(others > 0 && claude > Decimal::ZERO);

    let df = parquet(&dir().join("gcp/billing.parquet"));
    let services = struct_texts(&df, "service", "description");
    let (mut claude, mut other, mut others) = (Decimal::ZERO, Decimal::ZERO, 0u64);
    for (s, cost) in services.iter().zip(floats(&df, "cost")) {
        if s.as_deref().unwrap().starts_with("Claude ") {
            claude += cost.unwrap()
        } else {
            (other, others) = (other + cost.unwrap(), others + 1)
        }
    }
    let gcp = &t["totals"]["gcp_vertex"];
    assert_eq!(claude, money(&gcp["usage_billed_usd"]) + money(&gcp["not_usage_usd"]));
    assert_eq!(
        (others, other),
        (t["other"]["gcp_vertex"]["rows"].as_u64().unwrap(), money(&t["other"]["gcp_vertex"]["cost_usd"]))
    );
    // The truth's own lines add up to its totals.
    let sum = |p: &str| {
        t["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["provider"] == p)
            .map(|l| money(&l["billed_usd"]))
            .sum::<Decimal>()
    };
    assert_eq!(sum("gcp_vertex"), claude);
}

#[test]
fn every_aws_spelling_carries_the_same_values() {
    let legacy = csv_strings(&gunzip(&dir().join("legacy-cur/counterfoil-demo-legacy-00001.csv.gz")));
    let mut offset = 0;
    for month in ["2026-10", "2026-11"] {
        let part = format!("BILLING_PERIOD={month}");
        let pq = parquet(&dir().join("cur2/data").join(&part).join("counterfoil-demo-00001.snappy.parquet"));
        let csv = csv_strings(&gunzip(&dir().join("cur2-csv/data").join(&part).join("counterfoil-demo-00001.csv.gz")));
        let athena = parquet(
            &dir().join(format!("legacy-cur-athena/billing_period={month}/counterfoil-demo-legacy.snappy.parquet")),
        );
        let n = pq.height();
        let leg = legacy.slice(offset as i64, n);
        offset += n;
        assert_eq!((csv.height(), athena.height()), (n, n));
        let same = |a: Vec<Option<String>>, b: Vec<Option<String>>, what: &str| assert_eq!(a, b, "{month} {what}");
        same(texts(&pq, "identity_line_item_id"), texts(&csv, "identity_line_item_id"), "line item id");
        same(texts(&pq, "identity_line_item_id"), texts(&leg, "identity/LineItemId"), "legacy id");
        same(texts(&pq, "identity_line_item_id"), texts(&athena, "identity_line_item_id"), "athena id");
        for (cur2, legacy_name) in [
            ("line_item_usage_type", "lineItem/UsageType"),
            ("line_item_line_item_type", "lineItem/LineItemType"),
            ("line_item_unblended_rate", "lineItem/UnblendedRate"),
            ("line_item_usage_account_id", "lineItem/UsageAccountId"),
        ] {
            same(texts(&pq, cur2), texts(&csv, cur2), cur2);
            same(texts(&pq, cur2), texts(&leg, legacy_name), legacy_name);
            same(texts(&pq, cur2), texts(&athena, cur2), cur2);
        }
        for (cur2, legacy_name) in [
            ("line_item_usage_amount", "lineItem/UsageAmount"),
            ("line_item_unblended_cost", "lineItem/UnblendedCost"),
            ("pricing_public_on_demand_cost", "pricing/publicOnDemandCost"),
        ] {
            let numbers = float_texts(&pq, cur2);
            same(numbers.clone(), texts(&csv, cur2), cur2);
            same(numbers.clone(), texts(&leg, legacy_name), legacy_name);
            same(numbers, float_texts(&athena, cur2), cur2);
        }
        same(time_texts(&pq, "line_item_usage_start_date"), texts(&csv, "line_item_usage_start_date"), "start");
        same(time_texts(&pq, "line_item_usage_start_date"), texts(&leg, "lineItem/UsageStartDate"), "legacy start");
        let product = map_values(&pq, "product", "product_name");
        same(product.clone(), json_values(&csv, "product", "product_name"), "product");
        same(product.clone(), texts(&leg, "product/ProductName"), "legacy product");
        same(product, texts(&athena, "product_product_name"), "athena product");
        let team = map_values(&pq, "resource_tags", "user_team");
        assert!(team.iter().any(Option::is_some));
        same(team.clone(), json_values(&csv, "resource_tags", "user_team"), "tags");
        same(team.clone(), texts(&leg, "resourceTags/user:team"), "legacy tags");
        same(team, texts(&athena, "resource_tags_user_team"), "athena tags");
    }
    assert_eq!(offset, legacy.height());
}

#[test]
fn every_gcp_spelling_carries_the_same_values() {
    let pq = parquet(&dir().join("gcp/billing.parquet"));
    let csv = csv_strings(&std::fs::read(dir().join("gcp/billing.csv")).unwrap());
    let json: Vec<serde_json::Value> = std::fs::read_to_string(dir().join("gcp/billing.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!((csv.height(), json.len()), (pq.height(), pq.height()));
    let field = |path: &str| json.iter().map(|r| json_text(r.pointer(path).unwrap())).collect::<Vec<_>>();
    for (record, f, flat) in [
        ("sku", "description", "sku_description"),
        ("location", "region", "location_region"),
        ("project", "id", "project_id"),
    ] {
        assert_eq!(struct_texts(&pq, record, f), texts(&csv, flat), "{flat}");
        assert_eq!(struct_texts(&pq, record, f), field(&format!("/{record}/{f}")), "{flat}");
    }
    for (record, f, flat) in
        [("usage", "amount", "usage_amount"), ("usage", "amount_in_pricing_units", "usage_amount_in_pricing_units")]
    {
        assert_eq!(struct_float_texts(&pq, record, f), texts(&csv, flat), "{flat}");
        assert_eq!(struct_float_texts(&pq, record, f), field(&format!("/{record}/{f}")), "{flat}");
    }
    assert_eq!(float_texts(&pq, "cost"), texts(&csv, "cost"));
    assert_eq!(float_texts(&pq, "cost"), field("/cost"));
    assert_eq!(texts(&pq, "cost_type"), texts(&csv, "cost_type"));
    let starts: Vec<_> = time_texts(&pq, "usage_start_time")
        .into_iter()
        .map(|t| t.map(|t| t.replace('T', " ").replace('Z', " UTC")))
        .collect();
    assert_eq!(starts, texts(&csv, "usage_start_time"));
    assert_eq!(starts, field("/usage_start_time"));
    let labels: Vec<_> = json.iter().map(|r| Some(r["labels"].to_string())).collect();
    assert_eq!(labels, texts(&csv, "labels"));
    let descriptions = struct_texts(&pq, "sku", "description");
    assert!(descriptions.iter().flatten().any(|d| d == "Claude Opus 4 8 — Input Cache Write Tokens (TTL 3600 seconds) — us-east5 — Context Window Size from 200001 to 1000000 Tokens"));
}

#[test]
fn quantities_are_whole_tokens_and_match_the_truth() {
    let bills = &written().1;
    let mut aws = bills.truth().iter().filter(|l| l.provider == "aws_bedrock");
    let million = Decimal::from(1_000_000);
    for month in ["2026-10", "2026-11"] {
        let df =
            parquet(&dir().join(format!("cur2/data/BILLING_PERIOD={month}/counterfoil-demo-00001.snappy.parquet")));
        let names = map_values(&df, "product", "product_name");
        let (amounts, costs) = (floats(&df, "line_item_usage_amount"), floats(&df, "line_item_unblended_cost"));
        for i in (0..df.height()).filter(|i| names[*i].as_deref().is_some_and(|n| n.starts_with("Claude "))) {
            let line = aws.next().unwrap();
            assert_eq!(Some(costs[i].unwrap()), Some(line.billed_usd));
            let tokens = amounts[i].map(|a| a * million);
            assert!(tokens.is_none_or(|t| t.fract().is_zero()), "{tokens:?}");
            assert_eq!(tokens.map(|t| i64::try_from(t).unwrap()), line.quantity, "{line:?}");
        }
    }
    assert!(aws.next().is_none());
    let df = parquet(&dir().join("gcp/billing.parquet"));
    let services = struct_texts(&df, "service", "description");
    let (amounts, mtok) =
        (struct_floats(&df, "usage", "amount"), struct_floats(&df, "usage", "amount_in_pricing_units"));
    let mut gcp = bills.truth().iter().filter(|l| l.provider == "gcp_vertex");
    for i in (0..df.height()).filter(|i| services[*i].as_deref().unwrap().starts_with("Claude ")) {
        let line = gcp.next().unwrap();
        assert!(amounts[i].is_none_or(|a| a.fract().is_zero()));
        assert_eq!(amounts[i].map(|a| i64::try_from(a).unwrap()), line.quantity);
        assert_eq!(mtok[i].map(|m| m * million), amounts[i]);
    }
    assert!(gcp.next().is_none());
}

#[test]
fn invocation_log_files_hold_every_record() {
    let mut files = Vec::new();
    walk(&dir().join("bedrock-invocations"), &mut files);
    let mut records = Vec::new();
    for f in &files {
        assert!(f.to_string_lossy().ends_with(".json.gz"));
        let text = String::from_utf8(gunzip(f)).unwrap();
        records.extend(text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()));
    }
    let bills = &written().1;
    assert_eq!(records.len(), bills.invocations().len());
    let sum = |p: &str| records.iter().map(|r| r.pointer(p).unwrap().as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("/output/outputTokenCount"), bills.invocations().iter().map(|r| r.output_tokens).sum::<i64>());
    assert_eq!(
        sum("/input/cacheWriteInputTokenCount"),
        bills.invocations().iter().map(|r| r.cache_write_input_tokens).sum::<i64>()
    );
    let prefixes: BTreeSet<_> =
        records.iter().map(|r| r["modelId"].as_str().unwrap().split('.').next().unwrap().to_owned()).collect();
    assert_eq!(prefixes, ["anthropic", "eu", "global", "us"].map(String::from).into());
    assert!(
        records.iter().all(|r| r["schemaType"] == "ModelInvocationLog"
            && r["identity"]["arn"].as_str().unwrap().starts_with("arn:aws:"))
    );
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { walk(&p, out) } else { out.push(p) }
    }
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut out).unwrap();
    out
}
