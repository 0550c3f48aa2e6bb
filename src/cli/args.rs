//! The command line, declared with clap (DESIGN §5).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "counterfoil",
    version,
    about = "Check Anthropic's bill line by line: usage × rate card vs cost_report."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole path against a simulated organization on loopback and summarise it.
    Demo(DemoArgs),
    /// Fetch the messages usage report as a frame.
    Usage(Box<UsageArgs>),
    /// Fetch the cost report as a frame (USD, exact).
    Cost(CostArgs),
    /// Fetch usage and cost, price with the rate card, reconcile line by line (exit 1 on discrepancies).
    Reconcile(Box<ReconcileArgs>),
    /// Reconcile, then write the lines as a FOCUS 1.2 or 1.3 file (Parquet or CSV) for FinOps tools.
    Focus(Box<super::focus::FocusArgs>),
    /// Claude on AWS Bedrock and Google Vertex AI: read and reconcile the cloud bills.
    Cloud(super::cloud::CloudArgs),
    /// All Claude spend: Anthropic, Bedrock and Vertex in one table.
    Spend(Box<super::cloud::SpendArgs>),
    /// Bring a store (a directory of Parquet) up to date; re-reads recent days, keeps every version.
    Sync(SyncArgs),
    /// Who spent the bill: billed USD per day × workspace × API key × model × … (allocated by largest remainder).
    Attribute(Box<AttributeArgs>),
    /// Is caching paying off: hit rate, write premium, read savings, net savings.
    Cache(Box<CacheArgs>),
    /// The same tokens repriced under a scenario: model swap, batch share, cache TTL, geo, price date.
    Whatif(Box<WhatifArgs>),
    /// Where the month's bill lands: month to date, projection, band; exit 1 over --budget.
    Forecast(Box<ForecastArgs>),
    /// An HTML spend report: spend over time, top keys, cache savings, forecast, a scenario.
    SpendReport(Box<SpendReportArgs>),
    /// Serve a simulated organization as a fake Admin API on loopback.
    FakeApi(FakeApiArgs),
    FakeCloudBills(super::cloud_sim::FakeCloudBillsArgs),
    /// Show the effective rate card, validate one with --check, or --suggest an overlay from billing history.
    Rates(Box<RatesArgs>),
    /// Fetch the Claude Code usage report: per day and developer, sessions, lines, commits, PRs, estimated cost.
    ClaudeCode(Box<super::analytics::ClaudeCodeArgs>),
    /// Check where alerts go: `notify --test --notify SPEC` sends each sink one test event.
    Notify(NotifyArgs),
    /// Many organizations on Dask: `fleet sync|reconcile --fleet fleet.toml` (needs counterfoil[dask]).
    Fleet(FleetArgs),
}

/// `counterfoil fleet` runs in the Python package (it submits Dask tasks); this stub only
/// explains that when the Rust CLI is reached without it.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// sync or reconcile, then their options (see `counterfoil fleet --help` from the Python package).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

impl From<DataSource> for crate::reconcile::Source {
    fn from(d: DataSource) -> Self {
        match d {
            DataSource::Legacy => crate::reconcile::Source::CostReport,
            DataSource::Analytics => crate::reconcile::Source::Analytics,
        }
    }
}

/// Which endpoints to read: the legacy usage_report / cost_report, or the Usage and Cost
/// Analytics API (beta since 2026-10-29; from 2026-01-01, at most 365 days back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DataSource {
    #[default]
    Legacy,
    Analytics,
}

/// Credentials, endpoint and client tunables shared by fetching commands.
#[derive(Debug, Args)]
pub struct Connection {
    /// Admin API key [default: $ANTHROPIC_ADMIN_KEY or $ANTHROPIC_ADMIN_API_KEY]
    #[arg(long, hide_env_values = true)]
    pub api_key: Option<String>,
    /// API base URL [default: $ANTHROPIC_BASE_URL or https://api.anthropic.com]
    #[arg(long)]
    pub base_url: Option<String>,
    /// Retries for 408/409/429/5xx and connection errors.
    #[arg(long, default_value_t = 2)]
    pub max_retries: u32,
    /// Windows fetched at once for long ranges.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub concurrency: u32,
    /// Seconds one request may take, retries and waits included; a stalled server fails within it.
    #[arg(long, default_value_t = 45.0, value_parser = positive_seconds)]
    pub timeout: f64,
}

pub(crate) fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("expected a number of seconds between 0 and 86400, got {s:?}")),
    }
}

#[derive(Debug, Args)]
pub struct Window {
    /// First UTC day (YYYY-MM-DD) or instant (RFC 3339), inclusive.
    #[arg(long)]
    pub start: String,
    /// End UTC day or instant, exclusive.
    #[arg(long)]
    pub end: String,
}

