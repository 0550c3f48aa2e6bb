//! What-if: the same tokens repriced under another choice (DESIGN §10).
//!
//! Assumptions, stated once: a model swap keeps the token counts (the target's tokenizer may
//! count differently); `batch_share` moves that fraction of *standard-tier* tokens to batch and
//! leaves Priority and fast-mode usage alone (fast mode has no batch); `cache_ttl` prices every
//! cache write at one TTL, and reads stay reads; `inference_geo` reprices the rows of models that
//! have data residency (older models stay `not_available`); `price_date` prices every row at that
//! day's card (price changes, retirements); `discount_factor` scales the scenario's total; `where`
//! limits all of it to matching rows. A row the scenario cannot price makes its group `unpriced`
//! with null money, never $0.
//!
//! Exactness: amounts are exact. A `batch_share` or `discount_factor` with `n` decimals makes an
//! amount exact at 12 + n decimals; it is rounded half to even to 12 decimals (at most half of
//! 10⁻¹² USD) and the row's `exact` is false.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::check_by;
use crate::error::{Error, Result};
use crate::frames::UsageFrame;
use crate::frames::aggregate::{Group, sum_by_day};
use crate::frames::columns::{money, text};
use crate::pricing::key_price;
use crate::rates::{PriceQuery, RateCard, TokenType};
use crate::reconcile::contributions::{PRICE_DIMS, date_of};

/// A scenario. Empty fields change nothing.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub swap_models: BTreeMap<String, String>,
    pub batch_share: Option<Decimal>,
    pub cache_ttl: Option<String>,
    pub inference_geo: Option<String>,
    pub price_date: Option<NaiveDate>,
    pub discount_factor: Option<Decimal>,
    /// Dimension → accepted values (`None` matches null, e.g. the default workspace).
    pub r#where: BTreeMap<String, Vec<Option<String>>>,
}

/// The usage dimensions a scenario can be limited to or grouped by (the groupable ones but `date`).
const DIMS: &[&str] = super::GROUPABLE.split_at(1).1;

/// `(numerator, decimals)` of a decimal in [0, 1] with at most six decimals.
fn fraction(d: Decimal, what: &str) -> Result<(i128, u32)> {
    if d < Decimal::ZERO || d > Decimal::ONE {
        return Err(Error::input(format!("{what} must be between 0 and 1, got {d}")));
    }
    let d = d.normalize();
    if d.scale() > 6 {
        return Err(Error::input(format!("{what} has more than 6 decimals ({d})")));
    }
    Ok((d.mantissa(), d.scale()))
}

