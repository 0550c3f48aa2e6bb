//! Attribution: who spent the billed money, per API key (DESIGN §10).
//!
//! cost_report has no API-key dimension, so per-key spend is allocated: each reconciliation
//! line's *reported* USD is split over the usage rows behind it (per key, model, tier, context
//! window and geo) in proportion to their expected USD, by largest remainder, so the parts add
//! up to the billed line to the last 10⁻¹² dollar. Where a row on the line is unpriced the split
//! is by tokens (`basis = quantity`); a billed line with no usage stays whole in one row with
//! null key columns (`basis = no_usage`); usage with no bill (Priority, missing cost) keeps its
//! expected amount with `allocated_usd` null.

use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::*;

use super::Labels;
use super::allocate::largest_remainder;
use crate::error::{Error, Result};
use crate::frames::aggregate::Group;
use crate::frames::columns::{Build, date, money, on_cores};
use crate::frames::{CostFrame, UsageFrame};
use crate::rates::RateCard;
use crate::rates::Unpriceable;
use crate::reconcile::LineKey;
use crate::reconcile::contributions::contributions;
use crate::reconcile::order::{permute, text_ranks};
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

/// The usage detail of one attribution row within its line: the usage group it came from and
/// whether it is tokens (API key, model, tier, context window and geo) or web search (the key
/// alone). One shared pointer a part, read through [`detail_field`].
type Detail = (Arc<Group>, bool);
/// Usage of one detail on one line: tokens and expected USD (or why unpriced).
struct Part {
    /// A line id, then (once the lines are sorted) the line's position.
    line: u32,
    detail: Detail,
    quantity: i64,
    /// (Why unpriced is boxed: rare, and half a million parts are sorted.)
    expected: Result<i128, Box<Unpriceable>>,
}

/// Sums neighbouring parts with the same line and detail (`parts` sorted by both).
fn merge(parts: Vec<Part>) -> Result<Vec<Part>> {
    let mut out: Vec<Part> = Vec::with_capacity(parts.len());
    for p in parts {
        match out.last_mut() {
            Some(last)
                if last.line == p.line
                    && (0..5).all(|j| detail_field(&last.detail, j) == detail_field(&p.detail, j)) =>
            {
                last.quantity =
                    last.quantity.checked_add(p.quantity).ok_or_else(|| Error::input("a quantity is beyond Int64"))?;
                last.expected = match (&last.expected, p.expected) {
                    (Ok(a), Ok(b)) => Ok(crate::money::add(*a, b, "an expected amount")?),
                    (Err(e), _) => Err(e.clone()),
                    (_, Err(e)) => Err(e),
                };
            }
            _ => out.push(p),
        }
    }
    Ok(out)
}

/// A key by where its strings are: equal addresses are equal strings (not the other way round).
fn addresses(k: &LineKey) -> (NaiveDate, [usize; 9]) {
    let at = |v: &Option<Arc<str>>| v.as_ref().map_or(0, |s| s.as_ptr() as usize);
    let texts = [&k.workspace_id, &k.model, &k.service_tier, &k.context_window, &k.inference_geo];
    let [a, b, c, d, e] = texts.map(at);
    let t = k.cost_type.as_str();
    (k.date, [a, b, c, d, e, t.as_ptr() as usize, t.len(), at(&k.token_type), at(&k.api_key_id)])
}

/// Field `j` of a detail (API key, model, tier, context window, geo).
fn detail_field(d: &Detail, j: usize) -> Option<&str> {
    // The group's dimensions: PRICE_DIMS (workspace, model, tier, window, geo, speed), then the
    // API key.
    let (g, tokens) = d;
    match j {
        0 => g.dims[6].as_deref(),
        j if *tokens => g.dims[j].as_deref(),
        _ => None,
    }
}

