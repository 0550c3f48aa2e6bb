//! `--notify` on the commands, and `counterfoil notify --test`: the CLI's side of DESIGN §12.
//!
//! Delivery problems never hide the command's result: the work is done and written first, a
//! failed sink is named (kind and host) on stderr, and the exit code becomes 4.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use super::args::NotifyArgs;
use super::reconcile::Reconciled;
use crate::error::{Error, Result};
use crate::notify::event::Organization;
use crate::notify::{Delivered, DeliveryConfig, Sink};
use crate::store::Store;
use crate::window::TimeWindow;

pub(crate) fn delivery(timeout_secs: f64) -> DeliveryConfig {
    DeliveryConfig { timeout: Duration::from_secs_f64(timeout_secs), ..DeliveryConfig::default() }
}

fn say(d: &Delivered, stored: bool, stderr: &mut dyn Write) {
    for line in d.lines(stored) {
        let _ = writeln!(stderr, "{line}");
    }
}

/// Tells the sinks about the run's findings; false when a sink failed (exit 4).
pub(crate) fn after_reconcile(
    sinks: &[Sink],
    cfg: &DeliveryConfig,
    store: Option<&Path>,
    done: &Reconciled,
    stderr: &mut dyn Write,
) -> Result<bool> {
    if sinks.is_empty() {
        return Ok(true);
    }
    let store = store.map(Store::open).transpose()?;
    let delivered = crate::notify::tell_reconciliation(sinks, cfg, store.as_ref(), &done.rec, done.at)?;
    say(&delivered, store.is_some(), stderr);
    Ok(delivered.ok())
}

/// `forecast --notify`: `budget.exceeded` when the projection is over the budget. With a store,
/// once per crossing of (budget, month), remembered in its event log and told to each sink once;
/// without one, every run over budget. False when a sink failed (exit 4).
pub(crate) fn after_forecast(
    sinks: &[Sink],
    cfg: &DeliveryConfig,
    store: Option<&Path>,
    f: &crate::model::Forecast,
    organization: Organization,
    at: chrono::DateTime<chrono::Utc>,
    stderr: &mut dyn Write,
) -> Result<bool> {
    if sinks.is_empty() {
        return Ok(true);
    }
    let Some(dir) = store else {
        let events: Vec<_> = crate::notify::event::budget_exceeded(f, organization, at).into_iter().collect();
        return send_events(sinks, cfg, &events, stderr);
    };
    let store = Store::open(dir)?;
    if let Some(budget) = f.budget {
        let id = crate::notify::event::budget_id(&f.month, budget);
        store.record_budget(&id, f.over_budget() == Some(true), f.projected - budget, at)?;
    }
    let build = |id: &str, kind: &str, at| {
        let e = crate::notify::event::budget_exceeded(f, organization.clone(), at)?;
        (kind == "budget" && e.finding_id == id).then_some(e)
    };
    let delivered = crate::notify::send_from_store(sinks, &store, &build, None, cfg, at)?;
    say(&delivered, true, stderr);
    Ok(delivered.ok())
}

/// Sends `job.failed` for a command that failed with exit 2–4, then returns its error.
pub(crate) fn job_failed(
    job: &str,
    sinks: &[Sink],
    cfg: &DeliveryConfig,
    store: Option<&Path>,
    window: Option<TimeWindow>,
    error: Error,
    stderr: &mut dyn Write,
) -> Error {
    if sinks.is_empty() || !(2..=4).contains(&error.exit_code()) {
        return error;
    }
    let at = super::commands::now().unwrap_or_else(|_| chrono::Utc::now());
    let event = crate::notify::event::job_failed(job, &error, window, store_organization(store), at);
    if let Ok(d) = crate::notify::send(sinks, &[event], None, cfg) {
        say(&d, false, stderr);
    }
    error
}

/// The organization a store belongs to, when there is a readable one.
pub(crate) fn store_organization(store: Option<&Path>) -> Organization {
    store
        .and_then(|d| Store::open(d).ok()?.state().ok()?.organization)
        .map(|o| Organization { id: o.id, name: o.name })
        .unwrap_or_default()
}

/// Sends `events` (no store bookkeeping); false when a sink failed (exit 4).
pub(crate) fn send_events(
    sinks: &[Sink],
    cfg: &DeliveryConfig,
    events: &[crate::notify::Event],
    stderr: &mut dyn Write,
) -> Result<bool> {
    if sinks.is_empty() || events.is_empty() {
        return Ok(true);
    }
    let d = crate::notify::send(sinks, events, None, cfg)?;
    say(&d, false, stderr);
    Ok(d.ok())
}

/// `counterfoil notify --test`: one test event to each sink.
pub(crate) fn test_cmd(a: NotifyArgs, _stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let sinks = crate::notify::spec::parse_all(&a.notify)?;
    if sinks.is_empty() {
        return Err(Error::input_hint(
            "notify --test: no sink given",
            "pass --notify SPEC (slack:URL, webhook:URL, pagerduty:ROUTING_KEY) or set COUNTERFOIL_NOTIFY",
        ));
    }
    let event = crate::notify::event::test_event(super::commands::now()?);
    let d = crate::notify::send(&sinks, &[event], None, &delivery(a.notify_timeout))?;
    say(&d, false, stderr);
    Ok(if d.ok() { 0 } else { 4 })
}
