//! A bill file as a table of text cells, whatever its format.
//!
//! Bills arrive as Parquet (CUR 2.0, the legacy CUR's Athena form, a BigQuery extract), CSV or
//! gzip CSV (CUR exports, flattened BigQuery views), or newline-delimited JSON (BigQuery's nested
//! extract). Every reader downstream wants the same thing: a cell as the bill's own text, so that
//! money and token amounts are parsed exactly (a float becomes its shortest round-trip text, never
//! float arithmetic). Column names are normalised once — `lineItem/UsageType` →
//! `line_item_usage_type`, `service.description` → `service_description` — and nested structs are
//! flattened the same way, so CUR 2.0, legacy CUR, Athena, Parquet, JSON and CSV meet on one
//! spelling. Map columns (CUR 2.0 `product`, `resource_tags`; GCP `labels`) stay whole: a cell is
//! read by key, or as a JSON object.

use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

/// One bill file read into memory, with normalised column names.
pub struct Table {
    pub file: String,
    pub frame: DataFrame,
    /// The file's row number of this table's first row, less one (a piece of a large Parquet
    /// file starts further in), so messages and `source` name the file's own row.
    pub first_row: usize,
    /// When the table holds some rows of its piece only: each row's offset from `first_row`.
    kept: Option<Vec<u32>>,
}

/// `lineItem/UsageType` → `line_item_usage_type`; `service.description` → `service_description`;
/// `resourceTags/user:team` → `resource_tags_user_team`; snake_case names are unchanged.
pub fn normalise_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    let mut prev_lower = false;
    for c in raw.trim().chars() {
        match c {
            '/' | '.' | ':' | ' ' | '-' => {
                out.push('_');
                prev_lower = false;
            }
            c if c.is_ascii_uppercase() => {
                if prev_lower {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
                prev_lower = false;
            }
            c => {
                out.push(c);
                prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            }
        }
    }
    out
}

/// The data files a path names: the file itself, or every bill file below a directory (an
/// export's `BILLING_PERIOD=…/` partitions), sorted; manifests and hidden files are not data.
pub fn data_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = vec![];
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
            let p = entry.map_err(|e| io(&dir, e))?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') || name.starts_with('_') || name == "metadata" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if Format::of(&p).is_some() && !name.to_ascii_lowercase().contains("manifest") {
                found.push(p);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(Error::input_hint(
            format!("{}: no bill files (.parquet, .csv, .csv.gz, .json, .ndjson) in this directory", path.display()),
            "point at the export's directory or at one of its files",
        ));
    }
    Ok(found)
}

/// The formats a bill file can be in, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv { gzip: bool },
    Ndjson { gzip: bool },
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let (stem, gzip) = match name.strip_suffix(".gz") {
            Some(s) => (s.to_string(), true),
            None => (name.clone(), false),
        };
        if stem.ends_with(".parquet") && !gzip {
            Some(Format::Parquet)
        } else if stem.ends_with(".csv") {
            Some(Format::Csv { gzip })
        } else if stem.ends_with(".json") || stem.ends_with(".ndjson") || stem.ends_with(".jsonl") {
            Some(Format::Ndjson { gzip })
        } else {
            None
        }
    }
}

impl Table {
    /// Reads one file; a file that is not a bill in its format is an input error naming it.
    /// `keep` (a normalised column name → whether a reader needs it) lets Parquet skip the other
    /// columns of a wide export (CUR 2.0 has over a hundred).
    pub fn read(path: &Path, keep: Option<&dyn Fn(&str) -> bool>) -> Result<Table> {
        let file = path.display().to_string();
        let format = Format::of(path).ok_or_else(|| {
            Error::input_hint(
                format!("{file}: not a bill file counterfoil can read"),
                "bills are .parquet, .csv, .csv.gz or newline-delimited .json/.ndjson (optionally .gz)",
            )
        })?;
        let bad = |what: &str, e: &dyn std::fmt::Display| Error::input(format!("{file}: not a readable {what}: {e}"));
        let frame = match format {
            Format::Parquet => {
                let f = std::fs::File::open(path).map_err(|e| io(path, e))?;
                let mut reader = ParquetReader::new(f);
                if let Some(keep) = keep {
                    let schema = reader.schema().map_err(|e| bad("Parquet file", &e))?;
                    let names: Vec<String> =
                        schema.iter_names().filter(|n| keep(&normalise_name(n))).map(|n| n.to_string()).collect();
                    reader = reader.with_columns(Some(names));
                }
                reader.finish().map_err(|e| bad("Parquet file", &e))?
            }
            Format::Csv { gzip } => {
                let bytes = read_bytes(path, gzip).map_err(|e| bad(if gzip { "gzip file" } else { "CSV file" }, &e))?;
                CsvReadOptions::default()
                    .with_infer_schema_length(Some(0))
                    .with_has_header(true)
                    .into_reader_with_file_handle(std::io::Cursor::new(bytes))
                    .finish()
                    .map_err(|e| bad("CSV file", &e))?
            }
            Format::Ndjson { gzip } => {
                let bytes =
                    read_bytes(path, gzip).map_err(|e| bad(if gzip { "gzip file" } else { "JSON file" }, &e))?;
                super::ndjson::frame(&bytes).map_err(|e| Error::input(format!("{file}: {e}")))?
            }
        };
        Ok(Table { file, frame: flatten(frame)?, first_row: 0, kept: None })
    }