#[derive(Debug, Args)]
pub struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of stdout (required for parquet on a terminal).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    #[command(flatten)]
    pub window: Window,
    /// legacy (usage_report) or analytics (the Usage and Cost Analytics API).
    #[arg(long, value_enum, default_value_t = DataSource::Legacy)]
    pub source: DataSource,
    /// Bucket width: 1m, 1h or 1d (with --source analytics also "none": one row per group).
    #[arg(long, default_value = "1d")]
    pub bucket_width: String,
    /// Comma-separated dimensions [default: workspace_id,api_key_id,model,service_tier,context_window,inference_geo,speed, as in Python]; "none" for totals.
    #[arg(long)]
    pub group_by: Option<String>,
    /// With --source analytics: any documented filter, e.g. --filter actor_types=user_actor (repeatable).
    #[arg(long = "filter", value_name = "NAME=V1,V2")]
    pub filter: Vec<String>,
    /// Only these workspaces (wrkspc_…; comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub workspace_id: Vec<String>,
    /// Only these API keys (apikey_…).
    #[arg(long, value_delimiter = ',')]
    pub api_key_id: Vec<String>,
    /// Only these user accounts (user_…).
    #[arg(long, value_delimiter = ',')]
    pub account_id: Vec<String>,
    /// Only these service accounts (svac_…).
    #[arg(long, value_delimiter = ',')]
    pub service_account_id: Vec<String>,
    /// Only these model ids (e.g. claude-opus-5-5).
    #[arg(long, value_delimiter = ',')]
    pub model: Vec<String>,
    /// Only these service tiers: standard, batch, priority, priority_on_demand, flex, flex_discount.
    #[arg(long, value_delimiter = ',')]
    pub service_tier: Vec<String>,
    /// Only these context windows: 0-200k, 200k-1M.
    #[arg(long, value_delimiter = ',')]
    pub context_window: Vec<String>,
    /// Only these inference geos: global, us, not_available.
    #[arg(long, value_delimiter = ',')]
    pub inference_geo: Vec<String>,
    /// Only these speeds: standard, fast (sends the fast-mode beta header).
    #[arg(long, value_delimiter = ',')]
    pub speed: Vec<String>,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    #[command(flatten)]
    pub window: Window,
    /// legacy (cost_report) or analytics (the Usage and Cost Analytics API: amount and list_amount).
    #[arg(long, value_enum, default_value_t = DataSource::Legacy)]
    pub source: DataSource,
    /// Comma-separated [legacy default: workspace_id,description ("none" for daily totals);
    /// analytics default: workspace_id,api_key_id,model,service_tier,context_window,inference_geo,speed,cost_type,token_type].
    #[arg(long)]
    pub group_by: Option<String>,
    /// With --source analytics: 1m, 1h, 1d or none.
    #[arg(long, default_value = "1d")]
    pub bucket_width: String,
    /// With --source analytics: any documented filter, e.g. --filter models=claude-opus-5 (repeatable).
    #[arg(long = "filter", value_name = "NAME=V1,V2")]
    pub filter: Vec<String>,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub connection: Connection,
}

