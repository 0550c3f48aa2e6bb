//! Hand-written cloud bill rows in the reference's spellings (`cloud-billing.md` §1.2, §1.3,
//! §3.1, §3.2), each written as CUR 2.0 CSV, legacy CUR CSV, GCP NDJSON and flattened GCP CSV.
//! Expected values are worked out by hand in the tests that use them.

use std::io::Write;
use std::path::Path;

/// One AWS row: (usage type, product name, amount, cost, line item type, region, team tag).
pub struct AwsRow {
    pub usage_type: &'static str,
    pub product: &'static str,
    pub amount: &'static str,
    pub cost: &'static str,
    pub kind: &'static str,
    pub region: &'static str,
    pub team: &'static str,
}

pub const AWS_DAY: &str = "2026-11-03";

const fn aws(
    usage_type: &'static str,
    product: &'static str,
    amount: &'static str,
    cost: &'static str,
    kind: &'static str,
    region: &'static str,
) -> AwsRow {
    AwsRow { usage_type, product, amount, cost, kind, region, team: "ml" }
}

pub const SONNET46: &str = "Claude Sonnet 4.6 (Amazon Bedrock Edition)";
pub const HAIKU45: &str = "Claude Haiku 4.5 (Amazon Bedrock Edition)";
pub const OPUS48: &str = "Claude Opus 4.8 (Amazon Bedrock Edition)";
pub const OPUS5: &str = "Claude Opus 5 (Amazon Bedrock Edition)";
pub const SONNET5: &str = "Claude Sonnet 5 (Amazon Bedrock Edition)";

/// Twelve rows; the tests say what each must become.
pub fn aws_rows() -> Vec<AwsRow> {
    vec![
        aws("USE1-MP:USE1_InputTokenCount-Units", SONNET46, "2.5", "8.25", "Usage", "us-east-1"),
        aws("USE1-MP:USE1_OutputTokenCount_Global-Units", SONNET46, "0.1234", "1.851", "Usage", "us-east-1"),
        aws("USW2-MP:USW2_CacheWriteInputTokenCount-Units", HAIKU45, "0.8", "1.1", "Usage", "us-west-2"),
        aws("USW2-MP:USW2_CacheWrite1hInputTokenCount-Units", HAIKU45, "0.4", "0.55", "Usage", "us-west-2"),
        aws("USE1-MP:USE1_input_tokens_standard-Units", OPUS48, "1", "5", "Usage", "us-east-1"),
        aws("USE1-MP:USE1_cache_read_tokens_global_standard-Units", OPUS5, "2", "0.2", "Usage", "us-east-1"),
        aws("USE1-MP:USE1_cache_read_tokens_standard-Units", OPUS5, "2", "1.1", "Usage", "us-east-1"),
        aws("USE1-MP:USE1_CacheStorage-Units", SONNET46, "3", "0.3", "Usage", "us-east-1"),
        aws(
            "USE1-MP:USE1_input_tokens_standard-Units",
            "Claude Nova 9 (Amazon Bedrock Edition)",
            "1",
            "9",
            "Usage",
            "us-east-1",
        ),
        aws("USE1-MP:USE1_InputTokenCount-Units", SONNET46, "", "0.83", "Tax", "us-east-1"),
        aws("USE1-BoxUsage:m5.large", "Amazon Elastic Compute Cloud", "10", "12.34", "Usage", "us-east-1"),
        aws("USE1-MP:USE1_input_tokens_global_batch-Units", SONNET5, "4", "4", "Usage", "us-east-1"),
    ]
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>], gzip: bool) {
    let mut text = header.join(",") + "\n";
    for r in rows {
        text += &(r.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(",") + "\n");
    }
    let bytes = if gzip {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    } else {
        text.into_bytes()
    };
    std::fs::write(path, bytes).unwrap();
}

fn aws_cells(r: &AwsRow) -> Vec<String> {
    vec![
        "999988887777".into(),
        "111122223333".into(),
        r.kind.into(),
        format!("{AWS_DAY}T04:00:00Z"),
        format!("{AWS_DAY}T05:00:00Z"),
        r.usage_type.into(),
        r.amount.into(),
        r.cost.into(),
        "USD".into(),
        if r.product.starts_with("Claude") { "Units".into() } else { "Hrs".into() },
    ]
}

/// CUR 2.0 as CSV: snake_case columns, `product` and `resource_tags` maps as JSON text.
pub fn write_cur2_csv(path: &Path, rows: &[AwsRow], gzip: bool) {
    let header = [
        "bill_payer_account_id",
        "line_item_usage_account_id",
        "line_item_line_item_type",
        "line_item_usage_start_date",
        "line_item_usage_end_date",
        "line_item_usage_type",
        "line_item_usage_amount",
        "line_item_unblended_cost",
        "line_item_currency_code",
        "pricing_unit",
        "product",
        "resource_tags",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c = aws_cells(r);
            c.push(serde_json::json!({"product_name": r.product, "region": r.region}).to_string());
            c.push(serde_json::json!({"user_team": r.team}).to_string());
            c
        })
        .collect();
    write_csv(path, &header, &cells, gzip);
}

