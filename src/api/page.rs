//! A decoded page of a bucketed report, and the one JSON decoder of response bodies.
//!
//! The paging loop and the completeness check (`paging`) see a page only through [`Page`]:
//! its bucket bounds and its cursor. Endpoint groups decode into wire types ([`WirePage`]); a
//! layer above may decode the same bodies into something faster (the usage frame's column
//! decoder in `frames::usage_decode`) without the client knowing what it builds.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::wire::{Bucket, ReportPage};
use crate::error::{Error, Result};

/// A decoded page of a bucketed report: wire types ([`WirePage`]) or whatever a caller decodes a
/// body into. The paging loop and the completeness check only need this.
pub trait Page: Sized {
    fn decode(endpoint: &str, body: &[u8]) -> Result<Self>;
    /// `[starting_at, ending_at)` of each bucket, in the order they arrived.
    fn bounds(&self) -> &[(DateTime<Utc>, DateTime<Utc>)];
    /// `has_more` and `next_page`.
    fn cursor(&mut self) -> (bool, Option<String>);
}

/// A page of wire types with its bucket bounds.
pub struct WirePage<R> {
    page: ReportPage<R>,
    bounds: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl<R> WirePage<R> {
    /// The buckets of pages, in order.
    pub fn buckets(pages: Vec<WirePage<R>>) -> Vec<Bucket<R>> {
        pages.into_iter().flat_map(|p| p.page.data).collect()
    }
}

impl<R: DeserializeOwned> Page for WirePage<R> {
    fn decode(endpoint: &str, body: &[u8]) -> Result<Self> {
        let page: ReportPage<R> = decode(endpoint, body)?;
        let bounds = page.data.iter().map(|b| (b.starting_at, b.ending_at)).collect();
        Ok(WirePage { page, bounds })
    }

    fn bounds(&self) -> &[(DateTime<Utc>, DateTime<Utc>)] {
        &self.bounds
    }

    fn cursor(&mut self) -> (bool, Option<String>) {
        (self.page.has_more, self.page.next_page.take())
    }
}

/// Decodes a response body; a failure names the JSON path (`data[3].results[0].model`).
///
/// Path tracking halves decode throughput, so bodies are decoded plainly and only a body that
/// fails is decoded again with `serde_path_to_error` to say where.
pub fn decode<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|plain| {
        let de = &mut serde_json::Deserializer::from_slice(body);
        let message = match serde_path_to_error::deserialize::<_, T>(de) {
            Err(e) => format!("at `{}`: {}", e.path(), e.inner()),
            Ok(_) => plain.to_string(),
        };
        Error::ApiResponse { endpoint: endpoint.to_owned(), message }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::UsageResult;

    #[test]
    fn decode_errors_name_the_json_path() {
        let body = br#"{"data":[{"starting_at":"2026-09-01T00:00:00Z","ending_at":"2026-09-02T00:00:00Z",
            "results":[{"uncached_input_tokens":"many","cache_read_input_tokens":0,"output_tokens":0}]}],"has_more":false}"#;
        let e = decode::<ReportPage<UsageResult>>("usage", body).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("data[0].results[0].uncached_input_tokens"), "{msg}");
        assert_eq!(e.exit_code(), 4);
    }
}
