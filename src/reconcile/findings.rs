//! Findings: the discrepancy lines grouped by cause, each with the money at stake, the lines it
//! covers, the likely cause and the next step.
//!
//! A finance reader should not have to read fourteen rows to learn that one model is missing from
//! the rate card: lines that share a cause (the same unpriceable reason, the same known billing
//! pattern, the same unexplained ratio, one workspace's unbilled usage) become one finding. The
//! lines stay available in full, each naming its finding.

use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

use super::Line;
use super::explain::{Cause, ratio};
use super::labels::type_label;
use super::lines::workspace_name;
use super::summary::stakes;
use crate::money::cents_usd;
use crate::rates::Unpriceable;
use chrono::NaiveDate;

/// What kind of finding it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// Usage the rate card cannot price.
    Unpriced,
    /// Billed money of a cost or token type counterfoil does not know.
    UnknownCharge,
    /// One ratio on most mismatching lines: a contract price missing from the card?
    SharedRatio,
    /// A known billing error (1h writes at the 5m rate, batch discount missing, cents…).
    KnownPattern,
    /// Billed more than the tokens cost, no known cause.
    Overbilled,
    /// Billed less than the tokens cost, no known cause.
    Underbilled,
    /// Charges with no usage behind them.
    PhantomCharge,
    /// Usage with no cost line.
    UnbilledUsage,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Unpriced => "unpriced",
            FindingKind::UnknownCharge => "unknown_charge",
            FindingKind::SharedRatio => "shared_ratio",
            FindingKind::KnownPattern => "known_pattern",
            FindingKind::Overbilled => "overbilled",
            FindingKind::Underbilled => "underbilled",
            FindingKind::PhantomCharge => "phantom_charge",
            FindingKind::UnbilledUsage => "unbilled_usage",
        }
    }
}

/// Which way the money at stake goes (DESIGN §4's split).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Anthropic billed more than the tokens cost.
    Over,
    /// Anthropic billed less than the tokens cost.
    Under,
    /// Billed, with nothing to check it against.
    Unchecked,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Over => "overbilled",
            Direction::Under => "underbilled",
            Direction::Unchecked => "unchecked",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `F1`, `F2`… in order of money at stake.
    pub id: String,
    pub kind: FindingKind,
    pub direction: Direction,
    /// Non-negative scale-12 USD mantissa.
    pub amount: i128,
    pub title: String,
    pub cause: String,
    pub next_step: String,
    /// Indices of its lines in the reconciliation's line order.
    pub lines: Vec<usize>,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    /// Workspace labels ("Default" for the default workspace) and models, sorted.
    pub workspaces: Vec<String>,
    pub models: Vec<String>,
}

