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

/// With lag, every record is visible at most this long after its minute began.
pub const LAG_MAX: Duration = Duration::hours(24);

/// The lag of one record: a deterministic draw from its content (not its position, which
/// restatements shift), 90 % within 4 hours and the rest within a day, so a bucket that ended
/// `LAG_MAX` ago is complete.
fn lag_of(seed: u64, r: &UsageRecord) -> Duration {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    let mut mix = |x: u64| {
        h ^= x;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    mix(r.minute.timestamp() as u64);
    r.tokens.iter().for_each(|t| mix(*t));
    r.model.bytes().chain(r.api_key_id.as_deref().unwrap_or("").bytes()).for_each(|b| mix(b as u64));
    let u = (h >> 11) % 10_000;
    // Minutes after the record's minute ends; at most 24 h − 1 min after it began.
    let minutes = if u < 9_000 { u * 240 / 9_000 } else { 240 + (u - 9_000) * (1_438 - 240) / 1_000 };
    Duration::minutes(1 + minutes as i64)
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

    /// Usage records with `start <= minute < end` that exist at `now` (with lag, that have also
    /// arrived by then).
    pub fn records_at(&self, start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Vec<&UsageRecord> {
        let end = end.min(now);
        let today = self.today.iter().filter(|r| r.minute >= start && r.minute < end);
        let all = self.records_in(start, end).iter().chain(today);
        if self.config.lag { all.filter(|r| self.arrived(r, now)).collect() } else { all.collect() }
    }

    /// Whether record `r` is visible at `now` (always, without lag, once its minute began).
    pub fn arrived(&self, r: &UsageRecord, now: DateTime<Utc>) -> bool {
        !self.config.lag || r.minute + lag_of(self.config.seed, r) <= now
    }

    /// The cost lines of `day` as the API has them at `now`: `None` before the day begins; the
    /// usage so far (without runtime charges, which are billed once the day is over) while it runs.
    pub fn cost_lines_at(&self, day: NaiveDate, now: DateTime<Utc>) -> Option<Cow<'_, Vec<CostLine>>> {
        let start = midnight(day);
        if now <= start {
            return None;
        }
        let over = now >= start + Duration::days(1);
        // With lag, a day's bill is whole (runtime charges and all) once all its usage arrived.
        let whole = over && (!self.config.lag || now >= start + Duration::days(1) + LAG_MAX);
        if whole && let Some(lines) = self.cost_lines.get(&day) {
            return Some(Cow::Borrowed(lines));
        }
        let in_range = self.cost_lines.contains_key(&day) || day == self.config.end;
        if !in_range {
            return Some(Cow::Owned(Vec::new())); // outside the simulated range: nothing billed
        }
        // The day is running, or its usage is still arriving: bill the usage so far.
        let records: Vec<UsageRecord> =
            self.records_at(start, start + Duration::days(1), now).into_iter().cloned().collect();
        let mut lines = if whole {
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

impl Organization {
    /// Rebills `day` correctly from its usage (a planted error on it is fixed); returns whether
    /// anything changed. The broken lines are kept, so [`Organization::rebreak`] can bring them
    /// back: a bill that is fixed and then breaks again.
    pub fn fix(&mut self, day: NaiveDate) -> Result<bool> {
        let Some(current) = self.cost_lines.get(&day).cloned() else {
            return Err(Error::input(format!("{day} is not a full day of the simulated organization")));
        };
        let records = self.records_in(midnight(day), midnight(day) + Duration::days(1)).to_vec();
        let mut lines = bill_day(&self.card, &self.workspaces, day, &records, self.config.seed);
        self.config.contract.discount_lines(&self.card, day, &mut lines);
        null_dims(&self.config.cost_null, &mut lines);
        let changed = lines != current;
        self.broken.insert(day, current);
        self.cost_lines.insert(day, lines);
        Ok(changed)
    }

    /// Brings back the lines [`Organization::fix`] replaced (the error is billed again).
    pub fn rebreak(&mut self, day: NaiveDate) -> Result<()> {
        let lines = self.broken.remove(&day).ok_or_else(|| Error::input(format!("{day} was not fixed")))?;
        self.cost_lines.insert(day, lines);
        Ok(())
    }
}
