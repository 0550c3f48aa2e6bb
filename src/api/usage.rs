//! `GET /v1/organizations/usage_report/messages`: the query and the fetch.
//!
//! The query knows every `group_by[]` value, filter and bucket width of the reference (§4.1) and
//! serialises arrays with repeated bracketed keys. Filter values stay strings: the server validates
//! them, and a value the API adds tomorrow must not be refused here.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

use super::client::{AdminClient, FAST_MODE_BETA};
use super::page::{Page, WirePage};
use super::wire::{Bucket, UsageResult};
use crate::error::{Error, Result};
use crate::window::{TimeWindow, fmt_rfc3339};

/// Path of the messages usage report.
pub const USAGE_PATH: &str = "/v1/organizations/usage_report/messages";

/// `bucket_width`: `1m`, `1h` or `1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketWidth {
    Minute,
    Hour,
    Day,
}

impl BucketWidth {
    pub const ALL: [BucketWidth; 3] = [BucketWidth::Minute, BucketWidth::Hour, BucketWidth::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            BucketWidth::Minute => "1m",
            BucketWidth::Hour => "1h",
            BucketWidth::Day => "1d",
        }
    }

    pub fn duration(self) -> Duration {
        match self {
            BucketWidth::Minute => Duration::minutes(1),
            BucketWidth::Hour => Duration::hours(1),
            BucketWidth::Day => Duration::days(1),
        }
    }

    /// Buckets per page: (default, maximum), from the reference's limits table.
    pub fn limits(self) -> (u32, u32) {
        match self {
            BucketWidth::Minute => (60, 1440),
            BucketWidth::Hour => (24, 168),
            BucketWidth::Day => (7, 31),
        }
    }
}

impl BucketWidth {
    /// Refuses a window whose edges are not on this width's bucket boundaries.
    pub fn check_aligned(self, window: &crate::window::TimeWindow) -> crate::error::Result<()> {
        window.check_aligned(self.duration(), self.as_str())
    }
}

impl fmt::Display for BucketWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BucketWidth {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        BucketWidth::ALL
            .into_iter()
            .find(|w| w.as_str() == s)
            .ok_or_else(|| Error::input_hint(format!("invalid bucket width {s:?}"), "use 1m, 1h or 1d"))
    }
}

/// A `group_by[]` value of the usage report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsageDimension {
    ApiKeyId,
    WorkspaceId,
    Model,
    ServiceTier,
    ContextWindow,
    InferenceGeo,
    Speed,
    AccountId,
    ServiceAccountId,
}

impl UsageDimension {
    pub const ALL: [UsageDimension; 9] = [
        UsageDimension::ApiKeyId,
        UsageDimension::WorkspaceId,
        UsageDimension::Model,
        UsageDimension::ServiceTier,
        UsageDimension::ContextWindow,
        UsageDimension::InferenceGeo,
        UsageDimension::Speed,
        UsageDimension::AccountId,
        UsageDimension::ServiceAccountId,
    ];

    /// Every dimension a price or a reconciliation line depends on. `speed` sends the fast-mode
    /// beta header; without it fast-mode usage could not be priced (it would be `unpriced`).
    pub const PRICE: [UsageDimension; 6] = [
        UsageDimension::WorkspaceId,
        UsageDimension::Model,
        UsageDimension::ServiceTier,
        UsageDimension::ContextWindow,
        UsageDimension::InferenceGeo,
        UsageDimension::Speed,
    ];

    /// What `usage()` groups by when the caller does not say, in Python and on the CLI alike:
    /// every price dimension, plus the API key (for attribution).
    pub const DEFAULT: [UsageDimension; 7] = [
        UsageDimension::WorkspaceId,
        UsageDimension::ApiKeyId,
        UsageDimension::Model,
        UsageDimension::ServiceTier,
        UsageDimension::ContextWindow,
        UsageDimension::InferenceGeo,
        UsageDimension::Speed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UsageDimension::ApiKeyId => "api_key_id",
            UsageDimension::WorkspaceId => "workspace_id",
            UsageDimension::Model => "model",
            UsageDimension::ServiceTier => "service_tier",
            UsageDimension::ContextWindow => "context_window",
            UsageDimension::InferenceGeo => "inference_geo",
            UsageDimension::Speed => "speed",
            UsageDimension::AccountId => "account_id",
            UsageDimension::ServiceAccountId => "service_account_id",
        }
    }
}

impl FromStr for UsageDimension {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        UsageDimension::ALL.into_iter().find(|d| d.as_str() == s.trim()).ok_or_else(|| {
            let all: Vec<_> = UsageDimension::ALL.iter().map(|d| d.as_str()).collect();
            Error::input_hint(format!("unknown usage dimension {s:?}"), format!("choose from {}", all.join(", ")))
        })
    }
}

