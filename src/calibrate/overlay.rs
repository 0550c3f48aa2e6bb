//! Writing a calibration out: the overlay TOML (checked by pricing before it is printed) and the
//! suggestions as a frame.
//!
//! The check exists because an overlay that loads can still be wrong: a bounded change once
//! multiplied its way back (`× 1/1.07`) to `4.9999…`, which loaded fine and left every later day
//! unpriced. So each suggestion is priced on its first day (the change applied exactly) and, if
//! it ends, on the day after (the card's own prices, to the digit) before anything is printed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::{Calibration, MIN_RUN_DAYS, MIN_RUN_LINES, Suggestion, SuggestionKind};
use crate::error::{Error, Result};
use crate::rates::{PriceQuery, RateCard, TokenType};

impl Calibration {
    /// The overlay for `--rates`: each changed model's whole entry (an overlay replaces a model
    /// by id) and each discount, every one under comments giving its evidence.
    pub fn overlay_toml(&self, card: &RateCard) -> Result<String> {
        let revised = self.apply(card)?;
        let span = match (self.first, self.last) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => "no priced token lines".into(),
        };
        let mut out = format!(
            "# Rate-card overlay suggested by `counterfoil rates --suggest` from {} history, {span}.\n\
             # Review every entry: each one says what it rests on. Use with --rates FILE.\n\
             schema = \"counterfoil.ratecard/1\"\n",
            self.source.as_str()
        );
        out.push_str(&format!(
            "# A suggestion needs a run of at least {MIN_RUN_DAYS} days and {MIN_RUN_LINES} lines at one ratio.\n"
        ));
        for s in &self.one_offs {
            out.push_str(&format!("# one-off, not a price ({} days, {} lines): {}\n", s.days, s.lines, s.evidence));
        }
        if self.suggestions.is_empty() {
            out.push_str("# Nothing to suggest: every model's billed amounts agree with the card.\n");
            return Ok(out);
        }
        let mut models: BTreeMap<&str, Vec<&Suggestion>> = BTreeMap::new();
        for s in self.suggestions.iter().filter(|s| s.kind != SuggestionKind::Discount) {
            models.entry(&s.model).or_default().push(s);
        }
        let ser = |e: toml::ser::Error| Error::Internal(format!("cannot write the overlay: {e}"));
        for (m, found) in models {
            out.push('\n');
            for s in found {
                out.push_str(&format!("# {}: {}\n", s.kind.as_str(), s.evidence));
            }
            let entry = revised.resolve(m).ok_or_else(|| Error::Internal(format!("{m} vanished from the card")))?;
            let mut table = toml::Table::new();
            table.insert("model".into(), toml::Value::try_from(vec![entry]).map_err(ser)?);
            out.push_str(&toml::to_string(&table).map_err(ser)?);
        }
        for s in self.suggestions.iter().filter(|s| s.kind == SuggestionKind::Discount) {
            out.push_str(&format!("\n# discount: {}\n", s.evidence));
            let mut table = toml::Table::new();
            table.insert("discount".into(), toml::Value::try_from(vec![self.discount(s)]).map_err(ser)?);
            out.push_str(&toml::to_string(&table).map_err(ser)?);
        }
        // What we print must load as it is, and price as each suggestion says, inside and after.
        let loaded = RateCard::from_toml(&out, "suggested overlay")?;
        for s in &self.suggestions {
            check(card, &loaded, s)?;
        }
        Ok(out)
    }

    /// The suggestions, then the one-offs, as a frame: kind, model, from, to, ratio, days, lines,
    /// evidence, and `suggested` (false for a one-off, which the overlay does not apply).
    pub fn frame(&self) -> Result<DataFrame> {
        use crate::frames::columns::{date, money, text};
        let s: Vec<&Suggestion> = self.suggestions.iter().chain(&self.one_offs).collect();
        let columns = vec![
            text("kind", s.iter().map(|x| Some(x.kind.as_str().to_owned())).collect()),
            text("model", s.iter().map(|x| Some(x.model.clone())).collect()),
            date("from", s.iter().map(|x| Some(x.from)).collect()),
            date("to", s.iter().map(|x| x.to).collect()),
            money("ratio", s.iter().map(|x| crate::money::to_mantissa(x.ratio).ok()).collect())?,
            Int64Chunked::from_iter_values("days".into(), s.iter().map(|x| x.days as i64)).into_column(),
            Int64Chunked::from_iter_values("lines".into(), s.iter().map(|x| x.lines as i64)).into_column(),
            text("evidence", s.iter().map(|x| Some(x.evidence.clone())).collect()),
            BooleanChunked::from_iter_values("suggested".into(), s.iter().map(|x| !self.one_offs.contains(x)))
                .into_column(),
        ];
        Ok(DataFrame::new(s.len(), columns)?)
    }
}

/// A standard, short-context request of `model` on `day` (US for a geo suggestion).
fn query(model: &str, day: NaiveDate, us: bool) -> PriceQuery<'_> {
    PriceQuery {
        model,
        day,
        service_tier: Some("standard"),
        context_window: Some("0-200k"),
        inference_geo: Some(if us { "us" } else { "global" }),
        speed: Some("standard"),
    }
}

/// Prices `s` with the original card and the loaded overlay, inside the suggestion and after it.
fn check(card: &RateCard, loaded: &RateCard, s: &Suggestion) -> Result<()> {
    let bad = |day: NaiveDate, what: &str| {
        Error::Internal(format!("the suggested overlay does not price {} on {day} as {what}: {}", s.model, s.evidence))
    };
    let us = s.kind == SuggestionKind::GeoEligible;
    let inside = (card.price(&query(&s.model, s.from, us)), loaded.price(&query(&s.model, s.from, us)));
    match (s.kind, inside) {
        (SuggestionKind::GeoEligible, (_, Ok(_))) => {}
        (_, (Ok(old), Ok(new))) => {
            if TokenType::ALL.iter().any(|&t| new.rate(t) != old.rate(t) * s.ratio) {
                return Err(bad(s.from, &format!("{} × the card", s.ratio)));
            }
        }
        (_, (Err(_), _)) => {} // the card itself cannot price this query: nothing to compare
        (_, (Ok(_), Err(_))) => return Err(bad(s.from, "a price")),
    }
    if let Some(to) = s.to {
        let (old, new) = (card.price(&query(&s.model, to, us)), loaded.price(&query(&s.model, to, us)));
        let same = match (&old, &new) {
            (Ok(o), Ok(n)) => TokenType::ALL.iter().all(|&t| o.rate(t) == n.rate(t)),
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if !same {
            return Err(bad(to, "the card's own price (the change has ended)"));
        }
    }
    Ok(())
}
