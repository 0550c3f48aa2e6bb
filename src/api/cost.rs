//! `GET /v1/organizations/cost_report`: daily buckets, grouped by workspace and/or description.
//!
//! Reconciliation always groups by both, because only description grouping fills the structured
//! fields (`cost_type`, `model`, `token_type`, …) that lines are matched on.

use std::str::FromStr;

use super::client::AdminClient;
use super::page::WirePage;
use super::usage::BucketWidth;
use super::wire::{Bucket, CostResult};
use crate::error::{Error, Result};
use crate::window::{TimeWindow, fmt_rfc3339};

/// Path of the cost report.
pub const COST_PATH: &str = "/v1/organizations/cost_report";
/// Buckets per page: default 7, maximum 31.
pub const COST_PAGE_LIMIT: u32 = 31;

/// A `group_by[]` value of the cost report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CostDimension {
    WorkspaceId,
    Description,
}

impl CostDimension {
    pub const ALL: [CostDimension; 2] = [CostDimension::WorkspaceId, CostDimension::Description];

    pub fn as_str(self) -> &'static str {
        match self {
            CostDimension::WorkspaceId => "workspace_id",
            CostDimension::Description => "description",
        }
    }
}

impl FromStr for CostDimension {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        CostDimension::ALL.into_iter().find(|d| d.as_str() == s.trim()).ok_or_else(|| {
            Error::input_hint(
                format!("unknown cost dimension {s:?}"),
                "cost_report groups only by workspace_id and description",
            )
        })
    }
}

/// A cost report request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostQuery {
    pub window: TimeWindow,
    pub group_by: Vec<CostDimension>,
}

impl CostQuery {
    /// Grouped by workspace and description, as reconciliation needs.
    pub fn new(window: TimeWindow) -> Self {
        CostQuery { window, group_by: CostDimension::ALL.to_vec() }
    }

    fn to_query(
        &self,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) -> Vec<(String, String)> {
        let mut q = vec![
            ("starting_at".to_owned(), fmt_rfc3339(start)),
            ("ending_at".to_owned(), fmt_rfc3339(end)),
            ("bucket_width".to_owned(), "1d".to_owned()),
            ("limit".to_owned(), COST_PAGE_LIMIT.to_string()),
        ];
        let mut dims = self.group_by.clone();
        dims.sort();
        dims.dedup();
        q.extend(dims.iter().map(|d| ("group_by[]".to_owned(), d.as_str().to_owned())));
        q
    }
}

impl AdminClient {
    /// Every daily bucket of the cost report over the window, in order.
    pub async fn cost_buckets(&self, query: &CostQuery) -> Result<Vec<Bucket<CostResult>>> {
        BucketWidth::Day.check_aligned(&query.window)?;
        let day = BucketWidth::Day.duration();
        let pages: Vec<WirePage<CostResult>> = self
            .windowed_report(COST_PATH, query.window, day, COST_PAGE_LIMIT, |s, e| query.to_query(s, e), &[])
            .await?;
        Ok(WirePage::buckets(pages))
    }
}
