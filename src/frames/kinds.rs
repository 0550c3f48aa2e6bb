//! The closed vocabularies of the frames: token types and cost types, each defined once.
//!
//! The API, the usage frame, the rate card and the reconciliation lines each spell a token type
//! their own way (`cache_creation.ephemeral_5m_input_tokens`, `cache_creation_5m_input_tokens`,
//! `cache_write_5m`); [`TokenType`] holds all three, so no layer maps them by hand or by a name's
//! suffix. Cost types arrive as the API's strings and become a [`CostType`] once, where a frame
//! is read; a value the API adds tomorrow is kept as [`CostType::Other`], never refused.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The five token types, named (in serde) as the card names its price columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    Input,
    CacheWrite5m,
    CacheWrite1h,
    CacheRead,
    Output,
}

impl TokenType {
    /// In the usage frame's column order.
    pub const ALL: [TokenType; 5] =
        [TokenType::Input, TokenType::CacheWrite5m, TokenType::CacheWrite1h, TokenType::CacheRead, TokenType::Output];

    /// The literal `token_type` string of `cost_report` (and of the `lines` frame).
    pub const fn api_name(self) -> &'static str {
        match self {
            TokenType::Input => "uncached_input_tokens",
            TokenType::CacheWrite5m => "cache_creation.ephemeral_5m_input_tokens",
            TokenType::CacheWrite1h => "cache_creation.ephemeral_1h_input_tokens",
            TokenType::CacheRead => "cache_read_input_tokens",
            TokenType::Output => "output_tokens",
        }
    }

    /// The usage frame's count column of this token type (DESIGN §3).
    pub const fn column(self) -> &'static str {
        match self {
            TokenType::Input => "uncached_input_tokens",
            TokenType::CacheWrite5m => "cache_creation_5m_input_tokens",
            TokenType::CacheWrite1h => "cache_creation_1h_input_tokens",
            TokenType::CacheRead => "cache_read_input_tokens",
            TokenType::Output => "output_tokens",
        }
    }

    pub fn from_api_name(s: &str) -> Option<TokenType> {
        TokenType::ALL.into_iter().find(|t| t.api_name() == s)
    }

    /// The label cost_report descriptions use ("Input Tokens, Cache Write").
    pub fn label(self) -> &'static str {
        match self {
            TokenType::Input => "Input Tokens",
            TokenType::CacheWrite5m | TokenType::CacheWrite1h => "Input Tokens, Cache Write",
            TokenType::CacheRead => "Input Tokens, Cache Hit",
            TokenType::Output => "Output Tokens",
        }
    }
}

/// A cost report line's `cost_type` (DESIGN §3 lines). Ordered as its string, so lines sort as
/// they did when the key held the text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CostType {
    Tokens,
    WebSearch,
    /// Code execution container time: billed with no usage counterpart.
    CodeExecution,
    /// Managed Agents session runtime: billed with no usage counterpart.
    SessionUsage,
    /// A cost type this version does not know, kept as the API spelled it.
    Other(Arc<str>),
}

impl CostType {
    const KNOWN: [CostType; 4] =
        [CostType::Tokens, CostType::WebSearch, CostType::CodeExecution, CostType::SessionUsage];

    pub fn as_str(&self) -> &str {
        match self {
            CostType::Tokens => "tokens",
            CostType::WebSearch => "web_search",
            CostType::CodeExecution => "code_execution",
            CostType::SessionUsage => "session_usage",
            CostType::Other(s) => s,
        }
    }

    /// Charges that have no usage counterpart by design (status `cost_only`).
    pub fn is_cost_only(&self) -> bool {
        matches!(self, CostType::CodeExecution | CostType::SessionUsage)
    }
}

impl From<&str> for CostType {
    fn from(s: &str) -> CostType {
        CostType::KNOWN.into_iter().find(|k| k.as_str() == s).unwrap_or_else(|| CostType::Other(Arc::from(s)))
    }
}

impl Ord for CostType {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for CostType {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for CostType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_token_type_is_one_variant() {
        let names: Vec<_> = TokenType::ALL.iter().map(|t| (t.column(), t.api_name())).collect();
        assert_eq!(names[1], ("cache_creation_5m_input_tokens", "cache_creation.ephemeral_5m_input_tokens"));
        assert_eq!(names[4], ("output_tokens", "output_tokens"));
        assert_eq!(TokenType::from_api_name("cache_creation.ephemeral_1h_input_tokens"), Some(TokenType::CacheWrite1h));
        assert_eq!(
            TokenType::from_api_name("cache_creation_1h_input_tokens"),
            None,
            "a column name is not an API name"
        );
    }

    #[test]
    fn cost_types_round_trip_keep_unknown_values_and_sort_as_text() {
        for s in ["tokens", "web_search", "code_execution", "session_usage", "carbon_offset"] {
            assert_eq!(CostType::from(s).as_str(), s);
        }
        assert_eq!(CostType::from("carbon_offset"), CostType::Other("carbon_offset".into()));
        assert!(CostType::from("session_usage").is_cost_only() && !CostType::Tokens.is_cost_only());
        let mut v: Vec<CostType> = ["web_search", "batch", "tokens", "code_execution"].map(CostType::from).to_vec();
        v.sort();
        assert_eq!(
            v.iter().map(CostType::as_str).collect::<Vec<_>>(),
            ["batch", "code_execution", "tokens", "web_search"]
        );
    }
}
