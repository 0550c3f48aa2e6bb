//! A Parquet bill read a piece (a row group, or part of one) at a time, in two passes.
//!
//! A month of CUR is tens of millions of rows of which a tenth may be Claude. Decoding every
//! column a reader uses for every row — two map columns among them — took five times what DuckDB
//! takes to filter the same file, most of it building cells that were dropped a moment later. So
//! a reader names the columns that decide whether a row can be a line (`decide`): those are
//! decoded for the whole piece, the reader's `prefilter` says which rows to keep, and every other
//! column is decoded for the kept rows only (Parquet's page decoders step over the rest without
//! materialising them). What the prefilter drops is the caller's to account for (it returns its
//! own tally, `T`): nothing leaves here silently.
//!
//! The table handed on is the one a whole read would give for the kept rows: the same columns in
//! the file's order, names normalised, structs flattened, and each row's number in the file
//! (`Table::row_number`) so messages and `source` still name the file's own row.

use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use polars::prelude::*;
use polars_arrow::bitmap::MutableBitmap;
use polars_buffer::Buffer;
use polars_parquet::read::{
    self as pq, BasicDecompressor, FileMetadata, Filter, PageReader, RowGroupMetadata, column_iter_to_arrays,
};

use super::table::{Table, normalise_name};
use crate::error::{Error, Result};

/// An open Parquet bill: its footer and schema, read once.
pub struct ParquetBill {
    path: std::path::PathBuf,
    file: String,
    meta: FileMetadata,
    schema: ArrowSchema,
}

/// Rows `start..start + len` of row group `group`; `first_row` is the file's row before them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    group: usize,
    start: usize,
    len: usize,
    first_row: usize,
}

/// Whether a column (normalised name) is read, or read first.
pub type Columns<'a> = dyn Fn(&str) -> bool + Sync + 'a;

/// Decides, from the columns a reader named, which rows of a piece are kept (`None`: all), and
/// what the dropped ones amount to.
pub type Prefilter<'a, T> = dyn Fn(&Table) -> Result<Option<(Vec<bool>, T)>> + Sync + 'a;

impl ParquetBill {
    pub fn open(path: &Path) -> Result<ParquetBill> {
        let file = path.display().to_string();
        let mut f = std::fs::File::open(path).map_err(|e| io(path, e))?;
        let meta = pq::read_metadata(&mut f).map_err(|e| unreadable(&file, &e))?;
        let schema = pq::infer_schema(&meta).map_err(|e| unreadable(&file, &e))?;
        Ok(ParquetBill { path: path.to_path_buf(), file, meta, schema })
    }

    /// The file in pieces of at most `rows` rows, none crossing a row group (a row group is the
    /// unit a Parquet writer bounds; a CUR's are about a million rows). An empty file is one
    /// empty piece, so its columns are still seen.
    pub fn pieces(&self, rows: usize) -> Vec<Piece> {
        let mut out = vec![];
        let mut first_row = 0;
        for (group, g) in self.meta.row_groups.iter().enumerate() {
            let n = g.num_rows();
            for start in (0..n).step_by(rows.max(1)) {
                let len = rows.max(1).min(n - start);
                out.push(Piece { group, start, len, first_row: first_row + start });
            }
            first_row += n;
        }
        if out.is_empty() {
            out.push(Piece { group: 0, start: 0, len: 0, first_row: 0 });
        }
        out
    }

