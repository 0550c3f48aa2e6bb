//! A usage report page decoded straight into the usage frame's columns, and the usage frame
//! fetched that way ([`fetch_usage`]).
//!
//! This lives in frames, not in the client: the client pages and checks completeness through
//! `api::Page` and knows nothing of columns; this decoder is one such `Page`.
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

use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::de::DeserializeSeed;

mod row;
mod visit;

use visit::PageSeed;

use super::usage::{USAGE_DIMENSION_COLUMNS, assemble, usage_frame};
use crate::api::wire::{ReportPage, UsageResult};
use crate::api::{AdminClient, Page, UsageQuery, decode};
use crate::error::Result;

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

/// The usage frame (DESIGN §3) over the query's window: the same rows as
/// `usage_frame(&client.usage_buckets(query))`, decoded straight into columns, one chunk per page.
pub async fn fetch_usage(client: &AdminClient, query: &UsageQuery) -> Result<DataFrame> {
    let pages: Vec<UsagePage> = client.usage_pages(query).await?;
    let mut frames = pages.into_iter().map(|p| p.frame).filter(|f| f.height() > 0);
    let Some(mut out) = frames.next() else { return usage_frame(&[]) };
    for f in frames {
        out.vstack_mut_owned(f)?;
    }
    Ok(out)
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
    index: PlHashMap<Box<[u8]>, u32>,
}

impl Dimension {
    /// The code of a string's raw bytes, added to the dictionary if new. Only a new value is
    /// checked to be text (`visit::text`): a value equal to one in the dictionary is that text.
    fn code_of<E: serde::de::Error>(&mut self, v: &[u8]) -> std::result::Result<u32, E> {
        // Neighbouring rows often share a value: try the last one before hashing.
        let last = self.codes.last().copied().filter(|&c| c != NULL);
        if let Some(c) = last.filter(|&c| self.values[c as usize].as_bytes() == v) {
            return Ok(c);
        }
        match self.index.get(v) {
            Some(&c) => Ok(c),
            None => {
                let c = self.values.len() as u32;
                self.values.push(visit::text(v)?.to_owned());
                self.index.insert(v.into(), c);
                Ok(c)
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
    /// In `COUNT_COLUMNS` order.
    counts: [Vec<i64>; 6],
    /// In [`USAGE_DIMENSION_COLUMNS`] order.
    dims: [Dimension; 9],
    /// The field index of each key position in the last result (see `visit::Key`).
    order: [usize; 16],
    has_more: bool,
    next_page: Option<String>,
}

impl Columns {
    fn finish(self) -> Result<UsagePage> {
        let mut names = USAGE_DIMENSION_COLUMNS.into_iter();
        let dims = self.dims.map(|d| d.column(names.next().expect("one name a dimension")));
        let dims = dims.into_iter().collect::<Result<Vec<_>>>()?.try_into().expect("nine dimensions");
        let frame = assemble(self.start, self.end, dims, self.counts)?;
        Ok(UsagePage { bounds: self.bounds, has_more: self.has_more, next_page: self.next_page, frame })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(model: &str) -> String {
        let row = format!(
            r#"{{"uncached_input_tokens":1,"cache_creation":{{"ephemeral_1h_input_tokens":2,"ephemeral_5m_input_tokens":3}},"cache_read_input_tokens":4,"output_tokens":5,"server_tool_use":{{"web_search_requests":6}},"model":{model}}}"#
        );
        format!(
            r#"{{"data":[{{"starting_at":"2026-09-01T00:00:00Z","ending_at":"2026-09-01T01:00:00Z","results":[{row},{row}]}}],"has_more":false}}"#
        )
    }

    fn model(p: &UsagePage) -> Option<String> {
        p.frame.column("model").unwrap().str().unwrap().get(1).map(str::to_owned)
    }

    #[test]
    fn strings_are_read_unchecked_and_refused_where_the_checked_read_refuses_them() {
        let plain = UsagePage::columns(body(r#""claude-é""#).as_bytes()).unwrap();
        assert_eq!(model(&plain).as_deref(), Some("claude-é"));
        let escaped = UsagePage::columns(body(r#""a\"b\u00e9""#).as_bytes()).unwrap();
        assert_eq!(model(&escaped).as_deref(), Some("a\"bé"), "escapes are read here too");
        assert!(
            UsagePage::columns(body(r#""a\nb""#).as_bytes()).is_err(),
            "an escaped newline is left to the wire types"
        );
        let parsed = UsagePage::parse("usage", body(r#""a\nb""#).as_bytes()).unwrap();
        assert_eq!(model(&parsed).as_deref(), Some("a\nb"), "which read it");
        assert!(UsagePage::parse("usage", body(r#""\ud800""#).as_bytes()).is_err(), "a lone surrogate");
        assert!(UsagePage::columns(body("\"a\tb\"").as_bytes()).is_err(), "a raw tab");
        assert!(UsagePage::parse("usage", body("\"a\tb\"").as_bytes()).is_err(), "refused as serde_json refuses it");
        let mut bad = body(r#""ab""#).into_bytes();
        let at = bad.windows(4).position(|w| w == b"\"ab\"").unwrap();
        bad[at + 1] = 0xff;
        assert!(UsagePage::parse("usage", &bad).is_err(), "not UTF-8");
        let unknown_key = body(r#""m""#).replace(r#""model":"m""#, "\"mod\u{1}el\":\"m\"");
        assert!(UsagePage::columns(unknown_key.as_bytes()).is_err(), "an unknown key with a control character");
    }
}
