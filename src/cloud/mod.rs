//! Claude bought through AWS Bedrock and Google Vertex AI (DESIGN §13).
//!
//! Much Claude spend never reaches Anthropic's Admin API: the clouds bill it. This module reads
//! their bills — AWS CUR 2.0 and legacy CUR ([`cur`]), the Google Cloud billing export ([`gcp`]),
//! in whatever file form they come ([`table`], [`cells`], [`ndjson`], [`parquet`], [`maps`]) —
//! into one `cloud_lines` frame ([`lines`]), understands what each line bills ([`kind`],
//! [`models`]), prices it from the card's `[[cloud_price]]` rows and reconciles it line by line
//! ([`reconcile`]), cross-checks Bedrock's quantities against its invocation logs
//! ([`invocations`]), and puts every provider's Claude spend in one table with Anthropic's
//! ([`spend`]). Rendering (terminal, JSON, HTML, FOCUS)
//! is `report::cloud` and `report::focus::cloud`.

pub mod cells;
pub mod columns;
pub mod cur;
pub mod findings;
pub mod gcp;
pub mod invocations;
pub mod kind;
pub mod lines;
pub mod maps;
pub mod models;
pub mod ndjson;
pub mod parquet;
pub mod quantity;
pub mod reconcile;
pub mod spend;
pub mod summary;
pub mod table;

use std::collections::BTreeMap;
use std::path::PathBuf;

use polars::prelude::DataFrame;

pub use lines::{CLOUD_LINE_COLUMNS, CloudLine};
pub use reconcile::{CloudReconciliation, CloudStatus, reconcile_cloud};

use crate::error::Result;
use crate::rates::RateCard;
use crate::rates::cloud::Provider;
use table::Table;

/// Rows of a Parquet bill read at a time (about one CUR row group).
const SLICE_ROWS: usize = 1_000_000;

/// What one reader made of one file.
#[derive(Debug, Default)]
pub struct Read {
    pub lines: Vec<CloudLine>,
    /// Rows that are not Claude, and their cost (scale-12 mantissa): shown, never dropped silently.
    pub other_rows: u64,
    pub other_cost: i128,
}

/// Every Claude line of a set of bills, and what was skipped per provider.
#[derive(Debug, Default)]
pub struct CloudBill {
    pub lines: Vec<CloudLine>,
    pub other: BTreeMap<Provider, Other>,
    pub files: Vec<String>,
}

/// Rows of a provider's bill that are not Claude.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Other {
    pub rows: u64,
    pub cost: i128,
}

impl CloudBill {
    fn add(&mut self, provider: Provider, file: String, read: Read) {
        let o = self.other.entry(provider).or_default();
        o.rows += read.other_rows;
        o.cost += read.other_cost;
        self.lines.extend(read.lines);
        self.files.push(file);
    }

    /// Reads CUR files or export directories (`--cur`) and billing exports (`--gcp`).
    pub fn read(cur: &[PathBuf], gcp: &[PathBuf], card: &RateCard) -> Result<CloudBill> {
        CloudBill::read_in_slices(cur, gcp, card, SLICE_ROWS)
    }

    /// [`CloudBill::read`] with Parquet bills read `slice_rows` rows at a time (the default is a
    /// million; tests read small bills in many slices to check the slices meet exactly).
    pub fn read_in_slices(cur: &[PathBuf], gcp: &[PathBuf], card: &RateCard, slice_rows: usize) -> Result<CloudBill> {
        let mut bill = CloudBill::default();
        for (paths, provider) in [(cur, Provider::AwsBedrock), (gcp, Provider::GcpVertex)] {
            for path in paths {
                for file in table::data_files(path)? {
                    let keep: &(dyn Fn(&str) -> bool + Sync) = match provider {
                        Provider::AwsBedrock => &cur::needed,
                        Provider::GcpVertex => &|_| true,
                    };
                    if table::Format::of(&file) == Some(table::Format::Parquet) {
                        bill.read_parquet(provider, &file, keep, card, slice_rows)?;
                        continue;
                    }
                    let t = Table::read(&file, Some(keep))?;
                    bill.read_table(provider, &t, card)?;
                }
            }
        }
        Ok(bill)
    }

    /// Reads a Parquet bill a piece of at most `slice_rows` rows at a time (row groups are never
    /// crossed), as many pieces at once as there are cores: each piece is read, filtered and
    /// turned into lines on its own, and the results are added in the file's order (the lines and
    /// the first error are those a single pass would give). At most one piece per core is
    /// decoded at once. A CUR's pieces are read in two passes (`parquet`): the product and cost for
    /// every row, the other columns for the rows that can be Claude only; the rest are counted and
    /// summed into `other` from the first pass.
    fn read_parquet(
        &mut self,
        provider: Provider,
        file: &std::path::Path,
        keep: &(dyn Fn(&str) -> bool + Sync),
        card: &RateCard,
        slice_rows: usize,
    ) -> Result<()> {
        let bill = parquet::ParquetBill::open(file)?;
        let pieces = bill.pieces(slice_rows);
        let (decide, prefilter): (&parquet::Columns, &parquet::Prefilter<Other>) = match provider {
            Provider::AwsBedrock => (&cur::decides, &cur::prefilter),
            Provider::GcpVertex => (&|_| false, &|_| Ok(None)),
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(pieces.len()).max(1);
        let mut file_reads = vec![];
        for wave in pieces.chunks(cores) {
            let reads: Vec<Result<(String, Read)>> = std::thread::scope(|s| {
                let piece_reads: Vec<_> = wave
                    .iter()
                    .map(|&piece| {
                        let bill = &bill;
                        s.spawn(move || {
                            let (t, dropped) = bill.read(piece, keep, decide, prefilter)?;
                            let mut read = Self::read_rows(provider, &t, card)?;
                            if let Some(o) = dropped {
                                read.other_rows += o.rows;
                                read.other_cost += o.cost;
                            }
                            Ok((t.file.clone(), read))
                        })
                    })
                    .collect();
                piece_reads.into_iter().map(|h| h.join().expect("reading a piece does not panic")).collect()
            });
            // The file's reads are kept until its end, so its lines are moved once into a
            // vector of the right size (growing it wave by wave moved every line again).
            for read in reads {
                file_reads.push(read?);
            }
        }
        self.lines.reserve(file_reads.iter().map(|(_, r)| r.lines.len()).sum());
        for (name, read) in file_reads {
            self.add(provider, name, read);
        }
        self.files.dedup();
        Ok(())
    }

    fn read_rows(provider: Provider, t: &Table, card: &RateCard) -> Result<Read> {
        match provider {
            Provider::AwsBedrock => cur::read(t, card),
            Provider::GcpVertex => gcp::read(t, card),
        }
    }

    /// Adds one table (a file, or a frame a Python caller passed).
    pub fn read_table(&mut self, provider: Provider, t: &Table, card: &RateCard) -> Result<()> {
        let read = Self::read_rows(provider, t, card)?;
        self.add(provider, t.file.clone(), read);
        Ok(())
    }

    /// Adds a caller's frame of raw bill rows.
    pub fn read_frame(&mut self, provider: Provider, name: &str, df: DataFrame, card: &RateCard) -> Result<()> {
        let t = Table::from_frame(name, df)?;
        self.read_table(provider, &t, card)
    }

    pub fn frame(&self) -> Result<DataFrame> {
        lines::to_frame(&self.lines)
    }
}
