//! The organization's data: usage records at minute resolution, generated day by day.
//!
//! Each UTC day has its own RNG stream (seed × day), so a day's traffic does not depend on the
//! window it is part of. Traffic follows a diurnal curve with quieter weekends; models are only
//! used between their release and retirement in the rate card, the `200k-1M` window only where
//! the card prices it, fast mode only where a fast rate exists, geo `us` only on eligible models.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::billing::{CostLine, bill_day};
use super::contract::Contract;
use super::people::{App, people, sim_id};
use super::plants::{self, Plant, Planted};
use crate::api::wire::{ApiKeyInfo, Workspace};
use crate::rates::{PriceQuery, RateCard};
use crate::window::TimeWindow;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgConfig {
    pub seed: u64,
    /// Whole UTC days of data, ending the day before `end`.
    pub days: u32,
    /// First day without data (exclusive end); "now" for the fake API.
    pub end: NaiveDate,
    /// Average request groups per hour at the daily peak.
    pub peak_records_per_hour: u32,
    /// Discrepancies to plant in what the organization is billed.
    pub plants: Vec<Plant>,
    /// Cost-line dimensions served as null on every line (the reference is unsure the real API
    /// always fills `inference_geo`; any of `inference_geo`, `service_tier`, `context_window`).
    pub cost_null: Vec<String>,
    /// Negotiated discounts and list-price changes the bundled card does not know.
    pub contract: Contract,
    /// Export lag: each minute of usage (and its cost) becomes visible some time after it ends,
    /// most within 4 hours, all within 24 (`timeline::LAG_MAX`), as Anthropic's batch exports do.
    pub lag: bool,
}

/// The cost-line dimensions the simulator can serve as null.
pub const NULLABLE_COST_DIMS: [&str; 3] = ["inference_geo", "service_tier", "context_window"];

impl OrgConfig {
    /// Sets [`OrgConfig::cost_null`], refusing a dimension it cannot null.
    pub fn with_cost_null(mut self, dims: &[String]) -> crate::error::Result<Self> {
        for d in dims {
            if !NULLABLE_COST_DIMS.contains(&d.as_str()) {
                return Err(crate::error::Error::input_hint(
                    format!("cannot serve cost lines with a null {d:?}"),
                    format!("choose from {}", NULLABLE_COST_DIMS.join(", ")),
                ));
            }
        }
        self.cost_null = dims.to_vec();
        Ok(self)
    }

    /// Sets [`OrgConfig::contract`], checking it applies to the bundled card.
    pub fn with_contract(mut self, contract: Contract) -> crate::error::Result<Self> {
        let card = contract.billing_card(&RateCard::bundled())?;
        for d in &contract.discounts {
            card.with_discount(d.clone())?;
        }
        self.contract = contract;
        Ok(self)
    }

    pub fn new(seed: u64, days: u32, end: NaiveDate) -> Self {
        OrgConfig {
            seed,
            days,
            end,
            peak_records_per_hour: 24,
            plants: vec![],
            cost_null: vec![],
            contract: Contract::default(),
            lag: false,
        }
    }

    /// `days` days up to today (UTC).
    pub fn recent(seed: u64, days: u32) -> Self {
        OrgConfig::new(seed, days, Utc::now().date_naive())
    }
}

/// Token usage of one request group in one minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub minute: DateTime<Utc>,
    pub workspace_id: Option<String>,
    pub api_key_id: Option<String>,
    pub account_id: Option<String>,
    pub service_account_id: Option<String>,
    pub model: String,
    pub service_tier: String,
    pub context_window: String,
    pub inference_geo: String,
    pub speed: String,
    /// API requests behind this group (the Analytics API counts them).
    pub requests: u64,
    /// Per [`crate::rates::TokenType::ALL`]: input, 5m write, 1h write, cache read, output.
    pub tokens: [u64; 5],
    pub web_search_requests: u64,
}

/// A simulated organization with its ground truth.
#[derive(Debug, Clone)]
pub struct Organization {
    pub config: OrgConfig,
    pub id: String,
    pub name: String,
    pub workspaces: Vec<Workspace>,
    pub api_keys: Vec<ApiKeyInfo>,
    /// Sorted by minute.
    pub records: Vec<UsageRecord>,
    /// What the cost report bills, per day, as Anthropic would (before any planted error).
    pub cost_lines: BTreeMap<NaiveDate, Vec<CostLine>>,
    /// The Admin key the fake API accepts.
    pub admin_key: String,
    /// A regular (workspace) key the fake API refuses with 403.
    pub regular_key: String,
    /// The card the organization is billed from (the bundled one, plus the contract's price
    /// changes): never the card to reconcile with in a test of the stale-card finding.
    pub card: RateCard,
    /// The planted discrepancies and the status reconciliation must give each.
    pub planted: Vec<Planted>,
    /// Usage of "today" (the day `config.end`), served only up to the fake API's "now".
    pub today: Vec<UsageRecord>,
    /// Days restated after the fact (late usage that arrived), in order.
    pub restated: Vec<super::timeline::Restated>,
    /// Days rebilled correctly by `fix`, with the broken lines `rebreak` brings back.
    pub broken: BTreeMap<NaiveDate, Vec<CostLine>>,
}

