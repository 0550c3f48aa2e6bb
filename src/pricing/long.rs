//! The long priced frame, built in row batches.
//!
//! A usage row becomes about 3.6 long rows (one per token type with tokens, one more with web
//! searches), each about 280 bytes wide: nine label columns as string views, two instants, three
//! exact money columns. Ten million usage rows make ten gigabytes, more than a laptop's notebook
//! holds. So the frame is built by a [`Pricer`] that can price any range of usage rows, and only
//! the columns asked for: the eager `price()` is one range over every row; the Python
//! `price(..., lazy=True)` pulls ranges through a Polars IO source, so a query that selects or
//! aggregates holds one batch at a time. Both run this code, so both give the same rows.
//!
//! Within a range, each distinct price key is looked up in the card once; label columns are
//! gathered with `take` from the usage frame or from tiny arrays, so strings are never copied;
//! money is built as integer mantissas with a validity mask (never `Option<i128>`, twice as wide).

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use polars::prelude::*;

use super::{KeyPrice, PRICED, UNPRICED, cost_of, key_price, units_cost};
use crate::error::{Error, Result};
use crate::frames::CostType;
use crate::frames::UsageFrame;
use crate::frames::columns::MoneyBuilder as Money;
use crate::frames::usage::{TOKEN_COLUMNS, usage_dimensions};
use crate::money::to_mantissa;
use crate::rates::{PriceQuery, RateCard, TokenType};

/// The columns `price` adds after the usage dimensions, in order.
pub const PRICED_COLUMNS: [&str; 8] = [
    "cost_type",
    "token_type",
    "quantity",
    "rate_usd_per_mtok",
    "unit_price_usd",
    "expected_usd",
    "price_status",
    "price_note",
];

/// Usage rows per batch of [`Pricer::price_all`].
const EAGER_BATCH: usize = 1 << 18;

/// (day since epoch, model, service tier, context window, inference geo, speed).
type PriceKey<'a> = (i32, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// A validated usage frame and a card, ready to price any range of rows.
pub struct Pricer {
    /// As it came (chunks and all): each range is made contiguous on its own, so pricing a batch
    /// never copies the whole frame.
    usage: DataFrame,
    card: RateCard,
    /// The scale-12 mantissa of the web search unit price, if the card has a usable one.
    web_unit: Option<i128>,
}

impl Pricer {
    pub fn new(usage: &UsageFrame, card: RateCard) -> Result<Pricer> {
        let web_unit = card.unit_price(CostType::WebSearch.as_str()).and_then(|u| to_mantissa(u.price).ok());
        Ok(Pricer { usage: usage.df().clone(), card, web_unit })
    }

    /// Usage rows (not priced rows).
    pub fn height(&self) -> usize {
        self.usage.height()
    }

