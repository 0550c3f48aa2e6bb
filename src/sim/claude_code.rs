//! The Claude Code usage report of the fake (`/v1/organizations/usage_report/claude_code`).
//!
//! One record per active actor per day, generated from the organization's seed and the day (so
//! any day can be asked for alone, as the endpoint is): four developers and a review bot with
//! sessions, lines, commits, pull requests, tool decisions and tokens per model. The estimated
//! cost is the tokens at the card's list price, in cents, as an exact JSON number.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Datelike, NaiveDate, Weekday};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::org::Organization;
use super::params::Params;
use super::server::{ApiError, Shared, invalid, respond};
use crate::api::analytics_wire::ClaudeCodeRecord;
use crate::api::claude_code::CLAUDE_CODE_PATH;
use crate::rates::{PriceQuery, TokenType};

const DEVELOPERS: [&str; 4] =
    ["ada@simulated.example", "grace@simulated.example", "linus@simulated.example", "margaret@simulated.example"];
const MODELS: [&str; 2] = ["claude-opus-5", "claude-sonnet-5"];
const TOOLS: [&str; 4] = ["edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool"];

impl Organization {
    /// The Claude Code records of `day` (empty outside the organization's days).
    pub fn claude_code_day(&self, day: NaiveDate) -> Vec<ClaudeCodeRecord> {
        let w = self.window();
        if day < w.start.date_naive() || day >= w.end.date_naive() {
            return Vec::new();
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.config.seed ^ 0xC1A0_DE00 ^ day.num_days_from_ce() as u64);
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let mut out = Vec::new();
        let actors = DEVELOPERS
            .iter()
            .map(|e| json!({"type": "user_actor", "email_address": e}))
            .chain([json!({"type": "api_actor", "api_key_name": "ci-review-bot"})]);
        for actor in actors {
            if !rng.random_bool(if weekend { 0.3 } else { 0.85 }) {
                continue;
            }
            let added = rng.random_range(0..2_500u64);
            let mut tools = serde_json::Map::new();
            for t in TOOLS {
                if rng.random_bool(0.7) {
                    tools.insert(
                        t.into(),
                        json!({"accepted": rng.random_range(0..60u64), "rejected": rng.random_range(0..8u64)}),
                    );
                }
            }
            let mut breakdown = Vec::new();
            for m in MODELS {
                if !rng.random_bool(0.7) {
                    continue;
                }
                let tokens = [
                    rng.random_range(10_000..400_000u64),
                    rng.random_range(0..100_000u64),
                    rng.random_range(0..4_000_000u64),
                    rng.random_range(0..300_000u64),
                ];
                breakdown.push(json!({
                    "model": m,
                    "tokens": {"input": tokens[0], "output": tokens[1], "cache_read": tokens[2], "cache_creation": tokens[3]},
                    "estimated_cost": {"amount": self.estimate_cents(m, day, tokens), "currency": "USD"},
                }));
            }
            let terminal = ["vscode", "iTerm.app", "ghostty"][rng.random_range(0..3)];
            let record = json!({
                "date": format!("{day}T00:00:00Z"),
                "actor": actor,
                "organization_id": self.id,
                "customer_type": "api",
                "terminal_type": terminal,
                "core_metrics": {
                    "num_sessions": rng.random_range(1..14u64),
                    "lines_of_code": {"added": added, "removed": rng.random_range(0..=added / 2)},
                    "commits_by_claude_code": rng.random_range(0..9u64),
                    "pull_requests_by_claude_code": rng.random_range(0..4u64),
                },
                "tool_actions": tools,
                "model_breakdown": breakdown,
            });
            out.push(serde_json::from_value(record).expect("a valid record"));
        }
        out
    }

    /// input, output, cache read, cache creation (5-minute writes) at list, in cents: a JSON
    /// number with its exact decimal digits.
    fn estimate_cents(&self, model: &str, day: NaiveDate, t: [u64; 4]) -> Value {
        let q = PriceQuery {
            model,
            day,
            service_tier: Some("standard"),
            context_window: Some("0-200k"),
            inference_geo: Some("global"),
            speed: Some("standard"),
        };
        let p = self.card.price(&q).expect("the Claude Code models are on the card");
        let types = [TokenType::Input, TokenType::Output, TokenType::CacheRead, TokenType::CacheWrite5m];
        let cents: Decimal =
            t.iter().zip(types).map(|(n, ty)| Decimal::from(*n) * p.rate(ty) / Decimal::from(10_000)).sum();
        serde_json::from_str(&cents.normalize().to_string()).expect("a decimal is a JSON number")
    }
}

pub(super) async fn report(State(s): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let body = || body(&s, raw.as_deref());
    respond(&s, CLAUDE_CODE_PATH, &headers, raw.clone(), body).await
}

fn body(s: &Shared, raw: Option<&str>) -> Result<Value, ApiError> {
    let p = Params::parse(raw, &["starting_at", "limit", "page"]).map_err(invalid)?;
    let day = p.one("starting_at").ok_or_else(|| invalid("starting_at: field required".into()))?;
    let day: NaiveDate =
        day.parse().map_err(|_| invalid(format!("starting_at: invalid date {day:?}; expected YYYY-MM-DD")))?;
    let limit = p.int("limit").map_err(invalid)?.unwrap_or(20);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit: must be between 1 and 1000".into()));
    }
    // Only data older than about an hour is returned: a day is served once it is over.
    let (org, now) = (s.org(), s.now());
    let records = if super::timeline::midnight(day) + chrono::Duration::days(1) <= now {
        org.claude_code_day(day)
    } else {
        vec![]
    };
    let offset = match p.one("page") {
        None => 0,
        Some(t) => {
            decode(t).filter(|o| *o < records.len()).ok_or_else(|| invalid("page: invalid page token".into()))?
        }
    };
    let next = offset + limit as usize;
    let page: Vec<&ClaudeCodeRecord> = records.iter().skip(offset).take(limit as usize).collect();
    let more = next < records.len();
    Ok(
        json!({"data": page, "has_more": more, "next_page": more.then(|| format!("page_{}", STANDARD.encode(format!("cc:{next}"))))}),
    )
}

fn decode(token: &str) -> Option<usize> {
    let raw = STANDARD.decode(token.strip_prefix("page_")?).ok()?;
    std::str::from_utf8(&raw).ok()?.strip_prefix("cc:")?.parse().ok()
}
