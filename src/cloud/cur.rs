//! AWS Cost and Usage Reports → `cloud_lines`: CUR 2.0 (Data Exports) and the legacy CUR, in any
//! of their files (Parquet, CSV, gzip CSV, the legacy CSV headers or their Athena snake_case).
//!
//! Column names meet on the CUR 2.0 spelling (`table::normalise_name`); the product name comes
//! from CUR 2.0's `product` map or the legacy `product/ProductName` column. Only rows whose product
//! is `Claude … (Amazon Bedrock Edition)` are lines (plus the blog's native `…-Claude4.6Sonnet-…`
//! usage types); every other row is counted and its cost summed into `other`. Quantities: a
//! Bedrock Marketplace unit (`Units`) is one million tokens (reference §1.4), multiplied exactly;
//! an amount that is not a whole number of tokens, or a unit we do not know, on a token line is
//! refused naming the row — a bill we cannot read exactly is not reconciled.

use super::columns::{self, Product};
use super::kind::bedrock_usage_type;
use super::lines::CloudLine;
use super::maps;
use super::table::Table;
use super::{Other, Read, models};
use crate::error::{Error, Result};
use crate::rates::RateCard;
use crate::rates::cloud::Provider;

/// Columns a CUR must have (CUR 2.0 spelling; the legacy header in the message).
const REQUIRED: [(&str, &str); 4] = [
    ("line_item_unblended_cost", "lineItem/UnblendedCost"),
    ("line_item_usage_start_date", "lineItem/UsageStartDate"),
    ("line_item_usage_type", "lineItem/UsageType"),
    ("line_item_line_item_type", "lineItem/LineItemType"),
];

/// The columns this reader uses (normalised names); a Parquet CUR is read with these only.
pub fn needed(name: &str) -> bool {
    const USED: [&str; 20] = [
        "bill_payer_account_id",
        "bill_billing_entity",
        "line_item_usage_account_id",
        "line_item_line_item_type",
        "line_item_usage_start_date",
        "line_item_usage_end_date",
        "line_item_usage_type",
        "line_item_usage_amount",
        "line_item_unblended_cost",
        "line_item_currency_code",
        "line_item_iam_principal",
        "line_item_resource_id",
        "line_item_product_code",
        "pricing_unit",
        "pricing_public_on_demand_cost",
        "product",
        "product_product_name",
        "product_region",
        "product_region_code",
        "resource_tags",
    ];
    USED.contains(&name) || name.starts_with("resource_tags_")
}

/// The columns that decide whether a row of a Parquet CUR can be a line: read first, for every row.
pub fn decides(name: &str) -> bool {
    matches!(name, "product" | "product_product_name" | "line_item_unblended_cost")
}

/// Which rows of a Parquet CUR piece can be lines — a Claude product, or none named (a native
/// usage type is looked at in [`read`]) — and the count and cost of the others. `None` (read
/// every row) when the columns that decide are not there: [`read`] then says what is missing.
pub fn prefilter(first: &Table) -> Result<Option<(Vec<bool>, Other)>> {
    if !first.has("line_item_unblended_cost") || first.pick(&["product_product_name", "product"]).is_none() {
        return Ok(None);
    }
    let keep: Vec<bool> = columns::products(first)?.iter().map(|p| *p != Product::Other).collect();
    let other: Vec<u32> = (0..keep.len() as u32).filter(|&i| !keep[i as usize]).collect();
    let cost = columns::money_sum(first, "line_item_unblended_cost", &other)?;
    Ok(Some((keep, Other { rows: other.len() as u64, cost })))
}

