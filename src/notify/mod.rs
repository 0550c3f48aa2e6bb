//! Alerts that reach people, once per finding (DESIGN §12): Slack, CloudEvents webhooks and
//! PagerDuty.
//!
//! `spec` parses where to send, `event` builds what to say from a reconciliation, `encode` puts it
//! in each sink's form, `deliver` sends it with retries, and `outbox` uses the store's event log
//! so that with a store each event reaches each sink exactly once across runs.

pub mod deliver;
pub mod encode;
pub mod event;
pub mod metrics;
pub mod outbox;
pub mod spec;

use chrono::{DateTime, Utc};

pub use deliver::DeliveryConfig;
pub use event::Event;
pub use spec::{Sink, SinkKind};

use crate::error::Result;
use crate::reconcile::Summary;

/// What a run's notifications did, for the command's messages and exit code.
#[derive(Debug, Default)]
pub struct Delivered {
    /// `(sink shown by kind and host, events it took)`.
    pub sent: Vec<(String, usize)>,
    /// `(sink shown by kind and host, why it failed, events it did not take)`.
    pub failed: Vec<(String, String, usize)>,
}

impl Delivered {
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }

    /// The events sent (counted once per event, the most any sink took), or the failures as an
    /// [`crate::error::Error::Notify`] (exit 4) naming each sink by kind and host.
    pub fn into_result(self, stored: bool) -> Result<usize> {
        let acknowledged = self.sent.iter().map(|(_, n)| *n).max().unwrap_or(0);
        if !self.ok() {
            let lines: Vec<String> =
                self.lines(stored).into_iter().filter_map(|l| l.strip_prefix("error: ").map(str::to_owned)).collect();
            return Err(crate::error::Error::Notify { message: lines.join("; "), acknowledged });
        }
        Ok(acknowledged)
    }

    /// One stderr line per sink that was sent something; failures are `error:` lines.
    pub fn lines(&self, stored: bool) -> Vec<String> {
        let events = |n: usize| if n == 1 { "1 event".to_owned() } else { format!("{n} events") };
        let mut out: Vec<String> =
            self.sent.iter().filter(|(_, n)| *n > 0).map(|(s, n)| format!("notified {s}: {}", events(*n))).collect();
        for (s, why, n) in &self.failed {
            let again = if stored { "; they are sent again by the next run" } else { "" };
            out.push(format!("error: notification to {s} failed ({why}): {} not delivered{again}", events(*n)));
        }
        out
    }
}

/// `reconcile --store --notify` as one call (the Python binding's `Store.reconcile(notify=…)`):
/// reconciles and records the findings, then tells each sink what it has not acknowledged. A
/// sink that fails is an [`crate::error::Error::Notify`] (exit 4) after all the work is done.
pub fn reconcile_store(
    store: &crate::store::Store,
    window: crate::window::TimeWindow,
    card: &crate::rates::RateCard,
    tolerance: crate::reconcile::Tolerance,
    now: DateTime<Utc>,
    sinks: &[Sink],
    cfg: &DeliveryConfig,
) -> Result<crate::reconcile::Reconciliation> {
    let (rec, _) = store.reconcile(window, card, tolerance, now)?;
    if sinks.is_empty() {
        return Ok(rec);
    }
    tell_reconciliation(sinks, cfg, Some(store), &rec, now)?.into_result(true)?;
    Ok(rec)
}

/// Tells each sink about a reconciliation, the one path of `reconcile --notify`,
/// `Store.reconcile(notify=…)`, `cf.notify` and the fleet. With the store it was recorded in,
/// each sink gets what it has not acknowledged (exactly once across runs); without one, every
/// discrepancy of the run is `finding.opened` at `at` (nothing remembers an earlier run).
pub fn tell_reconciliation(
    sinks: &[Sink],
    cfg: &DeliveryConfig,
    store: Option<&crate::store::Store>,
    rec: &crate::reconcile::Reconciliation,
    at: DateTime<Utc>,
) -> Result<Delivered> {
    let Some(window) = rec.summary.window else {
        return Err(crate::error::Error::input_hint(
            "the reconciliation has no window to notify about",
            "reconcile with start= and end=",
        ));
    };
    let summary = Some(&rec.summary);
    match store {
        Some(store) => {
            let builder = event::Builder::new(rec, window, Some(store.findings()?));
            // A sink new to the store is told from this reconciliation on, however long after it
            // the telling is (`notify(rec, sinks, store=…)` after `Store.reconcile`).
            let since = rec.provenance.recorded_at.map_or(at, |r| r.min(at));
            send_from_store(sinks, store, &|id, kind, at| builder.finding(id, kind, at), summary, cfg, since)
        }
        None => send(sinks, &event::Builder::new(rec, window, None).all_opened(at), summary, cfg),
    }
}

/// Sends the same `events` to every sink (no store: nothing to remember).
pub fn send(sinks: &[Sink], events: &[Event], summary: Option<&Summary>, cfg: &DeliveryConfig) -> Result<Delivered> {
    let per_sink: Vec<Vec<&Event>> = sinks.iter().map(|_| events.iter().collect()).collect();
    let outcomes = deliver::deliver(sinks, &per_sink, encode::Split { summary }, cfg)?;
    Ok(tally(sinks, &per_sink, &outcomes))
}

fn tally(sinks: &[Sink], per_sink: &[Vec<&Event>], outcomes: &[deliver::SinkOutcome]) -> Delivered {
    let mut d = Delivered::default();
    for ((s, evs), o) in sinks.iter().zip(per_sink).zip(outcomes) {
        match &o.failure {
            Some(why) => d.failed.push((s.to_string(), why.clone(), evs.len() - o.acknowledged.len())),
            None => d.sent.push((s.to_string(), o.acknowledged.len())),
        }
    }
    d
}

/// Builds the event a store recorded (`finding_id`, store event, when), if this run can say it.
pub type Build<'a> = dyn Fn(&str, &str, DateTime<Utc>) -> Option<Event> + 'a;

/// With a store: sends each sink what it has not acknowledged (this run's events and any an
/// earlier run could not deliver) and records what it acknowledged. `build` turns a pending
/// store event into what is sent; one it cannot build (a finding's event, for a forecast) stays
/// pending for the run that can.
pub fn send_from_store(
    sinks: &[Sink],
    store: &crate::store::Store,
    build: &Build<'_>,
    summary: Option<&Summary>,
    cfg: &DeliveryConfig,
    now: DateTime<Utc>,
) -> Result<Delivered> {
    let pending = outbox::pending(store.root(), sinks, now)?;
    let owned: Vec<Vec<Event>> =
        pending.iter().map(|p| p.iter().filter_map(|(id, kind, at)| build(id, kind, *at)).collect()).collect();
    let per_sink: Vec<Vec<&Event>> = owned.iter().map(|v| v.iter().collect()).collect();
    let outcomes = deliver::deliver(sinks, &per_sink, encode::Split { summary }, cfg)?;
    let at = Utc::now().max(now);
    let acked: Vec<(&Sink, Vec<&Event>)> = sinks
        .iter()
        .zip(&per_sink)
        .zip(&outcomes)
        .map(|((s, evs), o)| (s, o.acknowledged.iter().map(|&i| evs[i]).collect()))
        .collect();
    outbox::acknowledge(store.root(), &acked, at)?;
    Ok(tally(sinks, &per_sink, &outcomes))
}
