//! Attribution: who spent the billed money, per API key (DESIGN §10).
//!
//! cost_report has no API-key dimension, so per-key spend is allocated: each reconciliation
//! line's *reported* USD is split over the usage rows behind it (per key, model, tier, context
//! window and geo) in proportion to their expected USD, by largest remainder, so the parts add
//! up to the billed line to the last 10⁻¹² dollar. Where a row on the line is unpriced the split
//! is by tokens (`basis = quantity`); a billed line with no usage stays whole in one row with
//! null key columns (`basis = no_usage`); usage with no bill (Priority, missing cost) keeps its
//! expected amount with `allocated_usd` null.

use std::collections::BTreeMap;
use std::sync::Arc;

use polars::prelude::*;

use super::Labels;
use super::allocate::largest_remainder;
use crate::error::{Error, Result};
use crate::frames::columns::{date, money, text};
use crate::frames::{CostFrame, UsageFrame};
use crate::rates::RateCard;
use crate::rates::Unpriceable;
use crate::reconcile::LineKey;
use crate::reconcile::contributions::contributions;
use crate::reconcile::sides::{clip_cost, clip_usage, coarsened_days, cost_side};
use crate::window::TimeWindow;

/// The attribution columns, in order.
pub const COLUMNS: [&str; 17] = [
    "date",
    "workspace_id",
    "api_key_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "cost_type",
    "token_type",
    "quantity",
    "expected_usd",
    "allocated_usd",
    "basis",
    "workspace_name",
    "api_key_name",
    "created_by",
    "line_reported_usd",
];

/// The usage detail of one attribution row within its line.
/// (API key, model, tier, context window, geo): shared strings, cloned per contribution for free.
type Detail = (Option<Arc<str>>, Option<Arc<str>>, Option<Arc<str>>, Option<Arc<str>>, Option<Arc<str>>);
/// Per line, per detail: tokens and expected USD (or why unpriced).
type Parts = BTreeMap<LineKey, BTreeMap<Detail, (i64, Result<i128, Unpriceable>)>>;

struct Row {
    line: LineKey,
    detail: Option<Detail>,
    quantity: Option<i64>,
    expected: Option<i128>,
    allocated: Option<i128>,
    basis: Option<&'static str>,
    line_reported: Option<i128>,
}