/// The grouping key of a discrepancy line.
fn group(l: &Line) -> Option<(FindingKind, String)> {
    let ws = l.key.workspace_id.as_deref().map(str::to_owned).unwrap_or_default();
    Some(match l.cause.as_deref()? {
        Cause::Unpriced(r) => (FindingKind::Unpriced, r.group_key()),
        Cause::UnknownCharge(what) => (FindingKind::UnknownCharge, what.clone()),
        Cause::SharedRatio(r) => (FindingKind::SharedRatio, r.to_string()),
        Cause::Unbilled => (FindingKind::UnbilledUsage, ws),
        Cause::Phantom => (FindingKind::PhantomCharge, ws),
        Cause::Ratio(r) => {
            let kind = if l.delta().unwrap_or(0) > 0 { FindingKind::Overbilled } else { FindingKind::Underbilled };
            (kind, r.to_string())
        }
        Cause::Priority | Cause::CostOnly(_) => return None,
        known => (FindingKind::KnownPattern, format!("{known:?}")),
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

fn days(first: NaiveDate, last: NaiveDate) -> String {
    if first == last { format!("on {first}") } else { format!("from {first} to {last}") }
}

/// Groups the discrepancy lines of `lines` into findings, largest amount first.
pub fn find(lines: &[Line], names: &BTreeMap<String, String>) -> Vec<Finding> {
    let mut groups: BTreeMap<(FindingKind, String), Vec<usize>> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate().filter(|(_, l)| l.status.is_discrepancy()) {
        if let Some(k) = group(l) {
            groups.entry(k).or_default().push(i);
        }
    }
    let mut out: Vec<Finding> = groups.into_iter().map(|((kind, _), idx)| describe(kind, &idx, lines, names)).collect();
    out.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.kind.cmp(&b.kind)).then(a.first_date.cmp(&b.first_date)));
    for (n, f) in out.iter_mut().enumerate() {
        f.id = format!("F{}", n + 1);
    }
    out
}

fn describe(kind: FindingKind, idx: &[usize], lines: &[Line], names: &BTreeMap<String, String>) -> Finding {
    let ls: Vec<&Line> = idx.iter().map(|&i| &lines[i]).collect();
    let (mut over, mut under, mut unchecked) = (0i128, 0i128, 0i128);
    for l in &ls {
        let (o, u, c) = stakes(l);
        over = over.saturating_add(o);
        under = under.saturating_add(u);
        unchecked = unchecked.saturating_add(c);
    }
    let (direction, amount) = match kind {
        FindingKind::Unpriced | FindingKind::UnknownCharge => (Direction::Unchecked, unchecked),
        _ if over >= under => (Direction::Over, over - under),
        _ => (Direction::Under, under - over),
    };
    let first_date = ls.iter().map(|l| l.key.date).min().unwrap_or_default();
    let last_date = ls.iter().map(|l| l.key.date).max().unwrap_or_default();
    let workspaces: BTreeSet<String> = ls
        .iter()
        .map(|l| {
            workspace_name(l.key.workspace_id.as_deref(), names)
                .or_else(|| l.key.workspace_id.as_deref().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    let models: BTreeSet<String> = ls.iter().filter_map(|l| l.key.model.as_deref().map(str::to_owned)).collect();
    let n = ls.len();
    let when = days(first_date, last_date);
    let money = cents_usd(amount);
    let in_ws = match workspaces.len() {
        1 => format!("in {}", workspaces.iter().next().map(String::as_str).unwrap_or("")),
        k => format!("in {k} workspaces"),
    };
    let claim = if n == 1 {
        format!("claim {money} from Anthropic support, citing this line")
    } else {
        format!("claim {money} from Anthropic support, citing these {n} lines")
    };
    let cause = ls[0].cause.as_deref().cloned();
    let (title, cause_text, next_step) = match (kind, &cause) {
        (FindingKind::Unpriced, Some(Cause::Unpriced(r))) => {
            let title = match r {
                Unpriceable::UnknownModel { model } => {
                    format!("{model} is not in the rate card: {money} billed unchecked {when} {in_ws}")
                }
                Unpriceable::MissingDimension { dimension } => format!(
                    "{} cannot be priced because usage was not grouped by {dimension}: {money} billed unchecked {when}",
                    plural(n, "line", "lines")
                ),
                other => format!("{} cannot be priced ({other}): {money} billed unchecked {when}", plural(n, "line", "lines")),
            };
            (title, r.to_string(), r.next_step())
        }
        (FindingKind::UnknownCharge, Some(Cause::UnknownCharge(what))) => (
            format!("{money} billed as {what}, which counterfoil cannot check, {when} {in_ws}"),
            format!("{what} is not a charge counterfoil knows how to recompute"),
            "read its description in the cost report and ask Anthropic support what it is; until then it stays unchecked".into(),
        ),
        (FindingKind::SharedRatio, Some(Cause::SharedRatio(r))) => {
            let r = r.normalize();
            if r > Decimal::ONE {
                (
                    format!("The same ratio, {r} × the card's price, on {}: a list price the rate card does not have yet?", plural(n, "line", "lines")),
                    format!("reported = {r} × expected on most mismatching lines"),
                    format!("`counterfoil rates --suggest` proposes the dated rate row this implies; review it and pass it with --rates; otherwise {claim}"),
                )
            } else {
                (
                    format!("The same ratio, {r} × list price, on {}: a negotiated price missing from the rate card?", plural(n, "line", "lines")),
                    format!("reported = {r} × expected on most mismatching lines"),
                    format!("if your contract has this price, `counterfoil rates --suggest` proposes the discount per model and dates (or add discount_factor = \"{r}\" to a rate card) for --rates; otherwise {claim}"),
                )
            }
        }
        (FindingKind::KnownPattern, Some(c)) => {
            let what = c.text().trim_end_matches('?').to_owned();
            let what = format!("{}{}", what[..1].to_uppercase(), &what[1..]);
            let types: BTreeSet<String> =
                ls.iter().map(|l| type_label(l.key.token_type.as_deref(), l.key.cost_type.as_str())).collect();
            let title = format!(
                "{what}: {money} {} on {} ({}) {when} {in_ws}",
                if direction == Direction::Over { "over-billed" } else { "under-billed" },
                plural(n, "line", "lines"),
                types.into_iter().collect::<Vec<_>>().join(", ")
            );
            let next = if direction == Direction::Over {
                claim.clone()
            } else {
                format!("nothing to claim ({money} in your favour); report it to Anthropic support so the bill is corrected")
            };
            (title, c.text(), next)
        }
        (FindingKind::Overbilled | FindingKind::Underbilled, _) => {
            let r = ls.first().and_then(|l| ratio(l)).map(|r| r.round_dp(4).normalize().to_string()).unwrap_or_default();
            let l = ls[0];
            let what = format!(
                "{} {}",
                l.key.model.as_deref().map(str::to_owned).unwrap_or_else(|| l.key.cost_type.as_str().replace('_', " ")),
                type_label(l.key.token_type.as_deref(), l.key.cost_type.as_str())
            );
            let title = if n == 1 {
                format!(
                    "{what} billed {r} × what the tokens cost {when} {in_ws}: {money} {}",
                    if direction == Direction::Over { "over-billed" } else { "under-billed" }
                )
            } else {
                format!(
                    "{} billed {r} × what the tokens cost {when}: {money} {}",
                    plural(n, "line", "lines"),
                    if direction == Direction::Over { "over-billed" } else { "under-billed" }
                )
            };
            let next = if direction == Direction::Over {
                claim.clone()
            } else {
                format!("nothing to claim ({money} in your favour); check the rate card's price for these lines")
            };
            (title, format!("reported = {r} × expected, no known cause"), next)
        }
        (FindingKind::PhantomCharge, _) => (
            format!("{money} billed with no usage behind it ({}) {when} {in_ws}", plural(n, "line", "lines")),
            "a cost line with no usage_report row: a phantom charge, or usage from another API surface?".into(),
            claim.clone(),
        ),
        (FindingKind::UnbilledUsage, _) => (
            format!("{money} of usage with no cost line ({}) {when} {in_ws}", plural(n, "line", "lines")),
            "blocked or failed requests, cost data not in yet, or billed elsewhere?".into(),
            "if these days are recent, reconcile again later (cost data can lag by up to a day); otherwise ask Anthropic support why they are not billed".into(),
        ),
        (_, _) => (format!("{} discrepancies {when}", n), String::new(), String::new()),
    };
    Finding {
        id: String::new(),
        kind,
        direction,
        amount,
        title,
        cause: cause_text,
        next_step,
        lines: idx.to_vec(),
        first_date,
        last_date,
        workspaces: workspaces.into_iter().collect(),
        models: models.into_iter().collect(),
    }
}

/// The findings as a frame (one row each, money exact).
pub fn frame(findings: &[Finding]) -> crate::error::Result<polars::prelude::DataFrame> {
    use crate::frames::columns::{date, money, text};
    use polars::prelude::*;
    let s = |f: &dyn Fn(&Finding) -> String| findings.iter().map(|x| Some(f(x))).collect::<Vec<_>>();
    let columns = vec![
        text("finding", s(&|f| f.id.clone())),
        text("kind", s(&|f| f.kind.as_str().to_owned())),
        text("direction", s(&|f| f.direction.as_str().to_owned())),
        money("amount_usd", findings.iter().map(|f| Some(f.amount)).collect())?,
        text("title", s(&|f| f.title.clone())),
        Int64Chunked::from_iter_values("lines".into(), findings.iter().map(|f| f.lines.len() as i64)).into_column(),
        date("first_date", findings.iter().map(|f| Some(f.first_date)).collect()),
        date("last_date", findings.iter().map(|f| Some(f.last_date)).collect()),
        text("workspaces", s(&|f| f.workspaces.join(", "))),
        text("models", s(&|f| f.models.join(", "))),
        text("cause", s(&|f| f.cause.clone())),
        text("next_step", s(&|f| f.next_step.clone())),
    ];
    Ok(DataFrame::new(findings.len(), columns)?)
}
