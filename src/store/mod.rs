//! The store: a directory of plain Hive-partitioned Parquet that scheduled jobs sync on a cadence
//! and reconcile from without calling the API (DESIGN §7).
//!
//! ```text
//! DIR/usage/date=YYYY-MM-DD/part-0.parquet    usage (1h buckets, every price dimension and the key)
//! DIR/cost/date=YYYY-MM-DD/part-0.parquet     cost (the day's lines)
//! DIR/workspaces.parquet, DIR/api_keys.parquet
//! DIR/restatements.parquet, DIR/findings.parquet
//! DIR/_history/<dataset>/date=…/<UTC stamp>.parquet
//! DIR/state.json
//! ```
//!
//! It is the embedded default: no server, files that Polars, DuckDB and Spark read as they are.
//! Every write is atomic (`fsio`), one writer holds the lock at a time, and nothing is deleted:
//! a replaced partition goes to `_history/`.

pub mod budgets;
pub mod canonical;
mod files;
pub mod findings;
mod labels;
mod lock;
pub mod partition;
pub mod restatements;
pub mod state;
mod sync;
mod sync_report;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use polars::prelude::*;

pub use state::State;
pub use sync::{SETTLE_HOURS, SyncOptions, SyncSummary, is_store};

use crate::error::{Error, Result};
use crate::frames::{CostFrame, UsageFrame};
use crate::rates::RateCard;
use crate::reconcile::{Options, Reconciliation, Tolerance, reconcile};
use crate::window::TimeWindow;

/// The two datasets of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    Usage,
    Cost,
}

impl Dataset {
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Usage => "usage",
            Dataset::Cost => "cost",
        }
    }
}

pub(crate) fn store_err(path: impl AsRef<Path>, message: impl Into<String>) -> Error {
    Error::Store { path: path.as_ref().display().to_string(), message: message.into(), hint: None }
}

pub(crate) fn store_hint(path: impl AsRef<Path>, message: impl Into<String>, hint: impl Into<String>) -> Error {
    Error::Store { path: path.as_ref().display().to_string(), message: message.into(), hint: Some(hint.into()) }
}

