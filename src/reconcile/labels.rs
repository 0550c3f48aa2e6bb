//! One human label per token type and cost type, used by findings, the terminal and the HTML
//! report alike (frames keep the API's literal strings).

/// "1h cache write" for `cache_creation.ephemeral_1h_input_tokens`; the cost type for non-token
/// lines ("web search", "code execution"); an unknown type as it is.
pub fn type_label(token_type: Option<&str>, cost_type: &str) -> String {
    match token_type {
        None | Some("") => match cost_type {
            "session_usage" => "session runtime".into(),
            other => other.replace('_', " "),
        },
        Some("uncached_input_tokens") => "input".into(),
        Some("output_tokens") => "output".into(),
        Some("cache_read_input_tokens") => "cache read".into(),
        Some("cache_creation.ephemeral_5m_input_tokens") => "5m cache write".into(),
        Some("cache_creation.ephemeral_1h_input_tokens") => "1h cache write".into(),
        Some(other) => other.into(),
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
