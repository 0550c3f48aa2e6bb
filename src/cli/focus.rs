//! `counterfoil focus`: a reconciliation as a FOCUS 1.2 or 1.3 file (DESIGN §14).
//!
//! The data comes through the same path as `reconcile` (a store, or the API with the same flags),
//! so a FOCUS row is exactly a reconciliation line. The version and the file's extension are
//! checked before anything is fetched: a typo costs no API calls. From a store, nothing is
//! written to it: an export must not mark discrepancies as seen before `reconcile --new-only`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::args::{Connection, DataSource, Window};
use super::commands::load_card;
use super::reconcile::{Origin, reconciliation, tolerance};
use crate::error::Result;
use crate::report;
use crate::report::focus::{FocusContext, FocusFile, FocusVersion, to_focus, write_focus_file};
use crate::window::TimeWindow;

#[derive(Debug, Args)]
pub struct FocusArgs {
    #[command(flatten)]
    pub window: Window,
    /// The FOCUS file to write: FILE.parquet or FILE.csv.
    #[arg(long)]
    pub out: PathBuf,
    /// FOCUS version of the file: 1.2 or 1.3.
    #[arg(long, default_value = "1.2")]
    pub focus_version: String,
    /// A rate card layered over the bundled one (see `counterfoil rates --check`).
    #[arg(long)]
    pub rates: Option<PathBuf>,
    /// Absolute tolerance per line, in USD (decides x_ReconcileStatus).
    #[arg(long, default_value = "0.01")]
    pub abs_tol: String,
    /// Relative tolerance per line, as a fraction of the reported amount.
    #[arg(long, default_value = "0")]
    pub rel_tol: String,
    /// Read usage and cost from a store written by `counterfoil sync` (no API call).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// legacy (usage_report + cost_report) or analytics (ListCost from the Analytics API's list_amount).
    #[arg(long, value_enum, default_value_t = DataSource::Legacy, conflicts_with = "store")]
    pub source: DataSource,
    /// Bedrock and Vertex bills to add as FOCUS rows (`--cur PATH`, `--gcp PATH`; DESIGN §13).
    #[command(flatten)]
    pub bills: super::cloud::Bills,
    #[command(flatten)]
    pub connection: Connection,
}

pub fn run(a: FocusArgs, _stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let version = FocusVersion::parse(&a.focus_version)?;
    FocusFile::of(&a.out)?;
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let tolerance = tolerance(&a.abs_tol, &a.rel_tol)?;
    let card = load_card(a.rates.as_deref(), stderr)?;
    let files =
        crate::jobs::cloud::CloudFiles { cur: a.bills.cur.clone(), gcp: a.bills.gcp.clone(), invocations: vec![] };
    let cloud = if files.is_empty() {
        None
    } else {
        let tol = crate::cloud::reconcile::default_tolerance();
        Some(crate::jobs::cloud::reconcile_files(&files, &card, tol, Some(window))?)
    };
    let anthropic = cloud.is_none() || super::cloud::anthropic_available(a.store.as_deref(), &a.connection);
    let rec = if anthropic {
        let from = Origin {
            store: a.store.as_deref(),
            connection: &a.connection,
            source: a.source.into(),
            by_key: false,
            record_findings: false,
        };
        Some(reconciliation(&from, window, &card, tolerance, true, stderr)?.rec)
    } else {
        let _ = writeln!(stderr, "note: no --store and no Admin API key: the file holds the cloud bills only");
        None
    };
    let anthropic_rows = match &rec {
        Some(rec) => Some(to_focus(rec, &FocusContext::of(&rec.provenance, None)?, version)?),
        None => None,
    };
    let mut df = match &cloud {
        Some(c) => crate::report::focus::cloud::combined(anthropic_rows, c, version)?,
        None => anthropic_rows.expect("Anthropic's side when there is no cloud bill"),
    };
    write_focus_file(&mut df, &a.out)?;
    let _ = writeln!(stderr, "wrote {} (FOCUS {}, {} rows)", a.out.display(), version.as_str(), df.height());
    if let Some(line) = rec.as_ref().and_then(report::stderr_summary) {
        let _ = write!(stderr, "{}", super::fit("", 0, &line));
    }
    Ok(0)
}