/// The Claude lines of one CUR file.
pub fn read(table: &Table, card: &RateCard) -> Result<Read> {
    let file = &table.file;
    if !table.frame.get_column_names().iter().any(|c| c.starts_with("line_item_")) {
        // (A Parquet file is read with the needed columns only, so a GCP export arrives empty.)
        return Err(Error::input_hint(
            format!("{file}: not an AWS Cost and Usage Report (no line_item_* / lineItem/* columns)"),
            "--cur takes CUR 2.0 or legacy CUR files; a Google Cloud billing export goes to --gcp",
        ));
    }
    for (name, legacy) in REQUIRED {
        if !table.has(name) {
            return Err(Error::input_hint(
                format!("{file}: this CUR has no {name} column ({legacy} in the legacy CUR)"),
                "export the CUR with its standard columns; counterfoil reads the bill's own cost, it does not estimate it",
            ));
        }
    }
    let products = columns::products(table)?;
    // The blog's native `…-Claude4.6Sonnet-…` usage types carry no product name: only rows
    // without one are looked at by usage type.
    let absent: Vec<u32> = (0..table.height() as u32).filter(|&i| products[i as usize] == Product::Absent).collect();
    let absent_types = columns::texts_any(table, &["line_item_usage_type"], &absent)?;
    let native: std::collections::HashSet<u32> = absent
        .iter()
        .zip(&absent_types)
        .filter(|(_, u)| u.as_deref().is_some_and(|u| u.contains("-Claude") && !u.contains("MP:")))
        .map(|(i, _)| *i)
        .collect();
    let (mut claude, mut other) = (vec![], vec![]);
    for (i, p) in products.iter().enumerate() {
        let i = i as u32;
        if matches!(p, Product::Claude(_)) || native.contains(&i) { claude.push(i) } else { other.push(i) }
    }
    let mut read = Read { other_rows: other.len() as u64, ..Read::default() };
    read.other_cost = columns::money_sum(table, "line_item_unblended_cost", &other)?;
    let product: Vec<Option<String>> = claude
        .iter()
        .map(|&i| match &products[i as usize] {
            Product::Claude(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    let mut usage_type = columns::texts_any(table, &["line_item_usage_type"], &claude)?;
    let cost = columns::moneys(table, "line_item_unblended_cost", &claude)?;
    let list = columns::moneys(table, "pricing_public_on_demand_cost", &claude)?;
    let get = |names: &[&str]| columns::texts_any(table, names, &claude);
    let (mut lit, amount, unit) =
        (get(&["line_item_line_item_type"])?, get(&["line_item_usage_amount"])?, get(&["pricing_unit"])?);
    let start = columns::instants(table, "line_item_usage_start_date", &claude)?;
    let end = columns::instants(table, "line_item_usage_end_date", &claude)?;
    let (mut account, mut payer) = (get(&["line_item_usage_account_id"])?, get(&["bill_payer_account_id"])?);
    let currency = get(&["line_item_currency_code"])?;
    let (mut principal, mut resource_id) = (get(&["line_item_iam_principal"])?, get(&["line_item_resource_id"])?);
    let mut region = match maps::values(table, "product", "region", &claude)? {
        Some(r) => r,
        None => get(&["product_region_code", "product_region"])?,
    };
    let mut tags = tags_of(table, &claude)?;
    let mut models: std::collections::HashMap<String, Option<String>> = std::collections::HashMap::new();
    for (k, &row) in claude.iter().enumerate() {
        let r = row as usize;
        let at = |col: &str| format!("{file} row {} ({col})", table.row_number(r));
        if let Some(c) = currency[k].as_deref().filter(|c| *c != "USD") {
            return Err(Error::input(format!(
                "{}: the bill is in {c}; counterfoil reconciles USD bills",
                at("line_item_currency_code")
            )));
        }
        let start_at = start[k]
            .ok_or_else(|| Error::input(format!("{}: not a UTC timestamp", at("line_item_usage_start_date"))))?;
        let billed = cost[k].ok_or_else(|| Error::input(format!("{}: empty", at("line_item_unblended_cost"))))?;
        let list = list[k];
        let model = match product[k].as_deref() {
            Some(p) => match models.get(p) {
                Some(m) => m.clone(),
                None => models.entry(p.to_string()).or_insert_with(|| models::from_display_name(card, p)).clone(),
            },
            None => None,
        };
        let ut = usage_type[k].take();
        let line_item_type = lit[k].take().unwrap_or_else(|| "Usage".into());
        let mut line = CloudLine {
            provider: Provider::AwsBedrock,
            account_id: account[k].take(),
            billing_account_id: payer[k].take(),
            date: start_at.date_naive(),
            usage_start: start_at,
            usage_end: end[k],
            region: region[k].take().or_else(|| region_of(ut.as_deref())),
            scope: None,
            model,
            service_tier: None,
            context_window: None,
            token_type: None,
            quantity: None,
            billed,
            list,
            line_item_type,
            usage_type: ut.clone(),
            sku_id: resource_id[k].take(),
            sku_description: None,
            principal: principal[k].take(),
            tags: tags[k].take(),
            product: product[k].clone(),
            source: format!("{file}:{}", table.row_number(r)),
        };
        if line.is_usage() {
            let kind = ut.as_deref().and_then(bedrock_usage_type);
            let per_unit = tokens_per_unit(unit[k].as_deref());
            if let Some(kind) = &kind {
                line.token_type = Some(kind.token_type);
                line.scope = kind.scope;
                line.service_tier = Some(kind.service_tier.into());
                line.context_window = Some(kind.context_window.into());
                let per_unit = per_unit.ok_or_else(|| {
                    Error::input(format!(
                        "{}: unit {:?} is not a token unit counterfoil knows",
                        at("pricing_unit"),
                        unit[k]
                    ))
                })?;
                let amount = amount[k]
                    .as_deref()
                    .ok_or_else(|| Error::input(format!("{}: empty", at("line_item_usage_amount"))))?;
                line.quantity = Some(super::quantity::tokens(amount, per_unit, &|| at("line_item_usage_amount"))?);
            } else if let (Some(per), Some(a)) = (per_unit, amount[k].as_deref()) {
                line.quantity = super::quantity::tokens(a, per, &|| at("line_item_usage_amount")).ok();
            }
        }
        read.lines.push(line);
    }
    Ok(read)
}

/// Tokens per unit of `pricing_unit`: Marketplace `Units` are millions of tokens (reference §1.4).
fn tokens_per_unit(unit: Option<&str>) -> Option<i64> {
    let u = unit?.trim().to_ascii_lowercase();
    match u.as_str() {
        "units" | "unit" | "million tokens" | "mtok" | "1m tokens" | "1000000 tokens" => Some(1_000_000),
        "1000 tokens" | "k tokens" => Some(1_000),
        "tokens" | "token" | "count" => Some(1),
        _ => None,
    }
}

/// The region a bill prefix names (`USE1-MP:…` → us-east-1), for rows without a product region.
fn region_of(usage_type: Option<&str>) -> Option<String> {
    let prefix = usage_type?.split(['-', ':']).next()?;
    let region = match prefix {
        "USE1" => "us-east-1",
        "USE2" => "us-east-2",
        "USW1" => "us-west-1",
        "USW2" => "us-west-2",
        "APN1" => "ap-northeast-1",
        "APS3" => "ap-south-1",
        "EU" => "eu-west-1",
        "EUC1" => "eu-central-1",
        _ => return None,
    };
    Some(region.into())
}

/// Resource tags as a JSON object: CUR 2.0's `resource_tags` map, or the legacy CUR's
/// `resourceTags/user:team` columns (keys as CUR 2.0 spells them, `user_team`).
fn tags_of(table: &Table, rows: &[u32]) -> Result<Vec<Option<String>>> {
    if table.has("resource_tags") {
        return columns::texts_any(table, &["resource_tags"], rows);
    }
    let names: Vec<String> = table
        .frame
        .get_column_names()
        .iter()
        .filter_map(|c| c.strip_prefix("resource_tags_").map(str::to_string))
        .collect();
    let mut maps = vec![serde_json::Map::new(); rows.len()];
    for key in &names {
        let values = columns::texts_any(table, &[&format!("resource_tags_{key}")], rows)?;
        for (m, v) in maps.iter_mut().zip(values) {
            if let Some(v) = v {
                m.insert(key.clone(), serde_json::Value::String(v));
            }
        }
    }
    Ok(maps.into_iter().map(|m| (!m.is_empty()).then(|| serde_json::Value::Object(m).to_string())).collect())
}
