//! `reconcile(usage, cost, card)`: say, line by line, whether the bill is what the tokens cost.
//!
//! Usage is aggregated by Polars to (day, workspace, model, tier, context window, geo, speed)
//! before anything else: a 10M-row hourly frame becomes a few thousand rows, which are priced
//! once per distinct key and spread into one line per token type. Cost rows are summed to the
//! same key. Both sides meet in a map keyed on DESIGN §4's key; statuses, explanations and the
//! summary follow. Money stays in scale-12 integer mantissas throughout: exact.

pub mod contributions;
mod explain;
mod findings;
mod key;
pub mod labels;
mod lines;
pub(crate) mod order;
pub mod sides;
pub mod summary;
mod summary_fields;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;

pub use explain::Cause;
pub use findings::{Direction, Finding, FindingKind};
pub use key::{CostSide, LINE_KEY_COLUMNS, LineKey, RateSeen, SideMap, UsageSide};
pub use lines::LINE_COLUMNS;
pub use summary::Summary;

use crate::error::{Error, Result};
use crate::frames::{CostFrame, CostType, UsageFrame};
use crate::rates::RateCard;
use crate::window::TimeWindow;

/// The statuses of DESIGN §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Match,
    Mismatch,
    MissingCost,
    MissingUsage,
    Unpriced,
    NotInCostReport,
    CostOnly,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Match,
        Status::Mismatch,
        Status::MissingCost,
        Status::MissingUsage,
        Status::Unpriced,
        Status::NotInCostReport,
        Status::CostOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Match => "match",
            Status::Mismatch => "mismatch",
            Status::MissingCost => "missing_cost",
            Status::MissingUsage => "missing_usage",
            Status::Unpriced => "unpriced",
            Status::NotInCostReport => "not_in_cost_report",
            Status::CostOnly => "cost_only",
        }
    }

    /// The status a line's text names (`match`, `missing_cost`, …), if any.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a line with this status makes the reconciliation fail (exit code 1).
    pub fn is_discrepancy(self) -> bool {
        matches!(self, Status::Mismatch | Status::MissingCost | Status::MissingUsage | Status::Unpriced)
    }
}

/// Tolerances: a line matches when `|delta| <= abs_tol + rel_tol × |reported|`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub abs_usd: Decimal,
    pub rel: Decimal,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { abs_usd: Decimal::new(1, 2), rel: Decimal::ZERO }
    }
}

impl Tolerance {
    pub fn new(abs_usd: Decimal, rel: Decimal) -> Result<Self> {
        if abs_usd.is_sign_negative() || rel.is_sign_negative() {
            return Err(Error::input("tolerances must not be negative"));
        }
        crate::money::to_mantissa(abs_usd)?;
        Ok(Tolerance { abs_usd, rel })
    }
}

/// One reconciled line before it becomes a frame row.
#[derive(Debug, Clone)]
pub struct Line {
    pub key: LineKey,
    pub usage: Option<UsageSide>,
    pub cost: Option<CostSide>,
    pub status: Status,
    /// The likely cause, for every line that is not a plain match.
    pub cause: Option<Box<Cause>>,
    pub explanation: Option<String>,
}

impl Line {
    pub fn expected(&self) -> Option<i128> {
        self.usage.as_ref().and_then(UsageSide::expected)
    }

    pub fn reported(&self) -> Option<i128> {
        self.cost.as_ref().map(|c| c.reported)
    }

    /// reported − expected; `merge` checked that it fits. For the Analytics API this is the
    /// list-price check (`list_amount` − expected), what the status is decided on.
    pub fn delta(&self) -> Option<i128> {
        self.reported()?.checked_sub(self.expected()?)
    }

    /// What was billed: cost_report's amount, or the Analytics API's `amount` after discounts.
    pub fn billed(&self) -> Option<i128> {
        self.cost.as_ref().map(|c| c.net.unwrap_or(c.reported))
    }

    /// billed − expected: the `delta_usd` of DESIGN §3 for either source.
    pub fn billed_delta(&self) -> Option<i128> {
        self.billed()?.checked_sub(self.expected()?)
    }
}

/// The result: lines (DESIGN §3), a summary, and the findings the discrepancies group into.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    pub lines: DataFrame,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// Where the data came from, when the caller knows (a store does; two frames do not).
    pub provenance: Provenance,
}

/// What a reconciliation of bare frames cannot know: whose bill it is, and which days may still
/// be restated. A store knows both; the API path asks `/v1/organizations/me`. FOCUS needs the
/// first (BillingAccountId) and says the second (`x_Provisional`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The organization's id and name.
    pub organization: Option<(String, String)>,
    /// Days whose usage or cost had not settled when last fetched (a store's provisional days;
    /// from the API, the days it may still restate).
    pub unsettled_days: std::collections::BTreeSet<NaiveDate>,
    /// When a store recorded this reconciliation's findings (`Store::reconcile`): a sink first
    /// told about the store after it is told this run's events (DESIGN §12).
    pub recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Reconciliation {
    /// True when no line is a discrepancy (exit code 0).
    pub fn ok(&self) -> bool {
        self.summary.discrepancies() == 0
    }

    /// The exit code of `counterfoil reconcile` (without `--new-only`): 0, or 1 on discrepancies.
    /// The bindings and the fleet take it from here, not from a rule of their own.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.ok())
    }

    /// The findings as a frame: `finding, kind, direction, amount_usd, title, lines,
    /// first_date, last_date, workspaces, models, cause, next_step`.
    pub fn findings_frame(&self) -> Result<DataFrame> {
        findings::frame(&self.findings)
    }

    /// The lines that are discrepancies.
    pub fn discrepancies(&self) -> Result<DataFrame> {
        let bad: Vec<&str> = Status::ALL.iter().filter(|s| s.is_discrepancy()).map(|s| s.as_str()).collect();
        let mask = self
            .lines
            .column("status")?
            .str()?
            .iter()
            .map(|s| s.is_some_and(|s| bad.contains(&s)))
            .collect::<BooleanChunked>();
        Ok(self.lines.filter(&mask)?)
    }
}

