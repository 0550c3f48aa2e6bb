//! Time and late data in the simulated organization: what the API has at a given "now", and
//! days restated after the fact.
//!
//! The fake API serves usage only for minutes before its "now" (today's buckets are partial and
//! later ones do not exist yet) and bills the current day from the usage so far. A restatement
//! adds late usage to a past day and bills it into that day's cost lines, as Anthropic's batch
//! exports do within hours (occasionally a day); each one is recorded in the ground truth.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::billing::{CostLine, bill_day, bill_usage};
use super::org::{Organization, UsageRecord, null_dims};
use crate::error::{Error, Result};

/// One restated day: when, and how much usage arrived late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restated {
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub records: usize,
}

pub(crate) fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

impl Organization {
    /// The "now" the fake API serves when none is set: the real clock while the organization's
    /// last day is today, else the start of its last day (which then has no data yet).
    pub fn default_now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        if now.date_naive() == self.config.end { now } else { midnight(self.config.end) }
    }

    /// Usage records with `start <= minute < end` that exist at `now`.
    pub fn records_at(&self, start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Vec<&UsageRecord> {
        let end = end.min(now);
        let today = self.today.iter().filter(|r| r.minute >= start && r.minute < end);
        self.records_in(start, end).iter().chain(today).collect()
    }

    /// The cost lines of `day` as the API has them at `now`: `None` before the day begins; the
    /// usage so far (without runtime charges, which are billed once the day is over) while it runs.
    pub fn cost_lines_at(&self, day: NaiveDate, now: DateTime<Utc>) -> Option<Cow<'_, Vec<CostLine>>> {
        let start = midnight(day);
        if now <= start {
            return None;
        }
        let over = now >= start + Duration::days(1);
        if over && let Some(lines) = self.cost_lines.get(&day) {
            return Some(Cow::Borrowed(lines));
        }
        let in_range = self.cost_lines.contains_key(&day) || day == self.config.end;
        if !in_range {
            return Some(Cow::Owned(Vec::new())); // outside the simulated range: nothing billed
        }
        // The day is running: bill the usage so far.
        let records: Vec<UsageRecord> =
            self.records_at(start, start + Duration::days(1), now).into_iter().cloned().collect();
        let mut lines = if over {
            let workspaces = &self.workspaces;
            bill_day(&self.card, workspaces, day, &records, self.config.seed)
        } else {
            bill_usage(&self.card, &records)
        };
        self.config.contract.discount_lines(&self.card, day, &mut lines);
        null_dims(&self.config.cost_null, &mut lines);
        Some(Cow::Owned(lines))
    }

    /// Late usage for a past `day`: about `share` of its records arrive again at other minutes,
    /// and their cost is added to the day's cost lines. Returns how many records arrived.
    pub fn restate(&mut self, day: NaiveDate, share: f64, at: DateTime<Utc>) -> Result<usize> {
        if !(0.0..=1.0).contains(&share) {
            return Err(Error::input(format!("share must be in [0, 1], got {share}")));
        }
        let Some(existing) = self.cost_lines.get(&day) else {
            return Err(Error::input(format!("{day} is not a full day of the simulated organization")));
        };
        let stream = (day.num_days_from_ce() as u64) << 8 | self.restated.len() as u64;
        let mut rng = ChaCha8Rng::seed_from_u64(self.config.seed ^ 0x1A7E ^ stream);
        let day_records = self.records_in(midnight(day), midnight(day) + Duration::days(1));
        let mut late: Vec<UsageRecord> = Vec::new();
        for r in day_records {
            if rng.random_bool(share) {
                let minute = midnight(day) + Duration::minutes(rng.random_range(0..1440));
                late.push(UsageRecord { minute, ..r.clone() });
            }
        }
        let mut billed = bill_usage(&self.card, &late);
        self.config.contract.discount_lines(&self.card, day, &mut billed);
        null_dims(&self.config.cost_null, &mut billed);
        let mut lines = existing.clone();
        for b in billed {
            match lines.iter_mut().find(|l| CostLine { amount_cents: b.amount_cents, ..(*l).clone() } == b) {
                Some(l) => l.amount_cents = (l.amount_cents + b.amount_cents).normalize(),
                None => lines.push(b),
            }
        }
        self.cost_lines.insert(day, lines);
        let n = late.len();
        self.records.extend(late);
        self.records.sort_by_key(|r| r.minute);
        self.restated.push(Restated { day, at, records: n });
        Ok(n)
    }
}
