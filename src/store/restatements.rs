//! `restatements.parquet`: an append-only log, one row per (dataset, date) a re-read changed.
//!
//! Appending rewrites the small file atomically with the new row at the end. A row identical to
//! one already logged (same day, same old and new content) is not added twice, so a run that is
//! killed after logging and before replacing the partition logs it once when it runs again.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;

use super::{Dataset, partition};
use crate::error::Result;
use crate::frames::columns::{date, datetime, money, text};

/// One restated (dataset, date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restatement {
    pub detected_at: DateTime<Utc>,
    pub dataset: Dataset,
    pub date: NaiveDate,
    pub old_rows: usize,
    pub new_rows: usize,
    /// Σ of the five token counts; usage only.
    pub old_tokens: Option<i64>,
    pub new_tokens: Option<i64>,
    /// Σ amount_usd as scale-12 mantissas; cost only.
    pub old_usd: Option<i128>,
    pub new_usd: Option<i128>,
    pub old_hash: String,
    pub new_hash: String,
}

pub const FILE: &str = "restatements.parquet";

fn frame(r: &Restatement) -> Result<DataFrame> {
    let cols = vec![
        datetime("detected_at", vec![Some(r.detected_at.timestamp_micros())]),
        text("dataset", vec![Some(r.dataset.as_str().to_owned())]),
        date("date", vec![Some(r.date)]),
        Column::new("old_rows".into(), [r.old_rows as i64]),
        Column::new("new_rows".into(), [r.new_rows as i64]),
        Column::new("old_tokens".into(), [r.old_tokens]),
        Column::new("new_tokens".into(), [r.new_tokens]),
        money("old_usd", vec![r.old_usd])?,
        money("new_usd", vec![r.new_usd])?,
        text("old_hash", vec![Some(r.old_hash.clone())]),
        text("new_hash", vec![Some(r.new_hash.clone())]),
    ];
    Ok(DataFrame::new(1, cols)?)
}

/// Appends `r` to the log unless the same change is already there.
pub fn append(root: &Path, r: &Restatement) -> Result<()> {
    let path = root.join(FILE);
    let row = frame(r)?;
    let mut log = if path.exists() { partition::read(&path, None)? } else { row.clear() };
    let seen =
        |c: &str, v: &str| -> Result<Vec<bool>> { Ok(log.column(c)?.str()?.iter().map(|x| x == Some(v)).collect()) };
    let (a, b) = (seen("old_hash", &r.old_hash)?, seen("new_hash", &r.new_hash)?);
    if a.iter().zip(&b).any(|(x, y)| *x && *y) {
        return Ok(());
    }
    log.vstack_mut(&row)?;
    partition::write(root, &path, &log)
}

/// The whole log (empty with its columns when nothing was restated).
pub fn read(root: &Path) -> Result<DataFrame> {
    let path = root.join(FILE);
    if path.exists() {
        return partition::read(&path, None);
    }
    let empty = Restatement {
        detected_at: DateTime::UNIX_EPOCH,
        dataset: Dataset::Usage,
        date: NaiveDate::default(),
        old_rows: 0,
        new_rows: 0,
        old_tokens: None,
        new_tokens: None,
        old_usd: None,
        new_usd: None,
        old_hash: String::new(),
        new_hash: String::new(),
    };
    Ok(frame(&empty)?.clear())
}
