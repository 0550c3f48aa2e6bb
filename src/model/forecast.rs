//! Forecast: where the month's bill will land (DESIGN §10).
//!
//! Month to date is the billed spend of the complete days of the month before today. Each day
//! left, today included, is projected at the mean spend of the same weekday over the 28 complete
//! days before today (four of each weekday); the low and high bands use the least and most any
//! one of those 28 days spent. The projection is exact except for that mean, a sum divided by
//! four: exact to 14 decimals, rounded half to even to 12 (`exact` says whether it was).

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::frames::CostFrame;
use crate::typed::Typed;

/// The answer of [`forecast`]; money as scale-12 mantissas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub month: String,
    pub today: NaiveDate,
    pub month_to_date: i128,
    pub projected: i128,
    pub low: i128,
    pub high: i128,
    pub days_elapsed: u32,
    pub days_left: u32,
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
            "projected_usd" => Typed::Money(self.projected),
            "low_usd" => Typed::Money(self.low),
            "high_usd" => Typed::Money(self.high),
            "days_elapsed" => self.days_elapsed,
            "days_left" => self.days_left,
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

/// The forecast of `month` (default: `today`'s month) from a cost frame that covers the 28
/// complete days before `today` and the month so far.
pub fn forecast(
    cost: &CostFrame,
    month: Option<NaiveDate>,
    budget: Option<i128>,
    today: NaiveDate,
) -> Result<Forecast> {
    let df = cost.df();
    let first_of_month = month.unwrap_or_else(|| today.with_day(1).expect("day 1"));
    let end_of_month = next_month(first_of_month);
    let history_start = today - Duration::days(28);
    // Daily billed spend from the frame.
    let starts = df.column("bucket_start")?.as_materialized_series().to_physical_repr().i64()?.clone();
    let amounts = df.column("amount_usd")?.decimal()?.physical().clone();
    let mut daily: std::collections::BTreeMap<NaiveDate, i128> = std::collections::BTreeMap::new();
    for (t, m) in starts.iter().zip(amounts.iter()) {
        let (Some(t), Some(m)) = (t, m) else { continue };
        let day = crate::reconcile::contributions::date_of(t.div_euclid(86_400_000_000) as i32);
        let e = daily.entry(day).or_default();
        *e = crate::money::add(*e, m, "a day's spend")?;
    }
    let Some(first_day) = daily.keys().next().copied() else {
        return Err(Error::input("the cost frame has no rows: nothing to forecast from"));
    };
    if first_of_month > today {
        return Err(Error::input(format!(
            "{} has not begun (today is {today}): there is no data to forecast from",
            first_of_month.format("%Y-%m")
        )));
    }
    let past = end_of_month <= today;
    let needed = if past { first_of_month } else { history_start.min(first_of_month) };
    if first_day > needed {
        return Err(Error::input_hint(
            format!(
                "the forecast needs the cost from {needed} (the month so far and the 28 complete days before {today}); the cost frame starts {first_day}"
            ),
            format!("fetch cost from {needed}, e.g. counterfoil forecast --start {needed}"),
        ));
    }
    let spend = |d: NaiveDate| daily.get(&d).copied().unwrap_or(0);
    let mut mtd = 0i128;
    let mut d = first_of_month;
    while d < end_of_month.min(today) {
        mtd = crate::money::add(mtd, spend(d), "the month to date")?;
        d += Duration::days(1);
    }
    let days_elapsed = (end_of_month.min(today) - first_of_month).num_days().max(0) as u32;
    let days_left = (end_of_month - today.max(first_of_month)).num_days().max(0) as u32;
    if past {
        return Ok(Forecast {
            month: first_of_month.format("%Y-%m").to_string(),
            today,
            month_to_date: mtd,
            projected: mtd,
            low: mtd,
            high: mtd,
            days_elapsed,
            days_left: 0,
            budget,
            exact: true,
        });
    }
    // The 28 complete days before today: four of each weekday.
    let history: Vec<(NaiveDate, i128)> = (1..=28).map(|k| today - Duration::days(k)).map(|d| (d, spend(d))).collect();
    let by_weekday =
        |w: chrono::Weekday| -> i128 { history.iter().filter(|(d, _)| d.weekday() == w).map(|(_, s)| *s).sum() };
    let (min, max) =
        (history.iter().map(|(_, s)| *s).min().unwrap_or(0), history.iter().map(|(_, s)| *s).max().unwrap_or(0));
    let mut four_times = 0i128; // Σ over days left of the four same-weekday spends
    let mut d = today.max(first_of_month);
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
    let left = days_left as i128;
    Ok(Forecast {
        month: first_of_month.format("%Y-%m").to_string(),
        today,
        month_to_date: mtd,
        projected: crate::money::add(mtd, mean_part, "the projection")?,
        low: crate::money::add(
            mtd,
            min.checked_mul(left).ok_or_else(|| Error::input("the low band overflows"))?,
            "the low band",
        )?,
        high: crate::money::add(
            mtd,
            max.checked_mul(left).ok_or_else(|| Error::input("the high band overflows"))?,
            "the high band",
        )?,
        days_elapsed,
        days_left,
        budget,
        exact: r == 0,
    })
}