struct Row {
    /// Index into the sorted line keys.
    line: usize,
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
    // Each contribution becomes a part (line, detail); lines get ids as they arrive (hashed,
    // not kept in order), parts are sorted once by (line, detail) and equal ones summed (speed
    // is summed over). Flat vectors, not a map per line: a year split by key has 100k lines.
    let mut ids: PlHashMap<LineKey, u32> = PlHashMap::new();
    // Most contributions repeat a line (one per API key behind it) with the very same shared
    // strings: found by the strings' addresses first, they are hashed by value once per line.
    // No address is reused while it is remembered: a key whose value was new lives on in `ids`,
    // one equal to a key seen before (its strings elsewhere) is kept in `seen`.
    let mut by_address: PlHashMap<(NaiveDate, [usize; 9]), u32> = PlHashMap::default();
    let mut seen: Vec<LineKey> = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    contributions(&usage, card, &coarse, &["api_key_id"], false, |c| {
        let detail: Detail = (c.group.clone(), c.token.is_some());
        let at = addresses(&c.line);
        let line = match by_address.get(&at) {
            Some(&id) => id,
            None => {
                let id = match ids.get(&c.line) {
                    Some(&id) => {
                        seen.push(c.line);
                        id
                    }
                    None => {
                        let id = ids.len() as u32;
                        ids.insert(c.line, id);
                        id
                    }
                };
                by_address.insert(at, id);
                id
            }
        };
        parts.push(Part { line, detail, quantity: c.quantity, expected: c.expected.map_err(Box::new) });
        Ok(())
    })?;
    drop(by_address);
    drop(seen);
    for k in costs.keys() {
        let next = ids.len() as u32;
        ids.entry(k.clone()).or_insert(next);
    }
    // Each key once, at its id.
    let mut lines: Vec<Option<LineKey>> = vec![None; ids.len()];
    for (k, id) in ids {
        lines[id as usize] = Some(k);
    }
    let mut lines: Vec<LineKey> = lines.into_iter().map(|k| k.expect("every id has its key")).collect();
    // Lines in key order: `rank[id]` is the position of line `id`.
    let order = crate::reconcile::order::key_order(&lines.iter().collect::<Vec<_>>());
    let mut rank = vec![0u32; lines.len()];
    for (r, &id) in order.iter().enumerate() {
        rank[id] = r as u32;
    }
    for p in &mut parts {
        p.line = rank[p.line as usize];
    }
    permute(&mut lines, &order);
    // By line, then detail in its order: the details' strings ranked once (half a million parts
    // for a quarter split by key would otherwise compare 33-byte key ids twenty times each).
    let ranks: Vec<Vec<u32>> =
        (0..5).map(|j| text_ranks(parts.iter().map(move |p| detail_field(&p.detail, j)))).collect();
    // Sorted as contiguous (key, position) pairs: a comparison reads no other memory.
    let mut order: Vec<((u32, [u32; 5]), u32)> =
        (0..parts.len()).map(|i| ((parts[i].line, [0, 1, 2, 3, 4].map(|j| ranks[j][i])), i as u32)).collect();
    order.sort_unstable();
    permute(&mut parts, &order.into_iter().map(|(_, i)| i as usize).collect::<Vec<_>>());
    let parts = merge(parts)?;

    let mut rows: Vec<Row> = Vec::with_capacity(parts.len());
    let mut next = parts.into_iter().peekable();
    for (i, line) in lines.iter().enumerate() {
        let reported = costs.get(line).map(|c| c.reported);
        let mut details = Vec::new();
        while let Some(p) = next.next_if(|p| p.line as usize == i) {
            details.push(p);
        }
        if details.is_empty() {
            // Billed with no usage behind it: kept whole, no key.
            rows.push(Row {
                line: i,
                detail: None,
                quantity: None,
                expected: None,
                allocated: reported,
                basis: Some("no_usage"),
                line_reported: reported,
            });
            continue;
        }
        let all_priced = details.iter().all(|p| p.expected.is_ok());
        let weights: Vec<i128> = details
            .iter()
            .map(|p| if all_priced { *p.expected.as_ref().unwrap_or(&0) } else { p.quantity as i128 })
            .collect();
        let split = match reported {
            Some(r) => Some(
                largest_remainder(r, &weights).ok_or_else(|| Error::input("an allocation overflows exact money"))?,
            ),
            None => None,
        };
        for (j, p) in details.into_iter().enumerate() {
            rows.push(Row {
                line: i,
                expected: p.expected.as_ref().ok().copied(),
                detail: Some(p.detail),
                quantity: Some(p.quantity),
                allocated: split.as_ref().map(|s| s[j]),
                basis: reported.map(|_| if all_priced { "expected" } else { "quantity" }),
                line_reported: reported,
            });
        }
    }
    frame(&lines, &rows, labels)
}

