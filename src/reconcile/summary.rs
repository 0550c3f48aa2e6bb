//! The summary of a reconciliation: totals, counts by status, Priority and non-token charges on
//! their own, and roll-ups by day, workspace, model and token type.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::labels::type_label;
use super::lines::workspace_name;
use super::{Line, Status};
use crate::error::{Error, Result};
use crate::frames::CostType;
use crate::money::add;
use crate::window::TimeWindow;

/// How much one line puts at stake, as non-negative scale-12 mantissas (DESIGN §4):
/// `(overbilled, underbilled, unchecked)`.
pub fn stakes(l: &Line) -> (i128, i128, i128) {
    match l.status {
        Status::Mismatch => {
            let d = l.delta().unwrap_or(0);
            if d > 0 { (d, 0, 0) } else { (0, -d, 0) }
        }
        Status::MissingUsage => (l.reported().unwrap_or(0), 0, 0),
        Status::MissingCost => (0, l.expected().unwrap_or(0), 0),
        Status::Unpriced => (0, 0, l.reported().unwrap_or(0)),
        _ => (0, 0, 0),
    }
}

/// Sums of one group of lines (scale-12 USD mantissas).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    pub key: Option<String>,
    pub label: String,
    pub expected: i128,
    /// What was billed on the compared lines (the Analytics API's `amount` after discounts).
    pub reported: i128,
    /// What the check compares with `expected`: cost_report's amount, or the analytics list amount.
    pub list: i128,
    /// Everything billed on these lines, compared or not (cost-only and unchecked included).
    pub billed: i128,
    pub overbilled: i128,
    pub underbilled: i128,
    pub unchecked: i128,
    pub lines: usize,
    pub discrepancies: usize,
}

impl Rollup {
    fn add(&mut self, l: &Line) -> Result<()> {
        if comparable(l.status) {
            self.expected = add(self.expected, l.expected().unwrap_or(0), "a roll-up's expected total")?;
            self.reported = add(self.reported, l.billed().unwrap_or(0), "a roll-up's reported total")?;
            self.list = add(self.list, l.reported().unwrap_or(0), "a roll-up's list total")?;
        }
        self.billed = add(self.billed, l.billed().unwrap_or(0), "a roll-up's billed total")?;
        let (o, u, c) = stakes(l);
        self.overbilled = add(self.overbilled, o, "a roll-up's over-billed total")?;
        self.underbilled = add(self.underbilled, u, "a roll-up's under-billed total")?;
        self.unchecked = add(self.unchecked, c, "a roll-up's unchecked total")?;
        self.lines += 1;
        self.discrepancies += usize::from(l.status.is_discrepancy());
        Ok(())
    }

    /// Adds another roll-up's sums (same key and label).
    fn merge(&mut self, o: &Rollup) -> Result<()> {
        self.expected = add(self.expected, o.expected, "a roll-up's expected total")?;
        self.reported = add(self.reported, o.reported, "a roll-up's reported total")?;
        self.list = add(self.list, o.list, "a roll-up's list total")?;
        self.billed = add(self.billed, o.billed, "a roll-up's billed total")?;
        self.overbilled = add(self.overbilled, o.overbilled, "a roll-up's over-billed total")?;
        self.underbilled = add(self.underbilled, o.underbilled, "a roll-up's under-billed total")?;
        self.unchecked = add(self.unchecked, o.unchecked, "a roll-up's unchecked total")?;
        self.lines += o.lines;
        self.discrepancies += o.discrepancies;
        Ok(())
    }

    /// reported − expected (billed, after any discount).
    pub fn delta(&self) -> i128 {
        self.reported - self.expected
    }

    /// The checked side − expected: equal to [`Rollup::delta`] for cost_report, list − expected
    /// for the Analytics API. Reports show this one: it is what the statuses rest on.
    pub fn checked_delta(&self) -> i128 {
        self.list - self.expected
    }
}

pub const SIGN_CONVENTION: &str =
    "delta = reported − expected: positive means Anthropic billed more than the tokens cost";
