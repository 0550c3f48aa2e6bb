//! `GET /v1/organizations/analytics/usage` and `…/analytics/cost` (beta, DESIGN §11): queries,
//! the API's window rules, and the row-cursor fetch.
//!
//! The rules are checked before any request: the window may not start before 2026-01-01 or more
//! than 365 days ago, and must be whole hours (whole buckets when bucketed). A window longer than
//! one request's 31 days is split into allowed requests; without a time bucket the rows of the
//! pieces are summed back per group by the frame builder.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::analytics_wire::{AnalyticsPage, AnalyticsRow};
use super::client::AdminClient;
use super::usage::BucketWidth;
use crate::error::{Error, Result};
use crate::window::{TimeWindow, fmt_rfc3339};

pub const ANALYTICS_USAGE_PATH: &str = "/v1/organizations/analytics/usage";
pub const ANALYTICS_COST_PATH: &str = "/v1/organizations/analytics/cost";
/// Sent on every analytics request.
pub const ANALYTICS_BETA: &str = "analytics-usage-cost-2026-08-24";
/// The longest span one request covers.
pub const MAX_REQUEST_DAYS: i64 = 31;

/// The `group_by[]` values both endpoints accept (the cost endpoint adds cost and token type).
pub const USAGE_GROUPS: [&str; 19] = [
    "actor",
    "actor_type",
    "agent_id",
    "api_key_id",
    "claude_tag_category",
    "claude_tag_user_id",
    "context_window",
    "deployment_id",
    "environment_id",
    "inference_geo",
    "model",
    "product",
    "rbac_group_id",
    "service_tier",
    "session_id",
    "slack_channel_id",
    "speed",
    "user_profile_id",
    "workspace_id",
];
pub const COST_ONLY_GROUPS: [&str; 2] = ["cost_type", "token_type"];

/// The array filters (without `[]`); cost adds `cost_types`, `token_types`.
pub const FILTERS: [&str; 19] = [
    "actor_ids",
    "actor_types",
    "agent_ids",
    "api_key_ids",
    "claude_tag_categories",
    "claude_tag_user_ids",
    "context_windows",
    "deployment_ids",
    "environment_ids",
    "inference_geos",
    "models",
    "products",
    "rbac_group_ids",
    "service_tiers",
    "session_ids",
    "slack_channel_ids",
    "speeds",
    "user_profile_ids",
    "workspace_ids",
];
pub const COST_ONLY_FILTERS: [&str; 2] = ["cost_types", "token_types"];

/// Which endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyticsEndpoint {
    Usage,
    Cost,
}

impl AnalyticsEndpoint {
    pub fn path(self) -> &'static str {
        match self {
            AnalyticsEndpoint::Usage => ANALYTICS_USAGE_PATH,
            AnalyticsEndpoint::Cost => ANALYTICS_COST_PATH,
        }
    }

    fn groups(self) -> Vec<&'static str> {
        let extra: &[&str] = if self == AnalyticsEndpoint::Cost { &COST_ONLY_GROUPS } else { &[] };
        USAGE_GROUPS.iter().chain(extra).copied().collect()
    }

    fn filters(self) -> Vec<&'static str> {
        let extra: &[&str] = if self == AnalyticsEndpoint::Cost { &COST_ONLY_FILTERS } else { &[] };
        FILTERS.iter().chain(extra).copied().collect()
    }
}

/// An analytics request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsQuery {
    pub endpoint: AnalyticsEndpoint,
    pub window: TimeWindow,
    /// `None`: no time split (one row per group over the window).
    pub bucket_width: Option<BucketWidth>,
    pub group_by: Vec<String>,
    /// Filter name (without `[]`) → values.
    pub filters: BTreeMap<String, Vec<String>>,
    pub exclude_deleted_users: bool,
}

/// The earliest instant the analytics API serves.
pub fn earliest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("date").and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

impl AnalyticsQuery {
    pub fn new(endpoint: AnalyticsEndpoint, window: TimeWindow) -> AnalyticsQuery {
        AnalyticsQuery {
            endpoint,
            window,
            bucket_width: None,
            group_by: Vec::new(),
            filters: BTreeMap::new(),
            exclude_deleted_users: false,
        }
    }

