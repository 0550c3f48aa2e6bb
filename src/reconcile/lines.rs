//! Meeting the two sides on the key, the status of each line, and the `lines` frame.

use std::collections::BTreeMap;

use polars::prelude::*;
use rust_decimal::Decimal;

use super::key::LINE_KEY_COLUMNS;
use super::key::{CostSide, LineKey, SideMap, UsageSide};
use super::{Finding, Line, Status, Tolerance};
use crate::error::Result;
use crate::frames::CostType;
use crate::frames::columns::{Build, concat, date, money, on_cores, text};
use crate::money::to_mantissa;
use crate::rates::TokenType;

/// The `lines` columns of DESIGN §3, in order: the key, then the amounts and the status; extras
/// follow.
pub const LINE_COLUMNS: [&str; 14] = concat(&[
    &LINE_KEY_COLUMNS,
    &["quantity", "rate_usd_per_mtok", "expected_usd", "reported_usd", "delta_usd", "status"],
]);

fn within(delta: i128, reported: i128, tol: Tolerance) -> bool {
    let abs = to_mantissa(tol.abs_usd).unwrap_or(0);
    if tol.rel.is_zero() {
        return delta.abs() <= abs;
    }
    match (Decimal::try_from_i128_with_scale(delta.abs(), 12), Decimal::try_from_i128_with_scale(reported.abs(), 12)) {
        (Ok(d), Ok(r)) => d <= tol.abs_usd + tol.rel * r,
        _ => false,
    }
}

/// What a line's cost type lets us check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostKind {
    /// Tokens of a known token type, or web searches: recomputed from usage.
    Checked,
    /// Code execution and session runtime: no usage counterpart by design.
    CostOnly,
    /// A cost type (or token type) this version does not know: billed money nobody can check.
    Unknown,
}

pub fn cost_kind(key: &LineKey) -> CostKind {
    match &key.cost_type {
        CostType::Tokens if key.token_type.as_deref().is_none_or(|t| TokenType::from_api_name(t).is_some()) => {
            CostKind::Checked
        }
        CostType::WebSearch => CostKind::Checked,
        c if c.is_cost_only() => CostKind::CostOnly,
        _ => CostKind::Unknown,
    }
}

fn status(key: &LineKey, usage: Option<&UsageSide>, cost: Option<&CostSide>, tol: Tolerance) -> Status {
    let kind = cost_kind(key);
    match (usage, cost) {
        (_, Some(_)) if kind == CostKind::CostOnly => Status::CostOnly,
        (_, Some(_)) if kind == CostKind::Unknown => Status::Unpriced,
        (Some(u), _) if u.unpriced.is_some() => Status::Unpriced,
        (Some(u), None) if u.not_in_cost_report => Status::NotInCostReport,
        (Some(u), None) if u.priced_sum > 0 => Status::MissingCost,
        (Some(_), None) => Status::Match,
        (Some(u), Some(c)) if u.quantity == 0 => {
            if c.reported == 0 {
                Status::Match
            } else {
                Status::MissingUsage
            }
        }
        (Some(u), Some(c)) => {
            if within(c.reported - u.priced_sum, c.reported, tol) {
                Status::Match
            } else {
                Status::Mismatch
            }
        }
        (None, Some(_)) => Status::MissingUsage,
        (None, None) => Status::Match,
    }
}

/// All keys of either side, in key order, with their status. A delta that does not fit exact
/// money is an error, not a wrap.
pub fn merge(mut usages: SideMap<UsageSide>, costs: SideMap<CostSide>, tol: Tolerance) -> Result<Vec<Line>> {
    let mut lines = Vec::with_capacity(usages.len() + costs.len());
    for (key, cost) in costs {
        let usage = usages.remove(&key);
        let status = status(&key, usage.as_ref(), Some(&cost), tol);
        lines.push(Line { key, usage, cost: Some(cost), status, cause: None, explanation: None });
    }
    for (key, usage) in usages {
        let status = status(&key, Some(&usage), None, tol);
        lines.push(Line { key, usage: Some(usage), cost: None, status, cause: None, explanation: None });
    }
    let lines = super::order::sort_by_key(lines, |l| &l.key);
    for l in &lines {
        if let (Some(r), Some(e)) = (l.reported(), l.expected()) {
            let d =
                r.checked_sub(e).ok_or_else(|| crate::error::Error::input("a line's delta overflows exact money"))?;
            crate::money::check_mantissa(d, "a line's delta")?;
        }
    }
    Ok(lines)
}

/// The display name of a workspace id ("Default" for null).
pub fn workspace_name(id: Option<&str>, names: &BTreeMap<String, String>) -> Option<String> {
    match id {
        None => Some("Default".to_owned()),
        Some(id) => names.get(id).cloned(),
    }
}

/// reported / quantity × 10⁶, rounded to 12 decimals (informational, not money).
fn implied_rate(reported: i128, quantity: i64) -> Option<i128> {
    (quantity > 0).then_some(())?;
    let num = reported.checked_mul(1_000_000)?;
    let q = quantity as i128;
    let (div, rem) = (num / q, num % q);
    let rate = if 2 * rem.abs() >= q { div + num.signum() } else { div };
    (rate.unsigned_abs() <= crate::money::MAX_MANTISSA as u128).then_some(rate)
}

