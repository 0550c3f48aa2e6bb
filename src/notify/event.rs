//! The events counterfoil tells people about (DESIGN §12), built from a reconciliation.
//!
//! With a store, the events are the store's own finding events (`opened`, `reopened`,
//! `resolved`, each with its stable `finding_id`), so each is told exactly once; without one,
//! every discrepancy line of the run is `finding.opened`. An event carries what a person needs
//! without opening the report: the line key, the money as exact decimal strings, the finding's
//! title and next step, the window and the organization.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use polars::prelude::DataFrame;
use serde::Serialize;

use crate::money::format_mantissa;
use crate::reconcile::{Reconciliation, Status};
use crate::store::findings::{KEY, finding_id, key_of, money_at, text_at};
use crate::window::TimeWindow;

/// `finding.opened`, … as the CloudEvents type suffix and the Slack label.
pub fn kind_of(store_event: &str) -> &'static str {
    match store_event {
        "opened" => "finding.opened",
        "reopened" => "finding.reopened",
        "resolved" => "finding.resolved",
        "budget" => "budget.exceeded",
        "test" => "test",
        _ => "job.failed",
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Window {
    pub start: String,
    pub end: String,
}

/// One event, as `data` of a CloudEvent and `custom_details` of a PagerDuty event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// `finding.opened`, `finding.reopened`, `finding.resolved`, `job.failed`, `test`.
    pub event: &'static str,
    /// The finding's stable id (a job id for `job.failed`).
    pub finding_id: String,
    /// When the store recorded it (the run's time without a store), microseconds, UTC.
    pub at: String,
    /// `date/workspace/model/service_tier/context_window/inference_geo/cost_type/token_type`,
    /// `-` for a null part.
    pub line_key: String,
    pub key: serde_json::Map<String, serde_json::Value>,
    pub status: String,
    /// `overbilled`, `underbilled` or `unchecked` while a discrepancy.
    pub direction: Option<&'static str>,
    pub expected_usd: Option<String>,
    pub reported_usd: Option<String>,
    pub delta_usd: Option<String>,
    /// `F1`… in this run's report, when the line is still a discrepancy.
    pub finding: Option<String>,
    pub title: String,
    pub next_step: String,
    pub window: Window,
    pub organization: Organization,
}

impl Event {
    /// The store event it stands for (`opened`…), for `notified` rows.
    pub fn store_event(&self) -> &str {
        match self.event {
            "budget.exceeded" => "budget",
            e => e.strip_prefix("finding.").unwrap_or(e),
        }
    }

    /// Over-billing and failures page as errors, the rest as warnings (PagerDuty severity).
    pub fn is_error(&self) -> bool {
        self.direction == Some("overbilled") || self.event == "job.failed"
    }
}

pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn direction(status: &str, delta: Option<i128>) -> Option<&'static str> {
    match Status::parse(status)? {
        Status::Mismatch if delta.unwrap_or(0) > 0 => Some("overbilled"),
        Status::Mismatch => Some("underbilled"),
        Status::MissingUsage => Some("overbilled"),
        Status::MissingCost => Some("underbilled"),
        Status::Unpriced => Some("unchecked"),
        _ => None,
    }
}

/// Builds events from line rows of a reconciliation, or of the store's `findings.parquet` for a
/// finding that no longer has a line in this run's window.
pub struct Builder<'a> {
    rec: &'a Reconciliation,
    lines: HashMap<String, usize>,
    history: Option<(DataFrame, HashMap<String, usize>)>,
    pub organization: Organization,
    pub window: Window,
}

