//! Frames: the column contract of DESIGN §3, the builders from wire types (and the usage
//! report's column decoder), and the one validation step every frame passes on the way in.
//!
//! Every timestamp is `Datetime(us, UTC)`, every amount `Decimal(38, 12)` in USD, every token
//! count `Int64`. The column lists below are the contract; builders in `usage`, `cost` and
//! `labels` produce exactly these, in this order, even for an empty result. [`UsageFrame`] and
//! [`CostFrame`] are the only way into pricing, reconciliation and the cost model.

pub mod aggregate;
pub mod analytics;
pub mod claude_code;
mod codes;
pub mod columns;
pub mod cost;
pub mod kinds;
pub mod labels;
pub mod normalize;
pub mod required;
mod sums;
pub mod usage;
pub mod usage_decode;
mod validate;

pub use cost::{COST_COLUMNS, cost_frame};
pub use kinds::{CostType, TokenType};
pub use labels::{api_keys_frame, workspace_names, workspaces_frame};
pub use normalize::{ANALYTICS_COST_COLUMNS, AnalyticsCostFrame, CostFrame, UsageFrame};
pub use required::{FrameKind, check_columns};
pub use usage::{COUNT_COLUMNS, TOKEN_COLUMNS, USAGE_COLUMNS, USAGE_CONTRACT_COLUMNS, usage_frame};
pub use usage_decode::{UsagePage, fetch_usage};
