//! The usage frame: one row per bucket × group, wide token columns.

use polars::prelude::*;

use super::columns::{int, micros, token_count};
use crate::api::wire::{Bucket, UsageResult};
use crate::error::{Error, Result};

/// The contract columns, then `account_id` and `service_account_id` (extensions).
pub const USAGE_COLUMNS: [&str; 17] = [
    "bucket_start",
    "bucket_end",
    "workspace_id",
    "api_key_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "speed",
    "uncached_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
    "web_search_requests",
    "account_id",
    "service_account_id",
];

/// The usage columns a reconciliation reads (the day, the price dimensions, the counts; the API
/// key only when lines are split by it): what a store or a LazyFrame is asked for, no more.
pub fn reconcile_columns(by_key: bool) -> Vec<&'static str> {
    USAGE_COLUMNS[..15].iter().copied().filter(|c| by_key || *c != "api_key_id").collect()
}

/// The dimension columns of the usage frame: every column but the counts.
pub fn usage_dimensions() -> impl Iterator<Item = &'static str> {
    USAGE_COLUMNS.into_iter().filter(|c| !c.ends_with("_tokens") && *c != "web_search_requests")
}

/// The token columns of the usage frame and the cost report's `token_type` each one bills as.
pub const TOKEN_COLUMNS: [(&str, &str); 5] = [
    ("uncached_input_tokens", "uncached_input_tokens"),
    ("cache_creation_5m_input_tokens", "cache_creation.ephemeral_5m_input_tokens"),
    ("cache_creation_1h_input_tokens", "cache_creation.ephemeral_1h_input_tokens"),
    ("cache_read_input_tokens", "cache_read_input_tokens"),
    ("output_tokens", "output_tokens"),
];

/// A result's counts in [`USAGE_COLUMNS`] order (five token types, then web searches).
fn counts_of(r: &UsageResult) -> [u64; 6] {
    [
        r.uncached_input_tokens,
        r.cache_creation.ephemeral_5m_input_tokens,
        r.cache_creation.ephemeral_1h_input_tokens,
        r.cache_read_input_tokens,
        r.output_tokens,
        r.server_tool_use.web_search_requests,
    ]
}

pub(crate) fn instants(name: &str, micros: Vec<i64>) -> Column {
    Int64Chunked::from_vec(name.into(), micros).into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)).into_column()
}

/// Builds the usage frame. Empty buckets contribute no rows; a count beyond Int64 is an
/// `ApiResponse` error (exit 4), never clamped.
pub fn usage_frame(buckets: &[Bucket<UsageResult>]) -> Result<DataFrame> {
    let n: usize = buckets.iter().map(|b| b.results.len()).sum();
    let mut start = Vec::with_capacity(n);
    let mut end = Vec::with_capacity(n);
    let mut toks: [Vec<i64>; 6] = std::array::from_fn(|_| Vec::with_capacity(n));
    for b in buckets {
        let (s, e) = (micros(b.starting_at), micros(b.ending_at));
        for r in &b.results {
            start.push(s);
            end.push(e);
            for ((col, v), name) in toks.iter_mut().zip(counts_of(r)).zip(&USAGE_COLUMNS[9..15]) {
                col.push(token_count(v).ok_or_else(|| Error::ApiResponse {
                    endpoint: "usage_report".into(),
                    message: format!(
                        "{name} = {v} in the bucket starting {} is beyond Int64; refusing to clamp it",
                        crate::window::fmt_rfc3339(b.starting_at)
                    ),
                })?);
            }
        }
    }
    // Dimension columns straight from the results, one pass each, without copying a String.
    let rows = || buckets.iter().flat_map(|b| b.results.iter());
    let dim = |name: &str, f: fn(&UsageResult) -> Option<&str>| -> Result<Column> {
        Ok(StringChunked::from_iter_options(name.into(), rows().map(f)).into_column())
    };
    let [unc, c5, c1, cr, out, web] = toks;
    let columns = vec![
        instants(USAGE_COLUMNS[0], start),
        instants(USAGE_COLUMNS[1], end),
        dim(USAGE_COLUMNS[2], |r| r.workspace_id.as_deref())?,
        dim(USAGE_COLUMNS[3], |r| r.api_key_id.as_deref())?,
        dim(USAGE_COLUMNS[4], |r| r.model.as_deref())?,
        dim(USAGE_COLUMNS[5], |r| r.service_tier.as_deref())?,
        dim(USAGE_COLUMNS[6], |r| r.context_window.as_deref())?,
        dim(USAGE_COLUMNS[7], |r| r.inference_geo.as_deref())?,
        dim(USAGE_COLUMNS[8], |r| r.speed.as_deref())?,
        int(USAGE_COLUMNS[9], unc),
        int(USAGE_COLUMNS[10], c5),
        int(USAGE_COLUMNS[11], c1),
        int(USAGE_COLUMNS[12], cr),
        int(USAGE_COLUMNS[13], out),
        int(USAGE_COLUMNS[14], web),
        dim(USAGE_COLUMNS[15], |r| r.account_id.as_deref())?,
        dim(USAGE_COLUMNS[16], |r| r.service_account_id.as_deref())?,
    ];
    Ok(DataFrame::new(n, columns)?)
}
