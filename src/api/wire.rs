//! Wire types: the Admin API's JSON, exactly.
//!
//! These mirror the documented response bodies field for field (see
//! `reference/admin-api.md` §4–7) and nothing else: the frame logic lives a layer up, in `frames/`.
//! Enumerations the API may grow (service tiers, cost types, geos…) are kept as plain strings so
//! that a new value never fails a parse, and unknown fields are ignored, never rejected.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A report page: `{data, has_more, next_page}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ReportPage<R> {
    pub data: Vec<Bucket<R>>,
    pub has_more: bool,
    /// Opaque; null (or absent) at the end.
    #[serde(default)]
    pub next_page: Option<String>,
}

/// One time bucket, `[starting_at, ending_at)`, with its (possibly empty) results.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Bucket<R> {
    pub starting_at: DateTime<Utc>,
    pub ending_at: DateTime<Utc>,
    pub results: Vec<R>,
}

/// One row of `usage_report/messages`. The counts and their objects are always present in the
/// documented schema: a missing one is a decode error, never a zero.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct UsageResult {
    pub uncached_input_tokens: u64,
    pub cache_creation: CacheCreation,
    pub cache_read_input_tokens: u64,
    pub output_tokens: u64,
    pub server_tool_use: ServerToolUse,
    #[serde(default)]
    pub api_key_id: Option<String>,
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub service_tier: Option<String>,
    #[serde(default)]
    pub context_window: Option<String>,
    #[serde(default)]
    pub inference_geo: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub service_account_id: Option<String>,
    /// Listed Feb–Apr 2026 only, with the fast-mode beta header; tolerated either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<String>,
}

/// `cache_creation` in usage results (there is no flat `cache_creation_input_tokens`).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct CacheCreation {
    pub ephemeral_1h_input_tokens: u64,
    pub ephemeral_5m_input_tokens: u64,
}

/// `server_tool_use` in usage results.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ServerToolUse {
    pub web_search_requests: u64,
}

/// One row of `cost_report`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct CostResult {
    /// Decimal string in **cents** (lowest currency unit), with fractional digits.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub cost_type: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub service_tier: Option<String>,
    /// Literal dotted strings such as `cache_creation.ephemeral_1h_input_tokens`.
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub context_window: Option<String>,
    #[serde(default)]
    pub inference_geo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<String>,
}

/// ID-cursor list page: workspaces, API keys.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ListPage<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    #[serde(default)]
    pub first_id: Option<String>,
    #[serde(default)]
    pub last_id: Option<String>,
}

/// `GET /v1/organizations/workspaces` item (fields we use; the rest is ignored).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub archived_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub display_color: Option<String>,
    #[serde(default)]
    pub data_residency: Option<DataResidency>,
}

/// A workspace's data-residency settings.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct DataResidency {
    #[serde(default)]
    pub workspace_geo: Option<String>,
    #[serde(default)]
    pub default_inference_geo: Option<String>,
    /// A list of geos, or the string `"unrestricted"`.
    #[serde(default)]
    pub allowed_inference_geos: Option<serde_json::Value>,
}

/// `GET /v1/organizations/api_keys` item.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub created_by: Option<Actor>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub partial_key_hint: Option<String>,
    pub status: String,
    /// Null means the default workspace.
    #[serde(default)]
    pub workspace_id: Option<String>,
}

/// `created_by` of an API key.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `GET /v1/organizations/me`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// The error envelope: `{"type":"error","error":{"type","message"},"request_id"}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ErrorEnvelope {
    #[serde(rename = "type")]
    pub kind: String,
    pub error: ErrorBody,
    #[serde(default)]
    pub request_id: Option<String>,
}