/// The filters of the usage report; empty means no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageFilters {
    pub api_key_ids: Vec<String>,
    pub workspace_ids: Vec<String>,
    pub account_ids: Vec<String>,
    pub service_account_ids: Vec<String>,
    pub models: Vec<String>,
    pub service_tiers: Vec<String>,
    /// Sent as `context_window[]` (singular, as the API spells it).
    pub context_windows: Vec<String>,
    pub inference_geos: Vec<String>,
    pub speeds: Vec<String>,
}

impl UsageFilters {
    fn pairs(&self) -> Vec<(&'static str, &Vec<String>)> {
        vec![
            ("api_key_ids[]", &self.api_key_ids),
            ("workspace_ids[]", &self.workspace_ids),
            ("account_ids[]", &self.account_ids),
            ("service_account_ids[]", &self.service_account_ids),
            ("models[]", &self.models),
            ("service_tiers[]", &self.service_tiers),
            ("context_window[]", &self.context_windows),
            ("inference_geos[]", &self.inference_geos),
            ("speeds[]", &self.speeds),
        ]
    }
}

/// A usage report request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    pub window: TimeWindow,
    pub bucket_width: BucketWidth,
    pub group_by: Vec<UsageDimension>,
    pub filters: UsageFilters,
}

impl UsageQuery {
    pub fn new(window: TimeWindow, bucket_width: BucketWidth) -> Self {
        UsageQuery {
            window,
            bucket_width,
            group_by: UsageDimension::DEFAULT.to_vec(),
            filters: UsageFilters::default(),
        }
    }

    /// Whether the fast-mode beta header must be sent.
    pub fn needs_fast_mode_beta(&self) -> bool {
        self.group_by.contains(&UsageDimension::Speed) || !self.filters.speeds.is_empty()
    }

    /// The query string for one window, without `page`.
    pub fn to_query(&self, start: DateTime<Utc>, end: DateTime<Utc>, limit: u32) -> Vec<(String, String)> {
        let mut q = vec![
            ("starting_at".to_owned(), fmt_rfc3339(start)),
            ("ending_at".to_owned(), fmt_rfc3339(end)),
            ("bucket_width".to_owned(), self.bucket_width.as_str().to_owned()),
            ("limit".to_owned(), limit.to_string()),
        ];
        let mut dims = self.group_by.clone();
        dims.sort();
        dims.dedup();
        q.extend(dims.iter().map(|d| ("group_by[]".to_owned(), d.as_str().to_owned())));
        for (key, values) in self.filters.pairs() {
            q.extend(values.iter().map(|v| (key.to_owned(), v.clone())));
        }
        q
    }
}

impl AdminClient {
    /// The usage report's pages over the query's window, in order, checked complete, each decoded
    /// by `P`: wire types ([`WirePage`]) or a caller's own decoder (the usage frame's column decoder,
    /// `frames::usage_decode`).
    pub async fn usage_pages<P: Page>(&self, query: &UsageQuery) -> Result<Vec<P>> {
        query.bucket_width.check_aligned(&query.window)?;
        let (_, max) = query.bucket_width.limits();
        let step = query.bucket_width.duration();
        let betas: &[&str] = if query.needs_fast_mode_beta() { &[FAST_MODE_BETA] } else { &[] };
        self.windowed_report(USAGE_PATH, query.window, step, max, |s, e| query.to_query(s, e, max), betas).await
    }

    /// Every bucket of the usage report over the query's window, in order, as wire types.
    pub async fn usage_buckets(&self, query: &UsageQuery) -> Result<Vec<Bucket<UsageResult>>> {
        Ok(WirePage::buckets(self.usage_pages(query).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_use_repeated_bracketed_keys() {
        let w = TimeWindow::parse("2026-09-01", "2026-09-03").unwrap();
        let mut q = UsageQuery::new(w, BucketWidth::Day);
        q.group_by = vec![UsageDimension::Model, UsageDimension::WorkspaceId];
        q.filters.context_windows = vec!["200k-1M".into()];
        q.filters.models = vec!["a".into(), "b".into()];
        let s = q.to_query(w.start, w.end, 31);
        assert!(s.contains(&("group_by[]".into(), "model".into())));
        assert!(s.contains(&("group_by[]".into(), "workspace_id".into())));
        assert!(s.contains(&("context_window[]".into(), "200k-1M".into())));
        assert_eq!(s.iter().filter(|(k, _)| k == "models[]").count(), 2);
        assert!(!q.needs_fast_mode_beta());
        q.filters.speeds = vec!["fast".into()];
        assert!(q.needs_fast_mode_beta());
    }

    #[test]
    fn unknown_dimension_is_an_input_error() {
        let e = "modle".parse::<UsageDimension>().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint().unwrap().contains("service_tier"));
    }
}
