//! The simulated organization's contract: negotiated discounts per model and date range, and
//! list-price changes the bundled card does not know yet (a stale card).
//!
//! A price change is billed at list by both endpoints (cost_report's amount and the Analytics
//! API's `list_amount`), so reconciling with the bundled card shows it as a step on its date.
//! A discount lowers what is billed: cost_report bills after discounts (`reference/admin-api.md`
//! §5.4), the Analytics API shows `amount` after and `list_amount` before it. Token charges only;
//! web search and runtime are billed at list.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::billing::CostLine;
use crate::error::Result;
use crate::rates::{Discount, RateCard};
use crate::window::TimeWindow;

/// A list-price change: every token price of `model` × `factor` from `from` on (until `to`,
/// exclusive, when it is bounded: a one-day glitch, a temporary surcharge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChange {
    pub model: String,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub factor: Decimal,
}

/// What the organization negotiated, and what changed under a stale card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contract {
    pub discounts: Vec<Discount>,
    pub price_changes: Vec<PriceChange>,
}

impl Contract {
    /// The demo contract for an organization with data in `window`: 12 % off Opus 5.5 for the
    /// whole window, 8 % off Sonnet 5.5 from the middle of it, and Haiku 4.5's list price up 20 %
    /// ten days before its end (at the start when the window is shorter).
    pub fn demo(window: TimeWindow) -> Contract {
        let (start, end) = (window.start.date_naive(), window.end.date_naive());
        let mid = start + (end - start) / 2;
        let step = (end - chrono::Duration::days(10)).max(start + chrono::Duration::days(1)).min(end);
        let discount = |model: &str, from: NaiveDate, d: Decimal| Discount {
            model: model.into(),
            valid_from: from,
            valid_to: None,
            discount: d,
            source: Some("simulated contract".into()),
        };
        Contract {
            discounts: vec![
                discount("claude-opus-5-5", start, Decimal::new(12, 2)),
                discount("claude-sonnet-5-5", mid, Decimal::new(8, 2)),
            ],
            price_changes: vec![PriceChange {
                model: "claude-haiku-4-5-20251001".into(),
                from: step,
                to: None,
                factor: Decimal::new(12, 1),
            }],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.discounts.is_empty() && self.price_changes.is_empty()
    }

    /// The card Anthropic bills from: `card` with the price changes.
    pub fn billing_card(&self, card: &RateCard) -> Result<RateCard> {
        let mut out = card.clone();
        for c in &self.price_changes {
            out = out.with_price_change_between(&c.model, c.from, c.to, c.factor)?;
        }
        Ok(out)
    }

    /// What is billed per dollar at list for `model` (a card id) on `day`: 1 − discount.
    pub fn factor(&self, card: &RateCard, model: &str, day: NaiveDate) -> Decimal {
        let id = card.resolve(model).map(|m| m.id.get_ref().as_str()).unwrap_or(model);
        self.discounts
            .iter()
            .find(|d| card.resolve(&d.model).is_some_and(|m| m.id.get_ref() == id) && d.valid_on(day))
            .map_or(Decimal::ONE, |d| Decimal::ONE - d.discount)
    }

    /// Applies the discounts to a day's token cost lines (cost_report bills after discounts).
    pub(crate) fn discount_lines(&self, card: &RateCard, day: NaiveDate, lines: &mut [CostLine]) {
        if self.discounts.is_empty() {
            return;
        }
        for l in lines.iter_mut().filter(|l| l.cost_type == "tokens") {
            if let Some(m) = &l.model {
                l.amount_cents = (l.amount_cents * self.factor(card, m, day)).normalize();
            }
        }
    }
}
