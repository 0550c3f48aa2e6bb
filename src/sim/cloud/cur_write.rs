//! The AWS Data Exports CUR 2.0 files: one per billing month, as Snappy Parquet under
//! `cur2/data/BILLING_PERIOD=YYYY-MM/` and as gzip CSV under `cur2-csv/data/BILLING_PERIOD=…/`
//! (`reference/cloud-billing.md` §1.1–1.2).
//!
//! The CSV writes timestamps as `2026-11-03T04:00:00Z`, doubles as their shortest round-trip text
//! and map columns as JSON objects; the Parquet keeps timestamps as timestamp[us, UTC].

use std::path::Path;

use chrono::NaiveDate;

use super::aws::{CurRow, period_start};
use super::frame::{Cell, columns, opt, t, write_parquet};
use super::text::{bill_float, csv_line, decimal_text, float_text, gzip, iso_z, json_map, write_file};
use super::traffic::{AWS_ACCOUNTS, AWS_PAYER};
use crate::error::Result;

/// The CUR 2.0 columns written, in order.
pub(crate) const CUR2: [&str; 35] = [
    "bill_billing_entity",
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "bill_invoice_id",
    "bill_payer_account_id",
    "bill_payer_account_name",
    "identity_line_item_id",
    "identity_time_interval",
    "line_item_usage_account_id",
    "line_item_usage_account_name",
    "line_item_line_item_type",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_product_code",
    "line_item_usage_type",
    "line_item_operation",
    "line_item_resource_id",
    "line_item_usage_amount",
    "line_item_unblended_rate",
    "line_item_unblended_cost",
    "line_item_net_unblended_cost",
    "line_item_blended_cost",
    "line_item_currency_code",
    "line_item_legal_entity",
    "line_item_line_item_description",
    "line_item_iam_principal",
    "pricing_unit",
    "pricing_public_on_demand_cost",
    "pricing_public_on_demand_rate",
    "pricing_term",
    "product",
    "product_region_code",
    "product_servicecode",
    "resource_tags",
    "bill_bill_type",
];

fn money(d: rust_decimal::Decimal, what: &str) -> Result<Cell> {
    Ok(Cell::Float(Some(bill_float(d, what)?)))
}

/// A row's cells in [`CUR2`] order; `end` is the window's end (the simulated "today").
pub(crate) fn cells(r: &CurRow, end: NaiveDate) -> Result<Vec<Cell>> {
    let period = period_start(r.start);
    let next = period.checked_add_months(chrono::Months::new(1)).expect("months stay in range");
    let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    let what = format!("AWS row {}", r.line_item_id);
    let account = &AWS_ACCOUNTS[r.account];
    let amount = r.usage_amount.map(|a| bill_float(a, &what)).transpose()?;
    let on_demand = match r.claude.as_ref().map(|f| f.line_item_type) {
        Some("Usage") | None => Some(bill_float(r.cost, &what)?),
        _ => None,
    };
    let mut product = vec![("product_name".to_owned(), r.product_name.to_owned())];
    if let Some(region) = r.region {
        product.push(("region".into(), region.into()));
    }
    product.push(("servicecode".into(), r.servicecode.into()));
    let tags = r.tags.iter().map(|(k, v)| (format!("user_{k}"), (*v).to_owned())).collect();
    Ok(vec![
        t(r.billing_entity),
        Cell::Time(midnight(period)),
        Cell::Time(midnight(next)),
        opt(invoice_id(period, end, r.billing_entity)),
        t(AWS_PAYER.0),
        t(AWS_PAYER.1),
        t(r.line_item_id.clone()),
        t(format!("{}/{}", iso_z(r.start), iso_z(r.end))),
        t(account.id),
        t(account.name),
        t(r.line_item_type),
        Cell::Time(r.start),
        Cell::Time(r.end),
        t(r.product_code),
        opt(r.usage_type.clone()),
        opt(r.operation),
        opt(r.resource_id.clone()),
        Cell::Float(amount),
        opt(r.rate.map(decimal_text)),
        money(r.cost, &what)?,
        money(r.cost, &what)?,
        money(r.cost, &what)?,
        t("USD"),
        t(r.legal_entity),
        t(r.description.clone()),
        opt(r.principal.clone()),
        opt(r.pricing_unit),
        Cell::Float(on_demand),
        opt(r.rate.map(decimal_text)),
        opt((r.line_item_type == "Usage").then_some("OnDemand")),
        Cell::Map(product),
        opt(r.region),
        t(r.servicecode),
        Cell::Map(tags),
        t("Anniversary"),
    ])
}

/// Blank until the bill is final: here, three days after the month ended (per billing entity:
/// AWS and AWS Marketplace invoice apart).
fn invoice_id(period: NaiveDate, end: NaiveDate, entity: &str) -> Option<String> {
    let next = period.checked_add_months(chrono::Months::new(1))?;
    let code = if entity == "AWS" { "01" } else { "07" };
    (next + chrono::Duration::days(3) <= end).then(|| format!("{}{}{code}", AWS_PAYER.0, period.format("%Y%m")))
}

/// The rows of each billing month, in file order.
pub(crate) fn by_month(rows: &[CurRow]) -> Vec<(chrono::NaiveDate, Vec<&CurRow>)> {
    let mut months: Vec<(chrono::NaiveDate, Vec<&CurRow>)> = Vec::new();
    for r in rows {
        let m = period_start(r.start);
        match months.iter_mut().find(|(k, _)| *k == m) {
            Some((_, v)) => v.push(r),
            None => months.push((m, vec![r])),
        }
    }
    months.sort_by_key(|(m, _)| *m);
    months
}

/// One cell as CUR 2.0 CSV text.
pub(crate) fn csv_text(c: &Cell) -> Option<String> {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Float(f) => f.map(float_text),
        Cell::Time(t) => Some(iso_z(*t)),
        Cell::Map(m) => Some(json_map(m)),
    }
}

pub(crate) fn write(dir: &Path, rows: &[CurRow], end: NaiveDate) -> Result<()> {
    for (month, rows) in by_month(rows) {
        let cells = rows.iter().map(|r| cells(r, end)).collect::<Result<Vec<_>>>()?;
        let part = format!("BILLING_PERIOD={}", month.format("%Y-%m"));
        let parquet = dir.join("cur2/data").join(&part).join("counterfoil-demo-00001.snappy.parquet");
        write_parquet(&parquet, columns(&CUR2, &cells)?)?;
        let mut csv = CUR2.join(",");
        csv.push('\n');
        for row in &cells {
            csv.push_str(&csv_line(&row.iter().map(csv_text).collect::<Vec<_>>()));
        }
        let path = dir.join("cur2-csv/data").join(&part).join("counterfoil-demo-00001.csv.gz");
        write_file(&path, &gzip(csv.as_bytes(), &path)?)?;
    }
    Ok(())
}
