//! `price(usage, card)`: what every token of a usage frame should have cost.
//!
//! Performance and exactness notes. Each distinct (day, model, tier, context window, geo, speed)
//! is looked up in the card once; rows then only index into that small table. A rate of R USD per
//! MTok applied to N tokens costs N × R / 10⁶ USD, whose scale-12 mantissa is exactly
//! N × (R × 10⁶): one integer multiplication, no rounding, as long as R has at most six decimals
//! (a rate with more is reported as unpriced instead of being rounded). Label columns of the
//! long output are gathered with `take` from tiny arrays, so repeated strings are not copied.

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::frames::UsageFrame;
use crate::frames::columns::money;
use crate::frames::usage::{TOKEN_COLUMNS, usage_dimensions};
use crate::money::to_mantissa;
use crate::rates::{PriceQuery, RateCard, TokenType, Unpriceable};

/// `price_status` values.
pub const PRICED: &str = "priced";
pub const UNPRICED: &str = "unpriced";
pub const NOT_IN_COST_REPORT: &str = "not_in_cost_report";

/// A looked-up price key: rates as integer micro-dollars per MTok (`R × 10⁶`, per
/// [`TokenType::ALL`]), or why it is unpriced; the status and the card's doubts.
pub(crate) struct KeyPrice {
    /// `None` exactly when `reason` is set.
    pub micros: Option<[i128; 5]>,
    pub status: &'static str,
    pub reason: Option<Unpriceable>,
    /// The card's doubts about the price (`uncertain`), when priced.
    pub note: Option<String>,
}

impl KeyPrice {
    fn unpriced(reason: Unpriceable) -> KeyPrice {
        KeyPrice { micros: None, status: UNPRICED, reason: Some(reason), note: None }
    }

    /// The `price_note` text: why unpriced, or the card's doubt.
    pub fn note_text(&self) -> Option<String> {
        self.reason.as_ref().map(ToString::to_string).or_else(|| self.note.clone())
    }
}

/// (day since epoch, model, service tier, context window, inference geo, speed).
type PriceKey<'a> = (i32, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// The scale-12 USD mantissa of `quantity` tokens at `micros` (R × 10⁶ for R USD per MTok):
/// `quantity × R / 10⁶ × 10¹²` = `quantity × micros`, exact, or an error instead of a wrap.
pub fn cost_of(quantity: i64, micros: i128) -> Result<i128> {
    (quantity as i128)
        .checked_mul(micros)
        .ok_or_else(|| Error::input(format!("{quantity} tokens at this rate overflow exact money")))
        .and_then(|m| crate::money::check_mantissa(m, "an expected amount"))
}

/// The scale-12 USD mantissa of `units` at a unit price mantissa (scale 12), exact.
pub fn units_cost(units: i64, price: i128) -> Result<i128> {
    (units as i128)
        .checked_mul(price)
        .ok_or_else(|| Error::input(format!("{units} units at this price overflow exact money")))
        .and_then(|m| crate::money::check_mantissa(m, "an expected amount"))
}

/// `R × 10⁶` as an integer, if `R` has at most six decimals.
pub fn rate_micros(rate: Decimal) -> Option<i128> {
    let scaled = rate.checked_mul(Decimal::from(1_000_000))?;
    (scaled.fract().is_zero()).then(|| scaled.trunc().mantissa() / 10i128.pow(scaled.trunc().scale()))
}

/// The price of one usage key (the one place card prices become exact integer rates).
pub(crate) fn key_price(card: &RateCard, q: &PriceQuery<'_>) -> KeyPrice {
    if q.model.is_empty() {
        return KeyPrice::unpriced(Unpriceable::MissingDimension { dimension: "model" });
    }
    match card.price(q) {
        Err(reason) => KeyPrice::unpriced(reason),
        Ok(p) => {
            let micros: Option<Vec<i128>> = p.usd_per_mtok.iter().map(|r| rate_micros(*r)).collect();
            match micros {
                None => KeyPrice::unpriced(Unpriceable::Arithmetic {
                    model: p.model_id.clone(),
                    detail: format!(
                        "a rate of {} has more than 6 decimals per MTok; refusing to round",
                        p.usd_per_mtok.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("/")
                    ),
                }),
                Some(m) => KeyPrice {
                    micros: Some([m[0], m[1], m[2], m[3], m[4]]),
                    status: if p.not_in_cost_report { NOT_IN_COST_REPORT } else { PRICED },
                    reason: None,
                    note: p.uncertain,
                },
            }
        }
    }
}

fn contiguous(c: &Int64Chunked) -> Result<&[i64]> {
    c.cont_slice().map_err(|e| Error::Internal(format!("counts after validation: {e}")))
}