/// One row per (date, workspace, API key, model, tier, context window, geo, cost type, token
/// type), with the billed money allocated over keys.
pub fn attribute(
    usage: &UsageFrame,
    cost: &CostFrame,
    card: &RateCard,
    labels: &Labels,
    window: Option<TimeWindow>,
) -> Result<DataFrame> {
    let usage = clip_usage(usage, window)?;
    let cost = clip_cost(cost, window)?;
    let costs = cost_side(&cost)?;
    let coarse = coarsened_days(&costs);
    // Usage per line, then per detail within the line (speed is summed over).
    let mut parts: Parts = BTreeMap::new();
    for c in contributions(&usage, card, &coarse, &["api_key_id"], false)? {
        let g = &c.group.dims;
        let s = |j: usize| g[j].clone();
        let detail: Detail =
            if c.token.is_some() { (s(6), s(1), s(2), s(3), s(4)) } else { (s(6), None, None, None, None) };
        // The line key is cloned once per line, not once per contribution.
        if !parts.contains_key(&c.line) {
            parts.insert(c.line.clone(), BTreeMap::new());
        }
        let details = parts.get_mut(&c.line).expect("inserted above");
        let entry = details.entry(detail).or_insert((0, Ok(0)));
        entry.0 = entry.0.checked_add(c.quantity).ok_or_else(|| Error::input("a quantity is beyond Int64"))?;
        entry.1 = match (&entry.1, &c.expected) {
            (Ok(a), Ok(b)) => Ok(crate::money::add(*a, *b, "an expected amount")?),
            (Err(e), _) | (_, Err(e)) => Err(e.clone()),
        };
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut keys: Vec<LineKey> = parts.keys().cloned().collect();
    keys.extend(costs.keys().filter(|k| !parts.contains_key(*k)).cloned());
    keys.sort();
    for line in keys {
        let reported = costs.get(&line).map(|c| c.reported);
        let Some(details) = parts.get(&line) else {
            // Billed with no usage behind it: kept whole, no key.
            rows.push(Row {
                line,
                detail: None,
                quantity: None,
                expected: None,
                allocated: reported,
                basis: Some("no_usage"),
                line_reported: reported,
            });
            continue;
        };
        let all_priced = details.values().all(|(_, e)| e.is_ok());
        let weights: Vec<i128> =
            details.values().map(|(q, e)| if all_priced { *e.as_ref().unwrap_or(&0) } else { *q as i128 }).collect();
        let split = match reported {
            Some(r) => Some(
                largest_remainder(r, &weights).ok_or_else(|| Error::input("an allocation overflows exact money"))?,
            ),
            None => None,
        };
        for (j, (detail, (q, e))) in details.iter().enumerate() {
            rows.push(Row {
                line: line.clone(),
                detail: Some(detail.clone()),
                quantity: Some(*q),
                expected: e.as_ref().ok().copied(),
                allocated: split.as_ref().map(|s| s[j]),
                basis: reported.map(|_| if all_priced { "expected" } else { "quantity" }),
                line_reported: reported,
            });
        }
    }
    frame(&rows, labels)
}

fn frame(rows: &[Row], labels: &Labels) -> Result<DataFrame> {
    let d =
        |f: &dyn Fn(&Detail) -> Option<String>| rows.iter().map(|r| r.detail.as_ref().and_then(f)).collect::<Vec<_>>();
    let owned = |v: &Option<Arc<str>>| v.as_deref().map(str::to_owned);
    let key_of = |r: &Row| r.detail.as_ref().and_then(|d| owned(&d.0));
    let columns = vec![
        date("date", rows.iter().map(|r| Some(r.line.date)).collect()),
        text("workspace_id", rows.iter().map(|r| r.line.workspace_id.clone()).collect()),
        text("api_key_id", rows.iter().map(key_of).collect()),
        text(
            "model",
            rows.iter().map(|r| r.detail.as_ref().and_then(|d| owned(&d.1)).or_else(|| r.line.model.clone())).collect(),
        ),
        text(
            "service_tier",
            rows.iter()
                .map(|r| r.detail.as_ref().and_then(|d| owned(&d.2)).or_else(|| r.line.service_tier.clone()))
                .collect(),
        ),
        text("context_window", d(&|d| owned(&d.3))),
        text("inference_geo", d(&|d| owned(&d.4))),
        text("cost_type", rows.iter().map(|r| Some(r.line.cost_type.clone())).collect()),
        text("token_type", rows.iter().map(|r| r.line.token_type.clone()).collect()),
        Int64Chunked::from_iter_options("quantity".into(), rows.iter().map(|r| r.quantity)).into_column(),
        money("expected_usd", rows.iter().map(|r| r.expected).collect())?,
        money("allocated_usd", rows.iter().map(|r| r.allocated).collect())?,
        text("basis", rows.iter().map(|r| r.basis.map(str::to_owned)).collect()),
        text(
            "workspace_name",
            rows.iter()
                .map(|r| match &r.line.workspace_id {
                    None => Some("Default".to_owned()),
                    Some(id) => labels.workspaces.get(id).cloned(),
                })
                .collect(),
        ),
        text(
            "api_key_name",
            rows.iter().map(|r| key_of(r).and_then(|k| labels.keys.get(&k).map(|l| l.0.clone()))).collect(),
        ),
        text(
            "created_by",
            rows.iter().map(|r| key_of(r).and_then(|k| labels.keys.get(&k).and_then(|l| l.1.clone()))).collect(),
        ),
        money("line_reported_usd", rows.iter().map(|r| r.line_reported).collect())?,
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}

/// Sums of an attribution (or any frame with its money columns) by `by`: `quantity`,
/// `expected_usd` (null for a group with an unpriced row: never a partial total shown whole),
/// `allocated_usd` (the billed money of the group), and the number of rows.
pub fn rollup(attribution: &DataFrame, by: &[&str]) -> Result<DataFrame> {
    for b in by {
        if !COLUMNS[..9].contains(b) && !["workspace_name", "api_key_name", "created_by", "basis"].contains(b) {
            return Err(Error::input_hint(
                format!("cannot roll up by {b:?}"),
                format!(
                    "choose among {}",
                    COLUMNS[..9]
                        .iter()
                        .chain(["workspace_name", "api_key_name", "created_by"].iter())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let lf = attribution.clone().lazy();
    let grouped = lf
        .group_by(by.iter().map(|b| col(*b)).collect::<Vec<_>>())
        .agg([
            col("quantity").sum().alias("quantity"),
            when(col("expected_usd").null_count().gt(lit(0)))
                .then(lit(NULL).cast(crate::frames::columns::money_dtype()))
                .otherwise(col("expected_usd").sum())
                .alias("expected_usd"),
            col("allocated_usd").sum().alias("allocated_usd"),
            len().alias("rows"),
        ])
        .sort(
            by.iter().map(|b| (*b).to_owned()).collect::<Vec<_>>(),
            SortMultipleOptions::default().with_nulls_last(true),
        );
    let mut df = grouped.collect()?;
    // Polars may widen a summed Decimal's precision; the contract dtype is Decimal(38, 12).
    for c in ["expected_usd", "allocated_usd"] {
        let cast = df.column(c)?.cast(&crate::frames::columns::money_dtype())?;
        df.with_column(cast)?;
    }
    Ok(df)
}
