//! One human label per token type and cost type, used by findings, the terminal and the HTML
//! report alike (frames keep the API's literal strings).

use crate::frames::{CostType, TokenType};

/// "1h cache write" for `cache_creation.ephemeral_1h_input_tokens`; the cost type for non-token
/// lines ("web search", "code execution"); an unknown type as it is.
pub fn type_label(token_type: Option<&str>, cost_type: &str) -> String {
    let Some(token_type) = token_type.filter(|t| !t.is_empty()) else {
        return match CostType::from(cost_type) {
            CostType::SessionUsage => "session runtime".into(),
            other => other.as_str().replace('_', " "),
        };
    };
    match TokenType::from_api_name(token_type) {
        Some(TokenType::Input) => "input".into(),
        Some(TokenType::Output) => "output".into(),
        Some(TokenType::CacheRead) => "cache read".into(),
        Some(TokenType::CacheWrite5m) => "5m cache write".into(),
        Some(TokenType::CacheWrite1h) => "1h cache write".into(),
        None => token_type.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_label_per_type() {
        assert_eq!(type_label(Some("cache_creation.ephemeral_1h_input_tokens"), "tokens"), "1h cache write");
        assert_eq!(type_label(None, "web_search"), "web search");
        assert_eq!(type_label(None, "session_usage"), "session runtime");
        assert_eq!(type_label(Some("reasoning_tokens"), "tokens"), "reasoning_tokens");
    }
}
