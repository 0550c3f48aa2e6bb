//! A usage report page decoded straight into the usage frame's columns.
//!
//! Why: decoding into the wire types allocates a `String` per dimension per row (nine per row),
//! frees them again, and then copies every string into the frame: a third of the time of a
//! fetch. Here a page is read once by a serde visitor that appends counts to `i64` columns and
//! interns each dimension value as a code into a small per-page dictionary (a usage report has a
//! few dozen distinct values per dimension), borrowing the string from the body. The dimension
//! columns are then gathered from the dictionaries, so no string is copied per row.
//!
//! The wire types stay the definition of what the API sends. This decoder accepts a subset of
//! what they accept (required fields, types, no duplicates); anything else, including an
//! out-of-range count, falls back to the wire types and `usage_frame`, which either accept it or
//! return their error naming the JSON path. So the two paths cannot disagree about which bodies
//! are valid, and a test checks they build the same frame.

use std::fmt;

use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

mod row;

use row::Row;

use super::client::{Page, decode};
use super::wire::{ReportPage, UsageResult};
use crate::error::Result;
use crate::frames::USAGE_COLUMNS;
use crate::frames::usage::{instants, usage_frame};

/// A page of the usage report: its buckets' bounds, its cursor and its rows as a frame.
#[derive(Debug)]
pub struct UsagePage {
    pub bounds: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub has_more: bool,
    pub next_page: Option<String>,
    pub frame: DataFrame,
}

impl UsagePage {
    /// Decodes one response body of `usage_report/messages`.
    pub fn parse(endpoint: &str, body: &[u8]) -> Result<UsagePage> {
        match UsagePage::columns(body) {
            Ok(p) => Ok(p),
            Err(_) => {
                let wire: ReportPage<UsageResult> = decode(endpoint, body)?;
                let bounds = wire.data.iter().map(|b| (b.starting_at, b.ending_at)).collect();
                let frame = usage_frame(&wire.data)?;
                Ok(UsagePage { bounds, has_more: wire.has_more, next_page: wire.next_page, frame })
            }
        }
    }
}

impl UsagePage {
    /// The column decoder alone: `Err` for any body it leaves to the wire types.
    #[doc(hidden)]
    pub fn columns(body: &[u8]) -> std::result::Result<UsagePage, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let columns = PageSeed(Columns::default()).deserialize(&mut de)?;
        de.end()?;
        columns.finish().map_err(serde::de::Error::custom)
    }
}

impl Page for UsagePage {
    fn decode(endpoint: &str, body: &[u8]) -> Result<Self> {
        UsagePage::parse(endpoint, body)
    }

    fn bounds(&self) -> &[(DateTime<Utc>, DateTime<Utc>)] {
        &self.bounds
    }

    fn cursor(&mut self) -> (bool, Option<String>) {
        (self.has_more, self.next_page.take())
    }
}

const NULL: u32 = u32::MAX;

/// One dimension column: a code per row (`NULL` for null) into `values`.
#[derive(Default)]
struct Dimension {
    codes: Vec<u32>,
    values: Vec<String>,
    index: PlHashMap<String, u32>,
}

impl Dimension {
    /// The code of `v`, added to the dictionary if new.
    fn code_of(&mut self, v: &str) -> u32 {
        // Neighbouring rows often share a value: try the last one before hashing.
        let last = self.codes.last().copied().filter(|&c| c != NULL);
        if let Some(c) = last.filter(|&c| self.values[c as usize] == v) {
            return c;
        }
        match self.index.get(v) {
            Some(&c) => c,
            None => {
                let c = self.values.len() as u32;
                self.values.push(v.to_owned());
                self.index.insert(v.to_owned(), c);
                c
            }
        }
    }

    fn column(self, name: &str) -> Result<Column> {
        let dictionary = StringChunked::from_iter_values(name.into(), self.values.iter().map(String::as_str));
        let idx: IdxCa = self.codes.iter().map(|&c| (c != NULL).then_some(c as IdxSize)).collect();
        Ok(dictionary.take(&idx)?.with_name(name.into()).into_column())
    }
}

/// The columns of one page under construction.
#[derive(Default)]
struct Columns {
    bounds: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    start: Vec<i64>,
    end: Vec<i64>,
    /// The five token counts then web searches, in [`USAGE_COLUMNS`] order.
    counts: [Vec<i64>; 6],
    dims: [Dimension; 9],
    has_more: bool,
    next_page: Option<String>,
}

