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

use super::{Dataset, store_err};
use crate::error::Result;

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

/// Writes `df` as Parquet at `path` in the store at `root`, atomically (`files::write`: aside in
/// `DIR/_tmp/`, fsync, rename, fsync the directory).
pub fn write(root: &Path, path: &Path, df: &DataFrame) -> Result<()> {
    let mut df = df.clone();
    super::files::write(root, path, |w| {
        ParquetWriter::new(w).finish(&mut df).map_err(crate::error::polars_io(path.display()))?;
        Ok(())
    })
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

/// Whether `path` is a Parquet file whose footer reads (a deleted or truncated file is not).
pub fn readable(path: &Path) -> bool {
    File::open(path).is_ok_and(|f| ParquetReader::new(f).num_rows().is_ok())
}

/// SHA-256 of the frame's rows in a canonical order (each cell in the store's own encoding,
/// `canonical`, rows sorted), so the same data hashes the same whatever order it arrived in and
/// whatever the report's formatting does.
pub fn content_hash(df: &DataFrame) -> Result<String> {
    let columns = df.columns();
    let mut rows: Vec<String> = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut row = String::new();
        for c in columns {
            super::canonical::push_cell(&c.get(i)?, &mut row)?;
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
    super::files::write_bytes(root, &target, &bytes)?;
    Ok(Some(target))
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