impl<'a> Builder<'a> {
    pub fn new(rec: &'a Reconciliation, window: TimeWindow, history: Option<DataFrame>) -> Builder<'a> {
        let index = |df: &DataFrame| (0..df.height()).map(|i| (finding_id(&key_of(df, i)), i)).collect();
        let (id, name) = rec.provenance.organization.clone().unwrap_or_default();
        Builder {
            rec,
            lines: index(&rec.lines),
            history: history.map(|h| {
                let ix = index(&h);
                (h, ix)
            }),
            organization: Organization { id, name },
            window: Window { start: window.start.date_naive().to_string(), end: window.end.date_naive().to_string() },
        }
    }

    /// Every discrepancy line of the run as `finding.opened` at `at` (no store to remember them).
    pub fn all_opened(&self, at: DateTime<Utc>) -> Vec<Event> {
        let df = &self.rec.lines;
        (0..df.height())
            .filter(|&i| text_at(df, "status", i).and_then(|s| Status::parse(&s)).is_some_and(Status::is_discrepancy))
            .map(|i| self.event_of_row(df, i, "opened", at))
            .collect()
    }

    /// The event `store_event` of finding `id` recorded at `at`, if the finding is known.
    pub fn finding(&self, id: &str, store_event: &str, at: DateTime<Utc>) -> Option<Event> {
        if let Some(&i) = self.lines.get(id) {
            return Some(self.event_of_row(&self.rec.lines, i, store_event, at));
        }
        let (h, ix) = self.history.as_ref()?;
        Some(self.event_of_row(h, *ix.get(id)?, store_event, at))
    }

    fn event_of_row(&self, df: &DataFrame, i: usize, store_event: &str, at: DateTime<Utc>) -> Event {
        let key = key_of(df, i);
        let status = text_at(df, "status", i).unwrap_or_else(|| "gone".into());
        let delta = money_at(df, "delta_usd", i);
        let f = text_at(df, "finding", i).and_then(|f| self.rec.findings.iter().find(|x| x.id == f));
        let (title, next_step) = match (f, store_event) {
            (_, "resolved") => ("No longer a discrepancy".to_owned(), "Nothing to do.".to_owned()),
            (Some(f), _) => (f.title.clone(), f.next_step.clone()),
            (None, _) => (
                text_at(df, "explanation", i).unwrap_or_else(|| format!("A {status} line")),
                "Open the reconciliation report for this line.".to_owned(),
            ),
        };
        let json_key = KEY
            .iter()
            .zip(&key)
            .map(|(k, v)| (k.to_string(), v.clone().map_or(serde_json::Value::Null, serde_json::Value::String)))
            .collect();
        let dir = if store_event == "resolved" { None } else { direction(&status, delta) };
        Event {
            event: kind_of(store_event),
            finding_id: finding_id(&key),
            at: stamp(at),
            line_key: key.iter().map(|k| k.as_deref().unwrap_or("-")).collect::<Vec<_>>().join("/"),
            key: json_key,
            direction: dir,
            expected_usd: money_at(df, "expected_usd", i).map(format_mantissa),
            reported_usd: money_at(df, "reported_usd", i).map(format_mantissa),
            delta_usd: delta.map(format_mantissa),
            finding: f.map(|f| f.id.clone()),
            status,
            title,
            next_step,
            window: self.window.clone(),
            organization: self.organization.clone(),
        }
    }
}

/// A `job.failed` event: the error's line and hint in place of a finding.
pub fn job_failed(
    job: &str,
    error: &crate::error::Error,
    window: Option<TimeWindow>,
    organization: Organization,
    at: DateTime<Utc>,
) -> Event {
    let failure =
        Failure { message: error.to_string(), hint: error.hint().map(str::to_owned), exit_code: error.exit_code() };
    job_failed_with(job, &failure, window, organization, at)
}

/// What failed, for [`job_failed_with`]: an error as the CLI prints it (or as a Python
/// exception carries it).
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
    pub exit_code: i32,
}

/// A `job.failed` event for `failure`: the one form of every job's failure alert.
pub fn job_failed_with(
    job: &str,
    failure: &Failure,
    window: Option<TimeWindow>,
    organization: Organization,
    at: DateTime<Utc>,
) -> Event {
    let window = window.map_or(Window { start: String::new(), end: String::new() }, |w| Window {
        start: w.start.date_naive().to_string(),
        end: w.end.date_naive().to_string(),
    });
    Event {
        event: "job.failed",
        finding_id: job_id(job),
        at: stamp(at),
        line_key: job.to_owned(),
        key: serde_json::Map::new(),
        status: format!("exit {}", failure.exit_code),
        direction: None,
        expected_usd: None,
        reported_usd: None,
        delta_usd: None,
        finding: None,
        title: format!("counterfoil {job} failed: {}", failure.message),
        next_step: failure.hint.clone().unwrap_or_else(|| "Run the command by hand to see the error.".to_owned()),
        window,
        organization,
    }
}

/// `job_<job>`, the job's words joined by `_` (`fleet reconcile (emea)` → `job_fleet_reconcile_emea`):
/// PagerDuty folds a job's repeated failures into one incident by it.
pub fn job_id(job: &str) -> String {
    let words: Vec<&str> =
        job.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))).filter(|w| !w.is_empty()).collect();
    format!("job_{}", words.join("_"))
}

/// The id of a budget crossing: one per (month, budget), so raising the budget is a new one.
pub fn budget_id(month: &str, budget: i128) -> String {
    format!("budget_{month}_{}", format_mantissa(budget))
}

/// `budget.exceeded`: the month's projection is over the budget (`forecast --budget`).
pub fn budget_exceeded(f: &crate::model::Forecast, organization: Organization, at: DateTime<Utc>) -> Option<Event> {
    let budget = f.budget.filter(|_| f.over_budget() == Some(true))?;
    let cents = crate::money::cents_usd;
    Some(Event {
        event: "budget.exceeded",
        finding_id: budget_id(&f.month, budget),
        at: stamp(at),
        line_key: f.month.clone(),
        key: serde_json::Map::new(),
        status: "over_budget".into(),
        direction: None,
        expected_usd: Some(format_mantissa(budget)),
        reported_usd: Some(format_mantissa(f.projected)),
        delta_usd: Some(format_mantissa(f.projected - budget)),
        finding: None,
        title: format!(
            "{} is projected at {} (band {} to {}), over the budget of {}",
            f.month,
            cents(f.projected),
            cents(f.low),
            cents(f.high),
            cents(budget)
        ),
        next_step: "See what grew with `counterfoil spend-report`, or raise the budget.".into(),
        window: Window { start: format!("{}-01", f.month), end: f.today.to_string() },
        organization,
    })
}

/// The one event of `counterfoil notify --test`.
pub fn test_event(at: DateTime<Utc>) -> Event {
    Event {
        event: "test",
        finding_id: "test".into(),
        at: stamp(at),
        line_key: "test".into(),
        key: serde_json::Map::new(),
        status: "test".into(),
        direction: None,
        expected_usd: None,
        reported_usd: None,
        delta_usd: None,
        finding: None,
        title: "counterfoil test notification".into(),
        next_step: "Nothing to do: this sink receives counterfoil's alerts.".into(),
        window: Window { start: String::new(), end: String::new() },
        organization: Organization { id: "test".into(), name: "counterfoil".into() },
    }
}
