//! Google Cloud Billing export → `cloud_lines`: the standard usage cost table as BigQuery
//! extracts it (nested Parquet, nested NDJSON) or a flattened CSV (`service_description`).
//!
//! Claude rows are those whose service or SKU description starts with `Claude ` (reference §3.2:
//! per-model services "Claude Sonnet 4.6", SKUs "Claude Opus 4 8 — Input Tokens — global — …");
//! everything else is counted in `other`. `usage.amount` is tokens; where only
//! `usage.amount_in_pricing_units` is given it is in millions. `cost_type` maps to AWS's line item
//! types (`regular` → Usage, `tax` → Tax, `adjustment` → Adjustment, `rounding error` →
//! Rounding); credits on a row become a `Credit` line of their own, so the row's usage is checked
//! at its full cost and the credit is summed apart.

use super::cells::{self, decimal, instant, map_get};
use super::columns;
use super::kind::vertex_sku;
use super::lines::{CloudLine, money_of};
use super::table::Table;
use super::{Read, models};
use crate::error::{Error, Result};
use crate::rates::RateCard;
use crate::rates::cloud::{Provider, Scope};

/// The Claude lines of one billing-export file.
pub fn read(table: &Table, card: &RateCard) -> Result<Read> {
    let file = &table.file;
    if !table.has("service_description") && !table.has("sku_description") {
        let hint = if table.frame.get_column_names().iter().any(|c| c.starts_with("line_item_")) {
            "this looks like an AWS CUR: pass it with --cur"
        } else {
            "--gcp takes the Cloud Billing export (standard usage cost table) as Parquet, NDJSON or flattened CSV"
        };
        return Err(Error::input_hint(
            format!("{file}: not a Google Cloud billing export (no service.description / service_description column)"),
            hint,
        ));
    }
    for (name, dotted) in [("cost", "cost"), ("usage_start_time", "usage_start_time")] {
        if !table.has(name) {
            return Err(Error::input(format!("{file}: this billing export has no {dotted} column")));
        }
    }
    let all: Vec<u32> = (0..table.height() as u32).collect();
    let service = columns::texts_any(table, &["service_description"], &all)?;
    let sku = columns::texts_any(table, &["sku_description"], &all)?;
    let (mut claude, mut other) = (vec![], vec![]);
    for i in 0..all.len() {
        let is_claude = [&service[i], &sku[i]].iter().any(|t| t.as_deref().is_some_and(|t| t.starts_with("Claude ")));
        if is_claude { claude.push(i as u32) } else { other.push(i as u32) }
    }
    let mut read = Read { other_rows: other.len() as u64, ..Read::default() };
    read.other_cost = columns::money_sum(table, "cost", &other)?;
    let get = |names: &[&str]| columns::texts_any(table, names, &claude);
    let cost = get(&["cost"])?;
    let (sku_id, project, billing) = (get(&["sku_id"])?, get(&["project_id"])?, get(&["billing_account_id"])?);
    let (amount, unit) = (get(&["usage_amount"])?, get(&["usage_unit"])?);
    let (pricing_amount, pricing_unit) = (get(&["usage_amount_in_pricing_units"])?, get(&["usage_pricing_unit"])?);
    let (start, end) = (get(&["usage_start_time"])?, get(&["usage_end_time"])?);
    let (list, currency, cost_type) = (get(&["cost_at_list"])?, get(&["currency"])?, get(&["cost_type"])?);
    let region = get(&["location_region", "location_location"])?;
    let labels = get(&["labels"])?;
    let credits = get(&["credits", "credits_amount"])?;
    for (k, &row) in claude.iter().enumerate() {
        let r = row as usize;
        let at = |col: &str| format!("{file} row {} ({col})", table.row_number(r));
        if let Some(c) = currency[k].as_deref().filter(|c| *c != "USD") {
            return Err(Error::input(format!(
                "{}: the bill is in {c}; counterfoil reconciles USD bills",
                at("currency")
            )));
        }
        let start_at = start[k].as_deref().and_then(instant).ok_or_else(|| {
            Error::input(format!("{}: {:?} is not a UTC timestamp", at("usage_start_time"), start[k]))
        })?;
        let what = || at("cost");
        let billed = money_of(
            decimal(cost[k].as_deref().ok_or_else(|| Error::input(format!("{}: empty", what())))?, &what)?,
            &what,
        )?;
        let list = match list[k].as_deref() {
            Some(t) => Some(money_of(decimal(t, &|| at("cost_at_list"))?, &|| at("cost_at_list"))?),
            None => None,
        };
        let line_item_type = match cost_type[k].as_deref().unwrap_or("regular") {
            "regular" => "Usage",
            "tax" => "Tax",
            "adjustment" => "Adjustment",
            "rounding error" => "Rounding",
            other => other,
        }
        .to_string();
        let parsed = sku[r].as_deref().and_then(vertex_sku);
        let model_name = parsed.as_ref().map(|(m, _)| m.clone()).or_else(|| service[r].clone());
        let model = model_name.as_deref().and_then(|m| models::from_display_name(card, m));
        let region = region[k].clone();
        let mut line = CloudLine {
            provider: Provider::GcpVertex,
            account_id: project[k].clone(),
            billing_account_id: billing[k].clone(),
            date: start_at.date_naive(),
            usage_start: start_at,
            usage_end: end[k].as_deref().and_then(instant),
            region: region.clone(),
            scope: None,
            model,
            service_tier: None,
            context_window: None,
            token_type: None,
            quantity: None,
            billed,
            list,
            line_item_type,
            usage_type: None,
            sku_id: sku_id[k].clone(),
            sku_description: sku[r].clone(),
            principal: None,
            tags: cells::tags(labels[k].clone()),
            product: service[r].clone(),
            source: format!("{file}:{}", table.row_number(r)),
        };
        if line.is_usage()
            && let Some(kind) = parsed.and_then(|(_, k)| k)
        {
            let location_scope = region.as_deref().map(|r| if r == "global" { Scope::Global } else { Scope::Regional });
            line.token_type = Some(kind.token_type);
            line.scope = kind.scope.or(location_scope);
            line.service_tier = Some(kind.service_tier.into());
            line.context_window = Some(kind.context_window.into());
            line.quantity = Some(quantity(
                amount[k].as_deref(),
                unit[k].as_deref(),
                pricing_amount[k].as_deref(),
                pricing_unit[k].as_deref(),
                &at,
            )?);
        }
        let credit = credit_total(credits[k].as_deref(), &|| at("credits"))?;
        let credit_line = (credit != 0).then(|| CloudLine {
            billed: credit,
            list: None,
            line_item_type: "Credit".into(),
            token_type: None,
            quantity: None,
            source: format!("{file}:{} credits", table.row_number(r)),
            ..line.clone()
        });
        read.lines.push(line);
        read.lines.extend(credit_line);
    }
    Ok(read)
}

