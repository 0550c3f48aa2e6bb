//! Forecast: where the month's bill will land (DESIGN §10).
//!
//! Month to date is the billed spend of the month's *settled* days before today; the days still
//! within the settle window (by default yesterday) are provisional and reported apart. Each
//! provisional day and each day left, today included, is projected at the mean spend of the same
//! weekday over the 28 settled days before the first provisional day (four of each weekday); the
//! low and high bands use the least and most any one of those 28 days spent. Only the days the
//! frame covers count, a covered day without rows as $0; a frame that stops short of today is
//! refused (see [`forecast`]). The projection is exact except for that mean, a sum divided by
//! four: exact to 14 decimals, rounded half to even to 12 (`exact` says whether it was).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::frames::CostFrame;
use crate::typed::Typed;
use crate::window::TimeWindow;

/// The answer of [`forecast`]; money as scale-12 mantissas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub month: String,
    pub today: NaiveDate,
    /// The spend of the month's settled days before today.
    pub month_to_date: i128,
    /// The spend of the month's provisional days (before today, not yet settled), apart.
    pub provisional: i128,
    /// A full-month estimate: see [`forecast`].
    pub projected: i128,
    pub low: i128,
    pub high: i128,
    pub days_elapsed: u32,
    pub days_left: u32,
    /// How many of the `days_elapsed` are provisional.
    pub provisional_days: u32,
    /// The first and last whole UTC day the cost data covers.
    pub covered_from: NaiveDate,
    pub covered_to: NaiveDate,
    pub budget: Option<i128>,
    pub exact: bool,
}

impl Forecast {
    pub fn over_budget(&self) -> Option<bool> {
        self.budget.map(|b| self.projected > b)
    }

    pub fn to_json(&self) -> Value {
        self.to_typed().to_json()
    }

    /// The forecast as a typed tree (JSON, Python): money as `Money`, today as a date.
    pub fn to_typed(&self) -> Typed {
        crate::typed! {
            "month" => self.month.clone(),
            "today" => self.today,
            "month_to_date_usd" => Typed::Money(self.month_to_date),
            "provisional_usd" => Typed::Money(self.provisional),
            "projected_usd" => Typed::Money(self.projected),
            "low_usd" => Typed::Money(self.low),
            "high_usd" => Typed::Money(self.high),
            "days_elapsed" => self.days_elapsed,
            "days_left" => self.days_left,
            "provisional_days" => self.provisional_days,
            "covered_from" => self.covered_from,
            "covered_to" => self.covered_to,
            "budget_usd" => Typed::money(self.budget),
            "over_budget" => self.over_budget(),
            "exact" => self.exact,
        }
    }
}

/// `YYYY-MM` → the first day of that month.
pub fn parse_month(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
        .map_err(|_| Error::input_hint(format!("invalid month {s:?}"), "use YYYY-MM, e.g. 2026-11"))
}

/// A budget in USD as a decimal string, e.g. `1500` or `1500.00`.
pub fn parse_budget(s: &str) -> Result<i128> {
    let d: Decimal = s.trim().parse().map_err(|_| {
        Error::input_hint(format!("invalid budget {s:?}"), "a plain decimal in USD, e.g. 1500 or 1500.50")
    })?;
    if d.is_sign_negative() {
        return Err(Error::input(format!("the budget must not be negative, got {d}")));
    }
    crate::money::to_mantissa(d)
}

fn next_month(first: NaiveDate) -> NaiveDate {
    if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1).expect("January")
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1).expect("next month")
    }
}

/// What a forecast's cost frame covers and when a day counts as settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// The start of the window the frame was fetched or read for; `None`: its earliest
    /// `bucket_start`. A day counts only when the window holds all of it.
    pub start: Option<DateTime<Utc>>,
    /// The end of that window (exclusive); `None`: the frame's latest `bucket_end`.
    pub end: Option<DateTime<Utc>>,
    /// A day is settled once it ended at least this many hours before today's start (DESIGN
    /// §7.1); the days after that, up to today, are provisional.
    pub settle_hours: u32,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage { start: None, end: None, settle_hours: DEFAULT_SETTLE_HOURS }
    }
}

/// The default settle window: a day is provisional until 24 h after it ended (yesterday is).
pub const DEFAULT_SETTLE_HOURS: u32 = 24;

