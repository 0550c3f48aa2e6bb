//! The effective card as a frame: one row per model rate row, every price explicit.

use polars::prelude::*;

use super::card::RateCard;
use super::model::TokenType;
use crate::error::Result;
use crate::frames::columns::{date, money, text};
use crate::money::to_mantissa;

impl RateCard {
    /// `model, name, aliases, released, retired, geo_eligible, valid_from, valid_to,
    /// context_window, speed, input, cache_write_5m, cache_write_1h, cache_read, output,
    /// uncertain, source, origin`; prices in USD per MTok with default cache multipliers applied
    /// (the discount factor of a user card is not: it applies at pricing time).
    pub fn to_frame(&self) -> Result<DataFrame> {
        let mut model = vec![];
        let mut name = vec![];
        let mut aliases = vec![];
        let mut released = vec![];
        let mut retired = vec![];
        let mut geo = vec![];
        let mut from = vec![];
        let mut to = vec![];
        let mut window = vec![];
        let mut speed = vec![];
        let mut prices: [Vec<Option<i128>>; 5] = Default::default();
        let mut uncertain = vec![];
        let mut source = vec![];
        let mut origin = vec![];
        for (m, o) in self.models.iter().zip(&self.origins) {
            for r in &m.rates {
                model.push(Some(m.id.get_ref().clone()));
                name.push(m.name.clone());
                aliases.push((!m.aliases.is_empty()).then(|| m.aliases.join(",")));
                released.push(m.released);
                retired.push(m.retired);
                geo.push(m.geo_eligible);
                from.push(Some(*r.valid_from.get_ref()));
                to.push(r.valid_to);
                window.push(Some(r.context_window.clone()));
                speed.push(Some(r.speed.clone()));
                for (col, t) in prices.iter_mut().zip(TokenType::ALL) {
                    col.push(Some(to_mantissa(r.price(t, &self.defaults))?));
                }
                uncertain.push(r.uncertain.clone());
                source.push(r.source.clone().or_else(|| m.source.clone()));
                origin.push(Some(o.clone()));
            }
        }
        let n = model.len();
        let [input, w5, w1, read, output] = prices;
        let columns = vec![
            text("model", model),
            text("name", name),
            text("aliases", aliases),
            date("released", released),
            date("retired", retired),
            BooleanChunked::from_slice("geo_eligible".into(), &geo).into_column(),
            date("valid_from", from),
            date("valid_to", to),
            text("context_window", window),
            text("speed", speed),
            money("input", input)?,
            money("cache_write_5m", w5)?,
            money("cache_write_1h", w1)?,
            money("cache_read", read)?,
            money("output", output)?,
            text("uncertain", uncertain),
            text("source", source),
            text("origin", origin),
        ];
        Ok(DataFrame::new(n, columns)?)
    }
}

impl RateCard {
    /// The `[[cloud_price]]` rows (USD per MTok; a leg the cloud does not sell at that scope is null).
    pub fn cloud_prices_frame(&self) -> Result<DataFrame> {
        let p = &self.cloud_prices;
        let s = |f: &dyn Fn(&super::cloud::CloudPrice) -> Option<String>| -> Vec<Option<String>> {
            p.iter().map(f).collect()
        };
        let m =
            |name: &str, f: &dyn Fn(&super::cloud::CloudPrice) -> Option<rust_decimal::Decimal>| -> Result<Column> {
                money(name, p.iter().map(f).map(|d| d.map(to_mantissa).transpose()).collect::<Result<Vec<_>>>()?)
            };
        let columns = vec![
            text("provider", s(&|c| Some(c.provider.as_str().into()))),
            text("model", s(&|c| Some(c.model.clone()))),
            text("scope", s(&|c| Some(c.scope.as_str().into()))),
            text("service_tier", s(&|c| Some(c.service_tier.clone()))),
            text("context_window", s(&|c| Some(c.context_window.clone()))),
            date("valid_from", p.iter().map(|c| Some(c.valid_from)).collect()),
            date("valid_to", p.iter().map(|c| c.valid_to).collect()),
            m("input", &|c| Some(c.input))?,
            m("cache_write_5m", &|c| c.cache_write_5m)?,
            m("cache_write_1h", &|c| c.cache_write_1h)?,
            m("cache_read", &|c| c.cache_read)?,
            m("output", &|c| Some(c.output))?,
            text("source", s(&|c| c.source.clone())),
        ];
        Ok(DataFrame::new(p.len(), columns)?)
    }
}
