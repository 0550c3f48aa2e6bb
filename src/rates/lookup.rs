//! Price lookup: one usage row's dimensions → the rate of each token type, or why not.
//!
//! The stacking of pricing.md §2.9: `base(model, day, context window, speed)[type] × batch ×
//! geo × discount`. Every factor is exact; nothing is rounded. A dimension the row leaves null is
//! only ignored when it cannot change the price (e.g. `inference_geo` on a model without data
//! residency); otherwise the row is unpriced with a reason.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::card::RateCard;
use super::model::{CacheMultipliers, ModelEntry, RateRow, TokenType};
use super::unpriceable::Unpriceable;

/// The dimensions of one usage row that decide its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PriceQuery<'a> {
    pub model: &'a str,
    pub day: NaiveDate,
    pub service_tier: Option<&'a str>,
    pub context_window: Option<&'a str>,
    pub inference_geo: Option<&'a str>,
    pub speed: Option<&'a str>,
}

/// The rates that apply to one usage row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// The card's model id the query resolved to.
    pub model_id: String,
    /// USD per million tokens, per [`TokenType::ALL`], modifiers applied.
    pub usd_per_mtok: [Decimal; 5],
    /// Priority Tier: priced for information, absent from cost_report by design.
    pub not_in_cost_report: bool,
    /// Why this price may be wrong, when the card is unsure.
    pub uncertain: Option<String>,
}

impl Priced {
    pub fn rate(&self, t: TokenType) -> Decimal {
        self.usd_per_mtok[t as usize]
    }
}

fn checked(factor: Decimal, by: Option<Decimal>, model: &str) -> Result<Decimal, Unpriceable> {
    factor.checked_mul(by.unwrap_or(Decimal::ONE)).ok_or_else(|| Unpriceable::Arithmetic {
        model: model.to_owned(),
        detail: "the card's modifiers overflow".into(),
    })
}

impl RateCard {
    /// The rates for `q`, or the reason it cannot be priced.
    pub fn price(&self, q: &PriceQuery<'_>) -> Result<Priced, Unpriceable> {
        let model = self.resolve(q.model).ok_or_else(|| Unpriceable::UnknownModel { model: q.model.to_owned() })?;
        let id = model.id.get_ref();
        if let Some(r) = model.released
            && q.day < r
        {
            return Err(Unpriceable::NotReleased { model: id.clone(), released: r });
        }
        if let Some(t) = model.retired
            && q.day >= t
        {
            return Err(Unpriceable::Retired { model: id.clone(), retired: t });
        }
        let mut uncertain: Vec<String> = Vec::new();

        // Service tier: standard, a factor (batch), or not in cost_report (priority).
        let mut factor = Decimal::ONE;
        let mut not_in_cost_report = false;
        match q.service_tier {
            None => return Err(Unpriceable::MissingDimension { dimension: "service_tier" }),
            Some("standard") => {}
            Some(tier) => match self.modifier("service_tier", tier) {
                Some(m) if m.valid_from.is_some_and(|f| q.day < f) => {
                    let from = m.valid_from.unwrap_or(q.day);
                    return Err(Unpriceable::TierNotYet { tier: tier.to_owned(), from });
                }
                Some(m) => {
                    not_in_cost_report = m.not_in_cost_report;
                    factor = checked(factor, m.factor, id)?;
                    uncertain.extend(m.uncertain.clone());
                }
                None => {
                    return Err(Unpriceable::UnknownValue { dimension: "service_tier", value: tier.to_owned() });
                }
            },
        }

        // Inference geo: the US multiplier for eligible models once data residency existed.
        let geo_modifier = self.modifier("inference_geo", "us");
        let geo_applies = model.geo_eligible && geo_modifier.is_some_and(|m| m.valid_from.is_none_or(|f| q.day >= f));
        match q.inference_geo {
            None if geo_applies => return Err(Unpriceable::MissingDimension { dimension: "inference_geo" }),
            None | Some("global") | Some("not_available") => {}
            Some(geo) => match self.modifier("inference_geo", geo) {
                Some(m) if geo_applies || geo != "us" => factor = checked(factor, m.factor, id)?,
                Some(_) => return Err(Unpriceable::GeoNotEligible { model: id.clone(), geo: geo.to_owned() }),
                None => {
                    return Err(Unpriceable::UnknownValue { dimension: "inference_geo", value: geo.to_owned() });
                }
            },
        }

        // Speed and context window select the base row.
        let speed = match q.speed {
            Some("standard") => "standard",
            Some("fast") => "fast",
            // Unknown speed only prices as standard when speed cannot change the price that day.
            None if fast_changes_price(model, q.day, &self.defaults) => {
                return Err(Unpriceable::MissingDimension { dimension: "speed" });
            }
            None => "standard",
            Some(other) => return Err(Unpriceable::UnknownValue { dimension: "speed", value: other.to_owned() }),
        };
        let row = |window: &str| -> Result<&RateRow, Unpriceable> {
            model.rates.iter().find(|r| r.speed == speed && r.valid_on(q.day) && r.matches_window(window)).ok_or_else(
                || Unpriceable::NoRate {
                    model: id.clone(),
                    window: window.to_owned(),
                    speed: speed.to_owned(),
                    day: q.day,
                },
            )
        };
        let base = match q.context_window {
            Some(w @ ("0-200k" | "200k-1M")) => row(w)?,
            Some(other) => {
                return Err(Unpriceable::UnknownValue { dimension: "context_window", value: other.to_owned() });
            }
            None => {
                let (short, long) = (row("0-200k")?, row("200k-1M"));
                match long {
                    Ok(l)
                        if TokenType::ALL
                            .iter()
                            .any(|&t| l.price(t, &self.defaults) != short.price(t, &self.defaults)) =>
                    {
                        return Err(Unpriceable::MissingDimension { dimension: "context_window" });
                    }
                    _ => short,
                }
            }
        };
        uncertain.extend(base.uncertain.clone());
        factor = checked(factor, self.discount_factor, id)?;
        if let Some(d) = self.discount_on(id, q.day) {
            factor = checked(factor, Some(Decimal::ONE - d.discount), id)?;
        }
        let mut usd_per_mtok = [Decimal::ZERO; 5];
        for (out, t) in usd_per_mtok.iter_mut().zip(TokenType::ALL) {
            *out = base.price(t, &self.defaults).checked_mul(factor).ok_or_else(|| Unpriceable::Arithmetic {
                model: id.clone(),
                detail: format!("the {} price overflows", t.api_name()),
            })?;
        }
        Ok(Priced {
            model_id: id.clone(),
            usd_per_mtok,
            not_in_cost_report,
            uncertain: (!uncertain.is_empty()).then(|| uncertain.join("; ")),
        })
    }
}

