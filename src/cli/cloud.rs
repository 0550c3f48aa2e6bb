//! `counterfoil cloud reconcile|read` and `counterfoil spend` (DESIGN §13): Claude bought on AWS
//! Bedrock and Google Vertex AI, checked line by line, and all Claude spend in one table.
//!
//! Arguments are parsed and outputs chosen here; the work is `jobs::cloud` and `cloud::*`, the
//! same functions the Python package calls.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::args::{Connection, ReportFormat};
use super::commands::load_card;
use crate::cloud::spend;
use crate::error::{Error, Result};
use crate::jobs::cloud::{CloudFiles, reconcile_files};
use crate::report::cloud as report;
use crate::report::formats::{Format, write_frame, write_frame_file};
use crate::window::TimeWindow;

#[derive(Debug, Args)]
pub struct CloudArgs {
    #[command(subcommand)]
    pub command: CloudCommand,
}

#[derive(Debug, Subcommand)]
pub enum CloudCommand {
    /// Reconcile Bedrock and Vertex bills line by line against the cloud list prices.
    Reconcile(Box<CloudReconcileArgs>),
    /// Read bills into the cloud_lines frame (CSV, JSON, Parquet or a table).
    Read(CloudReadArgs),
}

#[derive(Debug, Args, Clone)]
pub struct Bills {
    /// An AWS CUR 2.0 or legacy CUR: a file (.parquet, .csv, .csv.gz) or the export's directory.
    #[arg(long, value_name = "PATH")]
    pub cur: Vec<PathBuf>,
    /// A Google Cloud billing export: Parquet, newline-delimited JSON or flattened CSV.
    #[arg(long, value_name = "PATH")]
    pub gcp: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CloudReconcileArgs {
    #[command(flatten)]
    pub bills: Bills,
    /// Bedrock model invocation logs (JSON lines, .json.gz), to cross-check the bill's tokens.
    #[arg(long, value_name = "PATH")]
    pub invocations: Vec<PathBuf>,
    #[command(flatten)]
    pub window: super::args::Window,
    /// A rate card layered over the bundled one (its [[cloud_price]] rows).
    #[arg(long)]
    pub rates: Option<PathBuf>,
    /// Absolute tolerance per line item, USD (cloud lines are not rounded to cents).
    #[arg(long, default_value = "0.000001")]
    pub abs_tol: String,
    /// Relative tolerance per line item, as a fraction of the billed amount.
    #[arg(long, default_value = "0")]
    pub rel_tol: String,
    /// Roll up by IAM principal (AWS) or labels (Google) on stderr.
    #[arg(long)]
    pub by_principal: bool,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CloudReadArgs {
    #[command(flatten)]
    pub bills: Bills,
    /// Output format of the cloud_lines frame.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the frame here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SpendArgs {
    #[command(flatten)]
    pub window: super::args::Window,
    #[command(flatten)]
    pub bills: Bills,
    /// Anthropic's side from a store written by `counterfoil sync` (otherwise from the API when a
    /// key is set, or left out).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// A rate card layered over the bundled one.
    #[arg(long)]
    pub rates: Option<PathBuf>,
    /// Output format of the spend table.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the table here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

pub fn run(a: CloudArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    match a.command {
        CloudCommand::Reconcile(a) => reconcile(*a, stdout, stderr),
        CloudCommand::Read(a) => read(a, stdout, stderr),
    }
}

fn reconcile(a: CloudReconcileArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let tolerance = super::reconcile::tolerance(&a.abs_tol, &a.rel_tol)?;
    let card = load_card(a.rates.as_deref(), stderr)?;
    let files = CloudFiles { cur: a.bills.cur, gcp: a.bills.gcp, invocations: a.invocations };
    let rec = reconcile_files(&files, &card, tolerance, Some(window))?;
    let width = crate::report::wrap::terminal_width();
    let text = match a.format {
        ReportFormat::Table => report::text(&rec, width),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&report::json(&rec)?).map_err(|e| Error::Internal(e.to_string()))? + "\n"
        }
        ReportFormat::Html => report::html(&rec)?,
        ReportFormat::Csv | ReportFormat::Parquet => {
            let f = if a.format == ReportFormat::Csv { Format::Csv } else { Format::Parquet };
            let mut df = report::lines_frame(&rec)?;
            match &a.out {
                Some(p) => write_frame_file(&mut df, f, p, false)?,
                None => write_frame(&mut df, f, stdout, false)?,
            }
            String::new()
        }
    };
    match &a.out {
        Some(p) if !text.is_empty() => crate::fsio::write_output_bytes(p, text.as_bytes())?,
        None => stdout.write_all(text.as_bytes()).map_err(crate::error::io_err("<stdout>"))?,
        _ => {}
    }
    if let Some(line) = a.out.as_deref().and_then(crate::fsio::wrote_line) {
        let _ = writeln!(stderr, "{line}");
    }
    if a.format != ReportFormat::Table {
        let _ = write!(stderr, "{}", report::text(&rec, width));
    }
    if a.by_principal {
        for (who, t) in rec.by_principal() {
            let line = format!(
                "{who}: {} lines, billed {}, list {}, unchecked {}",
                t.lines,
                crate::money::cents_usd(t.billed),
                crate::money::cents_usd(t.expected),
                crate::money::cents_usd(t.unchecked)
            );
            let _ = writeln!(stderr, "{}", crate::report::wrap::hanging("  ", 4, &line, width));
        }
    }
    Ok(rec.exit_code())
}

fn read(a: CloudReadArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let card = load_card(None, stderr)?;
    let files = CloudFiles { cur: a.bills.cur, gcp: a.bills.gcp, invocations: vec![] };
    let bill = crate::jobs::cloud::read_bills(&files, &card, None)?;
    let mut df = bill.frame()?;
    match &a.out {
        Some(p) => write_frame_file(&mut df, a.format, p, false)?,
        None => write_frame(&mut df, a.format, stdout, false)?,
    }
    for (p, o) in &bill.other {
        let _ = writeln!(
            stderr,
            "{}: {} Claude lines; skipped {} other rows ({})",
            p.title(),
            bill.lines.iter().filter(|l| l.provider == *p).count(),
            o.rows,
            crate::money::cents_usd(o.cost)
        );
    }
    Ok(0)
}

/// Whether Anthropic's own bill can be read: a store, or an Admin API key.
pub(crate) fn anthropic_available(store: Option<&std::path::Path>, c: &Connection) -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    store.is_some() || c.api_key.is_some() || set("ANTHROPIC_ADMIN_KEY") || set("ANTHROPIC_ADMIN_API_KEY")
}

