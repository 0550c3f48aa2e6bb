//! `counterfoil reconcile` and `counterfoil demo`: the whole path, and its outputs.

use std::io::Write;
use std::path::Path;

use super::args::{DemoArgs, ReconcileArgs, ReportFormat};
use super::commands::{client, load_card, organization};
use super::progress_bar;
use crate::api::{AdminClient, ApiKey, BaseUrl, ClientConfig};
use crate::error::{Error, Result, io_err};
use crate::jobs::fetch::{fetch, fetch_and_reconcile, provenance};
use crate::money::parse_decimal;
use crate::reconcile::{Options, Reconciliation, Tolerance, reconcile};
use crate::report;
use crate::report::formats::{Format, write_frame, write_frame_file};
use crate::runtime::block_on;
use crate::sim::{FakeAdminApi, Faults};
use crate::store::Store;
use crate::window::TimeWindow;

/// `--abs-tol` and `--rel-tol` as a tolerance (plain decimals, neither negative).
pub(crate) fn tolerance(abs_tol: &str, rel_tol: &str) -> Result<Tolerance> {
    Tolerance::new(parse_decimal(abs_tol, "--abs-tol")?, parse_decimal(rel_tol, "--rel-tol")?)
}

/// Writes `rec` in `format` to `out` (atomically) or stdout.
pub fn write_reconciliation(
    rec: &Reconciliation,
    format: ReportFormat,
    out: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<()> {
    let text = match format {
        ReportFormat::Table => report::text_summary(rec, report::wrap::terminal_width())?,
        ReportFormat::Json => {
            serde_json::to_string_pretty(&report::json(rec)?).map_err(|e| Error::Internal(e.to_string()))? + "\n"
        }
        ReportFormat::Html => report::html(rec, "counterfoil reconciliation")?,
        ReportFormat::Csv | ReportFormat::Parquet => {
            let f = if format == ReportFormat::Csv { Format::Csv } else { Format::Parquet };
            let mut lines = rec.lines.clone();
            return match out {
                Some(p) => write_frame_file(&mut lines, f, p, true),
                None => write_frame(&mut lines, f, stdout, true),
            };
        }
    };
    match out {
        Some(p) => crate::fsio::write_output_bytes(p, text.as_bytes()),
        None => stdout.write_all(text.as_bytes()).map_err(io_err("<stdout>")),
    }
}

pub fn run(a: ReconcileArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    // Where alerts go is checked before any work: a typo in a SPEC must not cost an API call.
    let sinks = crate::notify::spec::parse_all(&a.notify)?;
    let cfg = super::notify::delivery(a.notify_timeout);
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let tolerance = tolerance(&a.abs_tol, &a.rel_tol)?;
    let card = load_card(a.rates.as_deref(), stderr)?;
    let from = Origin {
        store: a.store.as_deref(),
        connection: &a.connection,
        source: a.source.into(),
        by_key: a.by_key,
        record_findings: true,
    };
    let want_org = !sinks.is_empty() || a.metrics_file.is_some();
    let done = match reconciliation(&from, window, &card, tolerance, want_org, stderr) {
        Ok(done) => done,
        Err(e) => {
            return Err(super::notify::job_failed(
                "reconcile",
                &sinks,
                &cfg,
                a.store.as_deref(),
                Some(window),
                e,
                stderr,
            ));
        }
    };
    let (rec, new) = (&done.rec, done.new);
    write_reconciliation(rec, a.format, a.out.as_deref(), stdout)?;
    if let Some(line) = a.out.as_deref().and_then(crate::fsio::wrote_line) {
        let _ = writeln!(stderr, "{line}");
    }
    if let Some(line) = report::stderr_summary(rec) {
        let none_new = a.new_only && new == Some(false);
        let line = format!("{line}{}", if none_new { " (none new)" } else { "" });
        let _ = write!(stderr, "{}", super::fit("", 0, &line));
    }
    let failing = if a.new_only { new.unwrap_or(false) } else { !rec.ok() };
    if let Some(path) = a.metrics_file.as_deref() {
        crate::notify::metrics::write(path, rec, "reconcile", done.at)?;
    }
    let delivered = super::notify::after_reconcile(&sinks, &cfg, a.store.as_deref(), &done, stderr)?;
    Ok(if delivered { i32::from(failing) } else { 4 })
}

/// Where a reconciliation's data comes from: the flags `reconcile` and `focus` share.
pub(crate) struct Origin<'a> {
    pub store: Option<&'a Path>,
    pub connection: &'a super::args::Connection,
    pub source: crate::reconcile::Source,
    pub by_key: bool,
    /// With a store: record the discrepancies in its findings (reconcile does; an export does not).
    pub record_findings: bool,
}

