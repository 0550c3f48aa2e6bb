//! The AWS bill's rows: Claude on Bedrock as AWS Marketplace line items, plus the account's other
//! services, tax, a credit and a refund (`reference/cloud-billing.md` §1.2–1.4).
//!
//! Usage types follow §1.3: `<BILL>-MP:<BILL>_<metric>-Units`, CamelCase metrics for Haiku 4.5 and
//! Sonnet 4.6, snake_case for Opus 4.7+ and Sonnet 5; `line_item_usage_amount` is in millions of
//! tokens (pricing unit `Units` = 1M tokens, §1.4). A global-profile Opus 5 call has no global
//! cache SKU: its cache legs are billed under the regional usage type at the regional rate. The
//! line descriptions beyond the one the reference quotes are this simulator's own wording.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::prices::{self, HAIKU_4_5, OPUS_4_8, OPUS_5, SONNET_4_6, SONNET_5};
use super::text::hex_id;
use super::traffic::{AWS_ACCOUNTS, Hour, Profile, Provider, STREAMS, Scope, Stream, Tier};
use super::{CloudConfig, CloudTruthLine, Facts};
use crate::rates::TokenType;

/// One CUR line item (the columns every spelling of the AWS bill is written from).
#[derive(Debug, Clone)]
pub(crate) struct CurRow {
    pub billing_entity: &'static str,
    pub line_item_id: String,
    pub account: usize,
    pub line_item_type: &'static str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub product_code: &'static str,
    pub usage_type: Option<String>,
    pub operation: Option<&'static str>,
    pub resource_id: Option<String>,
    /// Millions of tokens on Claude rows; the service's own unit otherwise.
    pub usage_amount: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub cost: Decimal,
    pub legal_entity: &'static str,
    pub description: String,
    pub principal: Option<String>,
    pub pricing_unit: Option<&'static str>,
    pub product_name: &'static str,
    pub region: Option<&'static str>,
    pub servicecode: &'static str,
    pub tags: &'static [(&'static str, &'static str)],
    /// `None` for a non-Claude row.
    pub claude: Option<Facts>,
}

/// Marketplace product name and (opaque) product code of each model.
pub(crate) fn product(model: &str) -> (&'static str, &'static str) {
    match model {
        HAIKU_4_5 => ("Claude Haiku 4.5 (Amazon Bedrock Edition)", "d8v3q1x7m2k9r5t0w6y4z1b8c"),
        SONNET_4_6 => ("Claude Sonnet 4.6 (Amazon Bedrock Edition)", "a4n7p2q9w3e8r1t6y5u0i2o7l"),
        OPUS_4_8 => ("Claude Opus 4.8 (Amazon Bedrock Edition)", "f6g1h8j3k0l5z9x2c7v4b1n6m"),
        SONNET_5 => ("Claude Sonnet 5 (Amazon Bedrock Edition)", "q2w9e4r7t1y6u3i8o5p0a3s6d"),
        OPUS_5 => ("Claude Opus 5 (Amazon Bedrock Edition)", "z7x4c1v8b5n2m9l6k3j0h7g4f"),
        _ => ("Claude Nova 9 (Amazon Bedrock Edition)", "p9o6i3u0y7t4r1e8w5q2a9s6d"),
    }
}

/// The Bedrock model id behind each canonical id.
pub(crate) fn bedrock_id(model: &str) -> &'static str {
    match model {
        HAIKU_4_5 => "anthropic.claude-haiku-4-5-20251001-v1:0",
        SONNET_4_6 => "anthropic.claude-sonnet-4-6",
        OPUS_4_8 => "anthropic.claude-opus-4-8",
        SONNET_5 => "anthropic.claude-sonnet-5",
        _ => "anthropic.claude-opus-5",
    }
}

pub(crate) fn bill_prefix(region: &str) -> &'static str {
    match region {
        "us-east-1" => "USE1",
        "us-west-2" => "USW2",
        _ => "EUC1",
    }
}