impl Columns {
    fn finish(self) -> Result<UsagePage> {
        let n = self.start.len();
        let [unc, c5, c1, cr, out, web] = self.counts;
        let [ws, key, model, tier, ctx, geo, speed, account, service_account] = self.dims;
        let int = |i: usize, v: Vec<i64>| Int64Chunked::from_vec(USAGE_COLUMNS[i].into(), v).into_column();
        let columns = vec![
            instants(USAGE_COLUMNS[0], self.start),
            instants(USAGE_COLUMNS[1], self.end),
            ws.column(USAGE_COLUMNS[2])?,
            key.column(USAGE_COLUMNS[3])?,
            model.column(USAGE_COLUMNS[4])?,
            tier.column(USAGE_COLUMNS[5])?,
            ctx.column(USAGE_COLUMNS[6])?,
            geo.column(USAGE_COLUMNS[7])?,
            speed.column(USAGE_COLUMNS[8])?,
            int(9, unc),
            int(10, c5),
            int(11, c1),
            int(12, cr),
            int(13, out),
            int(14, web),
            account.column(USAGE_COLUMNS[15])?,
            service_account.column(USAGE_COLUMNS[16])?,
        ];
        let frame = DataFrame::new(n, columns)?;
        Ok(UsagePage { bounds: self.bounds, has_more: self.has_more, next_page: self.next_page, frame })
    }
}

/// Reads a map key as its index in `names` (`None` for a key to skip), without allocating.
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Option<usize>, E> {
        Ok(self.0.iter().position(|n| *n == v))
    }
}

/// Marks field `i` of `seen` present; a field given twice is an error, as with derived types.
fn once<E: de::Error>(seen: &mut u32, i: usize, names: &[&'static str]) -> std::result::Result<(), E> {
    if *seen & (1 << i) != 0 {
        return Err(E::duplicate_field(names[i]));
    }
    *seen |= 1 << i;
    Ok(())
}

/// Fails unless every field whose bit is in `required` was seen.
fn require<E: de::Error>(seen: u32, required: u32, names: &[&'static str]) -> std::result::Result<(), E> {
    match (0..names.len()).find(|&i| required & (1 << i) != 0 && seen & (1 << i) == 0) {
        Some(i) => Err(E::missing_field(names[i])),
        None => Ok(()),
    }
}

fn count<E: de::Error>(v: u64) -> std::result::Result<i64, E> {
    // Beyond Int64: the wire path reports it with the bucket; this path only steps aside.
    i64::try_from(v).map_err(|_| E::custom("count beyond Int64"))
}

/// `{data, has_more, next_page}`.
struct PageSeed(Columns);
const PAGE: &[&str] = &["data", "has_more", "next_page"];

impl<'de> DeserializeSeed<'de> for PageSeed {
    type Value = Columns;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Columns, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed {
    type Value = Columns;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a usage report page")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> std::result::Result<Columns, A::Error> {
        let mut seen = 0;
        while let Some(key) = map.next_key_seed(Key(PAGE))? {
            let Some(i) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            once(&mut seen, i, PAGE)?;
            match i {
                0 => map.next_value_seed(Buckets(&mut self.0))?,
                1 => self.0.has_more = map.next_value()?,
                _ => self.0.next_page = map.next_value()?,
            }
        }
        require(seen, 0b011, PAGE)?;
        Ok(self.0)
    }
}

/// `data`: the buckets.
struct Buckets<'a>(&'a mut Columns);

impl<'de> DeserializeSeed<'de> for Buckets<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Buckets<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of buckets")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(BucketSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// `{starting_at, ending_at, results}`; the bounds may come after the results.
struct BucketSeed<'a>(&'a mut Columns);
const BUCKET: &[&str] = &["starting_at", "ending_at", "results"];

impl<'de> DeserializeSeed<'de> for BucketSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BucketSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a bucket")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let c = self.0;
        let before = c.counts[0].len();
        let (mut seen, mut start, mut end) = (0, None, None);
        while let Some(key) = map.next_key_seed(Key(BUCKET))? {
            let Some(i) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            once(&mut seen, i, BUCKET)?;
            match i {
                0 => start = Some(map.next_value::<DateTime<Utc>>()?),
                1 => end = Some(map.next_value::<DateTime<Utc>>()?),
                _ => map.next_value_seed(Results(&mut *c))?,
            }
        }
        require(seen, 0b111, BUCKET)?;
        let (start, end) = (start.expect("required"), end.expect("required"));
        let rows = c.counts[0].len() - before;
        c.start.extend(std::iter::repeat_n(start.timestamp_micros(), rows));
        c.end.extend(std::iter::repeat_n(end.timestamp_micros(), rows));
        c.bounds.push((start, end));
        Ok(())
    }
}

/// `results`: the rows of a bucket.
struct Results<'a>(&'a mut Columns);

impl<'de> DeserializeSeed<'de> for Results<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Results<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of results")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(Row(&mut *self.0))?.is_some() {}
        Ok(())
    }
}
