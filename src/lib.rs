//! counterfoil: check Anthropic's bill line by line.
//!
//! The engine pulls an organization's usage and cost from the Admin API ([`api`]), turns them into
//! Polars frames with exact Decimal money and UTC timestamps ([`frames`]), and serves a simulated
//! organization through a faithful fake Admin API for tests and demos ([`sim`]). The [`cli`] is the
//! `counterfoil` command. Nothing here knows about Python: the `bindings/` crate wraps it.

pub mod api;
pub mod calibrate;
pub mod cli;
pub mod cloud;
pub mod error;
pub mod frames;
pub mod fsio;
pub mod jobs;
pub mod model;
pub mod money;
pub mod notify;
pub mod pricing;
pub mod rates;
pub mod reconcile;
pub mod report;
pub mod runtime;
pub mod sim;
pub mod store;
pub mod typed;
pub mod window;

pub use api::{AdminClient, ApiKey, BaseUrl, BucketWidth, ClientConfig, CostQuery, UsageDimension, UsageQuery};
pub use error::{Error, Result};
pub use window::TimeWindow;
