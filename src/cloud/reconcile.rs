//! `reconcile_cloud`: is each Bedrock and Vertex line item what its tokens cost at the cloud's
//! list price?
//!
//! Per line item (never summed first, so an error on one row is not hidden by another):
//! expected = quantity × the card's `[[cloud_price]]` rate for (provider, model, scope, tier,
//! context window, token type, day), exactly. Statuses are DESIGN §4's `match`, `mismatch`,
//! `unpriced`, plus `not_usage` (tax, credits, refunds, fees, commitments: kept, summed apart,
//! never compared) and `usage_mismatch` (the bill's tokens disagree with Bedrock's invocation
//! logs, `invocations`). A mismatch is explained by trying the mistakes clouds make — a regional
//! row at the global rate, a cache leg at the other scope, 1h writes at the 5m rate, batch at the
//! on-demand rate — and keeping the one the billed amount equals.
//!
//! The default tolerance is one micro-dollar per line, not a cent: cloud bills carry
//! quantity × rate in floating point with no per-line rounding to cents, so a cent would hide a
//! 10 % error on any line under ten cents.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::lines::CloudLine;
use super::{CloudBill, Other};
use crate::error::Result;
use crate::money::to_mantissa;
use crate::rates::cloud::{CloudRateQuery, Provider, Scope, cloud_rate};
use crate::rates::{RateCard, TokenType};
use crate::reconcile::Tolerance;
use crate::window::TimeWindow;

pub use super::findings::CloudFinding;

/// The statuses of a cloud line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CloudStatus {
    Match,
    Mismatch,
    Unpriced,
    NotUsage,
    UsageMismatch,
}

impl CloudStatus {
    pub const ALL: [CloudStatus; 5] = [
        CloudStatus::Match,
        CloudStatus::Mismatch,
        CloudStatus::Unpriced,
        CloudStatus::NotUsage,
        CloudStatus::UsageMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CloudStatus::Match => "match",
            CloudStatus::Mismatch => "mismatch",
            CloudStatus::Unpriced => "unpriced",
            CloudStatus::NotUsage => "not_usage",
            CloudStatus::UsageMismatch => "usage_mismatch",
        }
    }

    /// What makes the run exit 1 and becomes a finding.
    pub fn is_discrepancy(self) -> bool {
        matches!(self, CloudStatus::Mismatch | CloudStatus::Unpriced | CloudStatus::UsageMismatch)
    }
}

/// The default per-line tolerance: one micro-dollar, relative 0.
pub fn default_tolerance() -> Tolerance {
    Tolerance { abs_usd: Decimal::new(1, 6), rel: Decimal::ZERO }
}

/// One bill line with its check.
#[derive(Debug, Clone)]
pub struct CheckedLine {
    pub line: CloudLine,
    /// USD per MTok.
    pub rate: Option<Decimal>,
    pub expected: Option<i128>,
    pub status: CloudStatus,
    /// Why it is unpriced, what explains a mismatch, or what the logs say.
    pub note: Option<String>,
    /// Tokens Bedrock's invocation logs count for a `usage_mismatch` line.
    pub logged_quantity: Option<i64>,
    pub finding: Option<String>,
}

impl CheckedLine {
    pub fn delta(&self) -> Option<i128> {
        self.expected.map(|e| self.line.billed - e)
    }
}

/// A reconciled set of cloud bills.
#[derive(Debug, Clone)]
pub struct CloudReconciliation {
    pub window: Option<TimeWindow>,
    pub lines: Vec<CheckedLine>,
    pub findings: Vec<CloudFinding>,
    pub other: std::collections::BTreeMap<Provider, Other>,
    pub tolerance: Tolerance,
    pub files: Vec<String>,
    /// Claude lines of the bills that fell outside the window (the bill's other days).
    pub outside_window: usize,
}

/// Reconciles `bill` (restricted to `window` when given) against `card`.
pub fn reconcile_cloud(
    bill: CloudBill,
    card: &RateCard,
    tolerance: Tolerance,
    window: Option<TimeWindow>,
    invocations: Option<&[super::invocations::Invocation]>,
) -> Result<CloudReconciliation> {
    let in_window = |d: NaiveDate| window.as_ref().is_none_or(|w| w.start.date_naive() <= d && d < w.end.date_naive());
    let total = bill.lines.len();
    let mut lines = vec![];
    for l in bill.lines.into_iter().filter(|l| in_window(l.date)) {
        lines.push(check(l, card, &tolerance)?);
    }
    let outside_window = total - lines.len();
    if let Some(inv) = invocations {
        let checks = super::invocations::cross_check(&lines, inv, window.as_ref());
        lines.extend(checks);
    }
    let findings = super::findings::assign(&mut lines);
    Ok(CloudReconciliation { window, lines, findings, other: bill.other, tolerance, files: bill.files, outside_window })
}

