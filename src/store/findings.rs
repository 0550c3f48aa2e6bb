//! `findings.parquet` and `finding_events.parquet`: the discrepancy history, upserted by every
//! `reconcile --store`, keyed on the line key (DESIGN §7, §7.1).
//!
//! A finding's life: a discrepancy on a *provisional* day (not settled yet: export lag may still
//! fill it) is recorded but not opened; it is **opened** the first run it is a discrepancy on a
//! settled day; **resolved** when a run over its day no longer finds it; **reopened** when it comes
//! back (a rebilled error). Opening and reopening are what `--new-only` alerts on, once each, and
//! each is one row of the append-only event log with the finding's stable `finding_id` (a hash
//! of the line key: the same on every run and machine), so a notifier can say "again" and a
//! person can read the history of one problem.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::partition;
use crate::error::Result;
use crate::frames::columns::{date, datetime, money, text};
use crate::money::to_scale_12;
use crate::reconcile::Status;

pub const FILE: &str = "findings.parquet";
pub const EVENTS: &str = "finding_events.parquet";
/// The line key columns (DESIGN §4), then the history.
pub const KEY: &[&str; 8] = &crate::reconcile::LINE_KEY_COLUMNS;

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
    /// When it was first opened (alerted on); `None` while seen only on provisional days.
    opened_at: Option<DateTime<Utc>>,
    reopened_at: Option<DateTime<Utc>>,
    times_opened: i64,
}

/// One row of the event log.
pub struct Event {
    pub at: DateTime<Utc>,
    pub finding_id: String,
    /// `opened`, `resolved`, `reopened` (and `notified`, by the notifier).
    pub event: &'static str,
    pub sink: Option<String>,
    pub status: String,
    pub delta_usd: Option<i128>,
}

/// The stable id of a line key: the same key is the same finding on every run and machine.
pub fn finding_id(key: &[Option<String>]) -> String {
    let mut h = Sha256::new();
    for k in key {
        match k {
            Some(v) => h.update(format!("s{}:{v}|", v.len())),
            None => h.update("n|"),
        }
    }
    format!("f_{}", &hex::encode(h.finalize())[..16])
}

pub(crate) fn text_at(df: &DataFrame, c: &str, i: usize) -> Option<String> {
    let col = df.column(c).ok()?;
    if matches!(col.dtype(), DataType::Date) {
        let days = col.as_materialized_series().to_physical_repr().i32().ok()?.get(i)?;
        return Some((NaiveDate::from_ymd_opt(1970, 1, 1)? + chrono::Duration::days(days as i64)).to_string());
    }
    col.str().ok()?.get(i).filter(|s| !s.is_empty()).map(str::to_owned)
}

pub(crate) fn money_at(df: &DataFrame, c: &str, i: usize) -> Option<i128> {
    match df.column(c).ok()?.get(i).ok()? {
        AnyValue::Decimal(m, _, scale) => to_scale_12(m, scale),
        _ => None,
    }
}

pub(crate) fn micros(df: &DataFrame, c: &str, i: usize) -> Result<Option<DateTime<Utc>>> {
    let Ok(col) = df.column(c) else { return Ok(None) }; // a column an older store does not have
    let col = col.as_materialized_series().to_physical_repr();
    Ok(col.i64()?.get(i).and_then(DateTime::from_timestamp_micros))
}

pub(crate) fn key_of(df: &DataFrame, i: usize) -> Key {
    KEY.iter().map(|c| text_at(df, c, i)).collect()
}

