//! Fetching what a reconciliation needs from the Admin API (DESIGN §4).
//!
//! Usage at `1d` grouped by every price dimension (workspace, model, service tier, context
//! window, inference geo and speed, with the fast-mode beta header); cost grouped by workspace and
//! description; workspace names for labels. Both frames pass the same validation as a frame
//! handed over from Python.

use std::collections::BTreeMap;

use crate::api::{
    AdminClient, AnalyticsEndpoint, AnalyticsQuery, BucketWidth, COST_REPORT, CostQuery, USAGE_REPORT, UsageDimension,
    UsageQuery,
};
use crate::error::Result;
use crate::frames::analytics::{analytics_cost_frame, analytics_usage_frame};
use crate::frames::{AnalyticsCostFrame, CostFrame, UsageFrame, cost_frame, fetch_usage};
use crate::rates::RateCard;
use crate::window::TimeWindow;

use crate::reconcile::{Options, Provenance, Reconciliation, Source, Tolerance, reconcile, reconcile_analytics};

/// What a failure of the fetched data is said of (exit 4: the response, not the caller).
const BOTH: &str = "usage_report/messages and cost_report";

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
        futures::try_join!(fetch_usage(client, &uq), client.cost_buckets(&cq), client.workspaces())?;
    Ok(Fetched {
        usage: UsageFrame::new(&usage).map_err(|e| e.of_response(USAGE_REPORT))?,
        cost: cost_frame(&cost).and_then(|c| CostFrame::new(&c)).map_err(|e| e.of_response(COST_REPORT))?,
        workspace_names: workspaces.into_iter().map(|w| (w.id, w.name)).collect(),
    })
}

/// What an analytics reconciliation needs: usage and cost from the Analytics API.
pub struct FetchedAnalytics {
    pub usage: UsageFrame,
    pub cost: AnalyticsCostFrame,
    pub workspace_names: BTreeMap<String, String>,
}

/// The usage dimensions an analytics reconciliation groups by (the API key too, so lines can be
/// split per key without fetching again).
pub const ANALYTICS_USAGE_GROUPS: [&str; 7] = crate::frames::usage::USAGE_CONTRACT_DIMENSIONS;

/// The analytics queries of a reconciliation: daily buckets, usage by every price dimension and
/// API key, cost by the same plus cost and token type.
pub fn analytics_queries(window: TimeWindow) -> (AnalyticsQuery, AnalyticsQuery) {
    let query = |endpoint, extra: &[&str]| {
        let mut q = AnalyticsQuery::new(endpoint, window);
        q.bucket_width = Some(BucketWidth::Day);
        q.group_by = ANALYTICS_USAGE_GROUPS.iter().chain(extra).map(|s| (*s).to_owned()).collect();
        q
    };
    (query(AnalyticsEndpoint::Usage, &[]), query(AnalyticsEndpoint::Cost, &["cost_type", "token_type"]))
}

pub async fn fetch_analytics(client: &AdminClient, window: TimeWindow) -> Result<FetchedAnalytics> {
    window.check_whole_days()?;
    let (uq, cq) = analytics_queries(window);
    let (usage, cost, workspaces) =
        futures::try_join!(client.analytics_rows(&uq), client.analytics_rows(&cq), client.workspaces())?;
    Ok(FetchedAnalytics {
        usage: analytics_usage_frame(&usage, &uq.group_by, true)
            .and_then(|u| UsageFrame::new(&u))
            .map_err(|e| e.of_response("analytics/usage"))?,
        cost: analytics_cost_frame(&cost, &cq.group_by, true)
            .and_then(|c| AnalyticsCostFrame::new(&c))
            .map_err(|e| e.of_response("analytics/cost"))?,
        workspace_names: workspaces.into_iter().map(|w| (w.id, w.name)).collect(),
    })
}

/// Fetches `window` from `source` and reconciles it with `card`: the one path of `counterfoil
/// reconcile`, `rates --suggest` and `AdminClient.reconcile`. A split by API key is checked
/// before anything is fetched (only the Analytics API has one).
pub async fn fetch_and_reconcile(
    client: &AdminClient,
    window: TimeWindow,
    card: &RateCard,
    tolerance: Tolerance,
    by_api_key: bool,
    source: Source,
) -> Result<Reconciliation> {
    if by_api_key && source == Source::CostReport {
        return Err(crate::reconcile::by_key_needs_analytics());
    }
    match source {
        Source::CostReport => {
            let f = fetch(client, window).await?;
            let options = Options { tolerance, window: Some(window), workspace_names: f.workspace_names, by_api_key };
            reconcile(&f.usage, &f.cost, card, &options).map_err(|e| e.of_response(BOTH))
        }
        Source::Analytics => {
            let f = fetch_analytics(client, window).await?;
            let options = Options { tolerance, window: Some(window), workspace_names: f.workspace_names, by_api_key };
            reconcile_analytics(&f.usage, &f.cost, card, &options)
                .map_err(|e| e.of_response("analytics/usage and cost"))
        }
    }
}

/// What a reconciliation fetched through `client` cannot see in its frames: whose bill it is
/// (`/v1/organizations/me`) and which days of `window` the API may still restate, taken as a
/// store with the default restatement window would hold them (today − 3 days and later, by the
/// client's clock). FOCUS needs the first and says the second (`x_Provisional`).
pub async fn provenance(client: &AdminClient, window: TimeWindow) -> Result<Provenance> {
    let org = client.organization().await?;
    let restate = crate::store::SyncOptions::default().restate_days;
    let cutoff = client.config().now().date_naive() - chrono::Duration::days(i64::from(restate));
    let end = window.end.date_naive();
    let days = window.start.date_naive().iter_days().take_while(|d| *d < end);
    let unsettled_days = days.filter(|d| *d >= cutoff).collect();
    Ok(Provenance { organization: Some((org.id, org.name)), unsettled_days, recorded_at: None })
}