impl Coverage {
    /// The window a frame was fetched or read for, with the default settle window.
    pub fn window(w: TimeWindow) -> Coverage {
        Coverage { start: Some(w.start), end: Some(w.end), ..Coverage::default() }
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// The whole UTC days of `[start, end)`: the first day that starts at or after `start`, and the
/// end of the last day that ends at or before `end`.
fn whole_days(start: DateTime<Utc>, end: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let first =
        if midnight(start.date_naive()) == start { start.date_naive() } else { start.date_naive() + Duration::days(1) };
    (first, end.date_naive().max(first))
}

/// A range of instants, either end unknown.
type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The frame's own bucket range: the earliest `bucket_start` to the latest `bucket_end`.
fn frame_range(cost: &CostFrame) -> Result<Range> {
    let df = cost.df();
    let micros = |c: &str| -> Result<Vec<i64>> {
        Ok(df.column(c)?.as_materialized_series().to_physical_repr().i64()?.iter().flatten().collect())
    };
    let at = |m: Option<&i64>| m.and_then(|m| DateTime::<Utc>::from_timestamp_micros(*m));
    Ok((at(micros("bucket_start")?.iter().min()), at(micros("bucket_end")?.iter().max())))
}

/// The forecast of `month` (default: `today`'s month) from a cost frame, over the days
/// `coverage` says it covers.
///
/// - **Coverage.** The frame covers the whole UTC days of its window (`coverage.start..end`,
///   else its own `min(bucket_start)..max(bucket_end)`); a day of that window without rows
///   spent $0, and rows outside it are not counted. A frame whose covered days do not reach
///   the day before today (or the month's end, for a past month) is refused, naming the last
///   day it covers and today: a missing day is never counted as $0. A frame that starts after
///   the first day the forecast needs is refused too.
/// - **Settled and provisional.** The days of the month that ended less than
///   `coverage.settle_hours` before today's start (by default yesterday) are provisional:
///   their spend is `provisional`, apart. `month_to_date` is the spend of the month's *settled*
///   days only (all days before today when `settle_hours` is 0).
/// - **Projection.** `projected` is a full-month estimate: month to date plus, for each
///   provisional day and each day left (today included), the mean spend of the same weekday
///   over the 28 settled days before the first provisional day (four of each weekday). A
///   provisional day's own spend is never part of it: it may still grow. `low`/`high` use the
///   least/most any one of those 28 days spent for the same days. For a month whose days are
///   all settled, the three are the month to date.
pub fn forecast(
    cost: &CostFrame,
    month: Option<NaiveDate>,
    budget: Option<i128>,
    today: NaiveDate,
    coverage: Coverage,
) -> Result<Forecast> {
    let df = cost.df();
    let first_of_month = month.unwrap_or_else(|| today.with_day(1).expect("day 1"));
    let end_of_month = next_month(first_of_month);
    if first_of_month > today {
        return Err(Error::input(format!(
            "{} has not begun (today is {today}): there is no data to forecast from",
            first_of_month.format("%Y-%m")
        )));
    }
    // The covered days [cover_start, cover_end).
    let (own_start, own_end) = match (coverage.start, coverage.end) {
        (Some(s), Some(e)) => (Some(s), Some(e)),
        _ => frame_range(cost)?,
    };
    let (Some(start), Some(end)) = (coverage.start.or(own_start), coverage.end.or(own_end)) else {
        return Err(Error::input_hint(
            "the cost frame has no rows and no window was given: nothing to forecast from",
            "give the window the frame was fetched for (start= and end=)",
        ));
    };
    let (cover_start, cover_end) = whole_days(start, end);
    // The first provisional day: the days before it ended at least settle_hours before today.
    let settle_at = midnight(today) - Duration::hours(i64::from(coverage.settle_hours));
    let first_unsettled = settle_at.date_naive().min(today);
    let history_start = first_unsettled - Duration::days(28);
    let projected_from = first_unsettled.max(first_of_month); // provisional days, then days left
    let settled = end_of_month <= projected_from;
    let needed_start = if settled { first_of_month } else { history_start.min(first_of_month) };
    let needed_end = end_of_month.min(today);
    if cover_end < needed_end {
        let last = cover_end - Duration::days(1);
        return Err(Error::input_hint(
            format!(
                "the cost data covers days up to {last} and today is {today}: the days after {last} are missing, not $0; refusing to forecast from it"
            ),
            format!(
                "fetch cost up to today (through {}), e.g. sync the store, then forecast again",
                today - Duration::days(1)
            ),
        ));
    }
    if cover_start > needed_start {
        return Err(Error::input_hint(
            format!(
                "the forecast needs the cost from {needed_start} (the month so far and the 28 complete days before {first_unsettled}); the cost data starts {cover_start}"
            ),
            format!("fetch cost from {needed_start}, e.g. counterfoil forecast --start {needed_start}"),
        ));
    }
    // Daily billed spend of the covered days.
    let starts = df.column("bucket_start")?.as_materialized_series().to_physical_repr().i64()?.clone();
    let amounts = df.column("amount_usd")?.decimal()?.physical().clone();
    let mut daily: std::collections::BTreeMap<NaiveDate, i128> = std::collections::BTreeMap::new();
    for (t, m) in starts.iter().zip(amounts.iter()) {
        let (Some(t), Some(m)) = (t, m) else { continue };
        let day = crate::reconcile::contributions::date_of(t.div_euclid(86_400_000_000) as i32);
        if day < cover_start || day >= cover_end {
            continue;
        }
        let e = daily.entry(day).or_default();
        *e = crate::money::add(*e, m, "a day's spend")?;
    }
    let spend = |d: NaiveDate| daily.get(&d).copied().unwrap_or(0);
    let sum = |from: NaiveDate, to: NaiveDate, what: &str| -> Result<i128> {
        let (mut total, mut d) = (0i128, from);
        while d < to {
            total = crate::money::add(total, spend(d), what)?;
            d += Duration::days(1);
        }
        Ok(total)
    };
    let mtd = sum(first_of_month, end_of_month.min(first_unsettled), "the month to date")?;
    let provisional = sum(projected_from, end_of_month.min(today), "the provisional spend")?;
    let days_elapsed = (end_of_month.min(today) - first_of_month).num_days().max(0) as u32;
    let days_left = (end_of_month - today.max(first_of_month)).num_days().max(0) as u32;
    let provisional_days = (end_of_month.min(today) - projected_from).num_days().max(0) as u32;
    let base = Forecast {
        month: first_of_month.format("%Y-%m").to_string(),
        today,
        month_to_date: mtd,
        provisional,
        projected: mtd,
        low: mtd,
        high: mtd,
        days_elapsed,
        days_left,
        provisional_days,
        covered_from: cover_start,
        covered_to: cover_end - Duration::days(1),
        budget,
        exact: true,
    };
    if settled {
        return Ok(base);
    }
    // The 28 settled days before the first provisional day: four of each weekday.
    let history: Vec<(NaiveDate, i128)> =
        (1..=28).map(|k| first_unsettled - Duration::days(k)).map(|d| (d, spend(d))).collect();
    let by_weekday =
        |w: chrono::Weekday| -> i128 { history.iter().filter(|(d, _)| d.weekday() == w).map(|(_, s)| *s).sum() };
    let (min, max) =
        (history.iter().map(|(_, s)| *s).min().unwrap_or(0), history.iter().map(|(_, s)| *s).max().unwrap_or(0));
    let mut four_times = 0i128; // Σ over the projected days of the four same-weekday spends
    let mut d = projected_from;
    while d < end_of_month {
        four_times = crate::money::add(four_times, by_weekday(d.weekday()), "the projection")?;
        d += Duration::days(1);
    }
    let (q, r) = (four_times.div_euclid(4), four_times.rem_euclid(4));
    let mean_part = match (2 * r).cmp(&4) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    };
    let n = (end_of_month - projected_from).num_days() as i128;
    Ok(Forecast {
        projected: crate::money::add(mtd, mean_part, "the projection")?,
        low: crate::money::add(
            mtd,
            min.checked_mul(n).ok_or_else(|| Error::input("the low band overflows"))?,
            "the low band",
        )?,
        high: crate::money::add(
            mtd,
            max.checked_mul(n).ok_or_else(|| Error::input("the high band overflows"))?,
            "the high band",
        )?,
        exact: r == 0,
        ..base
    })
}