impl Organization {
    /// Generates the organization, billed from the bundled rate card.
    pub fn generate(config: OrgConfig) -> Organization {
        Organization::generate_with_card(config, RateCard::bundled())
    }

    /// Generates the organization, billed from `card` with the contract's price changes.
    pub fn generate_with_card(config: OrgConfig, card: RateCard) -> Organization {
        let card = config.contract.billing_card(&card).expect("OrgConfig::with_contract checked the contract");
        let window = TimeWindow::last_days(config.end, config.days);
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let people = people(&mut rng, window.start, window.end);
        let admin_key = format!("sk-ant-admin01-{}", sim_id(&mut rng, "").repeat(2));
        let regular_key = format!("sk-ant-api03-{}", sim_id(&mut rng, ""));
        let id = format!("{:08x}-0000-4000-8000-{:012x}", config.seed as u32, config.seed & 0xffff_ffff_ffff);
        let mut records = Vec::new();
        let mut cost_lines = BTreeMap::new();
        let days: Vec<NaiveDate> =
            (0..config.days).map(|d| window.start.date_naive() + Duration::days(d as i64)).collect();
        let plant_days = plants::plant_days(&config.plants, &days, config.seed);
        for &day in &days {
            let start = records.len();
            generate_day(&config, &card, &people, day, &mut records);
            if plant_days.get(&Plant::UnknownModel) == Some(&day) {
                let added =
                    plants::inject_unknown_model(&records[start..], config.seed ^ day.num_days_from_ce() as u64);
                records.extend(added);
                records[start..].sort_by_key(|r| r.minute);
            }
            let mut lines = bill_day(&card, &people.workspaces, day, &records[start..], config.seed);
            config.contract.discount_lines(&card, day, &mut lines);
            null_dims(&config.cost_null, &mut lines);
            cost_lines.insert(day, lines);
        }
        let planted = plants::apply(&card, &mut cost_lines, &plant_days, config.seed);
        let mut today = Vec::new();
        generate_day(&config, &card, &people, config.end, &mut today);
        Organization {
            config,
            id,
            name: "Counterfoil Simulated Org".into(),
            workspaces: people.workspaces,
            api_keys: people.api_keys,
            records,
            cost_lines,
            admin_key,
            regular_key,
            card,
            planted,
            today,
            restated: Vec::new(),
            broken: BTreeMap::new(),
        }
    }

    /// The window the organization has data for.
    pub fn window(&self) -> TimeWindow {
        TimeWindow::last_days(self.config.end, self.config.days)
    }

