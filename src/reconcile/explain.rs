//! The likely cause of every line that is not a plain match: the ratio of reported to expected
//! compared with the multipliers that usually cause it, or why the line could not be compared.
//! Causes are values (not text), so findings can group the lines that share one.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::lines::{CostKind, cost_kind};
use super::{Line, Status};
use crate::frames::CostType;
use crate::rates::Unpriceable;

/// Why a line is what it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cause {
    /// reported ≈ 0.625 × expected on 1h cache writes.
    OneHourAtFiveMinute,
    /// reported ≈ 1.6 × expected on 5m cache writes.
    FiveMinuteAtOneHour,
    /// More web searches billed than usage reports.
    WebSearchOverbilled,
    /// reported ≈ 0.5 × expected.
    BatchRateBilled,
    /// reported ≈ 2 × expected.
    BatchDiscountMissing,
    /// reported ≈ 1.1 × expected.
    GeoSurchargeBilled,
    /// reported ≈ 1/1.1 × expected.
    GeoSurchargeMissing,
    /// reported ≈ 100 × expected.
    CentsAsDollars,
    /// reported ≈ 0.01 × expected.
    DollarsAsCents,
    /// Billed at zero.
    BilledAtZero,
    /// Billed although the card prices it at zero.
    PricedAtZero,
    /// Within 0.1 %: rounding, or a price change during the day.
    Rounding,
    /// The same ratio on most mismatching lines (at least three): a contract price?
    SharedRatio(Decimal),
    /// Any other ratio, rounded to 4 decimals.
    Ratio(Decimal),
    /// Usage priced above zero with no cost line.
    Unbilled,
    /// A charge with no usage behind it.
    Phantom,
    /// Usage the card cannot price.
    Unpriced(Unpriceable),
    /// A cost type or token type counterfoil does not know: billed, nothing to check it against.
    UnknownCharge(String),
    /// Priority Tier: billed outside cost_report.
    Priority,
    /// Code execution, session runtime: no usage counterpart.
    CostOnly(CostType),
}

impl Cause {
    /// The sentence shown with the line (without the ratio).
    pub fn text(&self) -> String {
        match self {
            Cause::OneHourAtFiveMinute => "1h cache writes billed at the 5m rate?".into(),
            Cause::FiveMinuteAtOneHour => "5m cache writes billed at the 1h rate?".into(),
            Cause::WebSearchOverbilled => "more web searches billed than usage reports".into(),
            Cause::BatchRateBilled => "billed at the batch rate, while usage says standard?".into(),
            Cause::BatchDiscountMissing => "batch discount missing from the bill?".into(),
            Cause::GeoSurchargeBilled => "US-only inference (1.1x) billed but not in the usage geo?".into(),
            Cause::GeoSurchargeMissing => "US-only surcharge expected but not billed?".into(),
            Cause::CentsAsDollars => "cents read as dollars somewhere upstream?".into(),
            Cause::DollarsAsCents => "dollars read as cents somewhere upstream?".into(),
            Cause::BilledAtZero => "billed at zero?".into(),
            Cause::PricedAtZero => "billed, though the rate card prices this at zero".into(),
            Cause::Rounding => "a small difference; rounding, or a price change during the day?".into(),
            Cause::SharedRatio(_) => {
                "the same ratio on most mismatching lines: a negotiated price? (put it in the rate card)".into()
            }
            Cause::Ratio(_) => "no known cause for this ratio".into(),
            Cause::Unbilled => {
                "usage with no cost line: blocked or failed requests, cost data not in yet, or billed elsewhere?".into()
            }
            Cause::Phantom => "a charge with no usage behind it".into(),
            Cause::Unpriced(r) => format!("cannot price: {r}"),
            Cause::UnknownCharge(what) => {
                format!("{what} is unknown to counterfoil: billed, nothing to check it against")
            }
            Cause::Priority => "Priority Tier: billed outside cost_report; priced at list for information".into(),
            Cause::CostOnly(ct) => match ct {
                CostType::CodeExecution => "code execution container time: no usage counterpart".into(),
                CostType::SessionUsage => "Managed Agents session runtime: no usage counterpart".into(),
                other => format!("cost type {other}: not reconciled against usage"),
            },
        }
    }
}

