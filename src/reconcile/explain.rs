//! A short explanation for every line that is not a plain match: the ratio of reported to
//! expected compared with the multipliers that usually cause it.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{Line, Status};

/// Ratios that point at a known cause, for any token type, and the cause.
const KNOWN: [(f64, &str); 7] = [
    (0.5, "billed at the batch rate, while usage says standard?"),
    (2.0, "batch discount missing from the bill?"),
    (1.1, "US-only inference (1.1x) billed but not in the usage geo?"),
    (1.0 / 1.1, "US-only surcharge expected but not billed?"),
    (100.0, "cents read as dollars somewhere upstream?"),
    (0.01, "dollars read as cents somewhere upstream?"),
    (0.0, "billed at zero?"),
];

fn ratio(l: &Line) -> Option<Decimal> {
    let e = l.expected()?;
    let r = l.reported()?;
    if e == 0 {
        return None;
    }
    Some(Decimal::try_from_i128_with_scale(r, 12).ok()? / Decimal::try_from_i128_with_scale(e, 12).ok()?)
}

fn near(x: f64, target: f64) -> bool {
    (x - target).abs() <= 0.002 * target.max(0.01)
}

fn mismatch(l: &Line, r: Option<Decimal>) -> String {
    let Some(r) = r else {
        return "billed, though the rate card prices this at zero".into();
    };
    let x = r.to_f64().unwrap_or(f64::NAN); // display and classification only; money stays exact
    let shown = format!("reported ≈ {} × expected", r.round_dp(4).normalize());
    let tt = l.key.token_type.as_deref().unwrap_or("");
    if near(x, 0.625) && tt.ends_with("1h_input_tokens") {
        return format!("{shown}: 1h cache writes billed at the 5m rate?");
    }
    if near(x, 1.6) && tt.ends_with("5m_input_tokens") {
        return format!("{shown}: 5m cache writes billed at the 1h rate?");
    }
    if l.key.cost_type == "web_search" && x > 1.0 {
        return format!("{shown}: more searches billed than usage reports");
    }
    for (target, cause) in KNOWN {
        if near(x, target) {
            return format!("{shown}: {cause}");
        }
    }
    if (x - 1.0).abs() < 0.001 {
        return format!("{shown}: a small difference; rounding, or a price change during the day?");
    }
    shown
}

pub fn explain(lines: &mut [Line]) {
    let mut ratios: HashMap<Decimal, usize> = HashMap::new();
    let mut mismatches = 0usize;
    for l in lines.iter_mut() {
        l.explanation = match l.status {
            Status::Match => None,
            Status::Mismatch => {
                let r = ratio(l);
                mismatches += 1;
                if let Some(r) = r {
                    *ratios.entry(r.round_dp(4)).or_default() += 1;
                }
                Some(mismatch(l, r))
            }
            Status::MissingCost => Some(
                "usage with no cost line: blocked or failed requests, cost data not in yet, or billed elsewhere?"
                    .into(),
            ),
            Status::MissingUsage => Some("a charge with no usage behind it".into()),
            Status::Unpriced => Some(match (l.usage.as_ref().and_then(|u| u.unpriced.clone()), &l.key.token_type) {
                (Some(r), _) => format!("cannot price: {r}"),
                (None, Some(t)) if l.key.cost_type == "tokens" => {
                    format!("token type {t:?} is unknown to counterfoil: billed, nothing to check it against")
                }
                (None, _) => format!(
                    "cost type {:?} is unknown to counterfoil: billed, nothing to check it against",
                    l.key.cost_type
                ),
            }),
            Status::NotInCostReport => {
                Some("Priority Tier: billed outside cost_report; priced at list for information".into())
            }
            Status::CostOnly => Some(match l.key.cost_type.as_str() {
                "code_execution" => "code execution container time: no usage counterpart".to_owned(),
                "session_usage" => "Managed Agents session runtime: no usage counterpart".to_owned(),
                other => format!("cost type {other}: not reconciled against usage"),
            }),
        };
    }
    // The same ratio on most mismatching lines points at a contract price, not at line errors.
    if let Some((common, n)) = ratios.into_iter().max_by_key(|(_, n)| *n) {
        if n >= 3 && n * 2 >= mismatches {
            for l in lines.iter_mut().filter(|l| l.status == Status::Mismatch) {
                if ratio(l).map(|r| r.round_dp(4)) == Some(common) {
                    let e = l.explanation.take().unwrap_or_default();
                    l.explanation = Some(format!(
                        "{e}; the same ratio on {n} lines: a negotiated discount? (put it in the rate card)"
                    ));
                }
            }
        }
    }
}