/// The cause of an I/O error, without its path (the store error names the file).
pub(crate) fn io_cause(e: &Error) -> String {
    match e {
        Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// A store directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// A store to sync into: created if the directory is missing or empty; a non-empty directory
    /// that is not a store is refused (it is somebody else's).
    pub fn create_or_open(root: &Path) -> Result<Store> {
        if let Some(store) = Store::existing_or_vacant(root)? {
            return Ok(store);
        }
        std::fs::create_dir_all(root).map_err(|e| store_err(root, format!("cannot create it: {e}")))?;
        // The state exists from the start, so a directory a killed first run left behind is
        // still recognised as a store and the next run completes it.
        let store = Store { root: root.to_path_buf() };
        State::new(Utc::now()).write(&store.state_path())?;
        Ok(store)
    }

    /// The store at `root` (`Some`), or `None` for a missing or empty directory a store may be
    /// made in; any other directory is refused (it is somebody else's). Creates nothing.
    pub fn existing_or_vacant(root: &Path) -> Result<Option<Store>> {
        if root.join("state.json").is_file() {
            return Store::open(root).map(Some);
        }
        if root.exists() {
            let mut entries = std::fs::read_dir(root).map_err(|e| store_err(root, format!("cannot read it: {e}")))?;
            if !root.is_dir() || entries.next().is_some() {
                return Err(store_hint(
                    root,
                    "is not a counterfoil store (no state.json) and is not empty",
                    "give it an empty or new directory",
                ));
            }
        }
        Ok(None)
    }

    /// An existing store, for reading.
    pub fn open(root: &Path) -> Result<Store> {
        if !root.join("state.json").is_file() {
            return Err(store_hint(
                root,
                "is not a counterfoil store (no state.json)",
                "create one with `counterfoil sync --store DIR`",
            ));
        }
        let store = Store { root: root.to_path_buf() };
        store.state()?;
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn state_path(&self) -> PathBuf {
        self.root.join("state.json")
    }

    /// The store's `state.json`.
    pub fn state(&self) -> Result<State> {
        State::read(&self.state_path())
    }

    fn state_or_new(&self) -> Result<State> {
        if self.state_path().exists() { self.state() } else { Ok(State::new(Utc::now())) }
    }

    /// The partition files of `dataset` for the UTC days of `window` (every stored day when
    /// `None`), checked to exist and to be covered by the state.
    pub fn partition_files(&self, dataset: Dataset, window: Option<TimeWindow>) -> Result<Vec<PathBuf>> {
        let state = self.state()?;
        let days = state.days(dataset);
        let wanted: Vec<chrono::NaiveDate> = match window {
            None => days.keys().copied().collect(),
            Some(w) => {
                w.check_whole_days()?;
                let mut out = Vec::new();
                let mut d = w.start.date_naive();
                while d < w.end.date_naive() {
                    out.push(d);
                    d += Duration::days(1);
                }
                out
            }
        };
        let (first, last) = (days.keys().next().copied(), days.keys().next_back().copied());
        let mut files = Vec::with_capacity(wanted.len());
        for d in wanted {
            if !days.contains_key(&d) {
                let covered = match (first, last) {
                    (Some(f), Some(l)) => format!("it holds {f} to {l}"),
                    _ => "it holds nothing yet".into(),
                };
                return Err(store_hint(
                    &self.root,
                    format!("has no {} for {d} ({covered})", dataset.as_str()),
                    "run `counterfoil sync --store DIR` (with --backfill-days for older days) or choose a window the store covers",
                ));
            }
            let p = partition::path(&self.root, dataset, d);
            if !p.is_file() {
                return Err(store_hint(
                    &p,
                    "is missing although state.json lists it",
                    "sync again to re-fetch the day",
                ));
            }
            files.push(p);
        }
        Ok(files)
    }

    /// The stored rows of `dataset` over `window` (only `columns`, when given).
    /// The days of `window` (only those partitions are opened), with only `columns` (all when
    /// `None`) read from each file. Files are read on one thread per core; the frame keeps one
    /// chunk per day (nothing downstream needs it contiguous).
    pub fn read(&self, dataset: Dataset, window: TimeWindow, columns: Option<&[&str]>) -> Result<DataFrame> {
        let files = self.partition_files(dataset, Some(window))?;
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(files.len()).max(1);
        let per = files.len().div_ceil(threads).max(1);
        let parts: Vec<Result<Vec<DataFrame>>> = std::thread::scope(|s| {
            let handles: Vec<_> = files
                .chunks(per)
                .map(|fs| s.spawn(move || fs.iter().map(|f| partition::read(f, columns)).collect::<Result<Vec<_>>>()))
                .collect();
            handles.into_iter().map(|h| h.join().expect("reading a partition does not panic")).collect()
        });
        let mut out: Option<DataFrame> = None;
        for (df, f) in parts.into_iter().collect::<Result<Vec<_>>>()?.into_iter().flatten().zip(&files) {
            match &mut out {
                Some(acc) => {
                    acc.vstack_mut_owned(df)
                        .map_err(|e| store_err(f, format!("does not match the other partitions: {e}")))?;
                }
                None => out = Some(df),
            }
        }
        out.ok_or_else(|| store_err(&self.root, "the window holds no day"))
    }

    pub fn usage(&self, window: TimeWindow) -> Result<UsageFrame> {
        UsageFrame::new(&self.read(Dataset::Usage, window, None)?)
    }

    pub fn cost(&self, window: TimeWindow) -> Result<CostFrame> {
        CostFrame::new(&self.read(Dataset::Cost, window, None)?)
    }

    pub fn restatements(&self) -> Result<DataFrame> {
        restatements::read(&self.root)
    }

    pub fn findings(&self) -> Result<DataFrame> {
        findings::read(&self.root)
    }

    /// `finding_events.parquet`: every opening, resolution and reopening, in order.
    pub fn finding_events(&self) -> Result<DataFrame> {
        findings::read_events(&self.root)
    }

    /// Records whether the forecast's projection is over budget for crossing `id`
    /// (`budget_<month>_<budget>`); true when this is a new crossing (see [`budgets`]).
    pub fn record_budget(&self, id: &str, over: bool, delta: i128, now: DateTime<Utc>) -> Result<bool> {
        budgets::record(&self.root, id, over, delta, now)
    }

    /// Workspace and API-key names (with creators) stored by the last sync.
    pub fn labels(&self) -> Result<crate::model::Labels> {
        let read = |file: &str| -> Result<Option<DataFrame>> {
            let p = self.root.join(file);
            if p.exists() { Ok(Some(partition::read(&p, None)?)) } else { Ok(None) }
        };
        crate::model::Labels::from_frames(read(labels::WORKSPACES)?.as_ref(), read(labels::API_KEYS)?.as_ref())
    }

    /// Workspace names stored by the last sync.
    pub fn workspace_names(&self) -> Result<std::collections::BTreeMap<String, String>> {
        labels::workspace_names(&self.root)
    }

    /// Reconciles `window` from the store (no API call), upserts its discrepancies into
    /// `findings.parquet` at `now` (events into `finding_events.parquet`), and adds `first_seen`
    /// to the lines. Returns the reconciliation and whether any finding was opened or reopened by
    /// this run (a discrepancy on a provisional day opens only once the day has settled).
    pub fn reconcile(
        &self,
        window: TimeWindow,
        card: &RateCard,
        tolerance: Tolerance,
        now: DateTime<Utc>,
    ) -> Result<(Reconciliation, bool)> {
        let (rec, events) = self.reconcile_with_events(window, card, tolerance, now)?;
        let opened = events.iter().any(|e| e.event != "resolved");
        Ok((rec, opened))
    }

    /// [`Store::reconcile`], returning the finding events this run recorded (what a notifier
    /// tells people about).
    pub fn reconcile_with_events(
        &self,
        window: TimeWindow,
        card: &RateCard,
        tolerance: Tolerance,
        now: DateTime<Utc>,
    ) -> Result<(Reconciliation, Vec<findings::Event>)> {
        let mut rec = self.reconcile_read_only(window, card, tolerance)?;
        let up = findings::upsert(&self.root, &rec.lines, window.start.date_naive(), window.end.date_naive(), now)?;
        let column = crate::frames::columns::datetime(
            "first_seen",
            up.first_seen.iter().map(|f| f.map(|t| t.timestamp_micros())).collect(),
        );
        rec.lines.with_column(column)?;
        rec.provenance.recorded_at = Some(now);
        Ok((rec, up.events))
    }

    /// Reconciles `window` from the store and writes nothing: an export (`counterfoil focus`)
    /// must not mark discrepancies as seen, or the next `reconcile --new-only` would not alert.
    pub fn reconcile_read_only(
        &self,
        window: TimeWindow,
        card: &RateCard,
        tolerance: Tolerance,
    ) -> Result<Reconciliation> {
        let options =
            Options { tolerance, window: Some(window), workspace_names: self.workspace_names()?, by_api_key: false };
        // Only the columns a reconciliation reads (not the API key or account columns).
        let usage = self.read(Dataset::Usage, window, Some(&crate::frames::usage::reconcile_columns(false)))?;
        let mut rec = reconcile(&UsageFrame::new(&usage)?, &self.cost(window)?, card, &options)?;
        rec.provenance = self.provenance(window)?;
        // `provisional` (after the §3 columns): the line's day has not settled yet.
        let days = rec.lines.column("date")?.as_materialized_series().to_physical_repr();
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        let unsettled = &rec.provenance.unsettled_days;
        let flags: BooleanChunked = days
            .i32()?
            .iter()
            .map(|d| Some(d.is_some_and(|d| unsettled.contains(&(epoch + Duration::days(d as i64))))))
            .collect();
        rec.lines.with_column(flags.with_name("provisional".into()).into_column())?;
        rec.summary.provisional_days = unsettled.iter().copied().collect();
        Ok(rec)
    }

    /// The organization the store belongs to, and the days of `window` whose usage or cost had not
    /// settled when last fetched (provisional: export lag may still fill them).
    pub fn provenance(&self, window: TimeWindow) -> Result<crate::reconcile::Provenance> {
        let state = self.state()?;
        let (first, end) = (window.start.date_naive(), window.end.date_naive());
        let unsettled = [Dataset::Usage, Dataset::Cost]
            .iter()
            .flat_map(|d| state.days(*d).iter())
            .filter(|(day, s)| **day >= first && **day < end && !s.is_settled())
            .map(|(day, _)| *day)
            .collect();
        Ok(crate::reconcile::Provenance {
            organization: state.organization.map(|o| (o.id, o.name)),
            unsettled_days: unsettled,
            recorded_at: None,
        })
    }
}