/// The simulated organization and the fault knobs of the fake API.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Seed of the simulated organization.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Days of data, ending yesterday (UTC) or the day before --today.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub days: u32,
    /// The simulated "today" (first day without data), YYYY-MM-DD [default: today UTC].
    #[arg(long)]
    pub today: Option<String>,
    /// Discrepancies to plant: all, none, or a comma list of bend, drop_cost_line,
    /// phantom_cost_line, one_hour_at_five_minute, unknown_model, web_search_overbill
    /// (fake-api plants none unless asked; demo plants all unless asked).
    #[arg(long)]
    pub plants: Option<String>,
    /// Serve cost lines with these dimensions null (inference_geo, service_tier, context_window):
    /// exercises reconciliation at a coarser key.
    #[arg(long, value_delimiter = ',')]
    pub cost_null: Vec<String>,
    /// The organization's contract: none, or demo (12 % off Opus 5.5, 8 % off Sonnet 5.5 from
    /// mid-window, Haiku 4.5's list price up 20 % ten days before the end: a stale bundled card).
    #[arg(long, default_value = "none")]
    pub contract: String,
    /// The key the analytics endpoints use for the request count (the reference leaves it unconfirmed).
    #[arg(long, default_value = "requests")]
    pub analytics_request_key: String,
    /// Serve analytics usage metrics flat (cache_creation_5m_input_tokens) instead of nested.
    #[arg(long)]
    pub analytics_flat: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Parquet,
    Html,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub window: Window,
    /// A rate card layered over the bundled one (see `counterfoil rates --check`).
    #[arg(long)]
    pub rates: Option<PathBuf>,
    /// Absolute tolerance per line, in USD.
    #[arg(long, default_value = "0.01")]
    pub abs_tol: String,
    /// Relative tolerance per line, as a fraction of the reported amount.
    #[arg(long, default_value = "0")]
    pub rel_tol: String,
    /// Output format: a summary table, or the lines as json, csv, parquet, or an html report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write to this file instead of stdout (required for parquet on a terminal).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Read usage and cost from a store written by `counterfoil sync` (no API call); also records
    /// the discrepancies in the store's findings.parquet.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// With --store: exit 1 only for discrepancies no earlier run saw (an hourly job alerts once).
    #[arg(long, requires = "store")]
    pub new_only: bool,
    /// legacy (usage_report + cost_report) or analytics: check each line's list_amount against the
    /// card at list price and report the negotiated discount per line and model.
    #[arg(long, value_enum, default_value_t = DataSource::Legacy, conflicts_with = "store")]
    pub source: DataSource,
    /// With --source analytics: one line per API key too.
    #[arg(long)]
    pub by_key: bool,
    /// Send alerts: slack:URL, webhook:URL (CloudEvents) or pagerduty:ROUTING_KEY, any value
    /// as env:NAME (repeatable) [default: $COUNTERFOIL_NOTIFY, comma-separated]. With --store,
    /// each finding is told once, and again when it resolves or comes back.
    #[arg(long = "notify", value_name = "SPEC")]
    pub notify: Vec<crate::notify::spec::SpecArg>,
    /// Seconds each notification request may take (tests).
    #[arg(long, hide = true, default_value_t = 10.0, value_parser = positive_seconds)]
    pub notify_timeout: f64,
    /// Write OpenMetrics gauges (billed, over-, under-billed, unchecked USD, open findings, last
    /// success) to this file, atomically, for node_exporter's textfile collector.
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Send one test event to each sink; exit 0 only if each acknowledged it.
    #[arg(long, required = true)]
    pub test: bool,
    /// A sink: slack:URL, webhook:URL or pagerduty:ROUTING_KEY (repeatable) [default: $COUNTERFOIL_NOTIFY].
    #[arg(long = "notify", value_name = "SPEC")]
    pub notify: Vec<crate::notify::spec::SpecArg>,
    /// Seconds each notification request may take (tests).
    #[arg(long, hide = true, default_value_t = 10.0, value_parser = positive_seconds)]
    pub notify_timeout: f64,
}

#[derive(Debug, Args)]
pub struct FakeApiArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Added latency per response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Every Nth request answers 429 with retry-after (0 = never).
    #[arg(long, default_value_t = 0)]
    pub rate_limit_every: u32,
    /// retry-after-ms sent with 429s.
    #[arg(long, default_value_t = 1000)]
    pub retry_after_ms: u64,
    /// Every Nth request fails with --error-status (0 = never).
    #[arg(long, default_value_t = 0)]
    pub error_every: u32,
    /// 500 or 529.
    #[arg(long, default_value_t = 500)]
    pub error_status: u16,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// Where to write the demo's files.
    #[arg(long, default_value = "counterfoil-demo")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RatesArgs {
    /// Validate this card (layered over the bundled one unless it says extends = "none").
    #[arg(long)]
    pub check: Option<PathBuf>,
    /// Show the effective card with this user card applied (with --suggest: the card to calibrate).
    #[arg(long)]
    pub rates: Option<PathBuf>,
    /// Show the Bedrock and Vertex list prices ([[cloud_price]] rows) instead of Anthropic's.
    #[arg(long, conflicts_with = "suggest")]
    pub cloud: bool,
    /// Suggest a rate-card overlay (TOML, a comment of evidence per entry) from the billing
    /// history of --start..--end: negotiated discounts, stale list prices, missed geo pricing.
    #[arg(long, requires_all = ["start", "end"])]
    pub suggest: bool,
    /// With --suggest: first UTC day of history.
    #[arg(long)]
    pub start: Option<String>,
    /// With --suggest: end UTC day (exclusive).
    #[arg(long)]
    pub end: Option<String>,
    /// With --suggest: analytics (list_amount and amount per line) or legacy (cost_report ratios).
    #[arg(long, value_enum, default_value_t = DataSource::Analytics)]
    pub source: DataSource,
    #[command(flatten)]
    pub connection: Connection,
    /// Output format (table, csv, json, parquet).
    #[command(flatten)]
    pub output: Output,
}

pub use super::model_args::{
    AttributeArgs, CacheArgs, ForecastArgs, ModelSource, ScenarioArgs, SpendReportArgs, WhatifArgs,
};
pub use super::sync_args::{SummaryFormat, SyncArgs};
