//! The same AWS rows as the legacy Cost and Usage Report: a gzip CSV with its `lineItem/UsageType`
//! headers, and its Athena Parquet form with flattened snake_case names (`product_product_name`,
//! `resource_tags_user_team`) under `billing_period=YYYY-MM/` (`reference/cloud-billing.md` §1.1).
//!
//! Every value comes from the CUR 2.0 cells of the row, so the spellings cannot drift apart. The
//! legacy report has no IAM principal, no account names, and no map columns: the product's
//! attributes and each tag key are columns of their own.

use std::path::Path;

use chrono::NaiveDate;

use super::aws::CurRow;
use super::cur_write::{CUR2, by_month, cells, csv_text};
use super::frame::{Cell, columns, write_parquet};
use super::text::{csv_line, gzip, write_file};
use crate::error::Result;

/// Where a legacy column takes its value from.
#[derive(Clone, Copy)]
enum Src {
    Col(&'static str),
    Product(&'static str),
    Tag(&'static str),
}

use Src::{Col, Product, Tag};

/// (legacy CSV header, Athena name, source).
#[rustfmt::skip]
const LEGACY: [(&str, &str, Src); 34] = [
    ("identity/LineItemId", "identity_line_item_id", Col("identity_line_item_id")),
    ("identity/TimeInterval", "identity_time_interval", Col("identity_time_interval")),
    ("bill/InvoiceId", "bill_invoice_id", Col("bill_invoice_id")),
    ("bill/BillingEntity", "bill_billing_entity", Col("bill_billing_entity")),
    ("bill/BillType", "bill_bill_type", Col("bill_bill_type")),
    ("bill/PayerAccountId", "bill_payer_account_id", Col("bill_payer_account_id")),
    ("bill/BillingPeriodStartDate", "bill_billing_period_start_date", Col("bill_billing_period_start_date")),
    ("bill/BillingPeriodEndDate", "bill_billing_period_end_date", Col("bill_billing_period_end_date")),
    ("lineItem/UsageAccountId", "line_item_usage_account_id", Col("line_item_usage_account_id")),
    ("lineItem/LineItemType", "line_item_line_item_type", Col("line_item_line_item_type")),
    ("lineItem/UsageStartDate", "line_item_usage_start_date", Col("line_item_usage_start_date")),
    ("lineItem/UsageEndDate", "line_item_usage_end_date", Col("line_item_usage_end_date")),
    ("lineItem/ProductCode", "line_item_product_code", Col("line_item_product_code")),
    ("lineItem/UsageType", "line_item_usage_type", Col("line_item_usage_type")),
    ("lineItem/Operation", "line_item_operation", Col("line_item_operation")),
    ("lineItem/ResourceId", "line_item_resource_id", Col("line_item_resource_id")),
    ("lineItem/UsageAmount", "line_item_usage_amount", Col("line_item_usage_amount")),
    ("lineItem/CurrencyCode", "line_item_currency_code", Col("line_item_currency_code")),
    ("lineItem/UnblendedRate", "line_item_unblended_rate", Col("line_item_unblended_rate")),
    ("lineItem/UnblendedCost", "line_item_unblended_cost", Col("line_item_unblended_cost")),
    ("lineItem/BlendedCost", "line_item_blended_cost", Col("line_item_blended_cost")),
    ("lineItem/NetUnblendedCost", "line_item_net_unblended_cost", Col("line_item_net_unblended_cost")),
    ("lineItem/LineItemDescription", "line_item_line_item_description", Col("line_item_line_item_description")),
    ("lineItem/LegalEntity", "line_item_legal_entity", Col("line_item_legal_entity")),
    ("product/ProductName", "product_product_name", Product("product_name")),
    ("product/region", "product_region", Product("region")),
    ("product/regionCode", "product_region_code", Col("product_region_code")),
    ("product/servicecode", "product_servicecode", Col("product_servicecode")),
    ("pricing/unit", "pricing_unit", Col("pricing_unit")),
    ("pricing/publicOnDemandCost", "pricing_public_on_demand_cost", Col("pricing_public_on_demand_cost")),
    ("pricing/publicOnDemandRate", "pricing_public_on_demand_rate", Col("pricing_public_on_demand_rate")),
    ("pricing/term", "pricing_term", Col("pricing_term")),
    ("resourceTags/user:team", "resource_tags_user_team", Tag("team")),
    ("resourceTags/user:env", "resource_tags_user_env", Tag("env")),
];

fn pick(cells: &[Cell], src: Src) -> Cell {
    let at = |name: &str| CUR2.iter().position(|c| *c == name).map(|i| &cells[i]);
    let in_map = |map: &str, key: String| match at(map) {
        Some(Cell::Map(m)) => Cell::Text(m.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())),
        _ => Cell::Text(None),
    };
    match src {
        Col(name) => at(name).cloned().unwrap_or(Cell::Text(None)),
        Product(key) => in_map("product", key.to_owned()),
        Tag(key) => in_map("resource_tags", format!("user_{key}")),
    }
}

/// A row's cells in [`LEGACY`] order.
fn legacy_cells(r: &CurRow, end: NaiveDate) -> Result<Vec<Cell>> {
    let cur2 = cells(r, end)?;
    Ok(LEGACY.iter().map(|(_, _, src)| pick(&cur2, *src)).collect())
}

pub(crate) fn write(dir: &Path, rows: &[CurRow], end: NaiveDate) -> Result<()> {
    let mut csv = LEGACY.iter().map(|(h, _, _)| *h).collect::<Vec<_>>().join(",");
    csv.push('\n');
    let athena: Vec<&str> = LEGACY.iter().map(|(_, a, _)| *a).collect();
    for (month, rows) in by_month(rows) {
        let cells = rows.iter().map(|r| legacy_cells(r, end)).collect::<Result<Vec<_>>>()?;
        for row in &cells {
            csv.push_str(&csv_line(&row.iter().map(csv_text).collect::<Vec<_>>()));
        }
        let part = format!("billing_period={}", month.format("%Y-%m"));
        let path = dir.join("legacy-cur-athena").join(part).join("counterfoil-demo-legacy.snappy.parquet");
        write_parquet(&path, columns(&athena, &cells)?)?;
    }
    let path = dir.join("legacy-cur/counterfoil-demo-legacy-00001.csv.gz");
    write_file(&path, &gzip(csv.as_bytes(), &path)?)
}
