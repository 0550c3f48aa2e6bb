//! Planted discrepancies: deliberate errors in what the simulated organization is billed, each
//! recorded with the line key and the status a correct reconciliation must give it.
//!
//! Targets are chosen with the organization's seed among lines large enough that the error
//! exceeds any sane tolerance (at least $1, or 10 web searches), and never two plants on one key.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{NaiveDate, Timelike};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::billing::CostLine;
use super::org::UsageRecord;
use crate::error::{Error, Result};
use crate::rates::{RateCard, TokenType};
use crate::reconcile::{LineKey, Status};

/// A model id no rate card knows, used by [`Plant::UnknownModel`].
pub const UNKNOWN_MODEL: &str = "claude-opus-6-preview";

/// A kind of planted error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Plant {
    /// One token line billed at 1.07 × its amount.
    Bend,
    /// One token line missing from the cost report.
    DropCostLine,
    /// A token cost line with no usage behind it.
    PhantomCostLine,
    /// One line of 1h cache writes billed at the 5m rate.
    OneHourAtFiveMinute,
    /// Usage (and cost) of a model the rate card does not know.
    UnknownModel,
    /// Web search billed at 1.5 × the requests made.
    WebSearchOverbill,
}

impl Plant {
    pub const ALL: [Plant; 6] = [
        Plant::Bend,
        Plant::DropCostLine,
        Plant::PhantomCostLine,
        Plant::OneHourAtFiveMinute,
        Plant::UnknownModel,
        Plant::WebSearchOverbill,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Plant::Bend => "bend",
            Plant::DropCostLine => "drop_cost_line",
            Plant::PhantomCostLine => "phantom_cost_line",
            Plant::OneHourAtFiveMinute => "one_hour_at_five_minute",
            Plant::UnknownModel => "unknown_model",
            Plant::WebSearchOverbill => "web_search_overbill",
        }
    }

    /// `"all"`, `"none"`, or a comma list of plant names.
    pub fn parse_list(s: &str) -> Result<Vec<Plant>> {
        match s.trim() {
            "" | "none" => Ok(vec![]),
            "all" => Ok(Plant::ALL.to_vec()),
            list => list.split(',').map(str::parse).collect(),
        }
    }
}

impl FromStr for Plant {
    type Err = Error;
    fn from_str(s: &str) -> Result<Plant> {
        Plant::ALL.into_iter().find(|p| p.as_str() == s.trim()).ok_or_else(|| {
            let all: Vec<_> = Plant::ALL.iter().map(|p| p.as_str()).collect();
            Error::input_hint(format!("unknown plant {s:?}"), format!("choose from all, none, {}", all.join(", ")))
        })
    }
}

/// A planted error and what reconciliation must report for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub plant: Plant,
    pub key: LineKey,
    pub status: Status,
}

/// The day each plant lands on: spread over the window, chosen by seed.
pub(crate) fn plant_days(plants: &[Plant], days: &[NaiveDate], seed: u64) -> BTreeMap<Plant, NaiveDate> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9_1A47);
    plants.iter().filter(|_| !days.is_empty()).map(|p| (*p, days[rng.random_range(0..days.len())])).collect()
}

/// Before billing: usage of a model the card does not know, cloned from a few of the day's
/// standard-tier records (same minutes, so the records stay sorted).
pub(crate) fn inject_unknown_model(records: &[UsageRecord], rng_seed: u64) -> Vec<UsageRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(rng_seed);
    let mut added = Vec::new();
    for r in records.iter().filter(|r| r.service_tier == "standard" && r.workspace_id.is_some()) {
        if rng.random_range(0..10) == 0 && added.len() < 6 {
            let mut c = r.clone();
            c.model = UNKNOWN_MODEL.into();
            c.context_window = "0-200k".into();
            c.inference_geo = "global".into();
            c.speed = "standard".into();
            c.web_search_requests = 0;
            added.push(c);
        }
    }
    added.sort_by_key(|r| (r.minute.hour(), r.minute.minute()));
    added
}

fn token_key(day: NaiveDate, l: &CostLine) -> LineKey {
    LineKey {
        date: day,
        workspace_id: l.workspace_id.as_deref().map(Arc::from),
        model: l.model.as_deref().map(Arc::from),
        service_tier: l.service_tier.as_deref().map(Arc::from),
        context_window: l.context_window.as_deref().map(Arc::from),
        inference_geo: l.inference_geo.as_deref().map(Arc::from),
        cost_type: crate::frames::CostType::from(l.cost_type.as_str()),
        token_type: l.token_type.as_deref().map(Arc::from),
        api_key_id: None,
    }
}