    /// A table of some rows of a file: `first_row` is the file's row before the first of them
    /// and `kept`, when given, the offset from there of each row the table holds (a Parquet
    /// piece read for the rows a reader kept, `cloud::parquet`).
    pub fn of_rows(file: &str, frame: DataFrame, first_row: usize, kept: Option<Vec<u32>>) -> Result<Table> {
        Ok(Table { file: file.to_string(), frame: flatten(frame)?, first_row, kept })
    }

    /// Wraps a frame given by a caller (Python): names normalised, structs flattened.
    pub fn from_frame(name: &str, frame: DataFrame) -> Result<Table> {
        Ok(Table { file: name.to_string(), frame: flatten(frame)?, first_row: 0, kept: None })
    }

    pub fn has(&self, name: &str) -> bool {
        self.frame.column(name).is_ok()
    }

    /// The first of `names` the table has, or `None`.
    pub fn pick<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names.iter().copied().find(|n| self.has(n))
    }

    /// The file's own (1-based) number of this table's row `r`.
    pub fn row_number(&self, r: usize) -> usize {
        self.first_row + self.kept.as_ref().map_or(r, |k| k[r] as usize) + 1
    }

    pub fn height(&self) -> usize {
        self.frame.height()
    }
}

fn read_bytes(path: &Path, gzip: bool) -> std::io::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if !gzip {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 8);
    flate2::read::MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut out)?;
    Ok(out)
}

/// Normalised names; struct columns become `parent_child` columns (recursively).
fn flatten(frame: DataFrame) -> Result<DataFrame> {
    let mut out: Vec<Column> = Vec::with_capacity(frame.width());
    let height = frame.height();
    for c in frame.columns() {
        push_flat(&mut out, &normalise_name(c.name()), c.as_materialized_series().clone())?;
    }
    let mut seen = std::collections::HashSet::new();
    for c in &out {
        if !seen.insert(c.name().to_string()) {
            return Err(Error::input(format!(
                "two columns of this bill are both spelled {:?} once normalised; which one is meant is unclear",
                c.name().as_str()
            )));
        }
    }
    Ok(DataFrame::new(height, out)?)
}

fn push_flat(out: &mut Vec<Column>, name: &str, s: Series) -> Result<()> {
    if let DataType::Struct(_) = s.dtype() {
        for field in s.struct_()?.fields_as_series() {
            let child = format!("{name}_{}", normalise_name(field.name()));
            push_flat(out, &child, field)?;
        }
        return Ok(());
    }
    out.push(s.with_name(name.into()).into_column());
    Ok(())
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source: e }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_meet_on_one_spelling() {
        for (raw, want) in [
            ("lineItem/UsageType", "line_item_usage_type"),
            ("lineItem/LineItemType", "line_item_line_item_type"),
            ("product/ProductName", "product_product_name"),
            ("bill/BillingPeriodStartDate", "bill_billing_period_start_date"),
            ("pricing/publicOnDemandCost", "pricing_public_on_demand_cost"),
            ("resourceTags/user:team", "resource_tags_user_team"),
            ("identity/LineItemId", "identity_line_item_id"),
            ("lineItem/UsageAccountId", "line_item_usage_account_id"),
            ("line_item_usage_type", "line_item_usage_type"),
            ("service.description", "service_description"),
            ("usage.amount_in_pricing_units", "usage_amount_in_pricing_units"),
        ] {
            assert_eq!(normalise_name(raw), want, "{raw}");
        }
    }

    #[test]
    fn formats_by_name() {
        assert_eq!(Format::of(Path::new("a/x-00001.snappy.parquet")), Some(Format::Parquet));
        assert_eq!(Format::of(Path::new("x.csv.gz")), Some(Format::Csv { gzip: true }));
        assert_eq!(Format::of(Path::new("x.CSV")), Some(Format::Csv { gzip: false }));
        assert_eq!(Format::of(Path::new("x.json.gz")), Some(Format::Ndjson { gzip: true }));
        assert_eq!(Format::of(Path::new("x.txt")), None);
        assert_eq!(Format::of(Path::new("x.parquet.gz")), None);
    }
}