    /// The records of the full days with `start <= minute < end` (not today's).
    pub fn records_in(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> &[UsageRecord] {
        let lo = self.records.partition_point(|r| r.minute < start);
        let hi = self.records.partition_point(|r| r.minute < end);
        &self.records[lo..hi.max(lo)]
    }

    /// Ground truth: token totals (5 types) and web searches over a window.
    pub fn usage_totals(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> [u64; 6] {
        let mut t = [0u64; 6];
        for r in self.records_in(start, end) {
            for (total, n) in t.iter_mut().zip(r.tokens) {
                *total += n;
            }
            t[5] += r.web_search_requests;
        }
        t
    }
}

/// Serves the configured cost-line dimensions as null.
pub(crate) fn null_dims(dims: &[String], lines: &mut [CostLine]) {
    for l in lines {
        for dim in dims {
            match dim.as_str() {
                "inference_geo" => l.inference_geo = None,
                "service_tier" => l.service_tier = None,
                "context_window" => l.context_window = None,
                _ => {}
            }
        }
    }
}

fn diurnal(hour: u32) -> f64 {
    // Quiet at night UTC, busiest in the US afternoon.
    let x = (hour as f64 - 17.0) / 24.0 * std::f64::consts::TAU;
    0.25 + 0.75 * (0.5 + 0.5 * x.cos())
}

fn generate_day(
    cfg: &OrgConfig,
    card: &RateCard,
    people: &super::people::People,
    day: NaiveDate,
    out: &mut Vec<UsageRecord>,
) {
    let day_index = day.num_days_from_ce() as u64;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ day_index);
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    // Slow growth (about 6% a month), from a fixed epoch so a day's traffic never depends on the window.
    let growth = 1.0 + 0.002 * (day - NaiveDate::from_ymd_opt(2026, 1, 1).expect("epoch")).num_days().max(0) as f64;
    let total_weight: u32 = people.apps.iter().map(|a| a.weight).sum();
    let mut day_records = Vec::new();
    for hour in 0..24u32 {
        let mean = cfg.peak_records_per_hour as f64 * diurnal(hour) * growth * if weekend { 0.4 } else { 1.0 };
        let n = (mean * rng.random_range(0.6..1.4)).round() as u32;
        for _ in 0..n {
            let mut pick = rng.random_range(0..total_weight);
            let app = people.apps.iter().find(|a| {
                if pick < a.weight {
                    true
                } else {
                    pick -= a.weight;
                    false
                }
            });
            let app = app.expect("weights cover the range");
            let minute = day.and_hms_opt(hour, rng.random_range(0..60), 0).expect("valid time").and_utc();
            if let Some(r) = record(&mut rng, card, people, app, minute) {
                day_records.push(r);
            }
        }
    }
    day_records.sort_by_key(|r| (r.minute.hour(), r.minute.minute()));
    out.extend(day_records);
}

fn record(
    rng: &mut ChaCha8Rng,
    card: &RateCard,
    people: &super::people::People,
    app: &App,
    minute: DateTime<Utc>,
) -> Option<UsageRecord> {
    let day = minute.date_naive();
    let workspace = app.workspace.map(|i| &people.workspaces[i]);
    if workspace.is_some_and(|w| w.archived_at.is_some_and(|a| a <= minute)) {
        return None;
    }
    let available: Vec<&str> =
        app.models.iter().copied().filter(|m| priceable(card, m, day, "0-200k", "standard")).collect();
    // Mostly the newest available model, sometimes an older one.
    let model = *available.get(if rng.random_bool(0.7) { 0 } else { rng.random_range(0..available.len().max(1)) })?;
    let entry = card.resolve(model)?;
    let pct = |rng: &mut ChaCha8Rng, p: u32| rng.random_range(0..100) < p;
    let tier = if pct(rng, app.batch_pct) {
        "batch"
    } else if pct(rng, app.priority_pct) && !matches!(model, "claude-sonnet-5" | "claude-opus-5") {
        "priority"
    } else {
        "standard"
    };
    let speed = if tier == "standard" && pct(rng, app.fast_pct) && priceable(card, model, day, "0-200k", "fast") {
        "fast"
    } else {
        "standard"
    };
    let long = speed == "standard" && pct(rng, app.long_pct) && priceable(card, model, day, "200k-1M", "standard");
    let geo_default = workspace
        .and_then(|w| w.data_residency.as_ref())
        .and_then(|d| d.default_inference_geo.clone())
        .unwrap_or_else(|| "global".into());
    let geo = if !entry.geo_eligible || day < NaiveDate::from_ymd_opt(2026, 2, 5).expect("date") {
        "not_available".to_owned()
    } else if pct(rng, app.us_pct) {
        "us".to_owned()
    } else {
        geo_default
    };
    let requests = rng.random_range(1..=6u64);
    let per = |rng: &mut ChaCha8Rng, lo: u64, hi: u64| (0..requests).map(|_| rng.random_range(lo..=hi)).sum::<u64>();
    let s = app.scale;
    let (uncached, read) = if long {
        (per(rng, 20_000, 120_000), per(rng, 150_000, 600_000))
    } else {
        (per(rng, s / 10, s), per(rng, 0, s * 3))
    };
    let w5 = if pct(rng, 60) { per(rng, 0, s / 2) } else { 0 };
    let w1 = if pct(rng, 35) { per(rng, 0, s) } else { 0 };
    let output = per(rng, 50, 4_000);
    let web = if pct(rng, app.web_pct) { per(rng, 1, 4) } else { 0 };
    Some(UsageRecord {
        minute,
        workspace_id: workspace.map(|w| w.id.clone()),
        api_key_id: app.api_key.map(|i| people.api_keys[i].id.clone()),
        account_id: app.account_id.clone(),
        service_account_id: app.service_account_id.clone(),
        model: model.to_owned(),
        service_tier: tier.to_owned(),
        context_window: if long { "200k-1M" } else { "0-200k" }.to_owned(),
        inference_geo: geo,
        speed: speed.to_owned(),
        requests,
        tokens: [uncached, w5, w1, read, output],
        web_search_requests: web,
    })
}

fn priceable(card: &RateCard, model: &str, day: NaiveDate, window: &str, speed: &str) -> bool {
    let q = PriceQuery {
        model,
        day,
        service_tier: Some("standard"),
        context_window: Some(window),
        inference_geo: Some("global"),
        speed: Some(speed),
    };
    card.price(&q).is_ok_and(|p| p.uncertain.is_none())
}