fn rate_of(
    card: &RateCard,
    l: &CloudLine,
    scope: Scope,
    tier: &str,
    t: TokenType,
) -> std::result::Result<Decimal, String> {
    let model = l.model.as_deref().ok_or("no model")?;
    let q = CloudRateQuery {
        provider: l.provider,
        model,
        scope,
        service_tier: tier,
        context_window: l.context_window.as_deref().unwrap_or("0-200k"),
        token_type: t,
        day: l.date,
    };
    cloud_rate(&card.cloud_prices, &q)
}

fn cost(quantity: i64, rate: Decimal) -> Result<i128> {
    to_mantissa(Decimal::from(quantity) * rate / Decimal::from(1_000_000))
}

fn check(line: CloudLine, card: &RateCard, tol: &Tolerance) -> Result<CheckedLine> {
    let mut c = CheckedLine {
        line,
        rate: None,
        expected: None,
        status: CloudStatus::Unpriced,
        note: None,
        logged_quantity: None,
        finding: None,
    };
    let l = &c.line;
    if !l.is_usage() {
        c.status = CloudStatus::NotUsage;
        return Ok(c);
    }
    let unpriced = |why: String| Some(why);
    let why = match (&l.model, l.token_type, l.scope, l.quantity) {
        (None, ..) => unpriced(format!("unknown product {:?}", l.product.as_deref().unwrap_or("?"))),
        (_, None, ..) => unpriced(format!(
            "unknown {} {:?}",
            if l.provider == Provider::AwsBedrock { "usage type" } else { "SKU" },
            l.usage_type.as_deref().or(l.sku_description.as_deref()).unwrap_or("?")
        )),
        (_, _, None, _) => unpriced("the bill does not say whether the endpoint is global or regional".into()),
        (_, _, _, None) => unpriced("no token quantity on the line".into()),
        _ => None,
    };
    if let Some(why) = why {
        c.note = Some(why);
        return Ok(c);
    }
    let (t, scope, q) = (l.token_type.expect("checked"), l.scope.expect("checked"), l.quantity.expect("checked"));
    let tier = l.service_tier.as_deref().unwrap_or("standard");
    let rate = match rate_of(card, l, scope, tier, t) {
        Ok(r) => r,
        Err(why) => {
            c.note = Some(why);
            return Ok(c);
        }
    };
    let expected = cost(q, rate)?;
    let delta = l.billed - expected;
    let billed_usd = Decimal::from_i128_with_scale(l.billed.abs(), crate::money::MONEY_SCALE);
    let allowed = to_mantissa((tol.abs_usd + tol.rel * billed_usd).round_dp(crate::money::MONEY_SCALE))?;
    c.rate = Some(rate);
    c.expected = Some(expected);
    if delta.abs() <= allowed {
        c.status = CloudStatus::Match;
    } else {
        c.status = CloudStatus::Mismatch;
        c.note = Some(explain(card, l, scope, tier, t, q, rate, allowed)?);
    }
    Ok(c)
}

/// The cloud mistake the billed amount equals, or how far off list it is.
#[allow(clippy::too_many_arguments)]
fn explain(
    card: &RateCard,
    l: &CloudLine,
    scope: Scope,
    tier: &str,
    t: TokenType,
    q: i64,
    rate: Decimal,
    allowed: i128,
) -> Result<String> {
    let other_scope = if scope == Scope::Global { Scope::Regional } else { Scope::Global };
    let cache = matches!(t, TokenType::CacheRead | TokenType::CacheWrite5m | TokenType::CacheWrite1h);
    let mut tries: Vec<(Scope, &str, TokenType, String)> = vec![(
        other_scope,
        tier,
        t,
        match (scope, cache) {
            (Scope::Regional, false) => "regional usage billed at the global rate".into(),
            (Scope::Global, false) => "global usage billed at the regional rate".into(),
            (s, true) => format!("a {} cache leg billed at the {} rate", s.as_str(), other_scope.as_str()),
        },
    )];
    match t {
        TokenType::CacheWrite1h => {
            tries.push((scope, tier, TokenType::CacheWrite5m, "1h cache writes billed at the 5m rate".into()))
        }
        TokenType::CacheWrite5m => {
            tries.push((scope, tier, TokenType::CacheWrite1h, "5m cache writes billed at the 1h rate".into()))
        }
        _ => {}
    }
    if tier == "batch" {
        tries.push((scope, "standard", t, "batch usage billed at the on-demand rate".into()));
    }
    for (s, tr, tt, cause) in tries {
        if let Ok(alt) = rate_of(card, l, s, tr, tt)
            && (l.billed - cost(q, alt)?).abs() <= allowed
        {
            return Ok(format!("{cause} (${alt}/MTok instead of ${rate}/MTok)"));
        }
    }
    let billed = crate::money::from_mantissa(l.billed).unwrap_or_default();
    let expected = Decimal::from(q) * rate / Decimal::from(1_000_000);
    if !expected.is_zero() {
        let ratio = (billed / expected).round_dp(4).normalize();
        return Ok(format!("billed at {ratio}× the list price of ${rate}/MTok"));
    }
    Ok(format!("billed ${billed} for usage whose list price is $0"))
}
