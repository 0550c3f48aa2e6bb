//! Calibration: what the billing history says the rate card should hold (`rates --suggest`).
//!
//! From a reconciliation's token lines, each model's ratio of billed to expected per UTC day:
//! `list_amount / expected` and `amount / list_amount` from the Analytics API, `reported /
//! expected` from cost_report. A day's ratio is the one most of its lines share (at least two in
//! three; a planted or one-off error stays a discrepancy, it does not move the card). Runs of days
//! at one ratio become suggestions:
//! - `inference_geo = us` lines the card cannot price (the model is not US-eligible on the card)
//!   are priced at the global rate; billed at exactly the card's US multiplier × that, the model
//!   takes US-only pricing the card does not know (`geo_eligible`);
//! - any other list ratio ≠ 1 (or, from cost_report, a ratio above 1) ⇒ a list-price change from
//!   the run's first day;
//! - a net ratio below 1 (or, from cost_report, a ratio below 1) ⇒ a negotiated discount for the
//!   run's days.
//!
//! A run shorter than [`MIN_RUN_DAYS`] days or [`MIN_RUN_LINES`] lines is evidence of a one-off
//! (a line billed 1.07× on one day), not of a price: it is reported as such and changes nothing,
//! so calibration can never turn an overcharge into the card's new "price".
//!
//! The output is an overlay for `--rates` whose every entry carries its evidence as comments.
//! Ratios are rounded to 6 decimals before they are compared: billed amounts are exact, but a
//! real bill may round a line, and a suggestion is a proposal a person reviews, not a price.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use rust_decimal::Decimal;

use crate::error::Result;
use crate::frames::CostType;
use crate::rates::{Discount, RateCard};
use crate::reconcile::{Reconciliation, Source, Status};

mod overlay;

/// What a suggestion changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SuggestionKind {
    PriceChange,
    GeoEligible,
    Discount,
}

impl SuggestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionKind::PriceChange => "price_change",
            SuggestionKind::GeoEligible => "geo_eligible",
            SuggestionKind::Discount => "discount",
        }
    }
}

/// One proposed change with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    pub model: String,
    pub from: NaiveDate,
    /// Exclusive; `None`: still in effect on the last day of history.
    pub to: Option<NaiveDate>,
    /// Price factor (price change, geo) or billed share of list (discount: 1 − discount).
    pub ratio: Decimal,
    /// Days of history at this ratio, and the lines they rest on.
    pub days: usize,
    pub lines: usize,
    pub evidence: String,
}

/// The shortest run of days at one ratio that can become a suggestion.
pub const MIN_RUN_DAYS: usize = 3;
/// The fewest lines such a run must rest on.
pub const MIN_RUN_LINES: usize = 6;

/// All suggestions of one history.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub source: Source,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    pub suggestions: Vec<Suggestion>,
    /// Runs below the minimum: reported as one-offs, never applied.
    pub one_offs: Vec<Suggestion>,
}

/// (model, day) → ratio → lines.
type Days = BTreeMap<String, BTreeMap<NaiveDate, BTreeMap<Decimal, usize>>>;

fn ratio(num: i128, den: i128) -> Option<Decimal> {
    let (n, d) = (Decimal::try_from_i128_with_scale(num, 12).ok()?, Decimal::try_from_i128_with_scale(den, 12).ok()?);
    Some(n.checked_div(d)?.round_dp(6).normalize())
}

