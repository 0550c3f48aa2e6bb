//! `sync`: bring a store up to date on the cadence of DESIGN §7, writing only what changed.
//!
//! The first run backfills `backfill_days` full UTC days plus today. Every run re-reads today and
//! yesterday (hours keep arriving, and the API restates recent hours within about 4 hours,
//! occasionally 24); days T-2 … T-`restate_days` are re-read once per UTC day; older days only
//! when missing. A day is written only after all its pages arrived, whole and atomically; an
//! unchanged day is not written at all (content hashes); a changed day's old partition goes to
//! `_history/`, and if buckets that had already settled when it was last fetched changed, the
//! change is logged in `restatements.parquet` (changes to unsettled buckets are export lag).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use polars::prelude::*;

use super::partition::{self, content_hash};
use super::restatements::{Restatement, append};
use super::state::{DayState, OrgIdentity, State};
use super::{Dataset, Store, labels, store_hint};
use crate::api::{AdminClient, BucketWidth, CostQuery, UsageDimension, UsageQuery};
use crate::error::Result;
use crate::frames::{CostFrame, UsageFrame, cost_frame, fetch_usage};
use crate::window::TimeWindow;

pub use super::sync_report::{SETTLE_HOURS, SyncOptions, SyncSummary};

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// The days this run must fetch, and whether the restatement window is among them.
fn due_days(state: &State, today: NaiveDate, o: &SyncOptions) -> (BTreeSet<NaiveDate>, bool) {
    let mut due = BTreeSet::new();
    let first = state.usage.keys().chain(state.cost.keys()).min().copied();
    let Some(first) = first else {
        for k in 0..=o.backfill_days as i64 {
            due.insert(today - Duration::days(k));
        }
        return (due, true);
    };
    // Gaps (a run that did not happen, an API failure that left a day unwritten).
    let mut d = first;
    while d <= today {
        if !state.usage.contains_key(&d) || !state.cost.contains_key(&d) {
            due.insert(d);
        }
        d += Duration::days(1);
    }
    due.insert(today);
    due.insert(today - Duration::days(1));
    let restate = state.restate_checked != Some(today);
    if restate {
        for k in 2..=o.restate_days as i64 {
            let d = today - Duration::days(k);
            if d >= first {
                due.insert(d);
            }
        }
    }
    (due, restate)
}

/// Runs of consecutive days.
fn ranges(days: &BTreeSet<NaiveDate>) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &d in days {
        match out.last_mut() {
            Some((_, end)) if *end + Duration::days(1) == d => *end = d,
            _ => out.push((d, d)),
        }
    }
    out
}

fn day_rows(df: &DataFrame, day: NaiveDate) -> Result<DataFrame> {
    let (s, e) = (midnight(day).timestamp_micros(), (midnight(day) + Duration::days(1)).timestamp_micros());
    let t = df.column("bucket_start")?.as_materialized_series().to_physical_repr().i64()?.clone();
    let mask: BooleanChunked = t.iter().map(|v| v.is_some_and(|v| v >= s && v < e)).collect();
    Ok(df.filter(&mask)?)
}

/// Rows of buckets that had ended by `t`.
fn ended_by(df: &DataFrame, t: DateTime<Utc>) -> Result<DataFrame> {
    let end = df.column("bucket_end")?.as_materialized_series().to_physical_repr().i64()?.clone();
    let mask: BooleanChunked = end.iter().map(|v| v.is_some_and(|v| v <= t.timestamp_micros())).collect();
    Ok(df.filter(&mask)?)
}

/// Σ of the five token counts (usage) or of `amount_usd` (cost).
fn totals(dataset: Dataset, df: &DataFrame) -> Result<(Option<i64>, Option<i128>)> {
    Ok(match dataset {
        Dataset::Usage => {
            let mut sum = 0i128;
            for c in crate::frames::TOKEN_COLUMNS.iter().map(|(c, _)| *c) {
                for v in df.column(c)?.i64()?.iter().flatten() {
                    sum += v as i128;
                }
            }
            (Some(i64::try_from(sum).unwrap_or(i64::MAX)), None)
        }
        Dataset::Cost => {
            let mut sum = 0i128;
            for v in df.column("amount_usd")?.decimal()?.physical().iter().flatten() {
                sum = crate::money::add(sum, v, "a day's cost total")?;
            }
            (None, Some(sum))
        }
    })
}