/// The one fetch path of `reconcile` and `focus`: from a store (no API call; with
/// `record_findings`, records the findings and says whether any discrepancy is new) or from the
/// API. With `organization`, an API reconciliation also learns whose bill it is
/// (`/v1/organizations/me`) and marks the days the API may still restate (those a store would
/// hold as incomplete, with its default restatement window); a store knows both already.
pub(crate) fn reconciliation(
    from: &Origin<'_>,
    window: TimeWindow,
    card: &crate::rates::RateCard,
    tolerance: Tolerance,
    organization: bool,
    stderr: &mut dyn Write,
) -> Result<Reconciled> {
    let at = super::commands::now()?;
    if let Some(dir) = from.store {
        let store = Store::open(dir)?;
        if !from.record_findings {
            let rec = store.reconcile_read_only(window, card, tolerance)?;
            return Ok(Reconciled { rec, new: None, at });
        }
        let (rec, new) = store.reconcile(window, card, tolerance, at)?;
        return Ok(Reconciled { rec, new: Some(new), at });
    }
    warn_recent(window, at, stderr);
    let client = client(from.connection, "reconcile")?;
    let mut rec = block_on(fetch_and_reconcile(&client, window, card, tolerance, from.by_key, from.source))??;
    if organization {
        rec.provenance = block_on(provenance(&client, window))??;
    }
    Ok(Reconciled { rec, new: None, at })
}

/// What [`reconciliation`] did.
pub(crate) struct Reconciled {
    pub rec: Reconciliation,
    /// With a store that records findings: whether any was opened or reopened.
    pub new: Option<bool>,
    /// The run's time (`COUNTERFOIL_NOW` or the clock), the store's `now`.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A warning when the window reaches days the API may still restate (today and yesterday) or
/// that have not happened yet.
pub(crate) fn warn_recent(window: TimeWindow, now: chrono::DateTime<chrono::Utc>, stderr: &mut dyn Write) {
    let today = now.date_naive();
    let last = (window.end - chrono::Duration::days(1)).date_naive();
    let yesterday = today - chrono::Duration::days(1);
    if last > today {
        super::warn(
            stderr,
            &format!(
                "--end {} is after today ({today} UTC): days after today have no data yet",
                window.end.date_naive()
            ),
        );
    }
    if last >= yesterday {
        let first = window.start.date_naive().max(yesterday);
        super::warn(
            stderr,
            &format!(
                "the window includes {first} to {}, which the API may still restate (data usually lands within 4 hours, occasionally 24): reconcile those days again later",
                last.min(today)
            ),
        );
    }
}

/// The whole path over loopback HTTP against a simulated organization with planted errors.
pub fn demo(a: DemoArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let mut sim = a.sim;
    sim.plants.get_or_insert_with(|| "all".into());
    let org = organization(&sim)?;
    let window = org.window();
    // The bundled card, never the organization's billing card: a planted stale price must show.
    let card = crate::rates::RateCard::bundled();
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0)?;
    let _ = writeln!(
        stderr,
        "fake Admin API on {} (simulated organization, seed {}, planted: {})",
        api.base_url(),
        sim.seed,
        sim.plants.as_deref().unwrap_or("none")
    );
    let client =
        AdminClient::new(ApiKey::new(api.api_key())?, BaseUrl::parse(&api.base_url())?, ClientConfig::default())?
            .with_progress(progress_bar("fetching"));
    let fetched = block_on(fetch(&client, window))??;
    let options = Options { window: Some(window), workspace_names: fetched.workspace_names, ..Options::default() };
    let rec = reconcile(&fetched.usage, &fetched.cost, &card, &options)?;
    write_reconciliation(&rec, ReportFormat::Table, None, stdout)?;
    std::fs::create_dir_all(&a.out).map_err(io_err(a.out.display()))?;
    let html = a.out.join("report.html");
    let parquet = a.out.join("lines.parquet");
    write_reconciliation(&rec, ReportFormat::Html, Some(&html), stdout)?;
    write_reconciliation(&rec, ReportFormat::Parquet, Some(&parquet), stdout)?;
    let _ = writeln!(stderr, "wrote {} and {}", html.display(), parquet.display());
    super::cloud::demo_clouds(&a.out, sim.seed, sim.days, window.end.date_naive(), &rec, &card, stdout, stderr)?;
    Ok(0)
}
