//! What a sync is asked to do (`SyncOptions`) and what it did (`SyncSummary`: the one-line report
//! and the typed summary of the CLI's JSON and Python's dict).

use chrono::NaiveDate;

use super::Dataset;

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub backfill_days: u32,
    pub restate_days: u32,
    /// A bucket is settled once it ended this many hours before the fetch that read it (DESIGN
    /// §7.1): only a change to a settled bucket is a restatement; the rest is export lag.
    pub settle_hours: u32,
}

/// The default of `--settle-hours`: Anthropic's export lag is typically within 4 hours,
/// occasionally 24.
pub const SETTLE_HOURS: u32 = 24;

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { backfill_days: 14, restate_days: 3, settle_hours: SETTLE_HOURS }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncSummary {
    /// (dataset, day) partitions written because they were new or changed.
    pub written: usize,
    pub unchanged: usize,
    /// Written partitions whose settled buckets changed (logged as restatements).
    pub restated: usize,
    /// Written partitions whose only changes were to buckets not settled yet (export lag): kept
    /// in `_history/`, never logged as restatements.
    pub late: usize,
    pub requests: u64,
    pub seconds: f64,
    /// The days fetched.
    pub days: Vec<NaiveDate>,
    /// A stale lock left by a dead writer, taken over.
    pub took_over_lock_from: Option<u32>,
    /// Whether a signal stopped the run between two days.
    pub interrupted: bool,
    /// Listed days whose partition was missing or unreadable, fetched again.
    pub refetched: Vec<(Dataset, NaiveDate)>,
}

impl SyncSummary {
    pub fn to_json(&self) -> serde_json::Value {
        self.to_typed().to_json()
    }

    /// The summary as a typed tree (JSON, Python): counts, seconds as a float, days as dates.
    pub fn to_typed(&self) -> crate::typed::Typed {
        crate::typed! {
            "days_written" => self.written,
            "days_unchanged" => self.unchanged,
            "days_restated" => self.restated,
            "late_days" => self.late,
            "requests" => self.requests,
            "seconds" => (self.seconds * 1000.0).round() / 1000.0,
            "days_fetched" => self.days.clone(),
            "took_over_lock_from" => self.took_over_lock_from,
            "interrupted" => self.interrupted,
            "refetched" => self.refetched.iter().map(|(d, day)| crate::typed! {"dataset" => d.as_str(), "date" => *day}).collect::<Vec<_>>(),
        }
    }

    /// `15 days written, 0 unchanged, 0 restated; 7 requests in 1.3 s`
    pub fn line(&self) -> String {
        format!(
            "{} written, {} unchanged, {} restated, {} late ({} days fetched); {} requests in {:.1} s{}{}",
            self.written,
            self.unchanged,
            self.restated,
            self.late,
            self.days.len(),
            self.requests,
            self.seconds,
            if self.interrupted { "; stopped by a signal" } else { "" },
            if self.refetched.is_empty() {
                String::new()
            } else {
                let days: Vec<String> = self.refetched.iter().map(|(d, day)| format!("{} {day}", d.as_str())).collect();
                format!("; re-fetched {} (partition missing or unreadable)", days.join(", "))
            }
        )
    }
}