impl Store {
    /// Brings the store up to date through `client`; `stop` ends the run cleanly between days.
    pub async fn sync(&self, client: &AdminClient, options: &SyncOptions, stop: &AtomicBool) -> Result<SyncSummary> {
        let started = Instant::now();
        let requests_before = client.requests();
        let lock = super::lock::acquire(&self.root)?;
        super::files::sweep(&self.root)?;
        let mut state = self.state_or_new()?;
        state.hash_encoding = super::canonical::ENCODING.into(); // every hash this run records
        let mut summary = SyncSummary { took_over_lock_from: lock.took_over_from, ..SyncSummary::default() };

        let org = client.organization().await?;
        match &state.organization {
            Some(known) if known.id != org.id => {
                return Err(store_hint(
                    &self.root,
                    format!("belongs to organization {} ({}), not {} ({})", known.name, known.id, org.name, org.id),
                    "use one store per organization",
                ));
            }
            _ => state.organization = Some(OrgIdentity { id: org.id, name: org.name }),
        }

        let now = client.config().now();
        let today = now.date_naive();
        summary.refetched = self.forget_unreadable(&mut state);
        let (due, restate_window) = due_days(&state, today, options);
        let refresh_labels = state.labels.is_empty() || restate_window;
        if refresh_labels {
            labels::refresh(&self.root, client, &mut state).await?;
        }
        for (first, last) in ranges(&due) {
            let window = TimeWindow { start: midnight(first), end: midnight(last) + Duration::days(1) };
            let mut uq = UsageQuery::new(window, BucketWidth::Hour);
            uq.group_by = UsageDimension::DEFAULT.to_vec();
            let cq = CostQuery::new(window);
            let (u, c) = futures::try_join!(fetch_usage(client, &uq), client.cost_buckets(&cq))?;
            let usage = UsageFrame::new(&u).map_err(|e| e.of_response(crate::api::USAGE_REPORT))?.into_df();
            let cost = CostFrame::new(&cost_frame(&c)?).map_err(|e| e.of_response(crate::api::COST_REPORT))?.into_df();
            let mut day = first;
            while day <= last {
                for (dataset, frame) in [(Dataset::Usage, &usage), (Dataset::Cost, &cost)] {
                    let settle = Duration::hours(options.settle_hours as i64);
                    self.put_day(&mut state, dataset, day, day_rows(frame, day)?, (now, settle), &mut summary)?;
                }
                self.mark_complete(&mut state, today, options);
                state.write(&self.state_path())?;
                summary.days.push(day);
                if stop.load(Ordering::SeqCst) {
                    summary.interrupted = true;
                    break;
                }
                day += Duration::days(1);
            }
            if summary.interrupted {
                break;
            }
        }
        if restate_window && !summary.interrupted {
            state.restate_checked = Some(today);
        }
        self.mark_complete(&mut state, today, options);
        state.write(&self.state_path())?;
        summary.requests = client.requests() - requests_before;
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Takes out of the state every listed day whose partition is missing or unreadable (deleted
    /// or truncated by hand, a disk error): it is a gap again, fetched by this run. What the state
    /// lists, the files hold; the file is the truth. Only the footer is read (a truncated file has
    /// none), so this costs one small read per stored day.
    fn forget_unreadable(&self, state: &mut State) -> Vec<(Dataset, NaiveDate)> {
        let mut gone = Vec::new();
        for dataset in [Dataset::Usage, Dataset::Cost] {
            let days: Vec<NaiveDate> = state.days(dataset).keys().copied().collect();
            for day in days {
                if !partition::readable(&partition::path(&self.root, dataset, day)) {
                    state.days_mut(dataset).remove(&day);
                    gone.push((dataset, day));
                }
            }
        }
        gone
    }

    /// Days older than the restatement window are complete; the rest may still change.
    fn mark_complete(&self, state: &mut State, today: NaiveDate, options: &SyncOptions) {
        let cutoff = today - Duration::days(options.restate_days as i64);
        for d in [Dataset::Usage, Dataset::Cost] {
            for (day, s) in state.days_mut(d).iter_mut() {
                s.complete = *day < cutoff;
            }
        }
    }

    /// Stores one dataset's day: nothing if unchanged, else the old version to `_history/`, the
    /// new one in place, and a restatement row if already-ended buckets changed.
    fn put_day(
        &self,
        state: &mut State,
        dataset: Dataset,
        day: NaiveDate,
        new: DataFrame,
        (now, settle): (DateTime<Utc>, Duration),
        summary: &mut SyncSummary,
    ) -> Result<()> {
        let path = partition::path(&self.root, dataset, day);
        let new_hash = content_hash(&new)?;
        // The file, not the state, is the truth: a crash may have left one ahead of the other. An
        // unreadable file is replaced like a missing one (its bytes still go to `_history/`).
        let old = if path.exists() { partition::read(&path, None).ok() } else { None };
        let old_hash = old.as_ref().map(content_hash).transpose()?;
        let previous = state.days(dataset).get(&day).cloned();
        if old_hash.as_deref() == Some(new_hash.as_str()) {
            summary.unchanged += 1;
        } else {
            if let (Some(old), Some(prev), Some(old_hash)) = (&old, &previous, &old_hash) {
                // Buckets that had ended `settle` before the last fetch were settled when read.
                let settled = prev.fetched_at - settle;
                if content_hash(&ended_by(old, settled)?)? == content_hash(&ended_by(&new, settled)?)? {
                    // Buckets that had ended but not settled changed: export lag. (Only new
                    // buckets, today's next hours, are neither lag nor a restatement.)
                    let ended = prev.fetched_at;
                    if content_hash(&ended_by(old, ended)?)? != content_hash(&ended_by(&new, ended)?)? {
                        summary.late += 1;
                    }
                } else {
                    let (old_tokens, old_usd) = totals(dataset, old)?;
                    let (new_tokens, new_usd) = totals(dataset, &new)?;
                    append(
                        &self.root,
                        &Restatement {
                            detected_at: now,
                            dataset,
                            date: day,
                            old_rows: old.height(),
                            new_rows: new.height(),
                            old_tokens,
                            new_tokens,
                            old_usd,
                            new_usd,
                            old_hash: old_hash.clone(),
                            new_hash: new_hash.clone(),
                        },
                    )?;
                    summary.restated += 1;
                }
            }
            partition::archive(&self.root, dataset, day, now)?;
            partition::write(&self.root, &path, &new)?;
            summary.written += 1;
        }
        let settled = now >= midnight(day) + Duration::days(1) + settle;
        let day_state =
            DayState { fetched_at: now, rows: new.height(), content_hash: new_hash, complete: false, settled };
        state.days_mut(dataset).insert(day, day_state);
        Ok(())
    }
}

/// Whether `root` looks like a store (has its `state.json`).
pub fn is_store(root: &Path) -> bool {
    root.join("state.json").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_cadence() {
        let o = SyncOptions { backfill_days: 3, restate_days: 3, settle_hours: 24 };
        let mut state = State::new(Utc::now());
        let (due, restate) = due_days(&state, d("2026-11-20"), &o);
        assert_eq!(due.len(), 4, "three full days plus today");
        assert!(restate);
        for day in [
            "2026-11-10",
            "2026-11-11",
            "2026-11-12",
            "2026-11-13",
            "2026-11-14",
            "2026-11-15",
            "2026-11-16",
            "2026-11-17",
            "2026-11-18",
            "2026-11-19",
            "2026-11-20",
        ] {
            for ds in [Dataset::Usage, Dataset::Cost] {
                state.days_mut(ds).insert(
                    d(day),
                    DayState {
                        fetched_at: Utc::now(),
                        rows: 0,
                        content_hash: String::new(),
                        complete: false,
                        settled: false,
                    },
                );
            }
        }
        state.restate_checked = Some(d("2026-11-20"));
        let (due, restate) = due_days(&state, d("2026-11-20"), &o);
        assert_eq!(
            due.into_iter().collect::<Vec<_>>(),
            vec![d("2026-11-19"), d("2026-11-20")],
            "same day: today and yesterday"
        );
        assert!(!restate);
        let (due, restate) = due_days(&state, d("2026-11-21"), &o);
        let due: Vec<_> = due.into_iter().collect();
        assert_eq!(due, vec![d("2026-11-18"), d("2026-11-19"), d("2026-11-20"), d("2026-11-21")], "a new day: T-3…T");
        assert!(restate);
        assert_eq!(ranges(&due.iter().copied().collect()), vec![(d("2026-11-18"), d("2026-11-21"))]);
        state.usage.remove(&d("2026-11-12"));
        let (due, _) = due_days(&state, d("2026-11-20"), &o);
        assert!(due.contains(&d("2026-11-12")), "a gap is filled");
        assert!(!due.contains(&d("2026-11-11")), "older days are never re-read");
    }
}
