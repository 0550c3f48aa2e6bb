//! What a cloud line bills: the token kind, scope, tier and context window of one usage type
//! (AWS) or SKU description (Google), parsed from the spellings of `cloud-billing.md` §1.3/§3.2.
//!
//! Two Bedrock generations are live at once — CamelCase (`USE1-MP:USE1_CacheWrite1hInputTokenCount_Global-Units`)
//! for Sonnet 4.6, Haiku 4.5 and older, snake_case (`…_cache_write_tokens_1h_global_standard-Units`)
//! for Opus 4.7+ and Sonnet 5 — and Vertex writes `Claude Opus 4 8 — Input Cache Write Tokens
//! (TTL 3600 seconds) — us-east5 — Context Window Size from 0 to 200000 Tokens`. Anything not
//! recognised word for word (flex, latency-optimized, provisioned throughput, a 30-minute TTL,
//! `CacheStorage`) is `None`: an unpriced line that keeps its source id, never folded into a
//! known class.

use crate::rates::TokenType;
use crate::rates::cloud::Scope;

/// The pricing dimensions one cloud usage type or SKU carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub token_type: TokenType,
    /// `None` when the spelling does not say (Vertex's legacy SKUs: the row's location decides).
    pub scope: Option<Scope>,
    pub service_tier: &'static str,
    pub context_window: &'static str,
}

/// A Bedrock usage type, e.g. `USE1-MP:USE1_InputTokenCount_Global-Units`.
pub fn bedrock_usage_type(usage_type: &str) -> Option<Kind> {
    let metric = match usage_type.split_once("MP:") {
        Some((_, rest)) => {
            let rest = rest.strip_suffix("-Units").unwrap_or(rest);
            rest.split_once('_').map(|(_, m)| m)?
        }
        // The blog's native form `USE1-Claude4.6Sonnet-input-tokens`: the words after the model.
        None => {
            let (_, after) = usage_type.split_once("-Claude")?;
            let (_, words) = after.split_once('-')?;
            return snake(&words.replace('-', "_"));
        }
    };
    if metric.chars().next()?.is_ascii_uppercase() { camel(metric) } else { snake(metric) }
}

fn camel(metric: &str) -> Option<Kind> {
    let mut parts = metric.split('_');
    let token_type = match parts.next()? {
        "InputTokenCount" => TokenType::Input,
        "OutputTokenCount" => TokenType::Output,
        "CacheReadInputTokenCount" => TokenType::CacheRead,
        "CacheWriteInputTokenCount" => TokenType::CacheWrite5m,
        "CacheWrite1hInputTokenCount" => TokenType::CacheWrite1h,
        _ => return None,
    };
    let mut kind =
        Kind { token_type, scope: Some(Scope::Regional), service_tier: "standard", context_window: "0-200k" };
    for flag in parts {
        match flag {
            "Global" => kind.scope = Some(Scope::Global),
            "Geo" => kind.scope = Some(Scope::Regional),
            "Batch" => kind.service_tier = "batch",
            "LCtx" => kind.context_window = "200k-1M",
            _ => return None,
        }
    }
    Some(kind)
}

fn snake(metric: &str) -> Option<Kind> {
    let (token_type, rest) = [
        ("cache_write_tokens", TokenType::CacheWrite5m),
        ("cache_read_tokens", TokenType::CacheRead),
        ("input_tokens", TokenType::Input),
        ("output_tokens", TokenType::Output),
    ]
    .into_iter()
    .find_map(|(p, t)| metric.strip_prefix(p).map(|rest| (t, rest)))?;
    let mut kind =
        Kind { token_type, scope: Some(Scope::Regional), service_tier: "standard", context_window: "0-200k" };
    let words: Vec<&str> = rest.split('_').filter(|w| !w.is_empty()).collect();
    let mut i = 0;
    while i < words.len() {
        match (words[i], words.get(i + 1)) {
            ("1h", _) if token_type == TokenType::CacheWrite5m => kind.token_type = TokenType::CacheWrite1h,
            ("5m", _) if token_type == TokenType::CacheWrite5m => {}
            ("long", Some(&"ctx")) => {
                kind.context_window = "200k-1M";
                i += 1;
            }
            ("global", _) => kind.scope = Some(Scope::Global),
            ("geo", _) => kind.scope = Some(Scope::Regional),
            ("standard", _) => kind.service_tier = "standard",
            ("batch", _) => kind.service_tier = "batch",
            ("priority", _) => kind.service_tier = "priority",
            _ => return None,
        }
        i += 1;
    }
    Some(kind)
}

/// The parts of a Vertex Claude SKU description: the model's display name and what it bills.
pub fn vertex_sku(description: &str) -> Option<(String, Option<Kind>)> {
    let parts: Vec<&str> = description.split(['—', '–']).map(str::trim).collect();
    if parts.len() >= 2 {
        let model = parts[0].to_string();
        let mut kind = vertex_token_kind(parts[1]);
        if let Some(k) = kind.as_mut() {
            if let Some(region) = parts.get(2) {
                k.scope = Some(if region.eq_ignore_ascii_case("global") { Scope::Global } else { Scope::Regional });
            }
            match parts.get(3).map(|c| context_band(c)) {
                None => {}
                Some(Some(band)) => k.context_window = band,
                Some(None) => kind = None,
            }
        }
        if parts.len() > 4 {
            kind = None;
        }
        return Some((model, kind));
    }
    // The legacy form: "Claude 3 Haiku Input Tokens".
    let lower = description.to_ascii_lowercase();
    let at = ["input", "output"].iter().filter_map(|w| lower.find(&format!(" {w} "))).min()?;
    Some((description[..at].trim().to_string(), vertex_token_kind(&description[at..])))
}

fn vertex_token_kind(kind: &str) -> Option<Kind> {
    let lower = kind.to_ascii_lowercase();
    let (words, ttl) = match lower.split_once("(ttl ") {
        Some((w, t)) => (w.trim().to_string(), Some(t.trim_end_matches(')').trim().to_string())),
        None => (lower.trim().to_string(), None),
    };
    let mut batch = false;
    let words = match words.strip_prefix("batch ") {
        Some(w) => {
            batch = true;
            w.to_string()
        }
        None => words,
    };
    let token_type = match (words.as_str(), ttl.as_deref()) {
        ("input tokens", None) => TokenType::Input,
        ("output tokens", None) => TokenType::Output,
        ("input cache read tokens" | "cache read tokens", None) => TokenType::CacheRead,
        ("input cache write tokens" | "cache write tokens", None | Some("300 seconds")) => TokenType::CacheWrite5m,
        ("input cache write tokens" | "cache write tokens", Some("3600 seconds")) => TokenType::CacheWrite1h,
        _ => return None,
    };
    Some(Kind {
        token_type,
        scope: None,
        service_tier: if batch { "batch" } else { "standard" },
        context_window: "0-200k",
    })
}

/// "Context Window Size from 200001 to 1000000 Tokens" → `200k-1M`; a band we do not know → None.
fn context_band(text: &str) -> Option<&'static str> {
    let nums: Vec<u64> = text.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    match nums.as_slice() {
        [0, 200_000] => Some("0-200k"),
        [200_001, 1_000_000] => Some("200k-1M"),
        _ => None,
    }
}

#[cfg(test)]
#[path = "kind_tests.rs"]
mod tests;
