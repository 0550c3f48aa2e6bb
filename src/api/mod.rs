//! The Admin API client.
//!
//! `client` owns HTTP (auth headers, retries, paging, window splitting); `usage`, `cost` and
//! `organization` are endpoint groups that only build queries; `wire` holds the JSON types.

pub mod analytics;
pub mod analytics_wire;
pub mod claude_code;
pub mod client;
pub mod cost;
pub mod credentials;
pub mod organization;
pub mod retry;
pub mod usage;
pub mod usage_page;
pub mod wire;

pub use analytics::{ANALYTICS_BETA, AnalyticsEndpoint, AnalyticsQuery};
pub use client::{ANTHROPIC_VERSION, AdminClient, ClientConfig, FAST_MODE_BETA};
pub use cost::{CostDimension, CostQuery};
pub use credentials::{ApiKey, BaseUrl};
pub use retry::RetryPolicy;

/// The legacy endpoints, as errors about their data name them.
pub const USAGE_REPORT: &str = "usage_report/messages";
pub const COST_REPORT: &str = "cost_report";
pub use usage::{BucketWidth, UsageDimension, UsageFilters, UsageQuery};