/// Prices a usage frame (DESIGN §3 columns) with `card`: one row per usage row × token type with
/// tokens, plus one row per usage row with web searches. Zero quantities are left out.
pub fn price(usage: &UsageFrame, card: &RateCard) -> Result<DataFrame> {
    // One contiguous chunk per column, so gathers and slices are cheap (a copy only when the
    // frame came in several chunks).
    let mut usage = usage.df().clone();
    usage.rechunk_mut_par();
    let usage = &usage;
    let s = |n: &str| -> Result<StringChunked> { Ok(usage.column(n)?.str()?.clone()) };
    let start_us = usage.column("bucket_start")?.as_materialized_series().to_physical_repr().i64()?.clone();
    let (model, tier, ctx, geo, speed) =
        (s("model")?, s("service_tier")?, s("context_window")?, s("inference_geo")?, s("speed")?);
    let tokens: Vec<Int64Chunked> =
        TOKEN_COLUMNS.iter().map(|(c, _)| Ok(usage.column(c)?.i64()?.clone())).collect::<Result<_>>()?;
    let web = usage.column("web_search_requests")?.i64()?.clone();
    // Web search: quantity × unit price; the scale-12 mantissa of the price is exact or refused.
    let web_unit = card.unit_price("web_search").and_then(|u| to_mantissa(u.price).ok());

    // Distinct price keys → index into `keys`.
    let mut index: PlHashMap<PriceKey<'_>, u32> = PlHashMap::new();
    let mut keys: Vec<KeyPrice> = Vec::new();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let n = usage.height();
    let mut row_key = Vec::with_capacity(n);
    let rows = start_us.iter().zip(model.iter()).zip(tier.iter()).zip(ctx.iter()).zip(geo.iter()).zip(speed.iter());
    for (i, (((((us, model), tier), ctx), geo), speed)) in rows.enumerate() {
        let us = us.ok_or_else(|| Error::Internal(format!("null bucket_start in row {i} after validation")))?;
        let day = us.div_euclid(86_400_000_000) as i32;
        let id = *index.entry((day, model, tier, ctx, geo, speed)).or_insert_with(|| {
            let date = epoch + chrono::Duration::days(day as i64);
            let model = model.unwrap_or("");
            keys.push(key_price(
                card,
                &PriceQuery { model, day: date, service_tier: tier, context_window: ctx, inference_geo: geo, speed },
            ));
            (keys.len() - 1) as u32
        });
        row_key.push(id);
    }
    let tokens: Vec<&[i64]> = tokens.iter().map(contiguous).collect::<Result<_>>()?;
    let web = contiguous(&web)?;

    // Output rows, row-major. Label columns are indices into small arrays.
    let mut take: Vec<IdxSize> = Vec::new();
    let mut kind: Vec<IdxSize> = Vec::new(); // 0..5 token types, 5 = web search
    let mut quantity: Vec<i64> = Vec::new();
    let mut rate: Vec<Option<i128>> = Vec::new();
    let mut unit: Vec<Option<i128>> = Vec::new();
    let mut expected: Vec<Option<i128>> = Vec::new();
    let mut status_note: Vec<IdxSize> = Vec::new(); // index into (status, note) pairs
    let mut pairs: Vec<(&'static str, Option<String>)> = Vec::new();
    let mut pair_of_key: Vec<IdxSize> = Vec::with_capacity(keys.len());
    for k in &keys {
        pair_of_key.push(pairs.len() as IdxSize);
        pairs.push((k.status, k.note_text()));
    }
    let web_pair = pairs.len() as IdxSize;
    pairs.push(match web_unit {
        Some(_) => (PRICED, None),
        None => (UNPRICED, Some("the rate card has no usable web_search unit price".into())),
    });
    for i in 0..n {
        let key = &keys[row_key[i] as usize];
        for (t, col) in tokens.iter().enumerate() {
            let q = col[i];
            if q == 0 {
                continue;
            }
            take.push(i as IdxSize);
            kind.push(t as IdxSize);
            quantity.push(q);
            let m = key.micros.map(|r| r[t]);
            rate.push(m.map(|r| r * 1_000_000));
            unit.push(None);
            expected.push(m.map(|r| cost_of(q, r)).transpose()?);
            status_note.push(pair_of_key[row_key[i] as usize]);
        }
        let w = web[i];
        if w > 0 {
            take.push(i as IdxSize);
            kind.push(5);
            quantity.push(w);
            rate.push(None);
            unit.push(web_unit);
            expected.push(web_unit.map(|m| units_cost(w, m)).transpose()?);
            status_note.push(web_pair);
        }
    }
    // Gathers are frame-level so Polars runs them column-parallel: on 36M output rows each
    // string column costs about a second single-threaded.
    let idx = IdxCa::from_vec("idx".into(), take);
    let dims: Vec<PlSmallStr> = usage_dimensions().filter(|d| usage.column(d).is_ok()).map(PlSmallStr::from).collect();
    let mut out = usage.select(dims)?.take(&idx)?;
    let kinds = DataFrame::new(
        6,
        vec![
            StringChunked::from_iter_options(
                "cost_type".into(),
                ["tokens"; 5].into_iter().map(Some).chain([Some("web_search")]),
            )
            .into_column(),
            StringChunked::from_iter_options(
                "token_type".into(),
                TokenType::ALL.iter().map(|t| Some(t.api_name())).chain([None]),
            )
            .into_column(),
        ],
    )?;
    out.hstack_mut(kinds.take(&IdxCa::from_vec("kind".into(), kind))?.columns())?;
    out.hstack_mut(&[
        Int64Chunked::from_vec("quantity".into(), quantity).into_column(),
        money("rate_usd_per_mtok", rate)?,
        money("unit_price_usd", unit)?,
        money("expected_usd", expected)?,
    ])?;
    let labels = DataFrame::new(
        pairs.len(),
        vec![
            StringChunked::from_iter_options("price_status".into(), pairs.iter().map(|(s, _)| Some(*s))).into_column(),
            StringChunked::from_iter_options("price_note".into(), pairs.iter().map(|(_, n)| n.as_deref()))
                .into_column(),
        ],
    )?;
    out.hstack_mut(labels.take(&IdxCa::from_vec("sn".into(), status_note))?.columns())?;
    Ok(out)
}
