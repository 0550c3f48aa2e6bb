//! The simulated organization and the fake Admin API that serves it.
//!
//! The only stand-in for Anthropic here: tests, the demo, notebooks and benchmarks all talk to it
//! over real HTTP on loopback. [`Organization`] is seeded and deterministic (the same seed, day
//! range and end date give the same data, day by day) and keeps its ground truth: the usage
//! records it was built from and the cost lines it bills. [`FakeAdminApi`] serves both with the
//! documented behaviour of the real endpoints (`reference/admin-api.md` §14), plus fault knobs.
//! [`CloudBills`] writes the same kind of organization's Claude traffic on AWS Bedrock and Google
//! Vertex as the clouds bill it, with plants of its own.

mod analytics;
mod billing;
mod claude_code;
pub mod cloud;
mod contract;
mod org;
mod org_api;
mod params;
mod people;
mod plants;
mod reports;
mod server;
mod timeline;
mod truth;

pub use billing::CostLine;
pub use cloud::{CloudBills, CloudConfig, CloudInvocation, CloudTruthLine};
pub use contract::{Contract, PriceChange};
pub use org::{OrgConfig, Organization, UsageRecord};
pub use plants::{Plant, Planted, UNKNOWN_MODEL};
pub use server::{FakeAdminApi, Faults, RequestLog};
pub use timeline::Restated;
