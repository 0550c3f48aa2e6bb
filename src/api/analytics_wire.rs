//! Wire types of the Usage and Cost Analytics API (beta) and the Claude Code report.
//!
//! Much of the analytics row schema is unconfirmed (`reference/analytics-api.md`): the name of the
//! request count, the usage metric keys, enum values. So rows are read as plain JSON maps and
//! interpreted in `frames::analytics`, which accepts the plausible spellings, keeps unknown
//! fields, and refuses a row whose numbers it cannot find rather than guessing them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page of analytics rows: `{data, has_more, next_page}` (the legacy cursor shape).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct AnalyticsPage {
    pub data: Vec<AnalyticsRow>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_page: Option<String>,
}

/// One row: the group's dimension values and its metrics (`usage` or `cost`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct AnalyticsRow {
    #[serde(default)]
    pub starting_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ending_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub group: Map<String, Value>,
    #[serde(default)]
    pub usage: Option<Map<String, Value>>,
    #[serde(default)]
    pub cost: Option<Map<String, Value>>,
}

/// A page of the Claude Code report.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ClaudeCodePage {
    pub data: Vec<ClaudeCodeRecord>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_page: Option<String>,
}

/// One actor's day of Claude Code (`reference/admin-api.md` §6).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ClaudeCodeRecord {
    /// An RFC 3339 timestamp, despite the name.
    pub date: DateTime<Utc>,
    pub actor: Map<String, Value>,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub customer_type: Option<String>,
    #[serde(default)]
    pub subscription_type: Option<String>,
    #[serde(default)]
    pub terminal_type: Option<String>,
    pub core_metrics: CoreMetrics,
    #[serde(default)]
    pub tool_actions: Map<String, Value>,
    #[serde(default)]
    pub model_breakdown: Vec<ModelBreakdown>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct CoreMetrics {
    pub num_sessions: u64,
    pub lines_of_code: LinesOfCode,
    pub commits_by_claude_code: u64,
    pub pull_requests_by_claude_code: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct LinesOfCode {
    pub added: u64,
    pub removed: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelBreakdown {
    pub model: String,
    pub tokens: Map<String, Value>,
    pub estimated_cost: EstimatedCost,
}

/// `estimated_cost`: a JSON **number** in cents (unlike cost_report's strings); read exactly from
/// its decimal text, never through a float.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EstimatedCost {
    pub amount: Box<serde_json::value::RawValue>,
    #[serde(default)]
    pub currency: Option<String>,
}