    /// The columns `keep` passes (normalised names) of one piece, for the rows `prefilter` keeps
    /// having seen the columns `decide` passes; `T` is its account of the rows it dropped.
    pub fn read<T>(
        &self,
        piece: Piece,
        keep: &dyn Fn(&str) -> bool,
        decide: &dyn Fn(&str) -> bool,
        prefilter: &Prefilter<T>,
    ) -> Result<(Table, Option<T>)> {
        if self.meta.row_groups.is_empty() {
            let frame = DataFrame::empty_with_schema(&Schema::from_arrow_schema(&self.schema));
            return Ok((Table::of_rows(&self.file, frame, 0, None)?, None));
        }
        let mut f = std::fs::File::open(&self.path).map_err(|e| io(&self.path, e))?;
        let group = &self.meta.row_groups[piece.group];
        let wanted: Vec<usize> = (0..self.schema.len()).filter(|&i| keep(&normalise_name(self.name(i)))).collect();
        let range = Filter::new_ranged(piece.start, piece.start + piece.len);
        let mut first: Vec<(usize, Series)> = vec![];
        for &i in wanted.iter().filter(|&&i| decide(&normalise_name(self.name(i)))) {
            first.push((i, self.decode(&mut f, group, i, range.clone())?));
        }
        let seen =
            Table::of_rows(&self.file, frame_of(piece.len, first.iter().map(|(_, s)| s))?, piece.first_row, None)?;
        let Some((kept, tally)) = prefilter(&seen)? else {
            let mut columns = vec![];
            for &i in &wanted {
                match first.iter().position(|(j, _)| *j == i) {
                    Some(k) => columns.push(first[k].1.clone()),
                    None => columns.push(self.decode(&mut f, group, i, range.clone())?),
                }
            }
            return Ok((
                Table::of_rows(&self.file, frame_of(piece.len, columns.iter())?, piece.first_row, None)?,
                None,
            ));
        };
        if kept.len() != piece.len {
            return Err(Error::input(format!(
                "{}: a prefilter judged {} of {} rows",
                self.file,
                kept.len(),
                piece.len
            )));
        }
        let rows: Vec<u32> = (0..piece.len as u32).filter(|&r| kept[r as usize]).collect();
        // (A mask spans the whole row group: the page decoders split it page by page.)
        let mut mask = MutableBitmap::from_len_zeroed(group.num_rows());
        for &r in &rows {
            mask.set(piece.start + r as usize, true);
        }
        let mask = Filter::new_masked(mask.freeze());
        let keep_mask = BooleanChunked::from_slice(PlSmallStr::EMPTY, &kept);
        let mut columns = vec![];
        for &i in &wanted {
            columns.push(match first.iter().find(|(j, _)| *j == i) {
                Some((_, s)) => s.filter(&keep_mask)?,
                None => self.decode(&mut f, group, i, mask.clone())?,
            });
        }
        let frame = frame_of(rows.len(), columns.iter())?;
        Ok((Table::of_rows(&self.file, frame, piece.first_row, Some(rows))?, Some(tally)))
    }

    fn name(&self, i: usize) -> &str {
        self.schema.get_at_index(i).expect("an index of the schema").0.as_str()
    }

    /// One top-level field of one row group, decoded for the rows `filter` selects.
    fn decode(&self, f: &mut std::fs::File, group: &RowGroupMetadata, i: usize, filter: Filter) -> Result<Series> {
        let field = self.schema.get_at_index(i).expect("an index of the schema").1;
        let chunks = group
            .columns_under_root_iter(field.name.as_str())
            .ok_or_else(|| Error::input(format!("{}: row group has no {} column", self.file, field.name)))?;
        let (mut pages, mut types) = (vec![], vec![]);
        let length = f.metadata().map_err(|e| io(&self.path, e))?.len();
        for meta in chunks {
            let at = meta.byte_range();
            if at.start > at.end || at.end > length {
                // (A footer naming bytes the file does not have: refused before any allocation.)
                return Err(unreadable(&self.file, &format!("column {} lies beyond the file's end", field.name)));
            }
            let mut bytes = vec![0u8; (at.end - at.start) as usize];
            f.seek(SeekFrom::Start(at.start)).and_then(|_| f.read_exact(&mut bytes)).map_err(|e| io(&self.path, e))?;
            let reader = PageReader::new(Cursor::new(Buffer::from(bytes)), meta, vec![], usize::MAX);
            pages.push(BasicDecompressor::new(reader, vec![]));
            types.push(&meta.descriptor().descriptor.primitive_type);
        }
        let (arrays, _) =
            column_iter_to_arrays(pages, types, field.clone(), Some(filter)).map_err(|e| unreadable(&self.file, &e))?;
        Series::try_from((field, arrays)).map_err(|e| unreadable(&self.file, &e))
    }
}

fn frame_of<'a>(height: usize, columns: impl Iterator<Item = &'a Series>) -> Result<DataFrame> {
    Ok(DataFrame::new(height, columns.map(|s| s.clone().into_column()).collect())?)
}

fn unreadable(file: &str, e: &dyn std::fmt::Display) -> Error {
    Error::input(format!("{file}: not a readable Parquet file: {e}"))
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source: e }
}

#[cfg(test)]
mod tests {
    use polars_io::parquet::write::ParquetWriter;

    use super::*;

    /// 23 rows in row groups of about 5 (the writer's choice): a number column, a text column and a list column.
    fn file(dir: &Path) -> (std::path::PathBuf, DataFrame) {
        let n: Vec<i64> = (0..23).map(|i| i * 7 % 23).collect();
        let text: Vec<Option<String>> = (0..23).map(|i| (i % 4 != 0).then(|| format!("row {i}"))).collect();
        let list: Vec<Series> = (0..23).map(|i| Series::new("".into(), vec![i as i64; i % 3])).collect();
        let mut df = df!("Kind" => &n, "lineItem/Text" => &text, "items" => &list).unwrap();
        let path = dir.join("t.parquet");
        let f = std::fs::File::create(&path).unwrap();
        ParquetWriter::new(f).with_row_group_size(Some(5)).finish(&mut df).unwrap();
        (path, df)
    }

