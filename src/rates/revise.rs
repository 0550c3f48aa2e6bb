//! Revisions of a card: negotiated discounts, a list-price change from a date, a model made
//! eligible for US-only inference; and the card at list price.
//!
//! Calibration (`rates --suggest`) proposes these from billing history, and the simulator plants
//! them in what its organization is billed, so both sides use one definition of each change.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use toml::Spanned;

use super::card::{MAX_FACTOR, RateCard};
use super::model::{Discount, ModelEntry, RateRow};
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
        self.with_price_change_between(model, from, None, factor)
    }

    /// [`RateCard::with_price_change`] on `[from, to)` only: rows are split at both ends and the
    /// days from `to` keep the card's own prices. A bounded change is undone by *keeping* the
    /// original rows, never by multiplying back by `1 / factor`, which is not exact in decimal
    /// (`5 × 1.07 × (1 / 1.07)` is `4.9999…`, and no later day would price).
    pub fn with_price_change_between(
        &self,
        model: &str,
        from: NaiveDate,
        to: Option<NaiveDate>,
        factor: Decimal,
    ) -> Result<RateCard> {
        if factor <= Decimal::ZERO || factor > MAX_FACTOR {
            return Err(Error::input(format!("a price change factor must be in (0, {MAX_FACTOR}], found {factor}")));
        }
        if to.is_some_and(|to| to <= from) {
            return Err(Error::input(format!("a price change must end after it starts ({from})")));
        }
        let mut card = self.clone();
        let entry = card.model_mut(model)?;
        let mut rows = Vec::with_capacity(entry.rates.len() + 4);
        let at = |mut r: RateRow, a: NaiveDate, b: Option<NaiveDate>| {
            r.valid_from = Spanned::new(0..0, a);
            r.valid_to = b;
            r
        };
        for r in entry.rates.drain(..) {
            let (start, end) = (*r.valid_from.get_ref(), r.valid_to);
            let before_end = |d: NaiveDate| end.is_none_or(|e| d < e);
            if end.is_some_and(|e| e <= from) || to.is_some_and(|t| start >= t) {
                rows.push(r);
                continue;
            }
            if start < from {
                rows.push(at(r.clone(), start, Some(from)));
            }
            let (a, b) = (
                start.max(from),
                match (end, to) {
                    (Some(e), Some(t)) => Some(e.min(t)),
                    (e, t) => e.or(t),
                },
            );
            let scale = |p: Decimal| (p * factor).normalize();
            let mut inside = at(r.clone(), a, b);
            inside.input = scale(inside.input);
            inside.output = scale(inside.output);
            inside.cache_write_5m = inside.cache_write_5m.map(scale);
            inside.cache_write_1h = inside.cache_write_1h.map(scale);
            inside.cache_read = inside.cache_read.map(scale);
            inside.source = Some(match to {
                Some(t) => format!("list price × {factor} from {from} to {t}"),
                None => format!("list price × {factor} from {from}"),
            });
            rows.push(inside);
            if let Some(t) = to.filter(|t| before_end(*t)) {
                rows.push(at(r, t, end));
            }
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
    fn a_bounded_price_change_keeps_the_original_prices_after_it() {
        // Opus 4.5 lists $5 input / $25 output (pricing.md §1); × 1.07 for 11-10 … 11-12 only.
        let (from, to) = ("2026-11-10".parse().unwrap(), "2026-11-13".parse().unwrap());
        let card =
            RateCard::bundled().with_price_change_between("claude-opus-4-5", from, Some(to), dec!(1.07)).unwrap();
        let rate = |d: &str, t| card.price(&q("claude-opus-4-5", d)).unwrap().rate(t);
        assert_eq!((rate("2026-11-09", TokenType::Input), rate("2026-11-09", TokenType::Output)), (dec!(5), dec!(25)));
        assert_eq!(
            (rate("2026-11-12", TokenType::Input), rate("2026-11-12", TokenType::Output)),
            (dec!(5.35), dec!(26.75))
        );
        assert_eq!(rate("2026-11-13", TokenType::Input).to_string(), "5", "exactly 5, not 4.9999…");
        assert_eq!(rate("2026-11-13", TokenType::Output).to_string(), "25");
        assert_eq!(rate("2026-12-31", TokenType::CacheRead), dec!(0.5));
        let back = RateCard::from_toml(&card.to_toml().unwrap(), "export").unwrap();
        assert_eq!(
            back.price(&q("claude-opus-4-5", "2026-11-20")).unwrap(),
            card.price(&q("claude-opus-4-5", "2026-11-20")).unwrap()
        );
        assert!(RateCard::bundled().with_price_change_between("claude-opus-4-5", to, Some(from), dec!(2)).is_err());
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
