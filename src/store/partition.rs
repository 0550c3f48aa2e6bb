//! Partitions: one Parquet file per dataset and UTC day, replaced whole and atomically, the
//! replaced version kept in `_history/`, and a content hash that ignores row order.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use polars_io::SerReader;
use polars_io::parquet::read::ParquetReader;
use polars_io::parquet::write::ParquetWriter;
use sha2::{Digest, Sha256};

use super::{Dataset, io_cause, store_err};
use crate::error::{Error, Result};
use crate::report::formats::cell_text;

/// `DIR/<dataset>/date=YYYY-MM-DD/part-0.parquet`
pub fn path(root: &Path, dataset: Dataset, date: NaiveDate) -> PathBuf {
    root.join(dataset.as_str()).join(format!("date={date}")).join("part-0.parquet")
}

/// `DIR/_history/<dataset>/date=YYYY-MM-DD/<UTC stamp>.parquet`
pub fn history_path(root: &Path, dataset: Dataset, date: NaiveDate, at: DateTime<Utc>) -> PathBuf {
    root.join("_history")
        .join(dataset.as_str())
        .join(format!("date={date}"))
        .join(format!("{}.parquet", at.format("%Y%m%dT%H%M%S%.6fZ")))
}

/// Writes `df` as Parquet at `path`, atomically (aside, fsync, rename, fsync the directory).
pub fn write(path: &Path, df: &DataFrame) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| store_err(dir, format!("cannot create it: {e}")))?;
    }
    let mut df = df.clone();
    crate::fsio::write_atomic(path, |w| {
        ParquetWriter::new(w).finish(&mut df).map_err(crate::error::polars_io(path.display()))?;
        Ok(())
    })
    .map_err(|e| store_err(path, format!("cannot write it: {}", io_cause(&e))))
}

/// Reads a Parquet file of the store (only `columns`, when given), naming the file if it is
/// damaged.
pub fn read(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame> {
    let file = File::open(path).map_err(|e| store_err(path, format!("cannot open it: {e}")))?;
    let reader = ParquetReader::new(file).with_columns(columns.map(|c| c.iter().map(|s| (*s).to_owned()).collect()));
    reader.finish().map_err(|e| {
        store_err(
            path,
            format!("is not a readable Parquet file ({e}); move it aside and sync again to re-fetch the day"),
        )
    })
}

/// SHA-256 of the frame's rows in a canonical order (the text of each cell, rows sorted), so
/// the same data hashes the same whatever order it arrived in.
pub fn content_hash(df: &DataFrame) -> Result<String> {
    let columns = df.columns();
    let mut rows: Vec<String> = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut row = String::new();
        for c in columns {
            row.push_str(&cell_text(&c.get(i)?).unwrap_or_else(|| "\u{0}".into()));
            row.push('\u{1f}');
        }
        rows.push(row);
    }
    rows.sort_unstable();
    let mut h = Sha256::new();
    for c in df.get_column_names() {
        h.update(c.as_bytes());
        h.update([0x1f]);
    }
    for r in &rows {
        h.update(r.as_bytes());
        h.update(b"\n");
    }
    Ok(hex::encode(h.finalize()))
}

/// Copies the current partition into `_history/` before it is replaced (nothing is deleted).
pub fn archive(root: &Path, dataset: Dataset, date: NaiveDate, at: DateTime<Utc>) -> Result<Option<PathBuf>> {
    let current = path(root, dataset, date);
    let bytes = match std::fs::read(&current) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(store_err(&current, format!("cannot read it: {e}"))),
    };
    let target = history_path(root, dataset, date, at);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| store_err(dir, format!("cannot create it: {e}")))?;
    }
    crate::fsio::write_bytes_atomic(&target, &bytes)
        .map_err(|e| store_err(&target, format!("cannot write it: {}", io_cause(&e))))?;
    Ok(Some(target))
}

/// Removes temporary files a killed writer left beside partitions (they start with a dot and are
/// never read), so globs over the store only see whole files.
pub fn sweep_temporaries(dir: &Path) -> Result<usize> {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if p.is_dir() && !name.starts_with('.') {
            removed += sweep_temporaries(&p)?;
        } else if name.starts_with('.') && !name.ends_with(".lock") && p.is_file() {
            std::fs::remove_file(&p).map_err(|e| Error::Io { path: p.display().to_string(), source: e })?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_row_order_and_sees_any_change() {
        let df = |a: &[i64], b: &[&str]| {
            DataFrame::new(a.len(), vec![Column::new("a".into(), a), Column::new("b".into(), b)]).unwrap()
        };
        let h = content_hash(&df(&[1, 2, 3], &["x", "y", "z"])).unwrap();
        assert_eq!(h, content_hash(&df(&[3, 1, 2], &["z", "x", "y"])).unwrap());
        assert_ne!(h, content_hash(&df(&[1, 2, 4], &["x", "y", "z"])).unwrap());
        assert_ne!(h, content_hash(&df(&[1, 2, 3], &["x", "y", "w"])).unwrap());
    }
}