/// A standard-tier, short-context, global, standard-speed query: the tests' usual row.
/// Whether a request's speed can change its price on `day`: some fast row valid that day prices a
/// token type differently from the standard row of a context window it covers. Opus 4.6 fast
/// requests after 2026-06-29 bill at the standard price, so there speed does not matter.
fn fast_changes_price(model: &ModelEntry, day: NaiveDate, defaults: &CacheMultipliers) -> bool {
    let valid = |speed: &'static str| model.rates.iter().filter(move |r| r.speed == speed && r.valid_on(day));
    valid("fast").any(|fast| {
        ["0-200k", "200k-1M"].iter().filter(|w| fast.matches_window(w)).any(|w| {
            match valid("standard").find(|s| s.matches_window(w)) {
                Some(standard) => {
                    TokenType::ALL.iter().any(|&t| fast.price(t, defaults) != standard.price(t, defaults))
                }
                None => true, // no standard row to compare with: speed decides whether it prices
            }
        })
    })
}

#[cfg(test)]
pub(crate) fn standard_query(model: &'static str, day: &str) -> PriceQuery<'static> {
    PriceQuery {
        model,
        day: day.parse().expect("a YYYY-MM-DD day"),
        service_tier: Some("standard"),
        context_window: Some("0-200k"),
        inference_geo: Some("global"),
        speed: Some("standard"),
    }
}

#[cfg(test)]
mod tests {
    use super::standard_query as q;
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ids_resolve_exactly_alias_and_dated_forms() {
        let card = RateCard::bundled();
        for name in ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "claude-sonnet-4-5[1m]"] {
            assert_eq!(card.resolve(name).unwrap().id.get_ref(), "claude-sonnet-4-5-20250929", "{name}");
        }
        assert_eq!(card.resolve("claude-opus-4-6-20260205").unwrap().id.get_ref(), "claude-opus-4-6");
        assert_eq!(card.resolve("claude-sonnet-4").unwrap().id.get_ref(), "claude-sonnet-4-20250514");
        assert!(card.resolve("claude-sonnet").is_none(), "no guessing beyond dated/undated forms");
        assert!(card.resolve("claude-sonnet-4-7").is_none());
        assert!(card.resolve("gpt-4o").is_none());
    }

    #[test]
    fn an_unknown_speed_is_unpriced_only_where_fast_mode_has_a_price() {
        let card = RateCard::bundled();
        let mut query = q("claude-opus-5", "2026-11-01");
        query.speed = None;
        let err = card.price(&query).unwrap_err();
        assert_eq!(err, Unpriceable::MissingDimension { dimension: "speed" });
        assert!(err.to_string().contains("speed is unknown"), "{err}");
        let mut sonnet = q("claude-sonnet-4-6", "2026-11-01");
        sonnet.speed = None;
        assert!(card.price(&sonnet).is_ok(), "no fast rate for Sonnet 4.6: speed cannot change its price");
    }

    #[test]
    fn unknown_model_is_unpriced_not_zero() {
        let err = RateCard::bundled().price(&q("claude-opus-9", "2026-11-01")).unwrap_err();
        assert!(err.to_string().contains("unknown model"), "{err}");
    }

    #[test]
    fn batch_us_and_cache_exceptions_stack() {
        let card = RateCard::bundled();
        let mut query = q("claude-opus-5-5", "2026-11-01");
        query.service_tier = Some("batch");
        query.inference_geo = Some("us");
        let p = card.price(&query).unwrap();
        assert_eq!(p.rate(TokenType::Input), dec!(2.2)); // 4 × 0.5 × 1.1
        assert_eq!(p.rate(TokenType::CacheRead), dec!(0.11)); // 0.20 × 0.5 × 1.1
        assert_eq!(p.rate(TokenType::CacheWrite1h), dec!(4.4));
    }
}
