//! The Google Cloud billing export's rows: Claude on Vertex as per-model services with
//! account-scoped SKUs, other services, a tax line per project and month and one adjustment
//! (`reference/cloud-billing.md` §3).
//!
//! SKU descriptions take the em-dash form of §3.2 (`Claude Opus 4 8 — Input Cache Write Tokens
//! (TTL 3600 seconds) — us-east5 — Context Window Size from 0 to 200000 Tokens`: Opus 4.8 is
//! spelled "4 8" as Google does); `usage.amount` is tokens (`count`), `amount_in_pricing_units`
//! millions of tokens (`1000000 count`). Claude rows carry no credits (Vertex Claude cannot be
//! paid with promotional credits); the Compute Engine rows carry a sustained-use discount.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use rust_decimal::Decimal;

use super::prices::{self, OPUS_4_8, SONNET_4_6};
use super::text::google_id;
use super::traffic::{GCP_PROJECTS, Hour, Provider, STREAMS, Scope, Tier, day_rng};
use super::{CloudConfig, CloudTruthLine, Facts};
use crate::rates::TokenType;

#[derive(Debug, Clone)]
pub(crate) struct Credit {
    pub name: &'static str,
    pub amount: Decimal,
    pub full_name: &'static str,
    pub id: &'static str,
    pub kind: &'static str,
}

/// One row of the standard usage cost export.
#[derive(Debug, Clone)]
pub(crate) struct GcpRow {
    pub service: (String, &'static str),
    pub sku: (String, String),
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub project: usize,
    pub labels: &'static [(&'static str, &'static str)],
    /// `location.location` = `location.region` (`global` or a region); `None` on a tax line.
    pub location: Option<&'static str>,
    pub export_time: DateTime<Utc>,
    pub cost: Decimal,
    pub cost_at_list: Decimal,
    /// (amount, unit, amount in pricing units, pricing unit); `None` on not-usage lines.
    pub usage: Option<(Decimal, &'static str, Decimal, &'static str)>,
    pub credits: Vec<Credit>,
    pub cost_type: &'static str,
    /// (id, description, mode, type) of an adjustment.
    pub adjustment: Option<(&'static str, &'static str, &'static str, &'static str)>,
    pub claude: Option<Facts>,
}

/// The service display name and the SKU's model spelling.
fn names(model: &str) -> (&'static str, &'static str) {
    match model {
        SONNET_4_6 => ("Claude Sonnet 4.6", "Claude Sonnet 4.6"),
        OPUS_4_8 => ("Claude Opus 4.8", "Claude Opus 4 8"),
        _ => ("Claude Haiku 4.5", "Claude Haiku 4.5"),
    }
}

pub(crate) fn service(model: &str) -> (String, &'static str) {
    let name = names(model).0;
    (google_id(&["service", name]), name)
}

pub(crate) fn sku_description(model: &str, location: &str, long: bool, t: TokenType) -> String {
    let kind = match t {
        TokenType::Input => "Input Tokens",
        TokenType::Output => "Output Tokens",
        TokenType::CacheRead => "Input Cache Read Tokens",
        TokenType::CacheWrite5m => "Input Cache Write Tokens",
        TokenType::CacheWrite1h => "Input Cache Write Tokens (TTL 3600 seconds)",
    };
    let band = if long { "from 200001 to 1000000" } else { "from 0 to 200000" };
    format!("{} — {kind} — {location} — Context Window Size {band} Tokens", names(model).1)
}

fn sku(model: &str, location: &str, long: bool, t: TokenType) -> (String, String) {
    let d = sku_description(model, location, long, t);
    (google_id(&["sku", &d]), d)
}

fn tokens_usage(tokens: i64) -> (Decimal, &'static str, Decimal, &'static str) {
    let mtok = (Decimal::from(tokens) / Decimal::from(1_000_000)).normalize();
    (Decimal::from(tokens), "count", mtok, "1000000 count")
}

/// Every GCP row of the window before plants.
pub(crate) fn rows(config: &CloudConfig, hours: &[Hour]) -> Vec<GcpRow> {
    let mut out = Vec::new();
    for h in hours {
        let s = &STREAMS[h.stream];
        if s.provider != Provider::Gcp {
            continue;
        }
        for (k, t) in TokenType::ALL.into_iter().enumerate() {
            let tokens = h.tokens[k];
            if tokens == 0 {
                continue;
            }
            let rate =
                prices::list_price(s.model, s.scope, Tier::Standard, s.long, t).expect("every GCP stream is priced");
            let cost = prices::cost(tokens, rate);
            out.push(GcpRow {
                service: service(s.model),
                sku: sku(s.model, s.region, s.long, t),
                start: h.start,
                end: h.start + Duration::hours(1),
                project: s.account,
                labels: s.tags,
                location: Some(s.region),
                export_time: h.start + Duration::hours(4) + Duration::minutes(17),
                cost,
                cost_at_list: cost,
                usage: Some(tokens_usage(tokens)),
                credits: vec![],
                cost_type: "regular",
                adjustment: None,
                claude: Some(Facts {
                    model: Some(s.model),
                    scope: Some(s.scope),
                    tier: Some(Tier::Standard),
                    long: s.long,
                    token: Some(t),
                    quantity: Some(tokens),
                    expected: Some(cost),
                    line_item_type: "Usage",
                    plant: None,
                }),
            });
        }
    }
    out.extend(super::gcp_other::rows(config, &out));
    out
}

/// Sorts the rows into file order.
pub(crate) fn finish(rows: &mut [GcpRow]) {
    rows.sort_by(|a, b| (a.start, a.project, a.cost_type, &a.sku.0).cmp(&(b.start, b.project, b.cost_type, &b.sku.0)));
}

/// A daily non-Claude or not-usage row with no usage of its own.
pub(crate) fn quantityless(day: chrono::NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    (start, start + Duration::days(1))
}

/// A seeded draw for the other services' quantities.
pub(crate) fn draw(config: &CloudConfig, day: chrono::NaiveDate, salt: u64, lo: i64, hi: i64) -> i64 {
    day_rng(config.seed, day, 98, salt).random_range(lo..=hi)
}

impl GcpRow {
    pub(crate) fn truth(&self) -> Option<CloudTruthLine> {
        let f = self.claude.as_ref()?;
        let usage = f.line_item_type == "Usage";
        Some(CloudTruthLine {
            provider: Provider::Gcp.as_str(),
            account_id: GCP_PROJECTS[self.project].id.to_owned(),
            date: self.start.date_naive(),
            usage_start: self.start,
            region: self.location.map(str::to_owned),
            scope: f.scope.map(Scope::as_str),
            model: f.model,
            service_tier: f.tier.map(Tier::as_str),
            context_window: usage.then_some(if f.long { "200k-1M" } else { "0-200k" }),
            token_type: f.token.map(TokenType::api_name),
            quantity: f.quantity,
            line_item_type: f.line_item_type,
            billed_usd: self.cost,
            expected_usd: f.expected,
            source_id: Some(self.sku.0.clone()),
            plant: f.plant,
        })
    }
}
