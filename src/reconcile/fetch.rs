//! Fetching what a reconciliation needs from the Admin API (DESIGN §4).
//!
//! Usage at `1d` grouped by every price dimension (workspace, model, service tier, context
//! window, inference geo and speed, with the fast-mode beta header); cost grouped by workspace and
//! description; workspace names for labels. Both frames pass the same validation as a frame
//! handed over from Python.

use std::collections::BTreeMap;

use crate::api::{AdminClient, BucketWidth, CostQuery, UsageDimension, UsageQuery};
use crate::error::Result;
use crate::frames::{CostFrame, UsageFrame, cost_frame, usage_frame};
use crate::window::TimeWindow;

/// The frames and labels a reconciliation of `window` needs.
pub struct Fetched {
    pub usage: UsageFrame,
    pub cost: CostFrame,
    pub workspace_names: BTreeMap<String, String>,
}

/// The usage query reconciliation sends.
pub fn usage_query(window: TimeWindow) -> UsageQuery {
    let mut q = UsageQuery::new(window, BucketWidth::Day);
    q.group_by = UsageDimension::PRICE.to_vec();
    q
}

pub async fn fetch(client: &AdminClient, window: TimeWindow) -> Result<Fetched> {
    window.check_whole_days()?;
    let uq = usage_query(window);
    let cq = CostQuery::new(window);
    let (usage, cost, workspaces) =
        futures::try_join!(client.usage_buckets(&uq), client.cost_buckets(&cq), client.workspaces())?;
    Ok(Fetched {
        usage: UsageFrame::new(&usage_frame(&usage)?)?,
        cost: CostFrame::new(&cost_frame(&cost)?)?,
        workspace_names: workspaces.into_iter().map(|w| (w.id, w.name)).collect(),
    })
}