    /// The API's rules, before any request (exit 2 with a hint when broken).
    pub fn check(&self, now: DateTime<Utc>) -> Result<()> {
        let w = self.window;
        if w.start < earliest() {
            return Err(Error::input_hint(
                format!("the analytics API has no data before 2026-01-01; --start is {}", fmt_rfc3339(w.start)),
                "use the legacy endpoints (--source legacy) for earlier days",
            ));
        }
        if w.start < now - Duration::days(365) {
            return Err(Error::input_hint(
                format!("the analytics API serves at most 365 days back; --start {} is older", fmt_rfc3339(w.start)),
                "use the legacy endpoints (--source legacy), or a store synced earlier, for older days",
            ));
        }
        match self.bucket_width {
            Some(width) => width.check_aligned(&w)?,
            None => BucketWidth::Hour.check_aligned(&w)?,
        }
        let known = self.endpoint.groups();
        for g in &self.group_by {
            if !known.contains(&g.as_str()) {
                return Err(Error::input_hint(
                    format!(
                        "the analytics {} endpoint cannot group by {g:?}",
                        if self.endpoint == AnalyticsEndpoint::Cost { "cost" } else { "usage" }
                    ),
                    format!("choose among {}", known.join(", ")),
                ));
            }
        }
        let filters = self.endpoint.filters();
        for f in self.filters.keys() {
            if !filters.contains(&f.as_str()) {
                return Err(Error::input_hint(
                    format!("unknown analytics filter {f:?}"),
                    format!("choose among {}", filters.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The pieces of the window, at most 31 days each (whole buckets).
    pub fn pieces(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut out = Vec::new();
        let mut s = self.window.start;
        while s < self.window.end {
            let e = (s + Duration::days(MAX_REQUEST_DAYS)).min(self.window.end);
            out.push((s, e));
            s = e;
        }
        out
    }

    fn to_query(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(String, String)> {
        let mut q = vec![("starting_at".to_owned(), fmt_rfc3339(start)), ("ending_at".to_owned(), fmt_rfc3339(end))];
        if let Some(w) = self.bucket_width {
            q.push(("time_bucket_width".to_owned(), w.as_str().to_owned()));
        }
        let mut groups = self.group_by.clone();
        groups.sort();
        groups.dedup();
        q.extend(groups.into_iter().map(|g| ("group_by[]".to_owned(), g)));
        for (name, values) in &self.filters {
            q.extend(values.iter().map(|v| (format!("{name}[]"), v.clone())));
        }
        if self.exclude_deleted_users {
            q.push(("exclude_deleted_users".to_owned(), "true".to_owned()));
        }
        q
    }
}

impl AdminClient {
    /// Every row of an analytics query, all pieces and pages, checked to lie in the window.
    pub async fn analytics_rows(&self, query: &AnalyticsQuery) -> Result<Vec<AnalyticsRow>> {
        query.check(self.config().now())?;
        let path = query.endpoint.path();
        let fail = |message: String| Error::ApiResponse { endpoint: path.into(), message };
        let mut out = Vec::new();
        for (start, end) in query.pieces() {
            self.progress_len(1);
            let base = query.to_query(start, end);
            let mut seen = HashSet::new();
            let mut page: Option<String> = None;
            loop {
                let mut q = base.clone();
                if let Some(p) = &page {
                    q.push(("page".into(), p.clone()));
                }
                let p: AnalyticsPage = self.get_json(path, &q, &[super::analytics::ANALYTICS_BETA]).await?;
                self.progress_inc();
                for row in &p.data {
                    let (s, e) = (row.starting_at.unwrap_or(start), row.ending_at.unwrap_or(end));
                    if s < start || e > end || e <= s {
                        return Err(fail(format!(
                            "a row for {}..{} lies outside the requested {}..{}",
                            fmt_rfc3339(s),
                            fmt_rfc3339(e),
                            fmt_rfc3339(start),
                            fmt_rfc3339(end)
                        )));
                    }
                    if let Some(w) = query.bucket_width
                        && (e - s != w.duration() || (s - start).num_seconds() % w.duration().num_seconds() != 0)
                    {
                        return Err(fail(format!(
                            "a row for {}..{} is not one {} bucket",
                            fmt_rfc3339(s),
                            fmt_rfc3339(e),
                            w.as_str()
                        )));
                    }
                }
                let n = p.data.len();
                out.extend(p.data);
                let Some(next) = super::paging::next_cursor(path, p.has_more, p.next_page, n, &mut seen)? else {
                    break;
                };
                self.progress_len(1);
                page = Some(next);
            }
        }
        Ok(out)
    }
}
