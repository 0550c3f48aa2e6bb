//! The Admin API client.
//!
//! `client` owns a request (auth headers, retries, deadlines), `paging` the report paging loop
//! and window splitting, `page` the decoding of a page; `usage`, `cost`, `organization`,
//! `analytics` and `claude_code` are endpoint groups that only build queries; `wire` holds the
//! JSON types. The client returns wire types, or pages decoded by a [`Page`] the caller names:
//! it knows nothing of frames.

pub mod analytics;
pub mod analytics_wire;
pub mod claude_code;
pub mod client;
pub mod config;
pub mod cost;
pub mod credentials;
pub mod organization;
pub mod page;
pub mod paging;
pub mod retry;
pub mod usage;
pub mod wire;

pub use analytics::{ANALYTICS_BETA, AnalyticsEndpoint, AnalyticsQuery};
pub use client::{ANTHROPIC_VERSION, AdminClient, FAST_MODE_BETA};
pub use config::ClientConfig;
pub use cost::{CostDimension, CostQuery};
pub use credentials::{ApiKey, BaseUrl};
pub use page::{Page, WirePage, decode};
pub use retry::RetryPolicy;

/// The legacy endpoints, as errors about their data name them.
pub const USAGE_REPORT: &str = "usage_report/messages";
pub const COST_REPORT: &str = "cost_report";
pub use usage::{BucketWidth, UsageDimension, UsageFilters, UsageQuery};
