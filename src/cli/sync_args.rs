//! The arguments of `counterfoil sync`: the cadence, the settle window and the watch loop.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::args::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The store directory (created if missing or empty).
    #[arg(long)]
    pub store: PathBuf,
    /// Full UTC days fetched by the first run, before today.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub backfill_days: u32,
    /// Days T-2 … T-N are re-read once per UTC day (today and yesterday on every run).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub restate_days: u32,
    /// A bucket is settled once it ended this many hours before the fetch that read it; only
    /// changes to settled buckets are logged as restatements (the rest is export lag).
    #[arg(long, default_value_t = crate::store::SETTLE_HOURS, value_parser = clap::value_parser!(u32).range(0..=720))]
    pub settle_hours: u32,
    /// Keep syncing every --interval until SIGINT or SIGTERM (which finish the current day); a
    /// run that fails for a transient reason (network, 5xx, 429) is logged and retried at the next
    /// interval; a store or lock error (exit 2) or refused credentials (exit 3) end the watch.
    #[arg(long)]
    pub watch: bool,
    /// Time between runs with --watch, e.g. 1h, 15m, 90s (jittered by up to 10%).
    #[arg(long, default_value = "1h")]
    pub interval: String,
    /// The one-line summary as text, or JSON for jobs.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,
    /// Send job.failed alerts (exit 2–4, and each failed run of --watch): slack:URL, webhook:URL
    /// or pagerduty:ROUTING_KEY, any value as env:NAME (repeatable) [default: $COUNTERFOIL_NOTIFY].
    #[arg(long = "notify", value_name = "SPEC")]
    pub notify: Vec<crate::notify::spec::SpecArg>,
    /// Seconds each notification request may take (tests).
    #[arg(long, hide = true, default_value_t = 10.0, value_parser = super::args::positive_seconds)]
    pub notify_timeout: f64,
    /// Write OpenMetrics gauges (restated partitions, last success) to this file after each
    /// successful run, atomically, for node_exporter's textfile collector.
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}