/// Field `j` of a row's detail (API key, model, tier, context window, geo).
fn detail(r: &Row, j: usize) -> Option<&str> {
    detail_field(r.detail.as_ref()?, j)
}

/// The attribution frame. Strings are borrowed from the keys and labels, never copied per row;
/// labels are looked up once per line and once per distinct API key string (half a million rows
/// each looked up in two ordered maps cost a third of the frame), the columns built on every core.
fn frame<'a>(lines: &'a [LineKey], rows: &'a [Row], labels: &'a Labels) -> Result<DataFrame> {
    type KeyLabel = (String, Option<String>);
    let workspace: Vec<Option<&str>> = lines
        .iter()
        .map(|l| match &l.workspace_id {
            None => Some("Default"),
            Some(id) => labels.workspaces.get(&**id).map(String::as_str),
        })
        .collect();
    let mut by_address: PlHashMap<(usize, usize), Option<&KeyLabel>> = PlHashMap::default();
    let key_label: Vec<Option<&KeyLabel>> = rows
        .iter()
        .map(|r| {
            let k = detail(r, 0)?;
            *by_address.entry((k.as_ptr() as usize, k.len())).or_insert_with(|| labels.keys.get(k))
        })
        .collect();
    let (workspace, key_label) = (&workspace, &key_label);
    let line = move |r: &Row| &lines[r.line];
    let text = |name, f| text_column(rows, name, f);
    let m = move |name: &'static str, f: fn(&Row) -> Option<i128>| -> Build<'_> {
        Box::new(move || money(name, rows.iter().map(f).collect()))
    };
    let builds: Vec<Build> = vec![
        Box::new(move || Ok(date("date", rows.iter().map(|r| Some(line(r).date)).collect()))),
        text("workspace_id", Box::new(move |_, r| line(r).workspace_id.as_deref())),
        text("api_key_id", Box::new(|_, r| detail(r, 0))),
        text("model", Box::new(move |_, r| detail(r, 1).or(line(r).model.as_deref()))),
        text("service_tier", Box::new(move |_, r| detail(r, 2).or(line(r).service_tier.as_deref()))),
        // A `no_usage` row has no detail: it is the line itself, every key dimension included.
        text(
            "context_window",
            Box::new(move |_, r| if r.detail.is_some() { detail(r, 3) } else { line(r).context_window.as_deref() }),
        ),
        text(
            "inference_geo",
            Box::new(move |_, r| if r.detail.is_some() { detail(r, 4) } else { line(r).inference_geo.as_deref() }),
        ),
        text("cost_type", Box::new(move |_, r| Some(line(r).cost_type.as_str()))),
        text("token_type", Box::new(move |_, r| line(r).token_type.as_deref())),
        Box::new(move || {
            Ok(Int64Chunked::from_iter_options("quantity".into(), rows.iter().map(|r| r.quantity)).into_column())
        }),
        m("expected_usd", |r| r.expected),
        m("allocated_usd", |r| r.allocated),
        text("basis", Box::new(|_, r| r.basis)),
        text("workspace_name", Box::new(move |_, r| workspace[r.line])),
        text("api_key_name", Box::new(move |i, _| key_label[i].map(|l| l.0.as_str()))),
        text("created_by", Box::new(move |i, _| key_label[i].and_then(|l| l.1.as_deref()))),
        m("line_reported_usd", |r| r.line_reported),
    ];
    Ok(DataFrame::new(rows.len(), on_cores(builds)?)?)
}

/// What a text column of the frame holds for row `i`.
type Cell<'b> = Box<dyn Fn(usize, &'b Row) -> Option<&'b str> + Send + Sync + 'b>;

fn text_column<'b>(rows: &'b [Row], name: &'static str, f: Cell<'b>) -> Build<'b> {
    Box::new(move || {
        let values = rows.iter().enumerate().map(|(i, r)| f(i, r));
        Ok(StringChunked::from_iter_options(name.into(), values).into_column())
    })
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
