//! Per-workspace summary of a usage and a cost frame (the demo's table).

use polars::prelude::*;

use crate::api::wire::Workspace;
use crate::error::Result;

/// Token totals from `usage` beside the USD total from `cost`, one row per workspace, the
/// default workspace named "Default".
pub fn by_workspace(usage: &DataFrame, cost: &DataFrame, workspaces: &[Workspace]) -> Result<DataFrame> {
    let key = || col("workspace_id").fill_null(lit(""));
    let tokens = usage.clone().lazy().group_by([key().alias("workspace_id")]).agg([
        col("uncached_input_tokens").sum(),
        (col("cache_creation_5m_input_tokens") + col("cache_creation_1h_input_tokens"))
            .sum()
            .alias("cache_write_tokens"),
        col("cache_read_input_tokens").sum(),
        col("output_tokens").sum(),
        col("web_search_requests").sum(),
    ]);
    let usd =
        cost.clone().lazy().group_by([key().alias("workspace_id")]).agg([col("amount_usd").sum().alias("cost_usd")]);
    let names = df!(
        "workspace_id" => workspaces.iter().map(|w| w.id.clone()).chain(std::iter::once(String::new())).collect::<Vec<_>>(),
        "workspace" => workspaces.iter().map(|w| w.name.clone()).chain(std::iter::once("Default".to_owned())).collect::<Vec<_>>(),
    )?;
    let joined = tokens
        .join(
            usd,
            [col("workspace_id")],
            [col("workspace_id")],
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
        .join(names.lazy(), [col("workspace_id")], [col("workspace_id")], JoinArgs::new(JoinType::Left))
        .select([
            col("workspace").fill_null(col("workspace_id")),
            when(col("workspace_id").eq(lit("")))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(col("workspace_id"))
                .alias("workspace_id"),
            col("uncached_input_tokens").fill_null(lit(0i64)),
            col("cache_write_tokens").fill_null(lit(0i64)),
            col("cache_read_input_tokens").fill_null(lit(0i64)),
            col("output_tokens").fill_null(lit(0i64)),
            col("web_search_requests").fill_null(lit(0i64)),
            col("cost_usd"),
        ])
        .sort(["workspace"], SortMultipleOptions::default())
        .collect()?;
    Ok(joined)
}