/// 1 − net / list, rounded to 12 decimals (a ratio, not money); `None` when list is 0.
pub fn discount(net: i128, list: i128) -> Option<i128> {
    if list == 0 {
        return None;
    }
    let (n, l) = (Decimal::try_from_i128_with_scale(net, 12).ok()?, Decimal::try_from_i128_with_scale(list, 12).ok()?);
    let d = (Decimal::ONE - n.checked_div(l)?).round_dp(12);
    to_mantissa(d).ok()
}

fn token(l: &Line) -> bool {
    l.key.cost_type == CostType::Tokens
}

/// The line's one rate, when it was priced at one.
fn priced_rate(l: &Line) -> Option<i128> {
    l.usage.as_ref().filter(|u| u.unpriced.is_none()).and_then(|u| u.rate.single())
}

pub fn frame(
    lines: &[Line],
    names: &BTreeMap<String, String>,
    findings: &[Finding],
    source: super::Source,
    by_key: bool,
) -> Result<DataFrame> {
    let n = lines.len();
    let mut finding_of: Vec<Option<&str>> = vec![None; n];
    for f in findings {
        for &i in &f.lines {
            finding_of[i] = Some(f.id.as_str());
        }
    }
    // Strings are borrowed from the lines (never a String per cell: a year split by workspace
    // has hundreds of thousands of lines and a dozen text columns); columns are built on every
    // core at once.
    let s = |name: &'static str, f: fn(&Line) -> Option<&str>| -> Build<'_> {
        Box::new(move || Ok(StringChunked::from_iter_options(name.into(), lines.iter().map(f)).into_column()))
    };
    let m = |name: &'static str, f: fn(&Line) -> Option<i128>| -> Build<'_> {
        Box::new(move || money(name, lines.iter().map(f).collect()))
    };
    let analytics = source == super::Source::Analytics;
    let default_name = workspace_name(None, names);
    let finding_of = &finding_of;
    // Analytics: `reported_usd` is the billed amount and `delta_usd` = reported − expected, as for
    // cost_report; the status is decided on `list_usd` (`list_delta_usd` = list − expected).
    let mut builds: Vec<Build> = vec![
        Box::new(|| Ok(date("date", lines.iter().map(|l| Some(l.key.date)).collect()))),
        s("workspace_id", |l| l.key.workspace_id.as_deref()),
        s("model", |l| l.key.model.as_deref()),
        s("service_tier", |l| l.key.service_tier.as_deref()),
        s("context_window", |l| l.key.context_window.as_deref()),
        s("inference_geo", |l| l.key.inference_geo.as_deref()),
        s("cost_type", |l| Some(l.key.cost_type.as_str())),
        s("token_type", |l| l.key.token_type.as_deref()),
        Box::new(|| {
            let q = lines.iter().map(|l| l.usage.as_ref().map(|u| u.quantity));
            Ok(Int64Chunked::from_iter_options("quantity".into(), q).into_column())
        }),
        m("rate_usd_per_mtok", |l| if token(l) { priced_rate(l) } else { None }),
        m("expected_usd", Line::expected),
        m("reported_usd", Line::billed),
        m("delta_usd", Line::billed_delta),
        s("status", |l| Some(l.status.as_str())),
        Box::new(move || {
            let workspace_names = lines.iter().map(|l| match l.key.workspace_id.as_deref() {
                None => default_name.as_deref(),
                Some(id) => names.get(id).map(String::as_str),
            });
            Ok(StringChunked::from_iter_options("workspace_name".into(), workspace_names).into_column())
        }),
        s("description", |l| l.cost.as_ref().and_then(|c| c.description.as_deref())),
        m("unit_price_usd", |l| if token(l) { None } else { priced_rate(l) }),
        m("implied_rate_usd_per_mtok", |l| {
            if token(l) { implied_rate(l.reported()?, l.usage.as_ref()?.quantity) } else { None }
        }),
        s("explanation", |l| l.explanation.as_deref()),
        Box::new(move || {
            Ok(StringChunked::from_iter_options("finding".into(), finding_of.iter().copied()).into_column())
        }),
        Box::new(|| {
            let notes = lines.iter().map(|l| {
                l.usage.as_ref().and_then(|u| u.unpriced.as_ref().map(ToString::to_string).or_else(|| u.note.clone()))
            });
            Ok(text("price_note", notes.collect()))
        }),
    ];
    if analytics {
        builds.push(m("list_usd", Line::reported));
        builds.push(m("list_delta_usd", Line::delta));
        builds.push(m("discount", |l| l.cost.as_ref().and_then(|c| discount(c.net?, c.reported))));
    }
    if by_key {
        builds.push(s("api_key_id", |l| l.key.api_key_id.as_deref()));
    }
    let columns = on_cores(builds)?;
    Ok(DataFrame::new(n, columns)?)
}
