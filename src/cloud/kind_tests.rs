//! Every spelling of `cloud-billing.md` §1.3 and §3.2, written out by hand.

use super::*;
use TokenType::*;

fn k(token_type: TokenType, scope: Scope, tier: &'static str, ctx: &'static str) -> Option<Kind> {
    Some(Kind { token_type, scope: Some(scope), service_tier: tier, context_window: ctx })
}

#[test]
fn bedrock_camel_case_generation() {
    use Scope::*;
    for (ut, want) in [
        ("USE1-MP:USE1_InputTokenCount-Units", k(Input, Regional, "standard", "0-200k")),
        ("USW2-MP:USW2_InputTokenCount_Global-Units", k(Input, Global, "standard", "0-200k")),
        ("USE1-MP:USE1_OutputTokenCount_Global-Units", k(Output, Global, "standard", "0-200k")),
        ("EU-MP:EU_CacheReadInputTokenCount-Units", k(CacheRead, Regional, "standard", "0-200k")),
        ("USE1-MP:USE1_CacheWriteInputTokenCount_Global-Units", k(CacheWrite5m, Global, "standard", "0-200k")),
        ("USE1-MP:USE1_CacheWrite1hInputTokenCount-Units", k(CacheWrite1h, Regional, "standard", "0-200k")),
        ("USE1-MP:USE1_InputTokenCount_Batch-Units", k(Input, Regional, "batch", "0-200k")),
        ("USE1-MP:USE1_InputTokenCount_Global_Batch-Units", k(Input, Global, "batch", "0-200k")),
        ("USE1-MP:USE1_InputTokenCount_LCtx_Global-Units", k(Input, Global, "standard", "200k-1M")),
    ] {
        assert_eq!(bedrock_usage_type(ut), want, "{ut}");
    }
}

#[test]
fn bedrock_snake_case_generation() {
    use Scope::*;
    for (ut, want) in [
        ("USE1-MP:USE1_input_tokens_standard-Units", k(Input, Regional, "standard", "0-200k")),
        ("USE1-MP:USE1_input_tokens_global_standard-Units", k(Input, Global, "standard", "0-200k")),
        ("EUC1-MP:EUC1_output_tokens_standard-Units", k(Output, Regional, "standard", "0-200k")),
        ("USE1-MP:USE1_cache_read_tokens_global_standard-Units", k(CacheRead, Global, "standard", "0-200k")),
        ("USE1-MP:USE1_cache_write_tokens_standard-Units", k(CacheWrite5m, Regional, "standard", "0-200k")),
        ("USE1-MP:USE1_cache_write_tokens_5m_standard-Units", k(CacheWrite5m, Regional, "standard", "0-200k")),
        ("USE1-MP:USE1_cache_write_tokens_1h_global_standard-Units", k(CacheWrite1h, Global, "standard", "0-200k")),
        ("USE1-MP:USE1_input_tokens_batch-Units", k(Input, Regional, "batch", "0-200k")),
        ("USE1-MP:USE1_input_tokens_global_batch-Units", k(Input, Global, "batch", "0-200k")),
        ("APN1-MP:APN1_input_tokens_priority-Units", k(Input, Regional, "priority", "0-200k")),
        ("USE1-MP:USE1_cache_read_tokens_long_ctx_global_standard-Units", k(CacheRead, Global, "standard", "200k-1M")),
        ("USE1-Claude4.6Sonnet-input-tokens", k(Input, Regional, "standard", "0-200k")),
    ] {
        assert_eq!(bedrock_usage_type(ut), want, "{ut}");
    }
}

#[test]
fn bedrock_shapes_we_do_not_price_stay_unknown() {
    for ut in [
        "USE1-MP:USE1_CacheStorage-Units",
        "USE1-MP:USE1_CacheValidationCount-Units",
        "USE1-MP:USE1_cache_write_tokens_30m_standard-Units",
        "USE1-MP:USE1_input_tokens_flex-Units",
        "USE1-MP:USE1_InputTokenCount_LatencyOptimized-Units",
        "USE1-MP:USE1_ProvisionedThroughput_NoCommit_ModelUnits_Usage-Units",
        "USE1-MP:USE1_Reserved_1Month_InputTPM_Geo-Units",
        "BoxUsage:t3.micro",
        "",
    ] {
        assert_eq!(bedrock_usage_type(ut), None, "{ut}");
    }
}

#[test]
fn vertex_sku_descriptions() {
    use Scope::*;
    let cases = [
        (
            "Claude Sonnet 4.6 — Input Tokens — global — Context Window Size from 0 to 200000 Tokens",
            "Claude Sonnet 4.6",
            k(Input, Global, "standard", "0-200k"),
        ),
        (
            "Claude Sonnet 4.6 — Input Cache Read Tokens — global — Context Window Size from 0 to 200000 Tokens",
            "Claude Sonnet 4.6",
            k(CacheRead, Global, "standard", "0-200k"),
        ),
        (
            "Claude Opus 4 8 — Input Cache Write Tokens (TTL 3600 seconds) — us-east5 — Context Window Size from 200001 to 1000000 Tokens",
            "Claude Opus 4 8",
            k(CacheWrite1h, Regional, "standard", "200k-1M"),
        ),
        (
            "Claude Haiku 4.5 — Input Cache Write Tokens — europe-west1 — Context Window Size from 0 to 200000 Tokens",
            "Claude Haiku 4.5",
            k(CacheWrite5m, Regional, "standard", "0-200k"),
        ),
        (
            "Claude Haiku 4.5 — Output Tokens — us-east5 — Context Window Size from 0 to 200000 Tokens",
            "Claude Haiku 4.5",
            k(Output, Regional, "standard", "0-200k"),
        ),
    ];
    for (sku, model, want) in cases {
        let (m, kind) = vertex_sku(sku).unwrap();
        assert_eq!((m.as_str(), kind), (model, want), "{sku}");
    }
    let (m, kind) = vertex_sku("Claude 3 Haiku Input Tokens").unwrap();
    assert_eq!(m, "Claude 3 Haiku");
    assert_eq!(kind.map(|k| (k.token_type, k.scope)), Some((Input, None)));
    for unknown in [
        "Claude Sonnet 4.6 — Input Cache Write Tokens (TTL 1800 seconds) — global — Context Window Size from 0 to 200000 Tokens",
        "Claude Sonnet 4.6 — Input Tokens — global — Context Window Size from 0 to 500000 Tokens",
        "Claude Sonnet 4.6 — Cache Storage — global",
    ] {
        assert_eq!(vertex_sku(unknown).and_then(|(_, k)| k), None, "{unknown}");
    }
}