/// Tokens of a Claude SKU row: `usage.amount` in tokens, else `amount_in_pricing_units` in millions.
fn quantity(
    amount: Option<&str>,
    unit: Option<&str>,
    pricing_amount: Option<&str>,
    pricing_unit: Option<&str>,
    at: &dyn Fn(&str) -> String,
) -> Result<i64> {
    let token_unit =
        |u: &str| ["count", "token", "tokens", "requests"].contains(&u.trim().to_ascii_lowercase().as_str());
    let million_unit = |u: &str| {
        let u = u.trim().to_ascii_lowercase();
        ["1000000 count", "1000000 tokens", "1m tokens", "million tokens", "mtok"].contains(&u.as_str())
    };
    match (amount, unit, pricing_amount, pricing_unit) {
        (Some(a), Some(u), _, _) if token_unit(u) => super::quantity::tokens(a, 1, &|| at("usage.amount")),
        (_, _, Some(a), Some(u)) if million_unit(u) => {
            super::quantity::tokens(a, 1_000_000, &|| at("usage.amount_in_pricing_units"))
        }
        _ => Err(Error::input(format!(
            "{}: unit {:?} (pricing unit {:?}) is not a token unit counterfoil knows",
            at("usage.unit"),
            unit,
            pricing_unit
        ))),
    }
}

/// Σ `credits[].amount` (a JSON array cell, or a flattened `credits_amount` number).
fn credit_total(cell: Option<&str>, what: &dyn Fn() -> String) -> Result<i128> {
    let Some(cell) = cell else { return Ok(0) };
    let items: Vec<String> = match serde_json::from_str::<serde_json::Value>(cell) {
        Ok(serde_json::Value::Array(items)) => {
            items.iter().filter_map(|i| map_get(Some(&i.to_string()), "amount")).collect()
        }
        _ => vec![cell.to_string()],
    };
    let mut total = 0i128;
    for t in items {
        total += money_of(decimal(t.trim_matches('"'), what)?, what)?;
    }
    Ok(total)
}