/// `counterfoil spend`: Anthropic + Bedrock + Vertex in one table.
pub fn spend_cmd(a: SpendArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let card = load_card(a.rates.as_deref(), stderr)?;
    let files = CloudFiles { cur: a.bills.cur, gcp: a.bills.gcp, invocations: vec![] };
    let anthropic = if anthropic_available(a.store.as_deref(), &a.connection) {
        let from = super::reconcile::Origin {
            store: a.store.as_deref(),
            connection: &a.connection,
            source: crate::reconcile::Source::CostReport,
            by_key: false,
            record_findings: false,
        };
        Some(
            super::reconcile::reconciliation(
                &from,
                window,
                &card,
                crate::reconcile::Tolerance::default(),
                false,
                stderr,
            )?
            .rec,
        )
    } else {
        let _ = writeln!(stderr, "note: no --store and no Admin API key: Anthropic's own bill is left out");
        None
    };
    if anthropic.is_none() && files.is_empty() {
        return Err(Error::input_hint(
            "nothing to show",
            "pass --store DIR or an Admin API key, and/or --cur / --gcp bills",
        ));
    }
    let cloud = if files.is_empty() {
        None
    } else {
        Some(reconcile_files(&files, &card, crate::cloud::reconcile::default_tolerance(), Some(window))?)
    };
    let names = std::collections::BTreeMap::new();
    let (mut df, totals) = spend::all_spend(anthropic.as_ref().map(|r| &r.lines), cloud.as_ref(), &names)?;
    match &a.out {
        Some(p) => write_frame_file(&mut df, a.format, p, false)?,
        None => write_frame(&mut df, a.format, stdout, false)?,
    }
    for (p, billed) in &totals.usage_billed {
        let not_usage = totals.not_usage.get(p).copied().unwrap_or(0);
        let _ = writeln!(
            stderr,
            "{p}: usage billed {}, not usage {}",
            crate::money::cents_usd(*billed),
            crate::money::cents_usd(not_usage)
        );
    }
    Ok(0)
}

/// The demo's second half: the same seed's Bedrock and Vertex bills (the simulator writes them
/// under `OUT/cloud-bills`), reconciled, and every provider's spend in one table.
#[allow(clippy::too_many_arguments)]
pub(crate) fn demo_clouds(
    out: &std::path::Path,
    seed: u64,
    days: u32,
    end: chrono::NaiveDate,
    anthropic: &crate::reconcile::Reconciliation,
    card: &crate::rates::RateCard,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<()> {
    let bills = crate::sim::cloud::CloudBills::generate(crate::sim::cloud::CloudConfig::new(seed, days, end));
    let dir = out.join("cloud-bills");
    bills.write_all(&dir)?;
    let files = CloudFiles {
        cur: vec![dir.join("cur2")],
        gcp: vec![dir.join("gcp").join("billing.parquet")],
        invocations: vec![dir.join("bedrock-invocations")],
    };
    let start = bills.config.start().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let window = TimeWindow::new(start, end.and_hms_opt(0, 0, 0).expect("midnight").and_utc())?;
    let rec = reconcile_files(&files, card, crate::cloud::reconcile::default_tolerance(), Some(window))?;
    let width = crate::report::wrap::terminal_width();
    let _ = writeln!(stdout);
    stdout.write_all(report::text(&rec, width).as_bytes()).map_err(crate::error::io_err("<stdout>"))?;
    let html = out.join("cloud.html");
    crate::fsio::write_output_bytes(&html, report::html(&rec)?.as_bytes())?;
    let (mut df, totals) = spend::all_spend(Some(&anthropic.lines), Some(&rec), &std::collections::BTreeMap::new())?;
    let spend_file = out.join("spend.parquet");
    write_frame_file(&mut df, Format::Parquet, &spend_file, false)?;
    let _ = writeln!(stdout, "\nAll Claude spend, {} → {}:", window.start.date_naive(), window.end.date_naive());
    for (p, billed) in &totals.usage_billed {
        let _ = writeln!(stdout, "  {p:<12} {:>14}", crate::money::cents_usd(*billed));
    }
    let _ = writeln!(stderr, "wrote {}, {} and {}", dir.display(), html.display(), spend_file.display());
    Ok(())
}