/// After billing: bends, drops and adds cost lines; returns what was planted.
pub(crate) fn apply(
    card: &RateCard,
    cost_lines: &mut BTreeMap<NaiveDate, Vec<CostLine>>,
    days: &BTreeMap<Plant, NaiveDate>,
    seed: u64,
) -> Vec<Planted> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_B0A7);
    let mut used: BTreeSet<LineKey> = BTreeSet::new();
    let mut out = Vec::new();
    let dollar = Decimal::ONE_HUNDRED; // cents
    for (&plant, &day) in days {
        let Some(lines) = cost_lines.get_mut(&day) else {
            continue;
        };
        let pick =
            |lines: &Vec<CostLine>, rng: &mut ChaCha8Rng, used: &BTreeSet<LineKey>, ok: &dyn Fn(&CostLine) -> bool| {
                let candidates: Vec<usize> =
                    (0..lines.len()).filter(|&i| ok(&lines[i]) && !used.contains(&token_key(day, &lines[i]))).collect();
                (!candidates.is_empty()).then(|| candidates[rng.random_range(0..candidates.len())])
            };
        let is_token = |l: &CostLine| l.cost_type == "tokens" && l.model.as_deref() != Some(UNKNOWN_MODEL);
        match plant {
            Plant::Bend => {
                if let Some(i) = pick(lines, &mut rng, &used, &|l| is_token(l) && l.amount_cents >= dollar) {
                    lines[i].amount_cents = (lines[i].amount_cents * Decimal::new(107, 2)).normalize();
                    out.push(Planted { plant, key: token_key(day, &lines[i]), status: Status::Mismatch });
                }
            }
            Plant::OneHourAtFiveMinute => {
                let is_1h = |l: &CostLine| {
                    is_token(l)
                        && l.token_type.as_deref() == Some(TokenType::CacheWrite1h.api_name())
                        && l.amount_cents >= dollar
                };
                if let Some(i) = pick(lines, &mut rng, &used, &is_1h) {
                    // 5m = 1.25 × input, 1h = 2 × input: the 5m price is 0.625 of the 1h price.
                    lines[i].amount_cents = (lines[i].amount_cents * Decimal::new(625, 3)).normalize();
                    out.push(Planted { plant, key: token_key(day, &lines[i]), status: Status::Mismatch });
                }
            }
            Plant::DropCostLine => {
                if let Some(i) = pick(lines, &mut rng, &used, &|l| is_token(l) && l.amount_cents >= dollar) {
                    let l = lines.remove(i);
                    out.push(Planted { plant, key: token_key(day, &l), status: Status::MissingCost });
                }
            }
            Plant::WebSearchOverbill => {
                if let Some(i) =
                    pick(lines, &mut rng, &used, &|l| l.cost_type == "web_search" && l.amount_cents >= Decimal::TEN)
                {
                    lines[i].amount_cents = (lines[i].amount_cents * Decimal::new(15, 1)).normalize();
                    out.push(Planted { plant, key: token_key(day, &lines[i]), status: Status::Mismatch });
                }
            }
            Plant::PhantomCostLine => {
                // Opus 4.7 in batch: no simulated app sends it, so no usage stands behind the line.
                let ws = lines.iter().find_map(|l| l.workspace_id.clone());
                let name = card.resolve("claude-opus-4-7").and_then(|m| m.name.clone()).unwrap_or_default();
                let line = CostLine {
                    workspace_id: ws,
                    description: format!("{name} Usage - Output Tokens (Batch)"),
                    cost_type: "tokens".into(),
                    model: Some("claude-opus-4-7".into()),
                    service_tier: Some("batch".into()),
                    token_type: Some(TokenType::Output.api_name().into()),
                    context_window: Some("0-200k".into()),
                    inference_geo: Some("global".into()),
                    amount_cents: Decimal::new(1_234_567, 4),
                };
                out.push(Planted { plant, key: token_key(day, &line), status: Status::MissingUsage });
                lines.push(line);
            }
            Plant::UnknownModel => {
                for l in lines.iter().filter(|l| l.model.as_deref() == Some(UNKNOWN_MODEL)) {
                    out.push(Planted { plant, key: token_key(day, l), status: Status::Unpriced });
                }
            }
        }
        if let Some(p) = out.last() {
            used.insert(p.key.clone());
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}
