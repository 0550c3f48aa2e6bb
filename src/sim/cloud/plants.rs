//! The seven cloud plants, each placed exactly once on the middle day of the window and marked
//! on its line of the truth: what a cloud reconcile must find, and nothing else.
//!
//! Costing errors change the bill and keep the expectation (quantity × list price); the
//! unknown usage type and the unknown product add a line the simulator itself cannot price;
//! `invocation_gap` leaves the bill right and takes tokens out of one invocation log record.
//! Every stream is active at its peak hour every day, so each target row exists in any window.

use rust_decimal::Decimal;

use super::aws::{CurRow, claude_row, product};
use super::gcp::GcpRow;
use super::invocations::CloudInvocation;
use super::prices::{self, HAIKU_4_5, OPUS_4_8, SONNET_4_6, SONNET_5};
use super::traffic::{STREAMS, Scope, Tier};
use super::{CloudConfig, Facts};
use crate::rates::TokenType;

/// Every plant, in the order they are placed.
pub const PLANTS: [&str; 7] = [
    "regional_billed_global",
    "write_1h_billed_5m",
    "cache_wrong_scope",
    "unknown_usage_type",
    "unknown_product",
    "vertex_overbilled",
    "invocation_gap",
];

/// What a plant looks a row up by: its facts, region and UTC day.
type Key<'a> = (Option<&'a Facts>, Option<&'static str>, chrono::NaiveDate);

/// The first Claude usage row of the middle day with these facts.
fn find<'a, R>(
    rows: &'a mut [R],
    config: &CloudConfig,
    key: impl Fn(&R) -> Key<'_>,
    (model, at, scope, token): (&str, &str, Scope, TokenType),
) -> &'a mut R {
    let mid = config.middle();
    let hit = |r: &R| {
        let (facts, region, day) = key(r);
        facts.is_some_and(|f| {
            f.model == Some(model) && f.scope == Some(scope) && f.token == Some(token) && !f.long && f.plant.is_none()
        }) && region == Some(at)
            && day == mid
    };
    let i = (0..rows.len()).find(|&i| hit(&rows[i])).expect("every stream is active at its peak hour every day");
    &mut rows[i]
}

fn reprice_aws(r: &mut CurRow, rate: Decimal, plant: &'static str) {
    let tokens = r.claude.as_ref().and_then(|f| f.quantity).expect("a usage row has a quantity");
    r.rate = Some(rate);
    r.cost = prices::cost(tokens, rate);
    if let Some(f) = r.claude.as_mut() {
        f.plant = Some(plant);
    }
}

fn aws_key(r: &CurRow) -> Key<'_> {
    (r.claude.as_ref(), r.region, r.start.date_naive())
}

fn gcp_key(r: &GcpRow) -> Key<'_> {
    (r.claude.as_ref(), r.location, r.start.date_naive())
}

pub(crate) fn plant(config: &CloudConfig, aws: &mut Vec<CurRow>, gcp: &mut [GcpRow], logs: &mut [CloudInvocation]) {
    let r = find(aws, config, aws_key, (SONNET_4_6, "us-east-1", Scope::Regional, TokenType::Input));
    let global = prices::list_price(SONNET_4_6, Scope::Global, Tier::Standard, false, TokenType::Input);
    reprice_aws(r, global.expect("priced"), PLANTS[0]);

    let r = find(aws, config, aws_key, (HAIKU_4_5, "us-east-1", Scope::Regional, TokenType::CacheWrite1h));
    let five = prices::list_price(HAIKU_4_5, Scope::Regional, Tier::Standard, false, TokenType::CacheWrite5m);
    reprice_aws(r, five.expect("priced"), PLANTS[1]);

    let g = find(gcp, config, gcp_key, (SONNET_4_6, "global", Scope::Global, TokenType::CacheRead));
    let regional = prices::list_price(SONNET_4_6, Scope::Regional, Tier::Standard, false, TokenType::CacheRead);
    let tokens = g.claude.as_ref().and_then(|f| f.quantity).expect("a usage row has a quantity");
    g.cost = prices::cost(tokens, regional.expect("priced"));
    g.cost_at_list = g.cost;
    g.claude.as_mut().expect("a Claude row").plant = Some(PLANTS[2]);

    let noon = config.middle().and_hms_opt(STREAMS[0].peak_hour, 0, 0).expect("a valid hour").and_utc();
    let mut storage = claude_row(&STREAMS[0], noon, TokenType::Input, 250_000);
    storage.usage_type = Some("USE1-MP:USE1_CacheStorage-Units".into());
    storage.description = "AWS Marketplace software usage|us-east-1|Cache Storage".into();
    storage.rate = Some(Decimal::new(4, 2));
    storage.cost = Decimal::new(1, 2);
    storage.claude = storage.claude.map(|f| Facts { token: None, expected: None, plant: Some(PLANTS[3]), ..f });
    aws.push(storage);

    let sonnet_5 =
        STREAMS.iter().position(|s| s.model == SONNET_5 && s.tier == Tier::Standard).expect("a Sonnet 5 stream");
    let at = config.middle().and_hms_opt(STREAMS[sonnet_5].peak_hour, 0, 0).expect("a valid hour").and_utc();
    let mut nova = claude_row(&STREAMS[sonnet_5], at, TokenType::Input, 500_000);
    (nova.product_name, nova.product_code) = product("claude-nova-9");
    nova.servicecode = nova.product_code;
    nova.resource_id =
        Some("arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-nova-9".into());
    nova.rate = Some(Decimal::from(4));
    nova.cost = Decimal::from(2);
    nova.claude = nova.claude.map(|f| Facts { model: None, expected: None, plant: Some(PLANTS[4]), ..f });
    aws.push(nova);

    let g = find(gcp, config, gcp_key, (OPUS_4_8, "us-east5", Scope::Regional, TokenType::Output));
    g.cost = (g.cost * Decimal::new(12, 1)).normalize();
    g.claude.as_mut().expect("a Claude row").plant = Some(PLANTS[5]);

    let r = find(aws, config, aws_key, (SONNET_5, "us-east-1", Scope::Regional, TokenType::Output));
    r.claude.as_mut().expect("a Claude row").plant = Some(PLANTS[6]);
    let (hour, stream) = (r.start, sonnet_5);
    let record = logs
        .iter_mut()
        .filter(|l| l.stream == stream && l.hour == hour)
        .max_by_key(|l| (l.output_tokens, std::cmp::Reverse(l.timestamp)))
        .expect("every billed hour has invocation records");
    record.output_tokens -= (record.output_tokens / 4).max(1);
}