impl Scenario {
    /// Refuses what cannot be modelled before any work: unknown swap targets, shares outside
    /// [0, 1], unknown TTLs or geos, `where` on a dimension that does not exist.
    pub fn validate(&self, card: &RateCard) -> Result<()> {
        for (from, to) in &self.swap_models {
            if card.resolve(to).is_none() {
                return Err(Error::input_hint(
                    format!("cannot swap {from} to {to}: the rate card does not know {to}"),
                    "add it to a rate card and pass it with --rates / card=",
                ));
            }
        }
        if let Some(s) = self.batch_share {
            fraction(s, "batch_share")?;
        }
        if let Some(d) = self.discount_factor {
            fraction(d, "discount_factor")?;
        }
        if let Some(t) = &self.cache_ttl
            && !matches!(t.as_str(), "5m" | "1h")
        {
            return Err(Error::input(format!("cache_ttl must be 5m or 1h, got {t:?}")));
        }
        if let Some(g) = &self.inference_geo
            && !matches!(g.as_str(), "global" | "us")
        {
            return Err(Error::input(format!("inference_geo must be global or us, got {g:?}")));
        }
        for k in self.r#where.keys() {
            if !DIMS.contains(&k.as_str()) {
                return Err(Error::input_hint(
                    format!("`where` names {k:?}, which is not a usage dimension"),
                    format!("choose among {}", DIMS.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

/// The exact cost of a group's tokens at the prices of `q`, or `None` if unpriceable.
/// `cache_ttl` prices both write kinds at one TTL.
fn cost(card: &RateCard, g: &Group, q: &PriceQuery<'_>, cache_ttl: Option<&str>) -> Result<Option<i128>> {
    let Some(m) = key_price(card, q).micros else { return Ok(None) };
    let mut total = 0i128;
    for (t, _) in TokenType::ALL.iter().enumerate() {
        let rate = match (t, cache_ttl) {
            (1 | 2, Some("5m")) => m[1],
            (1 | 2, Some("1h")) => m[2],
            _ => m[t],
        };
        let c = (g.counts[t] as i128).checked_mul(rate).ok_or_else(|| Error::input("a cost overflows"))?;
        total = total.checked_add(c).ok_or_else(|| Error::input("a cost overflows"))?;
    }
    Ok(Some(total))
}

#[derive(Default)]
struct Acc {
    baseline: i128,
    /// At scale 12 + `extra` decimals.
    scenario: i128,
    unpriced: bool,
}

/// Baseline vs scenario, by `by` (usage dimensions and/or `date`).
pub fn whatif(usage: &UsageFrame, scenario: &Scenario, card: &RateCard, by: &[&str]) -> Result<DataFrame> {
    check_by(by)?;
    scenario.validate(card)?;
    let (share_num, share_dec) =
        scenario.batch_share.map(|s| fraction(s, "batch_share")).transpose()?.unwrap_or((1, 0));
    let (disc_num, disc_dec) =
        scenario.discount_factor.map(|d| fraction(d, "discount_factor")).transpose()?.unwrap_or((1, 0));
    let extra = share_dec + disc_dec;
    let share_den = 10i128.pow(share_dec);
    let wanted: Vec<&str> = by.iter().copied().chain(scenario.r#where.keys().map(String::as_str)).collect();
    let extra_dims: Vec<&str> =
        DIMS.iter().copied().filter(|d| wanted.contains(d) && !PRICE_DIMS.contains(d)).collect();
    let dims: Vec<&str> = PRICE_DIMS.iter().copied().chain(extra_dims.iter().copied()).collect();
    let at = |name: &str| dims.iter().position(|d| *d == name);
    let mut acc: BTreeMap<Vec<Option<String>>, Acc> = BTreeMap::new();
    let mut scenario_priced_any = false;
    let mut rows = 0usize;
    for g in sum_by_day(usage, &dims)? {
        rows += 1;
        let d = |j: usize| g.dims[j].as_deref();
        let key: Vec<Option<String>> = by
            .iter()
            .map(|b| match *b {
                "date" => Some(date_of(g.day).to_string()),
                b => at(b).and_then(|j| d(j).map(str::to_owned)),
            })
            .collect();
        let day = date_of(g.day);
        let base_q = PriceQuery {
            model: d(1).unwrap_or(""),
            day,
            service_tier: d(2),
            context_window: d(3),
            inference_geo: d(4),
            speed: d(5),
        };
        let a = acc.entry(key).or_default();
        let base = cost(card, &g, &base_q, None)?;
        let matches = scenario.r#where.iter().all(|(k, vals)| {
            let v = at(k).and_then(|j| d(j).map(str::to_owned));
            vals.contains(&v)
        });
        let scaled =
            |c: i128, mult: i128| c.checked_mul(mult).ok_or_else(|| Error::input("a scenario amount overflows"));
        let scen: Option<i128> = if !matches {
            base.map(|b| scaled(b, 10i128.pow(extra))).transpose()?
        } else {
            let model = base_q.model.to_owned();
            let target = scenario.swap_models.get(&model).cloned().unwrap_or(model);
            let geo = match (&scenario.inference_geo, d(4)) {
                (Some(g), Some("global" | "us")) if card.resolve(&target).is_some_and(|m| m.geo_eligible) => {
                    Some(g.as_str())
                }
                _ => d(4),
            };
            let q =
                PriceQuery { model: &target, day: scenario.price_date.unwrap_or(day), inference_geo: geo, ..base_q };
            let ttl = scenario.cache_ttl.as_deref();
            let movable = d(2) == Some("standard") && d(5) != Some("fast") && scenario.batch_share.is_some();
            let total = if movable {
                let std = cost(card, &g, &q, ttl)?;
                let batch = cost(card, &g, &PriceQuery { service_tier: Some("batch"), ..q }, ttl)?;
                match (std, batch) {
                    (Some(s), Some(b)) => Some(scaled(b, share_num)? + scaled(s, share_den - share_num)?),
                    _ => None,
                }
            } else {
                cost(card, &g, &q, ttl)?.map(|c| scaled(c, share_den)).transpose()?
            };
            total
                .map(|t| scaled(t, if scenario.discount_factor.is_some() { disc_num } else { 10i128.pow(disc_dec) }))
                .transpose()?
        };
        scenario_priced_any |= scen.is_some();
        match (base, scen) {
            (Some(b), Some(s)) => {
                a.baseline = a.baseline.checked_add(b).ok_or_else(|| Error::input("a baseline total overflows"))?;
                a.scenario = a.scenario.checked_add(s).ok_or_else(|| Error::input("a scenario total overflows"))?;
            }
            _ => a.unpriced = true,
        }
    }
    if rows == 0 {
        return Err(Error::input("the usage frame has no rows to model"));
    }
    if scenario.price_date.is_some() && !scenario_priced_any {
        return Err(Error::input_hint(
            format!("the rate card cannot price any of this usage on {}", scenario.price_date.unwrap_or_default()),
            "choose a price_date on which these models have prices",
        ));
    }
    frame(by, acc, extra)
}

/// Rounds a mantissa at scale 12 + `extra` to scale 12, half to even; and whether it was exact.
fn to_scale_12(m: i128, extra: u32) -> (i128, bool) {
    if extra == 0 {
        return (m, true);
    }
    let f = 10i128.pow(extra);
    let (q, r) = (m.div_euclid(f), m.rem_euclid(f));
    let rounded = match (2 * r).cmp(&f) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    };
    (rounded, r == 0)
}

fn frame(by: &[&str], acc: BTreeMap<Vec<Option<String>>, Acc>, extra: u32) -> Result<DataFrame> {
    let n = acc.len();
    let mut columns: Vec<Column> = Vec::new();
    for (j, b) in by.iter().enumerate() {
        let values: Vec<Option<String>> = acc.keys().map(|k| k[j].clone()).collect();
        if *b == "date" {
            columns.push(crate::frames::columns::date(
                "date",
                values.iter().map(|v| v.as_deref().and_then(|d| d.parse().ok())).collect(),
            ));
        } else {
            columns.push(text(b, values));
        }
    }
    let mut base = Vec::with_capacity(n);
    let mut scen = Vec::with_capacity(n);
    let mut delta = Vec::with_capacity(n);
    let mut exact = Vec::with_capacity(n);
    for a in acc.values() {
        if a.unpriced {
            base.push(None);
            scen.push(None);
            delta.push(None);
            exact.push(None);
            continue;
        }
        let (s, ok) = to_scale_12(a.scenario, extra);
        base.push(Some(a.baseline));
        scen.push(Some(s));
        delta.push(Some(s - a.baseline));
        exact.push(Some(ok));
    }
    let status: Vec<Option<String>> =
        acc.values().map(|a| Some(if a.unpriced { "unpriced" } else { "priced" }.to_owned())).collect();
    columns.push(money("baseline_usd", base)?);
    columns.push(money("scenario_usd", scen)?);
    columns.push(money("delta_usd", delta)?);
    columns.push(text("status", status));
    columns.push(BooleanChunked::from_iter_options("exact".into(), exact.into_iter()).into_column());
    Ok(DataFrame::new(n, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_half_to_even_and_exactness() {
        assert_eq!(to_scale_12(1234, 0), (1234, true));
        assert_eq!(to_scale_12(12_340, 1), (1234, true));
        assert_eq!(to_scale_12(12_345, 1), (1234, false));
        assert_eq!(to_scale_12(12_355, 1), (1236, false));
        assert_eq!(to_scale_12(-12_345, 1), (-1234, false));
        assert_eq!(to_scale_12(12_346, 1), (1235, false));
    }
}