/// The suggestions a reconciliation's history supports, relative to `card` (the card it used).
pub fn suggest(rec: &Reconciliation, card: &RateCard) -> Result<Calibration> {
    let df = &rec.lines;
    let source = rec.summary.source;
    let text = |c: &str| -> Result<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
    let money = |c: &str| -> Result<Int128Chunked> { Ok(df.column(c)?.decimal()?.physical().clone()) };
    let (model, ctype, status) = (text("model")?, text("cost_type")?, text("status")?);
    let (geo_col, tier, window, ttype) =
        (text("inference_geo")?, text("service_tier")?, text("context_window")?, text("token_type")?);
    let quantity = df.column("quantity")?.i64()?.clone();
    let expected = money("expected_usd")?;
    let reported = money("reported_usd")?;
    let list = if source == Source::Analytics { Some(money("list_usd")?) } else { None };
    let dates = df.column("date")?.cast(&DataType::Int32)?;
    let dates = dates.i32()?;
    let (mut price, mut net, mut geo_days): (Days, Days, Days) = Default::default();
    let geo = card.modifier("inference_geo", "us").and_then(|m| m.factor);
    for i in 0..df.height() {
        // A US line the card refuses to price: what would it cost at the global rate?
        let (tokens, status) = (ctype.get(i) == Some(CostType::Tokens.as_str()), status.get(i).and_then(Status::parse));
        if let (Some(m), true, Some(Status::Unpriced), Some("us")) = (model.get(i), tokens, status, geo_col.get(i))
            && let Some((day, id, expected)) =
                at_global(card, m, dates.get(i), tier.get(i), window.get(i), ttype.get(i), quantity.get(i))
            && let Some(b) = list.as_ref().map_or_else(|| reported.get(i), |l| l.get(i))
            && let Some(ratio) = ratio(b, expected)
        {
            *geo_days.entry(id).or_default().entry(day).or_default().entry(ratio).or_default() += 1;
            continue;
        }
        let (Some(m), true, Some(Status::Match | Status::Mismatch)) = (model.get(i), tokens, status) else {
            continue;
        };
        let Some(e) = expected.get(i).filter(|e| *e > 0) else { continue };
        let day =
            NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + Duration::days(dates.get(i).unwrap_or(0) as i64);
        let id = card.resolve(m).map_or_else(|| m.to_owned(), |x| x.id.get_ref().clone());
        let billed = list.as_ref().map_or_else(|| reported.get(i), |l| l.get(i));
        if let Some(r) = billed.and_then(|b| ratio(b, e)) {
            *price.entry(id.clone()).or_default().entry(day).or_default().entry(r).or_default() += 1;
        }
        if let (Some(l), Some(n)) = (list.as_ref().and_then(|l| l.get(i)).filter(|l| *l > 0), reported.get(i))
            && let Some(r) = ratio(n, l)
        {
            *net.entry(id).or_default().entry(day).or_default().entry(r).or_default() += 1;
        }
    }
    let mut suggestions = Vec::new();
    for (m, days) in &geo_days {
        for run in runs(days).into_iter().filter(|r| Some(r.ratio) == geo) {
            suggestions.push(run.suggestion(SuggestionKind::GeoEligible, m, "billed / global price on US lines", days));
        }
    }
    let what = if source == Source::Analytics { "list_amount / card price" } else { "cost_report / card price" };
    for (m, days) in &price {
        for run in runs(days) {
            if run.ratio == Decimal::ONE {
                continue;
            }
            let kind = if source == Source::CostReport && run.ratio < Decimal::ONE {
                SuggestionKind::Discount
            } else {
                SuggestionKind::PriceChange
            };
            suggestions.push(run.suggestion(kind, m, what, days));
        }
    }
    for (m, days) in &net {
        for run in runs(days).into_iter().filter(|r| r.ratio < Decimal::ONE) {
            suggestions.push(run.suggestion(SuggestionKind::Discount, m, "amount / list_amount", days));
        }
    }
    suggestions.sort_by(|a, b| (&a.model, a.kind, a.from).cmp(&(&b.model, b.kind, b.from)));
    let (suggestions, one_offs): (Vec<Suggestion>, Vec<Suggestion>) =
        suggestions.into_iter().partition(|s| s.days >= MIN_RUN_DAYS && s.lines >= MIN_RUN_LINES);
    let all_days = price.values().flat_map(|d| d.keys().copied());
    Ok(Calibration { source, first: all_days.clone().min(), last: all_days.max(), suggestions, one_offs })
}