    /// The output columns: the usage dimensions, then [`PRICED_COLUMNS`].
    pub fn columns(&self) -> Vec<&'static str> {
        usage_dimensions().filter(|d| self.usage.column(d).is_ok()).chain(PRICED_COLUMNS).collect()
    }

    /// Every priced row: batches of [`EAGER_BATCH`] usage rows priced on every core, stacked in
    /// order (as chunks, not copied). Smaller pieces are also faster than one pass: their
    /// vectors stay in cache and are never regrown.
    pub fn price_all(&self) -> Result<DataFrame> {
        self.price_in_batches(EAGER_BATCH)
    }

    fn price_in_batches(&self, batch: usize) -> Result<DataFrame> {
        let n = self.height();
        let starts: Vec<usize> = (0..n).step_by(batch).collect();
        if starts.len() <= 1 {
            return self.price(0, n, None);
        }
        let next = AtomicUsize::new(0);
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(starts.len());
        let mut parts: Vec<(usize, Result<DataFrame>)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&start) = starts.get(i) else { return done };
                            done.push((i, self.price(start, batch, None)));
                        }
                    })
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().expect("pricing does not panic")).collect()
        });
        parts.sort_by_key(|(i, _)| *i);
        let mut parts = parts.into_iter().map(|(_, p)| p);
        let mut out = parts.next().expect("at least two batches")?;
        for p in parts {
            out.vstack_mut(&p?)?;
        }
        Ok(out)
    }

    /// The priced rows of usage rows `offset..offset + len` (clipped to the frame), with only
    /// `columns` (in that order) when given; an unknown column name is an input error.
    pub fn price(&self, offset: usize, len: usize, columns: Option<&[String]>) -> Result<DataFrame> {
        let all = self.columns();
        if let Some(unknown) = columns.into_iter().flatten().find(|c| !all.contains(&c.as_str())) {
            return Err(Error::input(format!(
                "priced frames have no column {unknown:?}; they have {}",
                all.join(", ")
            )));
        }
        let want = |name: &str| columns.is_none_or(|c| c.iter().any(|x| x == name));
        let mut usage = self.usage.slice(offset.min(self.height()) as i64, len);
        usage.rechunk_mut_par();
        let rows = self.rows(&usage, &want)?;
        let idx = IdxCa::from_vec("idx".into(), rows.take);
        let dims: Vec<PlSmallStr> =
            usage_dimensions().filter(|d| usage.column(d).is_ok() && want(d)).map(PlSmallStr::from).collect();
        // Frame-level gathers, so Polars runs them column-parallel.
        let mut out = usage.select(dims)?.take(&idx)?;
        let kinds = DataFrame::new(
            6,
            vec![
                StringChunked::from_iter_options(
                    "cost_type".into(),
                    [CostType::Tokens.as_str(); 5].into_iter().map(Some).chain([Some(CostType::WebSearch.as_str())]),
                )
                .into_column(),
                StringChunked::from_iter_options(
                    "token_type".into(),
                    TokenType::ALL.iter().map(|t| Some(t.api_name())).chain([None]),
                )
                .into_column(),
            ],
        )?;
        let kind = IdxCa::from_vec("kind".into(), rows.kind);
        out.hstack_mut(
            kinds.select(["cost_type", "token_type"].into_iter().filter(|c| want(c)))?.take(&kind)?.columns(),
        )?;
        if want("quantity") {
            out.hstack_mut(&[Int64Chunked::from_vec("quantity".into(), rows.quantity).into_column()])?;
        }
        for m in [rows.rate, rows.unit, rows.expected].into_iter().flatten() {
            out.hstack_mut(&[m.finish()])?;
        }
        let labels = DataFrame::new(
            rows.pairs.len(),
            vec![
                StringChunked::from_iter_options("price_status".into(), rows.pairs.iter().map(|(s, _)| Some(*s)))
                    .into_column(),
                StringChunked::from_iter_options("price_note".into(), rows.pairs.iter().map(|(_, n)| n.as_deref()))
                    .into_column(),
            ],
        )?;
        let sn = IdxCa::from_vec("sn".into(), rows.status_note);
        out.hstack_mut(
            labels.select(["price_status", "price_note"].into_iter().filter(|c| want(c)))?.take(&sn)?.columns(),
        )?;
        match columns {
            Some(c) => Ok(out.select(c.iter().map(|c| PlSmallStr::from(c.as_str())))?),
            None => Ok(out),
        }
    }

    /// The long rows of `usage` (a slice), row-major: which usage row, which kind, the numbers.
    fn rows(&self, usage: &DataFrame, want: &dyn Fn(&str) -> bool) -> Result<LongRows> {
        let s = |n: &str| -> Result<StringChunked> { Ok(usage.column(n)?.str()?.clone()) };
        let start_us = usage.column("bucket_start")?.as_materialized_series().to_physical_repr().i64()?.clone();
        let (model, tier, ctx, geo, speed) =
            (s("model")?, s("service_tier")?, s("context_window")?, s("inference_geo")?, s("speed")?);
        let tokens: Vec<Int64Chunked> =
            TOKEN_COLUMNS.iter().map(|(c, _)| Ok(usage.column(c)?.i64()?.clone())).collect::<Result<_>>()?;
        let web = usage.column("web_search_requests")?.i64()?.clone();

        // Distinct price keys → index into `keys`.
        let mut index: PlHashMap<PriceKey<'_>, u32> = PlHashMap::new();
        let mut keys: Vec<KeyPrice> = Vec::new();
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        let n = usage.height();
        let mut row_key = Vec::with_capacity(n);
        let it = start_us.iter().zip(model.iter()).zip(tier.iter()).zip(ctx.iter()).zip(geo.iter()).zip(speed.iter());
        for (i, (((((us, model), tier), ctx), geo), speed)) in it.enumerate() {
            let us = us.ok_or_else(|| Error::Internal(format!("null bucket_start in row {i} after validation")))?;
            let day = us.div_euclid(86_400_000_000) as i32;
            let id = *index.entry((day, model, tier, ctx, geo, speed)).or_insert_with(|| {
                let date = epoch + chrono::Duration::days(day as i64);
                let model = model.unwrap_or("");
                let q =
                    PriceQuery { model, day: date, service_tier: tier, context_window: ctx, inference_geo: geo, speed };
                keys.push(key_price(&self.card, &q));
                (keys.len() - 1) as u32
            });
            row_key.push(id);
        }
        let tokens: Vec<&[i64]> = tokens.iter().map(contiguous).collect::<Result<_>>()?;
        let web = contiguous(&web)?;

        let cap = n * 4;
        let money = |name: &'static str| want(name).then(|| Money::new(name, cap));
        let mut out = LongRows {
            take: Vec::with_capacity(cap),
            kind: Vec::with_capacity(cap),
            quantity: Vec::with_capacity(if want("quantity") { cap } else { 0 }),
            rate: money("rate_usd_per_mtok"),
            unit: money("unit_price_usd"),
            expected: money("expected_usd"),
            status_note: Vec::with_capacity(cap),
            pairs: keys.iter().map(|k| (k.status, k.note_text())).collect(),
        };
        let web_pair = out.pairs.len() as IdxSize;
        out.pairs.push(match self.web_unit {
            Some(_) => (PRICED, None),
            None => (UNPRICED, Some("the rate card has no usable web_search unit price".into())),
        });
        let keep_quantity = want("quantity");
        for i in 0..n {
            let k = row_key[i];
            let key = &keys[k as usize];
            for (t, col) in tokens.iter().enumerate() {
                let q = col[i];
                if q == 0 {
                    continue;
                }
                let m = key.micros.map(|r| r[t]);
                let expected = match out.expected {
                    Some(_) => m.map(|r| cost_of(q, r)).transpose()?,
                    None => None,
                };
                out.push(i, t, q, keep_quantity, k as IdxSize)?;
                out.money(m.map(|r| r * 1_000_000), None, expected);
            }
            let w = web[i];
            if w > 0 {
                let expected = match out.expected {
                    Some(_) => self.web_unit.map(|m| units_cost(w, m)).transpose()?,
                    None => None,
                };
                out.push(i, 5, w, keep_quantity, web_pair)?;
                out.money(None, self.web_unit, expected);
            }
        }
        Ok(out)
    }
}