/// The same for an analytics reconciliation, which checks list prices.
pub const SIGN_CONVENTION_ANALYTICS: &str = "list_delta = list − expected (list_amount against the card at list price): positive means the list price billed is above the card's";

/// What one model was billed at list price and after its negotiated discount (analytics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelDiscount {
    pub model: Option<String>,
    pub list: i128,
    pub net: i128,
}

impl ModelDiscount {
    /// 1 − net / list, rounded to 12 decimals (`None` when nothing was billed at list).
    pub fn discount(&self) -> Option<i128> {
        super::lines::discount(self.net, self.list)
    }
}

/// Managed Agents session runtime billed in the window: dollars, and hours at the card's price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRuntime {
    pub usd: i128,
    /// USD per session-hour from the card (`None` when the card has no price).
    pub usd_per_hour: Option<rust_decimal::Decimal>,
}

impl SessionRuntime {
    /// Hours = dollars / price, when the division is exact to 12 decimals.
    pub fn hours(&self) -> Option<rust_decimal::Decimal> {
        let usd = rust_decimal::Decimal::try_from_i128_with_scale(self.usd, 12).ok()?;
        let h = usd.checked_div(self.usd_per_hour.filter(|p| !p.is_zero())?)?;
        (h.round_dp(12) == h).then(|| h.normalize())
    }
}

/// Lines whose two sides are compared: they make up the headline totals.
pub fn comparable(s: Status) -> bool {
    matches!(s, Status::Match | Status::Mismatch | Status::MissingCost | Status::MissingUsage)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub window: Option<TimeWindow>,
    pub lines: usize,
    pub counts: BTreeMap<&'static str, usize>,
    /// Totals over comparable lines.
    pub expected: i128,
    /// Billed on the compared lines (after discounts, for the Analytics API).
    pub reported: i128,
    /// The checked side of the compared lines: cost_report's amount, or the analytics list amount.
    pub list: i128,
    /// The split of DESIGN §4: what the bill says too much, too little, and cannot be checked.
    pub overbilled: i128,
    pub underbilled: i128,
    pub unchecked: i128,
    /// Everything cost_report billed in the window, cost-only charges included (for the
    /// Analytics API: at list price, what is checked).
    pub reported_all: i128,
    /// Everything billed in the window, cost-only charges included, after any discount: what an
    /// organization pays (`billed_all_usd`; the fleet's `billed_usd`).
    pub billed_all: i128,
    /// Priority Tier usage at list price (not in cost_report).
    pub priority_expected: i128,
    /// Expected and reported per non-token cost type (web_search, code_execution, …).
    pub non_token: BTreeMap<String, (i128, i128)>,
    /// Days reconciled at a coarser key, and the dimensions dropped.
    pub coarsened: Vec<(NaiveDate, Vec<&'static str>)>,
    pub by_day: Vec<Rollup>,
    pub by_workspace: Vec<Rollup>,
    pub by_model: Vec<Rollup>,
    pub by_token_type: Vec<Rollup>,
    /// Where the billed side came from (cost_report or the Analytics API).
    pub source: super::Source,
    /// Analytics: Σ `amount` over every line (what was billed after discounts).
    pub net_all: i128,
    /// Analytics: list and billed amounts per model.
    pub discount_by_model: Vec<ModelDiscount>,
    /// Days of the window not settled yet (a store's provisional days): their lines may still
    /// change with export lag, and `--new-only` does not alert on them.
    pub provisional_days: Vec<NaiveDate>,
    /// Managed Agents session runtime, when any was billed.
    pub session_runtime: Option<SessionRuntime>,
}

/// Lines rolled up by a cheap `group` (a day, a borrowed id), each group labelled once by
/// `label`; groups with equal (key, label) are one roll-up, in (key, label) order. (Labelling
/// every line cost two Strings and an ordered-map insert a line: a third of a reconciliation
/// of a year split by workspace.)
fn rollup<'a, G: std::hash::Hash + Eq>(
    lines: &'a [Line],
    group: impl Fn(&'a Line) -> G,
    label: impl Fn(&Line) -> (Option<String>, String),
) -> Result<Vec<Rollup>> {
    let mut by: polars::prelude::PlHashMap<G, Rollup> = Default::default();
    for l in lines {
        let r = by.entry(group(l)).or_insert_with(|| {
            let (key, label) = label(l);
            Rollup { key, label, ..Rollup::default() }
        });
        r.add(l)?;
    }
    let mut m: BTreeMap<(Option<String>, String), Rollup> = BTreeMap::new();
    for r in by.into_values() {
        match m.entry((r.key.clone(), r.label.clone())) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(r);
            }
            std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(&r)?,
        }
    }
    Ok(m.into_values().collect())
}