/// A token line's expected amount at the global rate (standard speed), as (day, card id,
/// scale-12 USD): `None` when the card cannot price it even so, or fast mode could apply.
#[allow(clippy::too_many_arguments)]
fn at_global(
    card: &RateCard,
    model: &str,
    day: Option<i32>,
    tier: Option<&str>,
    window: Option<&str>,
    token: Option<&str>,
    quantity: Option<i64>,
) -> Option<(NaiveDate, String, i128)> {
    let day = NaiveDate::from_ymd_opt(1970, 1, 1)? + Duration::days(day? as i64);
    let entry = card.resolve(model)?;
    if entry.rates.iter().any(|r| r.speed == "fast" && r.valid_on(day)) {
        return None;
    }
    let q = crate::rates::PriceQuery {
        model,
        day,
        service_tier: tier,
        context_window: window,
        inference_geo: Some("global"),
        speed: Some("standard"),
    };
    let p = card.price(&q).ok()?;
    let t = crate::rates::TokenType::from_api_name(token?)?;
    let usd = Decimal::from(quantity?).checked_mul(p.rate(t))? / Decimal::from(1_000_000);
    Some((day, entry.id.get_ref().clone(), crate::money::to_mantissa(usd).ok()?))
}

/// Consecutive days (in the history) at one ratio.
struct Run {
    ratio: Decimal,
    first: NaiveDate,
    last: NaiveDate,
    days: usize,
    lines: usize,
    /// The next day of history, when the run ends before the history does.
    until: Option<NaiveDate>,
}

/// A day's ratio: the one at least two in three of its lines share.
fn day_ratio(ratios: &BTreeMap<Decimal, usize>) -> Option<(Decimal, usize)> {
    let total: usize = ratios.values().sum();
    let (r, n) = ratios.iter().max_by_key(|(_, n)| **n)?;
    (3 * n >= 2 * total).then_some((*r, *n))
}

fn runs(days: &BTreeMap<NaiveDate, BTreeMap<Decimal, usize>>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (day, ratios) in days {
        let Some((r, n)) = day_ratio(ratios) else { continue };
        match out.last_mut() {
            Some(run) if run.ratio == r => {
                run.last = *day;
                run.days += 1;
                run.lines += n;
            }
            Some(run) => {
                run.until = Some(*day);
                out.push(Run { ratio: r, first: *day, last: *day, days: 1, lines: n, until: None });
            }
            None => out.push(Run { ratio: r, first: *day, last: *day, days: 1, lines: n, until: None }),
        }
    }
    out
}

impl Run {
    fn suggestion(
        &self,
        kind: SuggestionKind,
        model: &str,
        what: &str,
        days: &BTreeMap<NaiveDate, BTreeMap<Decimal, usize>>,
    ) -> Suggestion {
        let first_day = days.keys().next().copied();
        let since = if Some(self.first) == first_day { " (already on the first day of history)" } else { "" };
        let evidence = format!(
            "{model}: {what} = {} on {} lines over {} days, {} to {}{since}",
            self.ratio, self.lines, self.days, self.first, self.last
        );
        Suggestion {
            kind,
            model: model.to_owned(),
            from: self.first,
            to: self.until,
            ratio: self.ratio,
            days: self.days,
            lines: self.lines,
            evidence,
        }
    }
}

impl Calibration {
    /// `card` with every suggestion applied.
    pub fn apply(&self, card: &RateCard) -> Result<RateCard> {
        let mut out = card.clone();
        for s in &self.suggestions {
            out = match s.kind {
                SuggestionKind::PriceChange => out.with_price_change_between(&s.model, s.from, s.to, s.ratio)?,
                SuggestionKind::GeoEligible => out.with_geo_eligible(&s.model)?,
                SuggestionKind::Discount => out.with_discount(self.discount(s))?,
            };
        }
        Ok(out)
    }

    fn discount(&self, s: &Suggestion) -> Discount {
        Discount {
            model: s.model.clone(),
            valid_from: s.from,
            valid_to: s.to,
            discount: (Decimal::ONE - s.ratio).normalize(),
            source: Some(format!("counterfoil rates --suggest: {}", s.evidence)),
        }
    }
}