/// Options of a reconciliation.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub tolerance: Tolerance,
    /// Only lines in this window (UTC days); `None`: whatever the frames hold.
    pub window: Option<TimeWindow>,
    /// Workspace id → name, for the `workspace_name` column.
    pub workspace_names: BTreeMap<String, String>,
    /// Analytics only: one line per API key too (`api_key_id` joins the key).
    pub by_api_key: bool,
}

/// Reconciles a usage frame against a cost frame (both validated, DESIGN §3) with a rate card.
pub fn reconcile(usage: &UsageFrame, cost: &CostFrame, card: &RateCard, options: &Options) -> Result<Reconciliation> {
    if options.by_api_key {
        return Err(by_key_needs_analytics());
    }
    if let Some(w) = options.window {
        w.check_whole_days()?;
    }
    let costs = sides::cost_side(&sides::clip_cost(cost, options.window)?)?;
    run(usage, costs, card, options, Source::CostReport)
}

pub(crate) fn by_key_needs_analytics() -> Error {
    Error::input_hint(
        "cost_report has no api_key_id: only an analytics reconciliation can split lines by API key",
        "use --source analytics (Python: reconcile_analytics, or source=\"analytics\")",
    )
}

/// Reconciles usage against the Analytics API's cost rows (DESIGN §11): each line's
/// `list_amount` is checked against the card at list price (every negotiated discount of the card
/// left out), and the billed `amount` and the discount ride along.
pub fn reconcile_analytics(
    usage: &UsageFrame,
    cost: &crate::frames::AnalyticsCostFrame,
    card: &RateCard,
    options: &Options,
) -> Result<Reconciliation> {
    if let Some(w) = options.window {
        w.check_whole_days()?;
    }
    let costs = sides::analytics_cost_side(&sides::clip_analytics_cost(cost, options.window)?, options.by_api_key)?;
    run(usage, costs, &card.at_list(), options, Source::Analytics)
}

/// Where the billed side came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The legacy `cost_report`: lines are checked on its amount.
    #[default]
    CostReport,
    /// The Analytics API: lines are checked on `list_amount`; `amount` is what was billed.
    Analytics,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::CostReport => "cost_report",
            Source::Analytics => "analytics",
        }
    }
}

impl std::str::FromStr for Source {
    type Err = Error;
    /// The `source=` of the Python API: `legacy` (cost_report) or `analytics`.
    fn from_str(s: &str) -> Result<Source> {
        match s {
            "legacy" => Ok(Source::CostReport),
            "analytics" => Ok(Source::Analytics),
            other => Err(Error::input(format!("source must be \"legacy\" or \"analytics\", not {other:?}"))),
        }
    }
}

fn run(
    usage: &UsageFrame,
    costs: SideMap<CostSide>,
    card: &RateCard,
    options: &Options,
    source: Source,
) -> Result<Reconciliation> {
    let usage = sides::clip_usage(usage, options.window)?;
    let coarse = sides::coarsened_days(&costs);
    let usages = sides::usage_side(&usage, card, &coarse, options.by_api_key)?;
    let mut lines = lines::merge(usages, costs, options.tolerance)?;
    explain::explain(&mut lines);
    let window = options.window.or_else(|| window_of(&lines));
    let found = findings::find(&lines, &options.workspace_names);
    // The summary and the frame only read the lines: one on each core.
    let (summary, frame) = std::thread::scope(|s| {
        let summary = s.spawn(|| Summary::of(&lines, window, &coarse, &options.workspace_names));
        let frame = lines::frame(&lines, &options.workspace_names, &found, source, options.by_api_key);
        (summary.join().expect("the summary does not panic"), frame)
    });
    let (mut summary, frame) = (summary?, frame?);
    summary.source = source;
    if let Some(&(_, usd)) = summary.non_token.get(CostType::SessionUsage.as_str()) {
        let usd_per_hour = card.unit_price(CostType::SessionUsage.as_str()).map(|u| u.price);
        summary.session_runtime = Some(summary::SessionRuntime { usd, usd_per_hour });
    }
    Ok(Reconciliation { lines: frame, summary, findings: found, provenance: Provenance::default() })
}

fn window_of(lines: &[Line]) -> Option<TimeWindow> {
    let first = lines.iter().map(|l| l.key.date).min()?;
    let last = lines.iter().map(|l| l.key.date).max()?;
    let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    Some(TimeWindow { start: at(first), end: at(last) + chrono::Duration::days(1) })
}
