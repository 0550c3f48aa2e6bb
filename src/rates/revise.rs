//! Revisions of a card: negotiated discounts, a list-price change from a date, a model made
//! eligible for US-only inference; and the card at list price.
//!
//! Calibration (`rates --suggest`) proposes these from billing history, and the simulator plants
//! them in what its organization is billed, so both sides use one definition of each change.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use toml::Spanned;

use super::card::{MAX_FACTOR, RateCard};
use super::model::{Discount, ModelEntry};
use crate::error::{Error, Result};

impl RateCard {
    /// The card without any negotiated discount (`discount_factor` and `[[discount]]`): what the
    /// Analytics API's `list_amount` is checked against.
    pub fn at_list(&self) -> RateCard {
        let mut card = self.clone();
        card.discount_factor = None;
        card.discounts.clear();
        card
    }

    /// The discount on model `id` (a card id) on `day`, if the card has one.
    pub fn discount_on(&self, id: &str, day: NaiveDate) -> Option<&Discount> {
        self.discounts.iter().find(|d| d.model == id && d.valid_on(day))
    }

    /// Adds a discount (replacing one of the same model and start), refusing a share outside
    /// [0, 1), an empty range, an unknown model or an overlap with another range of the model.
    pub(super) fn add_discount(&mut self, mut d: Discount) -> std::result::Result<(), String> {
        if d.discount.is_sign_negative() || d.discount >= Decimal::ONE {
            return Err(format!("discount for {:?} must be in [0, 1), found {}", d.model, d.discount));
        }
        if d.valid_to.is_some_and(|to| to <= d.valid_from) {
            return Err(format!("discount for {:?}: valid_to must be after valid_from", d.model));
        }
        let Some(entry) = self.resolve(&d.model) else {
            return Err(format!("discount for {:?}: the card has no such model", d.model));
        };
        d.model = entry.id.get_ref().clone();
        self.discounts.retain(|x| !(x.model == d.model && x.valid_from == d.valid_from));
        let end = |x: &Discount| x.valid_to.unwrap_or(NaiveDate::MAX);
        if let Some(x) =
            self.discounts.iter().find(|x| x.model == d.model && x.valid_from < end(&d) && d.valid_from < end(x))
        {
            return Err(format!("discounts for {:?} from {} and from {} overlap", d.model, x.valid_from, d.valid_from));
        }
        self.discounts.push(d);
        self.discounts.sort_by(|a, b| (&a.model, a.valid_from).cmp(&(&b.model, b.valid_from)));
        Ok(())
    }

    /// Adds a discount, as [`RateCard::add_discount`], with a card error.
    pub fn with_discount(&self, d: Discount) -> Result<RateCard> {
        let mut card = self.clone();
        card.add_discount(d).map_err(|message| Error::RateCard { location: "discount".into(), message })?;
        Ok(card)
    }

    /// The card where every list price of `model` from `from` on is `factor` × what it was:
    /// rows running across `from` are split there, later rows scaled. Explicit cache prices scale
    /// with the rest; implicit ones follow the input price.
    pub fn with_price_change(&self, model: &str, from: NaiveDate, factor: Decimal) -> Result<RateCard> {
        if factor <= Decimal::ZERO || factor > MAX_FACTOR {
            return Err(Error::input(format!("a price change factor must be in (0, {MAX_FACTOR}], found {factor}")));
        }
        let mut card = self.clone();
        let entry = card.model_mut(model)?;
        let mut rows = Vec::with_capacity(entry.rates.len() + 2);
        for r in entry.rates.drain(..) {
            let start = *r.valid_from.get_ref();
            if r.valid_to.is_some_and(|to| to <= from) {
                rows.push(r);
                continue;
            }
            let mut later = r.clone();
            if start < from {
                let mut earlier = r;
                earlier.valid_to = Some(from);
                rows.push(earlier);
                later.valid_from = Spanned::new(0..0, from);
            }
            let scale = |p: Decimal| (p * factor).normalize();
            later.input = scale(later.input);
            later.output = scale(later.output);
            later.cache_write_5m = later.cache_write_5m.map(scale);
            later.cache_write_1h = later.cache_write_1h.map(scale);
            later.cache_read = later.cache_read.map(scale);
            later.source = Some(format!("list price × {factor} from {from}"));
            rows.push(later);
        }
        entry.rates = rows;
        Ok(card)
    }

    /// The card where `model` takes the US-only inference multiplier.
    pub fn with_geo_eligible(&self, model: &str) -> Result<RateCard> {
        let mut card = self.clone();
        card.model_mut(model)?.geo_eligible = true;
        Ok(card)
    }

    fn model_mut(&mut self, model: &str) -> Result<&mut ModelEntry> {
        let id = self.resolve(model).map(|m| m.id.get_ref().clone());
        let id = id.ok_or_else(|| Error::input(format!("the rate card has no model {model:?}")))?;
        let i = self.index[&id];
        Ok(&mut self.models[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates::TokenType;
    use crate::rates::lookup::standard_query as q;
    use rust_decimal_macros::dec;

    #[test]
    fn a_price_change_splits_the_row_on_its_day() {
        // Haiku 4.5 lists $1 input / $5 output (pricing.md §1).
        let card = RateCard::bundled()
            .with_price_change("claude-haiku-4-5", "2026-11-10".parse().unwrap(), dec!(1.2))
            .unwrap();
        let before = card.price(&q("claude-haiku-4-5-20251001", "2026-11-09")).unwrap();
        let after = card.price(&q("claude-haiku-4-5-20251001", "2026-11-10")).unwrap();
        assert_eq!((before.rate(TokenType::Input), before.rate(TokenType::Output)), (dec!(1), dec!(5)));
        assert_eq!((after.rate(TokenType::Input), after.rate(TokenType::Output)), (dec!(1.2), dec!(6)));
        assert_eq!(after.rate(TokenType::CacheRead), dec!(0.12));
        let back = RateCard::from_toml(&card.to_toml().unwrap(), "export").unwrap();
        assert_eq!(back.price(&q("claude-haiku-4-5", "2026-11-12")).unwrap(), after, "round-trips through TOML");
    }

    #[test]
    fn discounts_apply_in_range_and_not_at_list() {
        let d = Discount {
            model: "claude-opus-5".into(),
            valid_from: "2026-11-01".parse().unwrap(),
            valid_to: Some("2026-11-15".parse().unwrap()),
            discount: dec!(0.12),
            source: None,
        };
        let card = RateCard::bundled().with_discount(d.clone()).unwrap();
        let list = RateCard::bundled().price(&q("claude-opus-5", "2026-11-05")).unwrap().rate(TokenType::Output);
        assert_eq!(card.price(&q("claude-opus-5", "2026-11-05")).unwrap().rate(TokenType::Output), list * dec!(0.88));
        assert_eq!(card.price(&q("claude-opus-5", "2026-11-15")).unwrap().rate(TokenType::Output), list);
        assert_eq!(card.at_list().price(&q("claude-opus-5", "2026-11-05")).unwrap().rate(TokenType::Output), list);
        let overlap = Discount { valid_from: "2026-11-10".parse().unwrap(), valid_to: None, ..d.clone() };
        assert!(card.with_discount(overlap).unwrap_err().to_string().contains("overlap"));
        assert!(RateCard::bundled().with_discount(Discount { discount: dec!(1), ..d.clone() }).is_err());
        assert!(RateCard::bundled().with_discount(Discount { model: "claude-opus-9".into(), ..d }).is_err());
    }
}