/// The legacy CUR's CSV headers.
pub fn write_legacy_csv(path: &Path, rows: &[AwsRow]) {
    let header = [
        "bill/PayerAccountId",
        "lineItem/UsageAccountId",
        "lineItem/LineItemType",
        "lineItem/UsageStartDate",
        "lineItem/UsageEndDate",
        "lineItem/UsageType",
        "lineItem/UsageAmount",
        "lineItem/UnblendedCost",
        "lineItem/CurrencyCode",
        "pricing/unit",
        "product/ProductName",
        "product/region",
        "resourceTags/user:team",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c = aws_cells(r);
            c.extend([r.product.to_string(), r.region.to_string(), r.team.to_string()]);
            c
        })
        .collect();
    write_csv(path, &header, &cells, false);
}

/// One Google row: (service, SKU description, location, tokens, cost, cost type, credits).
pub struct GcpRow {
    pub service: &'static str,
    pub sku: &'static str,
    pub region: &'static str,
    pub amount: &'static str,
    pub cost: &'static str,
    pub cost_type: &'static str,
    pub credit: Option<&'static str>,
}

pub const GCP_DAY: &str = "2026-11-04";

pub fn gcp_rows() -> Vec<GcpRow> {
    let row = |service, sku, region, amount, cost, cost_type| GcpRow {
        service,
        sku,
        region,
        amount,
        cost,
        cost_type,
        credit: None,
    };
    vec![
        row(
            "Claude Sonnet 4.6",
            "Claude Sonnet 4.6 — Input Tokens — global — Context Window Size from 0 to 200000 Tokens",
            "global",
            "1000000",
            "3",
            "regular",
        ),
        row(
            "Claude Opus 4.8",
            "Claude Opus 4 8 — Input Cache Write Tokens (TTL 3600 seconds) — us-east5 — Context Window Size from 0 to 200000 Tokens",
            "us-east5",
            "500000",
            "5.5",
            "regular",
        ),
        row(
            "Claude Haiku 4.5",
            "Claude Haiku 4.5 — Input Cache Read Tokens — global — Context Window Size from 0 to 200000 Tokens",
            "global",
            "2000000",
            "0.22",
            "regular",
        ),
        row(
            "Claude Sonnet 4.6",
            "Claude Sonnet 4.6 — Output Tokens — europe-west1 — Context Window Size from 0 to 200000 Tokens",
            "europe-west1",
            "100000",
            "1.98",
            "regular",
        ),
        row("Claude Sonnet 4.6", "Tax", "global", "", "0.5", "tax"),
        row("BigQuery", "Analysis", "US", "1", "2.5", "regular"),
        GcpRow {
            credit: Some("-1"),
            ..row(
                "Claude Sonnet 4.6",
                "Claude Sonnet 4.6 — Input Tokens — global — Context Window Size from 0 to 200000 Tokens",
                "global",
                "1000000",
                "3",
                "regular",
            )
        },
    ]
}

/// The nested NDJSON a BigQuery extract writes (timestamps as `… UTC`).
pub fn write_gcp_ndjson(path: &Path, rows: &[GcpRow]) {
    let mut text = String::new();
    for (i, r) in rows.iter().enumerate() {
        let amount: Option<f64> = r.amount.parse().ok();
        let v = serde_json::json!({
            "billing_account_id": "0A1B2C-3D4E5F-678901",
            "service": {"id": format!("SVC-{i}"), "description": r.service},
            "sku": {"id": format!("SKU-{i}"), "description": r.sku},
            "usage_start_time": format!("{GCP_DAY} 10:00:00 UTC"),
            "usage_end_time": format!("{GCP_DAY} 11:00:00 UTC"),
            "project": {"id": "ml-prod", "number": "123456789012", "name": "ML prod"},
            "labels": [{"key": "team", "value": "ml"}],
            "location": {"location": r.region, "region": r.region},
            "cost": r.cost.parse::<f64>().unwrap(),
            "currency": "USD",
            "usage": {"amount": amount, "unit": "count", "amount_in_pricing_units": amount.map(|a| a / 1e6), "pricing_unit": "1000000 count"},
            "credits": r.credit.map(|c| vec![serde_json::json!({"name": "Promo", "amount": c.parse::<f64>().unwrap(), "type": "PROMOTION"})]).unwrap_or_default(),
            "invoice": {"month": "202611"},
            "cost_type": r.cost_type,
        });
        text += &(v.to_string() + "\n");
    }
    std::fs::write(path, text).unwrap();
}

/// A flattened CSV (`service_description`, …), as a query over the export would write.
pub fn write_gcp_csv(path: &Path, rows: &[GcpRow]) {
    let header = [
        "billing_account_id",
        "service_description",
        "sku_id",
        "sku_description",
        "usage_start_time",
        "usage_end_time",
        "project_id",
        "labels",
        "location_region",
        "cost",
        "currency",
        "usage_amount",
        "usage_unit",
        "credits_amount",
        "cost_type",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                "0A1B2C-3D4E5F-678901".into(),
                r.service.into(),
                format!("SKU-{i}"),
                r.sku.into(),
                format!("{GCP_DAY} 10:00:00 UTC"),
                format!("{GCP_DAY} 11:00:00 UTC"),
                "ml-prod".into(),
                r#"{"team":"ml"}"#.into(),
                r.region.into(),
                r.cost.into(),
                "USD".into(),
                r.amount.into(),
                "count".into(),
                r.credit.unwrap_or("").into(),
                r.cost_type.into(),
            ]
        })
        .collect();
    write_csv(path, &header, &cells, false);
}
