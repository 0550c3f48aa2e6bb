//! Cache economics: is prompt caching paying off (DESIGN §10)?
//!
//! Per group: the four input token kinds, the hit rate, what cache writes cost above uncached
//! input (the premium), what cache reads saved below it, and the net. Every figure uses the row's
//! own rates (each model's read multiplier — 0.1×, 0.05× or 0.025× — with batch, geo and fast mode
//! applied), exactly. A group with a row the card cannot price has null money and says how many
//! tokens were unpriced: never a partial saving shown as the whole.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::check_by;
use crate::error::Result;
use crate::frames::UsageFrame;
use crate::frames::aggregate::sum_by_day;
use crate::frames::columns::{money, text};
use crate::money::add;
use crate::pricing::key_price;
use crate::rates::{PriceQuery, RateCard};
use crate::reconcile::contributions::{PRICE_DIMS, date_of};

#[derive(Default)]
struct Acc {
    tokens: [i64; 4],
    premium: i128,
    savings: i128,
    unpriced_tokens: i64,
}

/// The cache economics of `usage`, by `by` (usage dimensions and/or `date`).
pub fn cache_report(usage: &UsageFrame, card: &RateCard, by: &[&str]) -> Result<DataFrame> {
    check_by(by)?;
    let extra: Vec<&str> = by.iter().copied().filter(|b| *b != "date" && !PRICE_DIMS.contains(b)).collect();
    let dims: Vec<&str> = PRICE_DIMS.iter().copied().chain(extra.iter().copied()).collect();
    let mut acc: BTreeMap<Vec<Option<String>>, Acc> = BTreeMap::new();
    for g in sum_by_day(usage, &dims)? {
        let d = |j: usize| g.dims[j].as_deref();
        let key: Vec<Option<String>> = by
            .iter()
            .map(|b| match *b {
                "date" => Some(date_of(g.day).to_string()),
                b => dims.iter().position(|x| *x == b).and_then(|j| d(j).map(str::to_owned)),
            })
            .collect();
        let a = acc.entry(key).or_default();
        // counts: input, 5m write, 1h write, read (TokenType::ALL order without output).
        let [input, w5, w1, read] = [g.counts[0], g.counts[1], g.counts[2], g.counts[3]];
        for (t, n) in a.tokens.iter_mut().zip([input, w5, w1, read]) {
            *t = t.checked_add(n).ok_or_else(|| crate::error::Error::input("a token total is beyond Int64"))?;
        }
        if w5 == 0 && w1 == 0 && read == 0 {
            continue;
        }
        let q = PriceQuery {
            model: d(1).unwrap_or(""),
            day: date_of(g.day),
            service_tier: d(2),
            context_window: d(3),
            inference_geo: d(4),
            speed: d(5),
        };
        match key_price(card, &q).micros {
            None => a.unpriced_tokens += w5 + w1 + read,
            Some(m) => {
                let diff = |n: i64, over: i128| -> Result<i128> {
                    (n as i128).checked_mul(over).ok_or_else(|| crate::error::Error::input("a cache figure overflows"))
                };
                let premium = add(diff(w5, m[1] - m[0])?, diff(w1, m[2] - m[0])?, "a write premium")?;
                a.premium = add(a.premium, premium, "a write premium")?;
                a.savings = add(a.savings, diff(read, m[0] - m[3])?, "a read saving")?;
            }
        }
    }
    let n = acc.len();
    let mut columns: Vec<Column> = Vec::new();
    for (j, b) in by.iter().enumerate() {
        let values: Vec<Option<String>> = acc.keys().map(|k| k[j].clone()).collect();
        if *b == "date" {
            let days = values.iter().map(|v| v.as_deref().and_then(|d| d.parse().ok())).collect();
            columns.push(crate::frames::columns::date("date", days));
        } else {
            columns.push(text(b, values));
        }
    }
    let names = [
        "uncached_input_tokens",
        "cache_creation_5m_input_tokens",
        "cache_creation_1h_input_tokens",
        "cache_read_input_tokens",
    ];
    for (i, name) in names.iter().enumerate() {
        columns.push(Int64Chunked::from_iter_values((*name).into(), acc.values().map(|a| a.tokens[i])).into_column());
    }
    let rate = acc.values().map(|a| {
        let [input, w5, w1, read] = a.tokens;
        let all = input as f64 + w5 as f64 + w1 as f64 + read as f64;
        (all > 0.0).then(|| read as f64 / all) // a ratio, not money: the one float allowed
    });
    columns.push(Float64Chunked::from_iter_options("cache_hit_rate".into(), rate).into_column());
    let priced = |a: &Acc, v: i128| (a.unpriced_tokens == 0).then_some(v);
    columns.push(money("write_premium_usd", acc.values().map(|a| priced(a, a.premium)).collect())?);
    columns.push(money("read_savings_usd", acc.values().map(|a| priced(a, a.savings)).collect())?);
    let net = acc.values().map(|a| priced(a, a.savings - a.premium)).collect();
    columns.push(money("net_savings_usd", net)?);
    columns.push(
        Int64Chunked::from_iter_values("unpriced_tokens".into(), acc.values().map(|a| a.unpriced_tokens)).into_column(),
    );
    Ok(DataFrame::new(n, columns)?)
}