impl Summary {
    pub fn of(
        lines: &[Line],
        window: Option<TimeWindow>,
        coarse: &BTreeMap<NaiveDate, Vec<&'static str>>,
        names: &BTreeMap<String, String>,
    ) -> Result<Summary> {
        let mut s = Summary { window, lines: lines.len(), ..Summary::default() };
        for st in Status::ALL {
            s.counts.insert(st.as_str(), 0);
        }
        let mut total = Rollup::default();
        for l in lines {
            *s.counts.get_mut(l.status.as_str()).expect("every status") += 1;
            total.add(l)?;
            s.reported_all = add(s.reported_all, l.reported().unwrap_or(0), "the billed total")?;
            s.billed_all = add(s.billed_all, l.billed().unwrap_or(0), "the billed total")?;
            if l.status == Status::NotInCostReport {
                s.priority_expected = add(s.priority_expected, l.expected().unwrap_or(0), "the Priority total")?;
            }
            if let Some(net) = l.cost.as_ref().and_then(|c| c.net) {
                s.net_all = add(s.net_all, net, "the billed total")?;
                let list = l.cost.as_ref().map_or(0, |c| c.reported);
                match s.discount_by_model.iter_mut().find(|m| m.model.as_deref() == l.key.model.as_deref()) {
                    Some(m) => {
                        m.list = add(m.list, list, "a model's list total")?;
                        m.net = add(m.net, net, "a model's billed total")?;
                    }
                    None => s.discount_by_model.push(ModelDiscount {
                        model: l.key.model.as_deref().map(str::to_owned),
                        list,
                        net,
                    }),
                }
            }
            if l.key.cost_type != CostType::Tokens {
                let e = s.non_token.entry(l.key.cost_type.to_string()).or_default();
                e.0 = add(e.0, l.expected().unwrap_or(0), "a non-token total")?;
                e.1 = add(e.1, l.reported().unwrap_or(0), "a non-token total")?;
            }
        }
        (s.expected, s.reported, s.list) = (total.expected, total.reported, total.list);
        (s.overbilled, s.underbilled, s.unchecked) = (total.overbilled, total.underbilled, total.unchecked);
        s.reported.checked_sub(s.expected).ok_or_else(|| Error::input("the net delta overflows exact money"))?;
        s.list.checked_sub(s.expected).ok_or_else(|| Error::input("the list delta overflows exact money"))?;
        s.discount_by_model.sort_by(|a, b| a.model.cmp(&b.model));
        s.coarsened = coarse.iter().map(|(d, dims)| (*d, dims.clone())).collect();
        s.by_day = rollup(lines, |l| l.key.date, |l| (Some(l.key.date.to_string()), l.key.date.to_string()))?;
        s.by_workspace = rollup(
            lines,
            |l| l.key.workspace_id.as_deref(),
            |l| {
                let id = l.key.workspace_id.as_deref().map(str::to_owned);
                let label = workspace_name(id.as_deref(), names).or_else(|| id.clone()).unwrap_or_default();
                (id, label)
            },
        )?;
        s.by_model = rollup(
            lines,
            |l| (l.key.model.as_deref(), l.key.model.is_none().then_some(&l.key.cost_type)),
            |l| {
                let label = l
                    .key
                    .model
                    .as_deref()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("({})", type_label(None, l.key.cost_type.as_str())));
                (l.key.model.as_deref().map(str::to_owned), label)
            },
        )?;
        s.by_token_type = rollup(
            lines,
            |l| (l.key.token_type.as_deref(), l.key.token_type.is_none().then_some(&l.key.cost_type)),
            |l| {
                let k = l.key.token_type.as_deref().map(str::to_owned).unwrap_or_else(|| l.key.cost_type.to_string());
                (Some(k.clone()), k)
            },
        )?;
        Ok(s)
    }

    /// reported − expected over the compared lines (billed, after any discount).
    pub fn delta(&self) -> i128 {
        self.reported - self.expected
    }

    /// The checked side − expected: [`Summary::delta`] for cost_report, list − expected for the
    /// Analytics API, the sum the over/under split and the statuses rest on.
    pub fn checked_delta(&self) -> i128 {
        self.list - self.expected
    }

    /// Lines that make the reconciliation fail.
    pub fn discrepancies(&self) -> usize {
        Status::ALL
            .iter()
            .filter(|s| s.is_discrepancy())
            .map(|s| self.counts.get(s.as_str()).copied().unwrap_or(0))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::{CostSide, LineKey, UsageSide};

    const USD: i128 = 1_000_000_000_000;

    fn line(status: Status, expected: Option<i128>, reported: Option<i128>, cost_type: &str) -> Line {
        let key = LineKey {
            date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            workspace_id: None,
            model: Some("claude-opus-5".into()),
            service_tier: Some("standard".into()),
            context_window: Some("0-200k".into()),
            inference_geo: Some("global".into()),
            cost_type: cost_type.into(),
            token_type: Some("output_tokens".into()),
            api_key_id: None,
        };
        let usage = expected.map(|e| UsageSide { quantity: 1, priced_sum: e * USD, ..UsageSide::default() });
        let usage = match (status, usage) {
            (Status::Unpriced, _) => Some(UsageSide {
                unpriced: Some(Box::new(crate::rates::Unpriceable::UnknownModel { model: "x".into() })),
                ..UsageSide::default()
            }),
            (_, u) => u,
        };
        let cost = reported.map(|r| CostSide { reported: r * USD, net: None, description: None });
        Line { key, usage, cost, status, cause: None, explanation: None }
    }

    /// The split of DESIGN §4 on lines built by hand, one of each status.
    #[test]
    fn over_under_and_unchecked_split_the_net_delta() {
        let lines = vec![
            line(Status::Mismatch, Some(3), Some(5), "tokens"),
            line(Status::Mismatch, Some(5), Some(4), "tokens"),
            line(Status::MissingUsage, None, Some(7), "tokens"),
            line(Status::MissingCost, Some(11), None, "tokens"),
            line(Status::Unpriced, None, Some(13), "tokens"),
            line(Status::Match, Some(17), Some(17), "tokens"),
            line(Status::NotInCostReport, Some(19), None, "tokens"),
            line(Status::CostOnly, None, Some(23), "code_execution"),
        ];
        let s = Summary::of(&lines, None, &BTreeMap::new(), &BTreeMap::new()).unwrap();
        assert_eq!((s.overbilled, s.underbilled, s.unchecked), (9 * USD, 12 * USD, 13 * USD));
        assert_eq!((s.expected, s.reported), (36 * USD, 33 * USD));
        assert_eq!(s.delta(), -3 * USD);
        assert_eq!(s.overbilled - s.underbilled, s.delta(), "over − under is the net delta of compared lines");
        assert_eq!(s.reported_all, (5 + 4 + 7 + 13 + 17 + 23) * USD);
        assert_eq!(s.priority_expected, 19 * USD);
        let j = s.to_json();
        assert_eq!(j["overbilled_usd"], "9");
        assert_eq!(j["underbilled_usd"], "12");
        assert_eq!(j["unchecked_usd"], "13");
        assert!(j["sign_convention"].as_str().unwrap().contains("positive means Anthropic billed more"));
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).take(4).collect();
        assert_eq!(keys, ["window", "lines", "ok", "discrepancies"], "JSON keys in contract order");
    }
}