fn load(path: &Path) -> Result<BTreeMap<Key, Row>> {
    let mut out = BTreeMap::new();
    if !path.exists() {
        return Ok(out);
    }
    let df = partition::read(path, None)?;
    let times = df.column("times_opened").ok().and_then(|c| c.i64().ok().cloned());
    for i in 0..df.height() {
        let first_seen = micros(&df, "first_seen", i)?.unwrap_or(DateTime::UNIX_EPOCH);
        out.insert(
            key_of(&df, i),
            Row {
                first_seen,
                last_seen: micros(&df, "last_seen", i)?.unwrap_or(first_seen),
                status: text_at(&df, "status", i).unwrap_or_default(),
                delta_usd: money_at(&df, "delta_usd", i),
                reported_usd: money_at(&df, "reported_usd", i),
                expected_usd: money_at(&df, "expected_usd", i),
                explanation: text_at(&df, "explanation", i),
                resolved_at: micros(&df, "resolved_at", i)?,
                // A store from before opening was tracked: every row there had alerted when seen.
                opened_at: if times.is_some() { micros(&df, "opened_at", i)? } else { Some(first_seen) },
                reopened_at: micros(&df, "reopened_at", i)?,
                times_opened: times.as_ref().and_then(|t| t.get(i)).unwrap_or(1),
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
    let at = |f: &dyn Fn(&Row) -> Option<DateTime<Utc>>| v.iter().map(|r| f(r).map(|t| t.timestamp_micros())).collect();
    cols.push(text("finding_id", rows.keys().map(|k| Some(finding_id(k))).collect()));
    cols.push(datetime("first_seen", at(&|r| Some(r.first_seen))));
    cols.push(datetime("last_seen", at(&|r| Some(r.last_seen))));
    cols.push(text("status", v.iter().map(|r| Some(r.status.clone())).collect()));
    cols.push(money("delta_usd", v.iter().map(|r| r.delta_usd).collect())?);
    cols.push(datetime("resolved_at", at(&|r| r.resolved_at)));
    cols.push(money("expected_usd", v.iter().map(|r| r.expected_usd).collect())?);
    cols.push(money("reported_usd", v.iter().map(|r| r.reported_usd).collect())?);
    cols.push(text("explanation", v.iter().map(|r| r.explanation.clone()).collect()));
    cols.push(datetime("opened_at", at(&|r| r.opened_at)));
    cols.push(datetime("reopened_at", at(&|r| r.reopened_at)));
    cols.push(Int64Chunked::from_iter_values("times_opened".into(), v.iter().map(|r| r.times_opened)).into_column());
    Ok(DataFrame::new(n, cols)?)
}

fn is_discrepancy(status: &str) -> bool {
    Status::parse(status).is_some_and(Status::is_discrepancy)
}

/// What one upsert found, per line of the reconciliation.
pub struct Upserted {
    /// Each line's `first_seen` (null for lines that are not discrepancies).
    pub first_seen: Vec<Option<DateTime<Utc>>>,
    /// Findings opened or reopened by this run: what `--new-only` alerts on.
    pub opened: usize,
    pub events: Vec<Event>,
}

/// Upserts the discrepancies of `lines` (a reconciliation of `[start, end)` days, with a boolean
/// `provisional` column when some days are not settled) into the store's history at `now`, and
/// appends the run's events to the log.
pub fn upsert(
    root: &Path,
    lines: &DataFrame,
    start: NaiveDate,
    end: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Upserted> {
    let _lock = super::lock::acquire_findings(root)?;
    let path = root.join(FILE);
    let mut rows = load(&path)?;
    let provisional = lines.column("provisional").ok().and_then(|c| c.bool().ok().cloned());
    let mut out = Upserted { first_seen: Vec::with_capacity(lines.height()), opened: 0, events: Vec::new() };
    let mut current: BTreeMap<Key, String> = BTreeMap::new();
    for i in 0..lines.height() {
        let status = text_at(lines, "status", i).unwrap_or_default();
        let key = key_of(lines, i);
        current.insert(key.clone(), status.clone());
        if !is_discrepancy(&status) {
            out.first_seen.push(None);
            continue;
        }
        let settled = !provisional.as_ref().and_then(|p| p.get(i)).unwrap_or(false);
        let id = finding_id(&key);
        let entry = rows.entry(key).or_insert_with(|| Row {
            first_seen: now,
            last_seen: now,
            status: status.clone(),
            delta_usd: None,
            reported_usd: None,
            expected_usd: None,
            explanation: None,
            resolved_at: None,
            opened_at: None,
            reopened_at: None,
            times_opened: 0,
        });
        entry.last_seen = now;
        entry.status = status.clone();
        entry.delta_usd = money_at(lines, "delta_usd", i);
        entry.reported_usd = money_at(lines, "reported_usd", i);
        entry.expected_usd = money_at(lines, "expected_usd", i);
        entry.explanation = text_at(lines, "explanation", i);
        out.first_seen.push(Some(entry.first_seen));
        if !settled {
            continue; // recorded; it opens once its day has settled and it is still there
        }
        let event = match (entry.opened_at, entry.resolved_at) {
            (None, _) => {
                entry.opened_at = Some(now);
                Some("opened")
            }
            (Some(_), Some(_)) => {
                entry.reopened_at = Some(now);
                Some("reopened")
            }
            (Some(_), None) => None,
        };
        if let Some(event) = event {
            entry.resolved_at = None;
            entry.times_opened += 1;
            out.opened += 1;
            out.events.push(Event { at: now, finding_id: id, event, sink: None, status, delta_usd: entry.delta_usd });
        }
    }
    for (key, row) in rows.iter_mut() {
        let day = key[0].as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
        let inside = day.is_some_and(|d| d >= start && d < end);
        let still_bad = current.get(key).is_some_and(|s| is_discrepancy(s));
        if inside && row.resolved_at.is_none() && !still_bad {
            row.resolved_at = Some(now);
            row.status = current.get(key).cloned().unwrap_or_else(|| "gone".into());
            if row.opened_at.is_some() {
                let (finding_id, status) = (self::finding_id(key), row.status.clone());
                out.events.push(Event { at: now, finding_id, event: "resolved", sink: None, status, delta_usd: None });
            }
        }
    }
    partition::write(root, &path, &frame(&rows)?)?;
    append_events(root, &out.events)?;
    Ok(out)
}

/// Appends `events` to `finding_events.parquet` (rewritten whole and atomically, like every
/// store file; nothing already in it changes).
pub fn append_events(root: &Path, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let path = root.join(EVENTS);
    let mut log = read_events(root)?;
    log.vstack_mut(&events_frame(events)?)?;
    partition::write(root, &path, &log)
}

/// [`append_events`] under the findings lock, for writers outside an upsert (the notifier).
pub fn append_events_locked(root: &Path, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let _lock = super::lock::acquire_findings(root)?;
    append_events(root, events)
}

fn events_frame(e: &[Event]) -> Result<DataFrame> {
    Ok(DataFrame::new(
        e.len(),
        vec![
            datetime("at", e.iter().map(|x| Some(x.at.timestamp_micros())).collect()),
            text("finding_id", e.iter().map(|x| Some(x.finding_id.clone())).collect()),
            text("event", e.iter().map(|x| Some(x.event.to_owned())).collect()),
            text("sink", e.iter().map(|x| x.sink.clone()).collect()),
            text("status", e.iter().map(|x| Some(x.status.clone())).collect()),
            money("delta_usd", e.iter().map(|x| x.delta_usd).collect())?,
        ],
    )?)
}

/// The event log (empty with its columns before the first event).
pub fn read_events(root: &Path) -> Result<DataFrame> {
    let path = root.join(EVENTS);
    if path.exists() { partition::read(&path, None) } else { events_frame(&[]) }
}

/// The whole history (empty with its columns before the first reconcile).
pub fn read(root: &Path) -> Result<DataFrame> {
    let path = root.join(FILE);
    if path.exists() { partition::read(&path, None) } else { frame(&BTreeMap::new()) }
}
