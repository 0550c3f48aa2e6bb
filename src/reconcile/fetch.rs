//! Fetching what a reconciliation needs from the Admin API (DESIGN §4).
//!
//! Usage at `1d` grouped by workspace, model, service tier, context window and inference geo,
//! plus `speed` (with the fast-mode beta header) only when the card prices fast mode in the
//! window; cost grouped by workspace and description; workspace names for labels.

use std::collections::BTreeMap;

use polars::prelude::DataFrame;

use crate::api::{AdminClient, BucketWidth, CostQuery, UsageDimension, UsageQuery};
use crate::error::Result;
use crate::frames::{cost_frame, usage_frame};
use crate::rates::RateCard;
use crate::window::TimeWindow;

/// The frames and labels a reconciliation of `window` needs.
pub struct Fetched {
    pub usage: DataFrame,
    pub cost: DataFrame,
    pub workspace_names: BTreeMap<String, String>,
}

/// Whether any model has a fast-mode rate valid on some day of `window`.
pub fn card_needs_speed(card: &RateCard, window: TimeWindow) -> bool {
    let (first, last) = (window.start.date_naive(), (window.end - chrono::Duration::microseconds(1)).date_naive());
    card.models
        .iter()
        .flat_map(|m| &m.rates)
        .any(|r| r.speed == "fast" && *r.valid_from.get_ref() <= last && r.valid_to.is_none_or(|to| to > first))
}

/// The usage query reconciliation sends.
pub fn usage_query(card: &RateCard, window: TimeWindow) -> UsageQuery {
    let mut q = UsageQuery::new(window, BucketWidth::Day);
    q.group_by = vec![
        UsageDimension::WorkspaceId,
        UsageDimension::Model,
        UsageDimension::ServiceTier,
        UsageDimension::ContextWindow,
        UsageDimension::InferenceGeo,
    ];
    if card_needs_speed(card, window) {
        q.group_by.push(UsageDimension::Speed);
    }
    q
}

pub async fn fetch(client: &AdminClient, card: &RateCard, window: TimeWindow) -> Result<Fetched> {
    let uq = usage_query(card, window);
    let cq = CostQuery::new(window);
    let (usage, cost, workspaces) =
        futures::try_join!(client.usage_buckets(&uq), client.cost_buckets(&cq), client.workspaces())?;
    Ok(Fetched {
        usage: usage_frame(&usage)?,
        cost: cost_frame(&cost)?,
        workspace_names: workspaces.into_iter().map(|w| (w.id, w.name)).collect(),
    })
}
