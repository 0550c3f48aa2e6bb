//! Time windows: `[start, end)` in UTC, parsed from `YYYY-MM-DD` (a UTC day) or RFC 3339.
//!
//! A window must line up with the bucket width it is fetched at; an unaligned end would silently
//! drop or add a partial bucket, so it is refused with a message instead.

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};

use crate::error::{Error, Result};

/// A half-open UTC interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant (any offset, converted to UTC).
pub fn parse_instant(s: &str, what: &str) -> Result<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        Error::input_hint(
            format!("invalid {what} {s:?}"),
            "use a UTC day like 2026-11-01 or an RFC 3339 instant like 2026-11-01T00:00:00Z",
        )
    })
}

/// `2026-09-01T00:00:00Z`, the form the API documents.
pub fn fmt_rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl TimeWindow {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self> {
        if end <= start {
            return Err(Error::input(format!(
                "the window is empty: --end {} is not after --start {}",
                fmt_rfc3339(end),
                fmt_rfc3339(start)
            )));
        }
        Ok(TimeWindow { start, end })
    }

    /// From the CLI's `--start` (inclusive) and `--end` (exclusive).
    pub fn parse(start: &str, end: &str) -> Result<Self> {
        TimeWindow::new(parse_instant(start, "--start")?, parse_instant(end, "--end")?)
    }

    /// The `days` whole UTC days before `today` (today excluded).
    pub fn last_days(today: NaiveDate, days: u32) -> Self {
        let end = today.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        TimeWindow { start: end - Duration::days(days as i64), end }
    }

    /// Refuses edges that do not fall on boundaries of `step` (a bucket width: a minute, an
    /// hour or a day; `name` is how the API spells it, `1m`, `1h`, `1d`).
    pub fn check_aligned(&self, step: Duration, name: &str) -> Result<()> {
        let secs = step.num_seconds().max(1);
        for (t, flag) in [(self.start, "--start"), (self.end, "--end")] {
            if t.timestamp().rem_euclid(secs) != 0 || t.timestamp_subsec_nanos() != 0 {
                return Err(Error::input_hint(
                    format!("{flag} {} is not aligned to {name} buckets", fmt_rfc3339(t)),
                    match secs {
                        86_400 => "use whole UTC days (YYYY-MM-DD) for daily buckets",
                        3_600 => "use whole UTC hours for hourly buckets",
                        _ => "use whole minutes for 1m buckets",
                    },
                ));
            }
        }
        Ok(())
    }

    /// Refuses a window that does not start and end on UTC midnights (reconciliation lines are
    /// whole UTC days).
    pub fn check_whole_days(&self) -> Result<()> {
        self.check_aligned(Duration::days(1), "1d")
    }

    /// Consecutive sub-windows of at most `max_buckets` buckets of `step` each.
    pub fn split(&self, step: Duration, max_buckets: u32) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let span = step * max_buckets as i32;
        let mut out = Vec::new();
        let mut s = self.start;
        while s < self.end {
            let e = (s + span).min(self.end);
            out.push((s, e));
            s = e;
        }
        out
    }

    /// The UTC days the window touches.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_days_and_rfc3339() {
        let w = TimeWindow::parse("2026-11-01", "2026-11-02T02:00:00+02:00").unwrap();
        assert_eq!(fmt_rfc3339(w.start), "2026-11-01T00:00:00Z");
        assert_eq!(fmt_rfc3339(w.end), "2026-11-02T00:00:00Z");
        assert!(TimeWindow::parse("2026-11-02", "2026-11-01").is_err());
        assert!(TimeWindow::parse("yesterday", "2026-11-01").unwrap_err().hint().is_some());
        assert!(TimeWindow::parse("2026-13-01", "2026-11-01").is_err());
    }

    #[test]
    fn alignment() {
        let w = TimeWindow::parse("2026-11-01T10:00:00Z", "2026-11-01T12:00:00Z").unwrap();
        assert!(w.check_aligned(Duration::hours(1), "1h").is_ok());
        assert!(w.check_aligned(Duration::days(1), "1d").is_err());
    }

    proptest! {
        #[test]
        fn split_covers_the_window_exactly(hours in 1i64..2000, max in 1u32..200) {
            let start = parse_instant("2026-01-01", "s").unwrap();
            let w = TimeWindow::new(start, start + Duration::hours(hours)).unwrap();
            let parts = w.split(Duration::hours(1), max);
            prop_assert_eq!(parts.first().unwrap().0, w.start);
            prop_assert_eq!(parts.last().unwrap().1, w.end);
            for p in parts.windows(2) { prop_assert_eq!(p[0].1, p[1].0); }
            for p in &parts { prop_assert!(p.1 - p.0 <= Duration::hours(max as i64)); }
        }
    }
}
