//! The usage frame: one row per bucket × group, wide token columns.

use polars::prelude::*;

use super::columns::{concat, int, micros, token_count};
use super::kinds::TokenType;
use crate::api::wire::{Bucket, UsageResult};
use crate::error::{Error, Result};

/// The bucket bounds, the first two columns of the usage frame.
pub const USAGE_BOUNDS: [&str; 2] = ["bucket_start", "bucket_end"];

/// The usage frame's dimensions of the contract (DESIGN §3), in frame order.
pub const USAGE_CONTRACT_DIMENSIONS: [&str; 7] =
    ["workspace_id", "api_key_id", "model", "service_tier", "context_window", "inference_geo", "speed"];

/// The usage frame's extensions, after the contract columns.
pub const USAGE_EXTENSIONS: [&str; 2] = ["account_id", "service_account_id"];

/// Every dimension of the usage frame: the contract's, then the extensions.
pub const USAGE_DIMENSION_COLUMNS: [&str; 9] = concat(&[&USAGE_CONTRACT_DIMENSIONS, &USAGE_EXTENSIONS]);

/// The token columns of the usage frame and the cost report's `token_type` each one bills as.
pub const TOKEN_COLUMNS: [(&str, &str); 5] = {
    let mut out = [("", ""); 5];
    let mut i = 0;
    while i < 5 {
        out[i] = (TokenType::ALL[i].column(), TokenType::ALL[i].api_name());
        i += 1;
    }
    out
};

/// The count columns of the usage frame: the five token counts, then web searches.
pub const COUNT_COLUMNS: [&str; 6] = {
    let mut out = ["web_search_requests"; 6];
    let mut i = 0;
    while i < 5 {
        out[i] = TOKEN_COLUMNS[i].0;
        i += 1;
    }
    out
};

/// The contract's usage columns (DESIGN §3): what a usage frame must have.
pub const USAGE_CONTRACT_COLUMNS: [&str; 15] = concat(&[&USAGE_BOUNDS, &USAGE_CONTRACT_DIMENSIONS, &COUNT_COLUMNS]);

/// The contract columns, then `account_id` and `service_account_id` (extensions).
pub const USAGE_COLUMNS: [&str; 17] = concat(&[&USAGE_CONTRACT_COLUMNS, &USAGE_EXTENSIONS]);

/// The usage columns a reconciliation reads (the day, the price dimensions, the counts; the API
/// key only when lines are split by it): what a store or a LazyFrame is asked for, no more.
pub fn reconcile_columns(by_key: bool) -> Vec<&'static str> {
    USAGE_CONTRACT_COLUMNS.into_iter().filter(|c| by_key || *c != "api_key_id").collect()
}

/// The columns of the usage frame that are not counts (bounds and dimensions), in frame order.
pub fn usage_dimensions() -> impl Iterator<Item = &'static str> {
    USAGE_BOUNDS.into_iter().chain(USAGE_DIMENSION_COLUMNS)
}

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

/// Each dimension's field of a result, in [`USAGE_DIMENSION_COLUMNS`] order: the one place a wire
/// field meets its column.
const DIMENSION_FIELDS: [fn(&UsageResult) -> Option<&str>; 9] = [
    |r| r.workspace_id.as_deref(),
    |r| r.api_key_id.as_deref(),
    |r| r.model.as_deref(),
    |r| r.service_tier.as_deref(),
    |r| r.context_window.as_deref(),
    |r| r.inference_geo.as_deref(),
    |r| r.speed.as_deref(),
    |r| r.account_id.as_deref(),
    |r| r.service_account_id.as_deref(),
];

/// The usage frame from its parts: bucket bounds (µs), the dimension columns in
/// [`USAGE_DIMENSION_COLUMNS`] order, and the counts in [`COUNT_COLUMNS`] order; the one
/// definition of the frame's column order, shared by both builders.
pub(crate) fn assemble(start: Vec<i64>, end: Vec<i64>, dims: [Column; 9], counts: [Vec<i64>; 6]) -> Result<DataFrame> {
    let n = start.len();
    let [start_name, end_name] = USAGE_BOUNDS;
    let mut dims = dims.into_iter();
    let mut columns = vec![instants(start_name, start), instants(end_name, end)];
    columns.extend(dims.by_ref().take(USAGE_CONTRACT_DIMENSIONS.len()));
    columns.extend(COUNT_COLUMNS.into_iter().zip(counts).map(|(name, v)| int(name, v)));
    columns.extend(dims);
    debug_assert!(columns.iter().map(|c| c.name().as_str()).eq(USAGE_COLUMNS));
    Ok(DataFrame::new(n, columns)?)
}

/// Builds the usage frame. Empty buckets contribute no rows; a count beyond Int64 is an
/// `ApiResponse` error (exit 4), never clamped.
pub fn usage_frame(buckets: &[Bucket<UsageResult>]) -> Result<DataFrame> {
    let n: usize = buckets.iter().map(|b| b.results.len()).sum();
    let mut start = Vec::with_capacity(n);
    let mut end = Vec::with_capacity(n);
    let mut counts: [Vec<i64>; 6] = std::array::from_fn(|_| Vec::with_capacity(n));
    for b in buckets {
        let (s, e) = (micros(b.starting_at), micros(b.ending_at));
        for r in &b.results {
            start.push(s);
            end.push(e);
            for ((col, v), name) in counts.iter_mut().zip(counts_of(r)).zip(COUNT_COLUMNS) {
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
    let dims = std::array::from_fn(|k| {
        let name = USAGE_DIMENSION_COLUMNS[k];
        StringChunked::from_iter_options(name.into(), rows().map(DIMENSION_FIELDS[k])).into_column()
    });
    assemble(start, end, dims, counts)
}