    #[test]
    fn kept_rows_are_the_rows_a_whole_read_filters_to_with_their_own_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let (path, df) = file(dir.path());
        let bill = ParquetBill::open(&path).unwrap();
        let groups: Vec<usize> = bill.meta.row_groups.iter().map(|g| g.num_rows()).collect();
        assert!(groups.len() > 2 && groups.iter().sum::<usize>() == 23, "row groups {groups:?}");
        // Keep rows whose `kind` is odd; the tally is the dropped rows' file numbers.
        let odd: &Prefilter<Vec<usize>> = &|t: &Table| {
            let kind = t.frame.column("kind")?.i64()?.clone();
            let keep: Vec<bool> = kind.into_no_null_iter().map(|k| k % 2 == 1).collect();
            let dropped = (0..keep.len()).filter(|&r| !keep[r]).map(|r| t.row_number(r)).collect();
            Ok(Some((keep, dropped)))
        };
        for rows in [usize::MAX, 5, 3, 1] {
            let (mut kept, mut dropped, mut numbers) = (vec![], vec![], vec![]);
            for piece in bill.pieces(rows) {
                let (t, tally) = bill.read(piece, &|_| true, &|name| name == "kind", odd).unwrap();
                assert_eq!(t.frame.get_column_names(), ["kind", "line_item_text", "items"]);
                numbers.extend((0..t.height()).map(|r| t.row_number(r)));
                kept.push(t.frame);
                dropped.extend(tally.unwrap());
            }
            let mut kept_all = kept.remove(0);
            for k in kept {
                kept_all.vstack_mut(&k).unwrap();
            }
            // The oracle: the frame as written, its odd rows by hand, numbered from 1.
            let want: Vec<usize> = (0..23).filter(|&i| (i * 7 % 23) % 2 == 1).collect();
            let want_frame =
                df.take(&IdxCa::from_vec("".into(), want.iter().map(|&i| i as IdxSize).collect())).unwrap();
            for c in 0..3 {
                let (got, w) = (&kept_all.columns()[c], &want_frame.columns()[c]);
                assert!(
                    got.as_materialized_series().equals_missing(w.as_materialized_series()),
                    "{rows}: {got:?} ≠ {w:?}"
                );
            }
            assert_eq!(numbers, want.iter().map(|i| i + 1).collect::<Vec<_>>(), "{rows}");
            let not: Vec<usize> = (1..=23).filter(|r| !numbers.contains(r)).collect();
            assert_eq!(dropped, not);
        }
    }

    #[test]
    fn a_footer_naming_bytes_past_the_end_is_refused_not_allocated() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = file(dir.path());
        let bill = ParquetBill::open(&path).unwrap();
        // The footer stays; the data before it is cut short (the column chunks lie past the end).
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 4]).unwrap();
        let all: &Prefilter<()> = &|_| Ok(None);
        let last = *bill.pieces(usize::MAX).last().unwrap();
        let e = bill.read(last, &|_| true, &|_| false, all).err().expect("a cut file is refused").to_string();
        assert!(e.contains("beyond the file's end"), "{e}");
    }

    #[test]
    fn an_empty_file_is_one_empty_piece_with_its_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        let mut df = df!("lineItem/UsageType" => Vec::<String>::new(), "n" => Vec::<i64>::new()).unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut df).unwrap();
        let bill = ParquetBill::open(&path).unwrap();
        let pieces = bill.pieces(1_000_000);
        assert_eq!(pieces.len(), 1);
        let all: &Prefilter<()> = &|_| Ok(None);
        let (t, _) = bill.read(pieces[0], &|_| true, &|n| n == "n", all).unwrap();
        assert_eq!(t.height(), 0);
        assert_eq!(t.frame.get_column_names(), ["line_item_usage_type", "n"]);
    }

    #[test]
    fn without_a_prefilter_every_row_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let (path, df) = file(dir.path());
        let bill = ParquetBill::open(&path).unwrap();
        let all: &Prefilter<()> = &|_| Ok(None);
        let mut rows = 0;
        for piece in bill.pieces(4) {
            let (t, tally) = bill.read(piece, &|name| name != "items", &|name| name == "kind", all).unwrap();
            assert!(tally.is_none());
            assert_eq!(t.frame.get_column_names(), ["kind", "line_item_text"]);
            let want = df.slice(rows as i64, t.height());
            assert!(
                t.frame
                    .column("line_item_text")
                    .unwrap()
                    .as_materialized_series()
                    .equals_missing(want.column("lineItem/Text").unwrap().as_materialized_series())
            );
            assert_eq!(
                (0..t.height()).map(|r| t.row_number(r)).collect::<Vec<_>>(),
                (rows + 1..=rows + t.height()).collect::<Vec<_>>()
            );
            rows += t.height();
        }
        assert_eq!(rows, 23);
    }
}