/// The inner `error` object.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Example E1 of the reference, plus a field and enum values the API does not have yet.
    #[test]
    fn usage_page_parses_with_unknown_fields_and_values() {
        let body = r#"{"data":[{"starting_at":"2026-09-01T00:00:00Z","ending_at":"2026-09-02T00:00:00Z",
          "results":[{"uncached_input_tokens":182340,
            "cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":40960,"ephemeral_24h_input_tokens":7},
            "cache_read_input_tokens":1203300,"output_tokens":51877,
            "server_tool_use":{"web_search_requests":12,"web_fetch_requests":3},
            "api_key_id":null,"workspace_id":null,"model":"claude-sonnet-4-6",
            "service_tier":"hyperflex","context_window":"1M-10M","inference_geo":"eu",
            "account_id":null,"service_account_id":null,"brand_new_field":{"x":1}}]},
          {"starting_at":"2026-09-02T00:00:00Z","ending_at":"2026-09-03T00:00:00Z","results":[]}],
          "has_more":true,"next_page":"page_MjAyNi0wOS0wM1QwMDowMDowMFo=","extra":1}"#;
        let page: ReportPage<UsageResult> = serde_json::from_str(body).unwrap();
        assert_eq!(page.data.len(), 2);
        let r = &page.data[0].results[0];
        assert_eq!(r.cache_creation.ephemeral_5m_input_tokens, 40960);
        assert_eq!(r.server_tool_use.web_search_requests, 12);
        assert_eq!(r.service_tier.as_deref(), Some("hyperflex"));
        assert_eq!(r.inference_geo.as_deref(), Some("eu"));
        assert!(page.data[1].results.is_empty());
    }

    #[test]
    fn missing_count_objects_are_errors_not_zeros() {
        let row = |extra: &str| {
            format!(r#"{{"uncached_input_tokens":1,"cache_read_input_tokens":2,"output_tokens":3{extra}}}"#)
        };
        let full = row(
            r#","cache_creation":{"ephemeral_1h_input_tokens":4,"ephemeral_5m_input_tokens":5},"server_tool_use":{"web_search_requests":6}"#,
        );
        assert!(serde_json::from_str::<UsageResult>(&full).is_ok());
        let no_cache = row(r#","server_tool_use":{"web_search_requests":6}"#);
        assert!(serde_json::from_str::<UsageResult>(&no_cache).is_err());
        let no_1h =
            row(r#","cache_creation":{"ephemeral_5m_input_tokens":5},"server_tool_use":{"web_search_requests":6}"#);
        assert!(serde_json::from_str::<UsageResult>(&no_1h).is_err());
        let negative = full.replace(r#""output_tokens":3"#, r#""output_tokens":-3"#);
        assert!(serde_json::from_str::<UsageResult>(&negative).is_err());
        let huge = full.replace(r#""output_tokens":3"#, r#""output_tokens":18446744073709551616"#);
        assert!(serde_json::from_str::<UsageResult>(&huge).is_err(), "above u64 is refused by the parser");
    }

    #[test]
    fn cost_amount_is_an_exact_decimal_string() {
        let body = r#"{"data":[{"starting_at":"2026-09-01T00:00:00Z","ending_at":"2026-09-02T00:00:00Z",
          "results":[{"amount":"527.999760","currency":"USD","workspace_id":null,
          "description":"Claude Haiku 3.5 Usage - Input Tokens","cost_type":"tokens","model":"claude-3-5-haiku-20241022",
          "service_tier":"standard","token_type":"uncached_input_tokens","context_window":"0-200k","inference_geo":"not_available"},
          {"amount":"12","currency":"USD","cost_type":"carbon_offset"}]}],"has_more":false,"next_page":null}"#;
        let page: ReportPage<CostResult> = serde_json::from_str(body).unwrap();
        let r = &page.data[0].results;
        assert_eq!(r[0].amount.to_string(), "527.999760");
        assert_eq!(r[1].cost_type.as_deref(), Some("carbon_offset"));
        assert_eq!(r[1].workspace_id, None);
        assert_eq!(page.next_page, None);
    }
}