/// The long rows of one range, before they become columns.
struct LongRows {
    /// The usage row (within the range) each long row comes from.
    take: Vec<IdxSize>,
    /// 0..5 the token types of [`TokenType::ALL`], 5 web search.
    kind: Vec<IdxSize>,
    quantity: Vec<i64>,
    rate: Option<Money>,
    unit: Option<Money>,
    expected: Option<Money>,
    /// Index into `pairs`.
    status_note: Vec<IdxSize>,
    /// (price_status, price_note) of each price key, then of web search.
    pairs: Vec<(&'static str, Option<String>)>,
}

impl LongRows {
    fn push(&mut self, row: usize, kind: usize, quantity: i64, keep_quantity: bool, pair: IdxSize) -> Result<()> {
        self.take.push(IdxSize::try_from(row).map_err(|_| Error::input("a usage range beyond 2³² rows"))?);
        self.kind.push(kind as IdxSize);
        if keep_quantity {
            self.quantity.push(quantity);
        }
        self.status_note.push(pair);
        Ok(())
    }

    /// The three money columns of one long row (each only if it is being built).
    fn money(&mut self, rate: Option<i128>, unit: Option<i128>, expected: Option<i128>) {
        for (column, v) in [(&mut self.rate, rate), (&mut self.unit, unit), (&mut self.expected, expected)] {
            if let Some(c) = column {
                c.push(v);
            }
        }
    }
}

fn contiguous(c: &Int64Chunked) -> Result<&[i64]> {
    c.cont_slice().map_err(|e| Error::Internal(format!("counts after validation: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::columns::datetime;

    /// `n` hourly rows from 2026-03-01 over three models (one unknown, one null), counts that
    /// are often zero, some web searches; built in two chunks so ranges cross a chunk boundary.
    fn usage(n: usize) -> UsageFrame {
        let half = |range: std::ops::Range<usize>| {
            let start = 1_772_323_200_000_000i64; // 2026-03-01T00:00:00Z
            let models = [Some("claude-sonnet-4-5"), Some("no-such-model"), None, Some("claude-haiku-4-5")];
            let count = |k: usize| range.clone().map(|i| ((i * 7919 + k * 31) % 5) as i64 * 1_000).collect::<Vec<_>>();
            let mut cols = vec![
                datetime("bucket_start", range.clone().map(|i| Some(start + i as i64 * 3_600_000_000)).collect()),
                Column::new("model".into(), range.clone().map(|i| models[i % 4]).collect::<Vec<_>>()),
                Column::new("service_tier".into(), range.clone().map(|_| Some("standard")).collect::<Vec<_>>()),
                Column::new("context_window".into(), range.clone().map(|_| Some("0-200k")).collect::<Vec<_>>()),
                Column::new("inference_geo".into(), range.clone().map(|_| Some("global")).collect::<Vec<_>>()),
                Column::new("speed".into(), range.clone().map(|_| Some("standard")).collect::<Vec<_>>()),
                Column::new("web_search_requests".into(), range.clone().map(|i| (i % 3) as i64).collect::<Vec<_>>()),
            ];
            for (k, (c, _)) in TOKEN_COLUMNS.iter().enumerate() {
                cols.push(Column::new((*c).into(), count(k)));
            }
            UsageFrame::new(&DataFrame::new(range.len(), cols).unwrap()).unwrap().into_df()
        };
        let mut df = half(0..n / 2);
        df.vstack_mut(&half(n / 2..n)).unwrap();
        assert_eq!(df.column("model").unwrap().n_chunks(), 2);
        UsageFrame::new(&df).unwrap()
    }

    #[test]
    fn batches_on_every_core_are_the_single_pass_in_order() {
        let p = Pricer::new(&usage(1_001), RateCard::bundled()).unwrap();
        let single = p.price(0, p.height(), None).unwrap();
        let statuses = single.column("price_status").unwrap().as_materialized_series().n_unique().unwrap();
        assert_eq!(statuses, 2, "priced and unpriced rows both present");
        assert!(single.height() > 2_000, "{}", single.height());
        for batch in [1, 7, 500, 1_001, 5_000] {
            assert!(p.price_in_batches(batch).unwrap().equals_missing(&single), "batch {batch}");
        }
    }
}
