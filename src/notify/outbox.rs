//! With a store, `finding_events.parquet` is the outbox: what each sink still has to be told.
//!
//! A delivered event is recorded as one `notified` row per sink: `sink` the sink's id
//! (`kind:host:hash`, never its URL), `finding_id` the finding's, `status` naming what was
//! delivered as `<event>@<at>` (`opened@2026-11-20T06:00:00.000000Z`: the event and the time the
//! store recorded it, so a finding opened, resolved and reopened is three deliveries), and
//! `delta_usd` the event's. An event a sink has no such row for is pending and goes out with the
//! next run: never lost, and never sent twice once acknowledged (a crash between a sink's 2xx and
//! the row being written is the one way to see it twice; CloudEvents `id` and PagerDuty's
//! `dedup_key` let a receiver drop that copy).
//!
//! A budget crossing (`budget` / `exceeded`, see [`crate::store::budgets`]) is delivered the same
//! way, as `budget@<at>`.
//!
//! A sink's first run with a store writes a `subscribed` row (empty `finding_id`): it is told
//! what happens from then on, not the store's whole history.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::event::{Event, stamp};
use super::spec::Sink;
use crate::error::Result;
use crate::store::findings::{self, micros, text_at};

/// One event waiting for a sink: `(finding_id, store event, at)`.
pub type Pending = (String, String, DateTime<Utc>);

/// What each sink (in order) has not acknowledged, oldest first, after subscribing new sinks at
/// `now`.
pub fn pending(root: &Path, sinks: &[Sink], now: DateTime<Utc>) -> Result<Vec<Vec<Pending>>> {
    // The log keeps microseconds: compare like with like.
    let now = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let log = findings::read_events(root)?;
    let mut subscribed: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut acked: HashSet<(String, String, String)> = HashSet::new();
    let mut events: Vec<Pending> = Vec::new();
    for i in 0..log.height() {
        let (Some(at), Some(kind)) = (micros(&log, "at", i)?, text_at(&log, "event", i)) else { continue };
        let id = text_at(&log, "finding_id", i).unwrap_or_default();
        let status = text_at(&log, "status", i).unwrap_or_default();
        match (kind.as_str(), text_at(&log, "sink", i)) {
            ("notified", Some(sink)) if status == "subscribed" => {
                subscribed.entry(sink).or_insert(at);
            }
            ("notified", Some(sink)) => {
                acked.insert((sink, id, status));
            }
            ("opened" | "reopened" | "resolved", _) => events.push((id, kind, at)),
            ("budget", _) if status == "exceeded" => events.push((id, kind, at)),
            _ => {}
        }
    }
    let mut new = Vec::new();
    for s in sinks {
        if !subscribed.contains_key(s.id()) {
            subscribed.insert(s.id().to_owned(), now);
            new.push(findings::Event {
                at: now,
                finding_id: String::new(),
                event: "notified",
                sink: Some(s.id().to_owned()),
                status: "subscribed".into(),
                delta_usd: None,
            });
        }
    }
    findings::append_events_locked(root, &new)?;
    events.sort_by_key(|e| e.2);
    Ok(sinks
        .iter()
        .map(|s| {
            let since = subscribed[s.id()];
            events
                .iter()
                .filter(|(id, kind, at)| {
                    *at >= since && !acked.contains(&(s.id().to_owned(), id.clone(), format!("{kind}@{}", stamp(*at))))
                })
                .cloned()
                .collect()
        })
        .collect())
}

/// Records that each sink acknowledged its events at `now` (one rewrite of the log for all).
pub fn acknowledge(root: &Path, acked: &[(&Sink, Vec<&Event>)], now: DateTime<Utc>) -> Result<()> {
    let rows: Vec<findings::Event> = acked
        .iter()
        .flat_map(|(sink, events)| {
            events.iter().map(move |e| findings::Event {
                at: now,
                finding_id: e.finding_id.clone(),
                event: "notified",
                sink: Some(sink.id().to_owned()),
                status: format!("{}@{}", e.store_event(), e.at),
                delta_usd: e.delta_usd.as_deref().and_then(|d| crate::money::to_mantissa(d.parse().ok()?).ok()),
            })
        })
        .collect();
    findings::append_events_locked(root, &rows)
}
