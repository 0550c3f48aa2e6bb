//! `findings.parquet`: the discrepancy history, upserted by every `reconcile --store`, keyed on
//! the line key (DESIGN §7).
//!
//! A discrepancy seen for the first time gets `first_seen` = this run; one seen again keeps its
//! `first_seen` and gets a new `last_seen`, status and delta; an open one inside the reconciled
//! window that is no longer a discrepancy (a restatement fixed the bill, or a corrected rate card)
//! gets `resolved_at`. So an hourly job alerts once per discrepancy (`--new-only`), and the
//! history says when each problem appeared and went away.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;

use super::partition;
use crate::error::Result;
use crate::frames::columns::{date, datetime, money, text};
use crate::report::{money_of, text_cell};

pub const FILE: &str = "findings.parquet";
/// The line key columns (DESIGN §4), then the history.
pub const KEY: [&str; 8] =
    ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "cost_type", "token_type"];

type Key = Vec<Option<String>>;

/// One tracked discrepancy.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    status: String,
    delta_usd: Option<i128>,
    reported_usd: Option<i128>,
    expected_usd: Option<i128>,
    explanation: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
}

fn key_of(df: &DataFrame, i: usize) -> Key {
    KEY.iter().map(|c| Some(text_cell(df, c, i)).filter(|s| !s.is_empty())).collect()
}

fn micros(df: &DataFrame, c: &str, i: usize) -> Result<Option<DateTime<Utc>>> {
    let col = df.column(c)?.as_materialized_series().to_physical_repr();
    Ok(col.i64()?.get(i).and_then(DateTime::from_timestamp_micros))
}

fn load(path: &Path) -> Result<BTreeMap<Key, Row>> {
    let mut out = BTreeMap::new();
    if !path.exists() {
        return Ok(out);
    }
    let df = partition::read(path, None)?;
    for i in 0..df.height() {
        let first_seen = micros(&df, "first_seen", i)?.unwrap_or(DateTime::UNIX_EPOCH);
        out.insert(
            key_of(&df, i),
            Row {
                first_seen,
                last_seen: micros(&df, "last_seen", i)?.unwrap_or(first_seen),
                status: text_cell(&df, "status", i),
                delta_usd: money_of(&df, "delta_usd", i),
                reported_usd: money_of(&df, "reported_usd", i),
                expected_usd: money_of(&df, "expected_usd", i),
                explanation: Some(text_cell(&df, "explanation", i)).filter(|s| !s.is_empty()),
                resolved_at: micros(&df, "resolved_at", i)?,
            },
        );
    }
    Ok(out)
}

fn frame(rows: &BTreeMap<Key, Row>) -> Result<DataFrame> {
    let n = rows.len();
    let mut cols: Vec<Column> = Vec::new();
    for (j, name) in KEY.iter().enumerate() {
        if *name == "date" {
            let days = rows.keys().map(|k| k[0].as_deref().and_then(|d| d.parse::<NaiveDate>().ok())).collect();
            cols.push(date("date", days));
        } else {
            cols.push(text(name, rows.keys().map(|k| k[j].clone()).collect()));
        }
    }
    let v: Vec<&Row> = rows.values().collect();
    cols.push(datetime("first_seen", v.iter().map(|r| Some(r.first_seen.timestamp_micros())).collect()));
    cols.push(datetime("last_seen", v.iter().map(|r| Some(r.last_seen.timestamp_micros())).collect()));
    cols.push(text("status", v.iter().map(|r| Some(r.status.clone())).collect()));
    cols.push(money("delta_usd", v.iter().map(|r| r.delta_usd).collect())?);
    cols.push(datetime("resolved_at", v.iter().map(|r| r.resolved_at.map(|t| t.timestamp_micros())).collect()));
    cols.push(money("expected_usd", v.iter().map(|r| r.expected_usd).collect())?);
    cols.push(money("reported_usd", v.iter().map(|r| r.reported_usd).collect())?);
    cols.push(text("explanation", v.iter().map(|r| r.explanation.clone()).collect()));
    Ok(DataFrame::new(n, cols)?)
}

/// Upserts the discrepancies of `lines` (a reconciliation of `[start, end)` days) into the store's
/// history at `now`; returns each line's `first_seen` (null for lines that are not discrepancies).
pub fn upsert(
    root: &Path,
    lines: &DataFrame,
    start: NaiveDate,
    end: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Option<DateTime<Utc>>>> {
    let _lock = super::lock::acquire_findings(root)?;
    let path = root.join(FILE);
    let mut rows = load(&path)?;
    let mut first_seen = Vec::with_capacity(lines.height());
    let mut current: BTreeMap<Key, String> = BTreeMap::new();
    for i in 0..lines.height() {
        let status = text_cell(lines, "status", i);
        let key = key_of(lines, i);
        current.insert(key.clone(), status.clone());
        if !matches!(status.as_str(), "mismatch" | "missing_cost" | "missing_usage" | "unpriced") {
            first_seen.push(None);
            continue;
        }
        let entry = rows.entry(key).or_insert_with(|| Row {
            first_seen: now,
            last_seen: now,
            status: status.clone(),
            delta_usd: None,
            reported_usd: None,
            expected_usd: None,
            explanation: None,
            resolved_at: None,
        });
        entry.last_seen = now;
        entry.status = status;
        entry.delta_usd = money_of(lines, "delta_usd", i);
        entry.reported_usd = money_of(lines, "reported_usd", i);
        entry.expected_usd = money_of(lines, "expected_usd", i);
        entry.explanation = Some(text_cell(lines, "explanation", i)).filter(|s| !s.is_empty());
        entry.resolved_at = None;
        first_seen.push(Some(entry.first_seen));
    }
    for (key, row) in rows.iter_mut() {
        let day = key[0].as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
        let inside = day.is_some_and(|d| d >= start && d < end);
        let still_bad = current
            .get(key)
            .is_some_and(|s| matches!(s.as_str(), "mismatch" | "missing_cost" | "missing_usage" | "unpriced"));
        if inside && row.resolved_at.is_none() && !still_bad {
            row.resolved_at = Some(now);
            row.status = current.get(key).cloned().unwrap_or_else(|| "gone".into());
        }
    }
    partition::write(root, &path, &frame(&rows)?)?;
    Ok(first_seen)
}

/// The whole history (empty with its columns before the first reconcile).
pub fn read(root: &Path) -> Result<DataFrame> {
    let path = root.join(FILE);
    if path.exists() { partition::read(&path, None) } else { frame(&BTreeMap::new()) }
}