/// The model id a caller sends: `us.`/`eu.` geo profile, `global.` profile, or in-region.
pub(crate) fn profile_id(s: &Stream) -> String {
    let id = bedrock_id(s.model);
    match s.profile {
        Profile::Geo => format!("{}.{id}", if s.region.starts_with("eu-") { "eu" } else { "us" }),
        Profile::Global => format!("global.{id}"),
        Profile::InRegion => id.to_owned(),
    }
}

fn resource_id(s: &Stream) -> String {
    let account = AWS_ACCOUNTS[s.account].id;
    match s.profile {
        Profile::InRegion => format!("arn:aws:bedrock:{}::foundation-model/{}", s.region, bedrock_id(s.model)),
        _ => format!("arn:aws:bedrock:{}:{account}:inference-profile/{}", s.region, profile_id(s)),
    }
}

/// The usage type of one token class (§1.3), both generations.
pub(crate) fn usage_type(region: &str, model: &str, scope: Scope, tier: Tier, long: bool, t: TokenType) -> String {
    let camel = matches!(model, HAIKU_4_5 | SONNET_4_6);
    let global = scope == Scope::Global;
    let metric = if camel {
        let base = match t {
            TokenType::Input => "InputTokenCount",
            TokenType::Output => "OutputTokenCount",
            TokenType::CacheRead => "CacheReadInputTokenCount",
            TokenType::CacheWrite5m => "CacheWriteInputTokenCount",
            TokenType::CacheWrite1h => "CacheWrite1hInputTokenCount",
        };
        let lctx = if long { "_LCtx" } else { "" };
        let batch = if tier == Tier::Batch { "_Batch" } else { "" };
        format!("{base}{lctx}{}{batch}", if global { "_Global" } else { "" })
    } else {
        let base = match t {
            TokenType::Input => "input_tokens",
            TokenType::Output => "output_tokens",
            TokenType::CacheRead => "cache_read_tokens",
            TokenType::CacheWrite5m => "cache_write_tokens",
            TokenType::CacheWrite1h => "cache_write_tokens_1h",
        };
        let lctx = if long { "_long_ctx" } else { "" };
        format!("{base}{lctx}{}_{}", if global { "_global" } else { "" }, tier.as_str())
    };
    let p = bill_prefix(region);
    format!("{p}-MP:{p}_{metric}-Units")
}

fn description(region: &str, scope: Scope, tier: Tier, long: bool, t: TokenType) -> String {
    let kind = match t {
        TokenType::Input => "Input Tokens",
        TokenType::Output => "Output Tokens",
        TokenType::CacheRead => "Cache Read Input Tokens",
        TokenType::CacheWrite5m => "Cache Write Input Tokens",
        TokenType::CacheWrite1h => "1h Cache Write Input Tokens",
    };
    let batch = if tier == Tier::Batch { "Batch " } else { "" };
    let lctx = if long { "Long Context " } else { "" };
    let scope = if scope == Scope::Global { "Global" } else { "Regional CRIS" };
    format!("AWS Marketplace software usage|{region}|Million {batch}{lctx}{kind} {scope}")
}