/// Ratios that point at a known cause, for any token type.
const KNOWN: [(f64, Cause); 7] = [
    (0.5, Cause::BatchRateBilled),
    (2.0, Cause::BatchDiscountMissing),
    (1.1, Cause::GeoSurchargeBilled),
    (1.0 / 1.1, Cause::GeoSurchargeMissing),
    (100.0, Cause::CentsAsDollars),
    (0.01, Cause::DollarsAsCents),
    (0.0, Cause::BilledAtZero),
];

/// reported / expected, exactly, when both sides are there and expected is not zero.
pub fn ratio(l: &Line) -> Option<Decimal> {
    let e = l.expected()?;
    let r = l.reported()?;
    if e == 0 {
        return None;
    }
    Decimal::try_from_i128_with_scale(r, 12).ok()?.checked_div(Decimal::try_from_i128_with_scale(e, 12).ok()?)
}

fn near(x: f64, target: f64) -> bool {
    (x - target).abs() <= 0.002 * target.max(0.01)
}

fn mismatch_cause(l: &Line, r: Option<Decimal>) -> Cause {
    let Some(r) = r else {
        return Cause::PricedAtZero;
    };
    let x = r.to_f64().unwrap_or(f64::NAN); // classification only; money stays exact
    let tt = l.key.token_type.as_deref().unwrap_or("");
    if near(x, 0.625) && tt.ends_with("1h_input_tokens") {
        return Cause::OneHourAtFiveMinute;
    }
    if near(x, 1.6) && tt.ends_with("5m_input_tokens") {
        return Cause::FiveMinuteAtOneHour;
    }
    if l.key.cost_type == CostType::WebSearch && x > 1.0 {
        return Cause::WebSearchOverbilled;
    }
    for (target, cause) in KNOWN {
        if near(x, target) {
            return cause;
        }
    }
    if (x - 1.0).abs() < 0.001 {
        return Cause::Rounding;
    }
    Cause::Ratio(r.round_dp(4))
}

fn cause_of(l: &Line) -> Option<Cause> {
    Some(match l.status {
        Status::Match => return None,
        Status::Mismatch => mismatch_cause(l, ratio(l)),
        Status::MissingCost => Cause::Unbilled,
        Status::MissingUsage => Cause::Phantom,
        Status::Unpriced => match (l.usage.as_ref().and_then(|u| u.unpriced.as_deref().cloned()), cost_kind(&l.key)) {
            (Some(r), _) => Cause::Unpriced(r),
            (None, CostKind::Unknown) if l.key.cost_type == CostType::Tokens => {
                Cause::UnknownCharge(format!("token type {:?}", l.key.token_type.as_deref().unwrap_or("")))
            }
            (None, _) => Cause::UnknownCharge(format!("cost type {:?}", l.key.cost_type.as_str())),
        },
        Status::NotInCostReport => Cause::Priority,
        Status::CostOnly => Cause::CostOnly(l.key.cost_type.clone()),
    })
}

/// Sets `cause` and `explanation` on every line that is not a plain match.
pub fn explain(lines: &mut [Line]) {
    for l in lines.iter_mut() {
        l.cause = cause_of(l).map(Box::new);
    }
    // The same ratio on most mismatching lines points at a contract price, not at line errors.
    let mut ratios: HashMap<Decimal, usize> = HashMap::new();
    let mismatches = lines.iter().filter(|l| l.status == Status::Mismatch).count();
    for l in lines.iter().filter(|l| l.status == Status::Mismatch) {
        if let Some(r) = ratio(l) {
            *ratios.entry(r.round_dp(4)).or_default() += 1;
        }
    }
    if let Some((common, n)) = ratios.into_iter().max_by_key(|(r, n)| (*n, *r))
        && n >= 3
        && n * 2 >= mismatches
    {
        for l in lines.iter_mut().filter(|l| l.status == Status::Mismatch) {
            if ratio(l).map(|r| r.round_dp(4)) == Some(common) {
                l.cause = Some(Box::new(Cause::SharedRatio(common)));
            }
        }
    }
    for l in lines.iter_mut() {
        l.explanation = l.cause.as_ref().map(|c| match (l.status, ratio(l)) {
            (Status::Mismatch, Some(r)) => {
                let shown = format!("reported ≈ {} × expected", r.round_dp(4).normalize());
                match &**c {
                    Cause::Ratio(_) => shown,
                    Cause::SharedRatio(_) => format!(
                        "{shown}; the same ratio on most mismatching lines: a negotiated price? (put it in the rate card)"
                    ),
                    other => format!("{shown}: {}", other.text()),
                }
            }
            _ => c.text(),
        });
    }
}
