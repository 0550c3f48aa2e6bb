//! The cost-model commands' arguments (attribute, cache, whatif, forecast, spend-report), apart
//! from `args` so each file reads in one sitting.

use std::path::PathBuf;

use clap::Args;

use super::args::{Connection, Output, SummaryFormat, Window};

/// Where a cost model reads usage and cost from.
#[derive(Debug, Args)]
pub struct ModelSource {
    #[command(flatten)]
    pub window: Window,
    /// Read from a store written by `counterfoil sync` instead of the API.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// A rate card layered over the bundled one.
    #[arg(long)]
    pub rates: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct AttributeArgs {
    #[command(flatten)]
    pub source: ModelSource,
    /// Roll up by these columns (comma-separated, e.g. workspace_name,api_key_name) instead of listing every row.
    #[arg(long)]
    pub by: Option<String>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(flatten)]
    pub source: ModelSource,
    /// Group by these usage dimensions (comma-separated; `date` too).
    #[arg(long, default_value = "workspace_id,model")]
    pub by: String,
    #[command(flatten)]
    pub output: Output,
}

/// A what-if scenario on the command line.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Reprice FROM's tokens at TO's rates (repeatable), e.g. --swap claude-opus-4-1=claude-sonnet-4-5.
    #[arg(long = "swap", value_name = "FROM=TO")]
    pub swap: Vec<String>,
    /// Move this fraction of standard-tier tokens to batch (0 to 1).
    #[arg(long)]
    pub batch_share: Option<String>,
    /// Price every cache write at this TTL: 5m or 1h.
    #[arg(long)]
    pub cache_ttl: Option<String>,
    /// Reprice data-residency models at this inference geo: global or us.
    #[arg(long)]
    pub geo: Option<String>,
    /// Price every row at this day's card (YYYY-MM-DD).
    #[arg(long)]
    pub price_date: Option<String>,
    /// Scale the scenario's prices by this factor (0 to 1), e.g. a negotiated discount.
    #[arg(long)]
    pub discount: Option<String>,
    /// Limit the scenario to rows where DIM is one of the values (repeatable), e.g. --where model=claude-opus-5.
    #[arg(long = "where", value_name = "DIM=V1,V2")]
    pub r#where: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WhatifArgs {
    #[command(flatten)]
    pub source: ModelSource,
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Group baseline and scenario by these usage dimensions (comma-separated; `date` too).
    #[arg(long, default_value = "model")]
    pub by: String,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// The month to forecast, YYYY-MM [default: this UTC month].
    #[arg(long)]
    pub month: Option<String>,
    /// Exit 1 when the projection exceeds this many USD.
    #[arg(long)]
    pub budget: Option<String>,
    /// Read cost from a store instead of the API.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// A day is provisional (reported apart, projected like a day left) until it ended this many
    /// hours before today's start.
    #[arg(long, default_value_t = crate::model::forecast::DEFAULT_SETTLE_HOURS)]
    pub settle_hours: u32,
    /// The forecast as a table or JSON.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,
    /// Send budget.exceeded when the projection is over --budget (with --store, once per
    /// crossing), job.failed when the command fails: slack:URL, webhook:URL or
    /// pagerduty:ROUTING_KEY, any value as env:NAME (repeatable) [default: $COUNTERFOIL_NOTIFY].
    #[arg(long = "notify", value_name = "SPEC")]
    pub notify: Vec<crate::notify::spec::SpecArg>,
    /// Seconds each notification request may take (tests).
    #[arg(long, hide = true, default_value_t = 10.0, value_parser = super::args::positive_seconds)]
    pub notify_timeout: f64,
    /// Write OpenMetrics gauges (projected month USD, last success) to this file, atomically,
    /// for node_exporter's textfile collector.
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct SpendReportArgs {
    #[command(flatten)]
    pub source: ModelSource,
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A monthly budget in USD, shown against the forecast.
    #[arg(long)]
    pub budget: Option<String>,
    /// Where to write the HTML report.
    #[arg(long, default_value = "spend-report.html")]
    pub out: PathBuf,
    /// Bedrock and Vertex bills of the same window, for "All Claude spend".
    #[command(flatten)]
    pub bills: super::cloud::Bills,
}