/// A Claude usage row of `tokens` of class `t`, priced at the list price.
pub(crate) fn claude_row(s: &Stream, start: DateTime<Utc>, t: TokenType, tokens: i64) -> CurRow {
    // Opus 5 sells no global cache legs: they are billed under the regional usage type.
    let is_cache = !matches!(t, TokenType::Input | TokenType::Output);
    let scope = if is_cache && !prices::has_cache_legs(s.model, s.scope) { Scope::Regional } else { s.scope };
    let rate = prices::list_price(s.model, scope, s.tier, s.long, t).expect("every simulated AWS stream is priced");
    let (product_name, code) = product(s.model);
    let account = AWS_ACCOUNTS[s.account].id;
    let cost = prices::cost(tokens, rate);
    CurRow {
        billing_entity: "AWS Marketplace",
        line_item_id: String::new(),
        account: s.account,
        line_item_type: "Usage",
        start,
        end: start + Duration::hours(1),
        product_code: code,
        usage_type: Some(usage_type(s.region, s.model, scope, s.tier, s.long, t)),
        operation: Some("Usage"),
        resource_id: Some(resource_id(s)),
        usage_amount: Some((Decimal::from(tokens) / Decimal::from(1_000_000)).normalize()),
        rate: Some(rate),
        cost,
        legal_entity: "Anthropic, PBC",
        description: description(s.region, scope, s.tier, s.long, t),
        principal: Some(format!(
            "arn:aws:{}::{account}:{}",
            if s.principal.starts_with("user/") { "iam" } else { "sts" },
            s.principal
        )),
        pricing_unit: Some("Units"),
        product_name,
        region: Some(s.region),
        servicecode: code,
        tags: s.tags,
        claude: Some(Facts {
            model: Some(s.model),
            scope: Some(scope),
            tier: Some(s.tier),
            long: s.long,
            token: Some(t),
            quantity: Some(tokens),
            expected: Some(cost),
            line_item_type: "Usage",
            plant: None,
        }),
    }
}

/// Every AWS row of the window before plants: Claude usage, other services, not-usage lines.
pub(crate) fn rows(config: &CloudConfig, hours: &[Hour]) -> Vec<CurRow> {
    let mut out = Vec::new();
    for h in hours {
        let s = &STREAMS[h.stream];
        if s.provider != Provider::Aws {
            continue;
        }
        for (k, t) in TokenType::ALL.into_iter().enumerate() {
            if h.tokens[k] > 0 {
                out.push(claude_row(s, h.start, t, h.tokens[k]));
            }
        }
    }
    out.extend(super::aws_other::services(config));
    out.extend(super::aws_other::not_usage(config, &out));
    out
}

/// Sorts the rows (file order) and gives each its line item id.
pub(crate) fn finish(config: &CloudConfig, rows: &mut [CurRow]) {
    rows.sort_by(|a, b| {
        (a.start, a.account, a.line_item_type, &a.product_code, &a.usage_type, &a.resource_id, &a.principal).cmp(&(
            b.start,
            b.account,
            b.line_item_type,
            &b.product_code,
            &b.usage_type,
            &b.resource_id,
            &b.principal,
        ))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        let (seed, index, start) = (config.seed.to_string(), i.to_string(), r.start.to_rfc3339());
        r.line_item_id = hex_id(&[&seed, &index, &start, r.usage_type.as_deref().unwrap_or("")], 52);
    }
}

/// The first day of the billing period (UTC month) of `t`.
pub(crate) fn period_start(t: DateTime<Utc>) -> NaiveDate {
    NaiveDate::from_ymd_opt(t.year(), t.month(), 1).expect("the first of a month exists")
}

impl CurRow {
    pub(crate) fn truth(&self) -> Option<CloudTruthLine> {
        let f = self.claude.as_ref()?;
        let usage = f.line_item_type == "Usage";
        Some(CloudTruthLine {
            provider: Provider::Aws.as_str(),
            account_id: AWS_ACCOUNTS[self.account].id.to_owned(),
            date: self.start.date_naive(),
            usage_start: self.start,
            region: self.region.map(str::to_owned),
            scope: f.scope.map(Scope::as_str),
            model: f.model,
            service_tier: f.tier.map(Tier::as_str),
            context_window: usage.then_some(if f.long { "200k-1M" } else { "0-200k" }),
            token_type: f.token.map(TokenType::api_name),
            quantity: f.quantity,
            line_item_type: f.line_item_type,
            billed_usd: self.cost,
            expected_usd: f.expected,
            source_id: self.usage_type.clone(),
            plant: f.plant,
        })
    }
}
