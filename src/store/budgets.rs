//! Budget crossings in `finding_events.parquet`: `forecast --store --budget --notify` alerts once
//! per crossing, not once per run.
//!
//! A crossing is keyed by (month, budget) (`budget_2026-11_1500`: raising the budget is a new
//! one). The first run whose projection is over records `budget` / `exceeded`; while it stays
//! over, nothing more; a run under it records `budget` / `cleared`, after which going over again
//! is a new crossing. The notifier's outbox delivers each `exceeded` row to each sink once, like
//! a finding's `opened`.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::findings::{self, Event, text_at};
use crate::error::Result;

/// Whether the last row recorded for crossing `id` is `exceeded`.
fn is_over(root: &Path, id: &str) -> Result<bool> {
    let log = findings::read_events(root)?;
    let mut over = false;
    for i in 0..log.height() {
        if text_at(&log, "event", i).as_deref() == Some("budget")
            && text_at(&log, "finding_id", i).as_deref() == Some(id)
        {
            over = text_at(&log, "status", i).as_deref() == Some("exceeded");
        }
    }
    Ok(over)
}

/// Records whether the projection of crossing `id` is `over` its budget at `now` (`delta` the
/// projection minus the budget). Returns true when this call recorded a new crossing.
pub fn record(root: &Path, id: &str, over: bool, delta: i128, now: DateTime<Utc>) -> Result<bool> {
    let _lock = super::lock::acquire_findings(root)?;
    let was = is_over(root, id)?;
    if was == over {
        return Ok(false);
    }
    // A first run under budget records nothing: there is nothing to clear.
    if !over && !was {
        return Ok(false);
    }
    let status = if over { "exceeded" } else { "cleared" };
    let row = Event {
        at: now,
        finding_id: id.to_owned(),
        event: "budget",
        sink: None,
        status: status.into(),
        delta_usd: Some(delta),
    };
    findings::append_events(root, &[row])?;
    Ok(over)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_crossing_and_again_after_it_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let at = |h: i64| DateTime::from_timestamp(1_763_600_000 + h * 3600, 0).unwrap();
        let id = "budget_2026-11_100";
        let runs = [(false, 0), (true, 1), (true, 2), (false, 3), (false, 4), (true, 5), (true, 6)];
        let crossed: Vec<bool> =
            runs.iter().map(|&(over, h)| record(dir.path(), id, over, 7, at(h)).unwrap()).collect();
        assert_eq!(crossed, [false, true, false, false, false, true, false]);
        assert!(
            record(dir.path(), "budget_2026-11_200", true, 1, at(7)).unwrap(),
            "another budget is its own crossing"
        );
        let log = findings::read_events(dir.path()).unwrap();
        let statuses: Vec<String> = (0..log.height()).filter_map(|i| text_at(&log, "status", i)).collect();
        assert_eq!(statuses, ["exceeded", "cleared", "exceeded", "exceeded"]);
    }
}
