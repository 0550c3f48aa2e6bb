//! The simulated organization's Claude traffic on AWS Bedrock and Google Vertex, written as the
//! clouds bill it (DESIGN §13, `reference/cloud-billing.md`), with plants and a ground truth.
//!
//! An independent oracle for the cloud readers: the bills are built from the simulator's own
//! price table ([`prices`]) and its own spelling of every column, usage type and SKU, from the
//! reference, never from the readers' code. One [`CloudBills`] is written in every shape the
//! readers accept — CUR 2.0 Parquet and CSV.gz, legacy CUR CSV.gz and its Athena Parquet, the
//! GCP export as nested Parquet, nested NDJSON and flattened CSV, Bedrock invocation logs — and
//! its truth lists every Claude line item with what it was billed and what it should cost.

mod aws;
mod aws_other;
mod cur_write;
mod frame;
mod gcp;
mod gcp_other;
mod gcp_write;
mod invocations;
mod layout;
mod legacy_write;
mod plants;
mod prices;
mod text;
mod traffic;
mod truth;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

pub use invocations::CloudInvocation;
pub use plants::PLANTS;

use crate::error::{Error, Result};

/// What to simulate: `days` whole UTC days ending the day before `end`, like `OrgConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudConfig {
    pub seed: u64,
    pub days: u32,
    /// First day without data (exclusive end).
    pub end: NaiveDate,
    /// Plant the seven cloud discrepancies (default on), each exactly once.
    pub plants: bool,
}

impl CloudConfig {
    pub fn new(seed: u64, days: u32, end: NaiveDate) -> Self {
        CloudConfig { seed, days, end, plants: true }
    }

    pub fn with_plants(mut self, on: bool) -> Self {
        self.plants = on;
        self
    }

    /// Refuses a window the simulator cannot bill: fewer than 1 or more than 400 days, or days
    /// before all its models were on sale (Opus 5, 2026-07-24, `pricing.md` §1).
    pub fn check(&self) -> Result<()> {
        if !(1..=400).contains(&self.days) {
            return Err(Error::input(format!("days must be between 1 and 400, not {}", self.days)));
        }
        let first = NaiveDate::from_ymd_opt(2026, 7, 24).expect("a valid date");
        if self.start() < first {
            return Err(Error::input_hint(
                format!("the window starts on {}, before every simulated model was on sale", self.start()),
                format!("choose an end and days that start on or after {first} (Claude Opus 5's release)"),
            ));
        }
        Ok(())
    }

    /// First day with data.
    pub fn start(&self) -> NaiveDate {
        self.end - Duration::days(i64::from(self.days))
    }

    /// The days of the window, in order.
    pub(crate) fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let start = self.start();
        (0..i64::from(self.days)).map(move |d| start + Duration::days(d))
    }

    /// The day the plants and one-off lines (credit, refund) land on.
    pub(crate) fn middle(&self) -> NaiveDate {
        self.start() + Duration::days(i64::from(self.days / 2))
    }
}

/// One Claude line item written to the bills (usage and not-usage), as the reader must see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudTruthLine {
    /// `aws_bedrock` or `gcp_vertex`.
    pub provider: &'static str,
    /// AWS usage account or GCP project id.
    pub account_id: String,
    /// The UTC day of `usage_start`.
    pub date: NaiveDate,
    pub usage_start: DateTime<Utc>,
    /// The bill's region (`us-east-1` even for a global-profile row; Google's location);
    /// `None` on a not-usage line that names none (tax).
    pub region: Option<String>,
    /// `global` or `regional`; `None` on not-usage lines.
    pub scope: Option<&'static str>,
    /// The canonical Anthropic id; `None` for an unknown product.
    pub model: Option<&'static str>,
    /// `standard` or `batch`; `None` on not-usage lines.
    pub service_tier: Option<&'static str>,
    /// `0-200k` or `200k-1M`; `None` on not-usage lines.
    pub context_window: Option<&'static str>,
    /// Anthropic's token type literal; `None` for an unknown usage type and not-usage lines.
    pub token_type: Option<&'static str>,
    /// Tokens; `None` on not-usage lines (the bill gives no quantity).
    pub quantity: Option<i64>,
    /// `Usage`, `Tax`, `Credit`, `Refund` (GCP `regular`/`tax`/`adjustment` → Usage/Tax/Credit).
    pub line_item_type: &'static str,
    /// Exactly what the bill says.
    pub billed_usd: Decimal,
    /// Quantity × the simulator's list price; `None` where unpriceable or not usage.
    pub expected_usd: Option<Decimal>,
    /// The usage type (AWS) or SKU id (GCP); `None` where the bill has none (an AWS tax line).
    pub source_id: Option<String>,
    pub plant: Option<&'static str>,
}

/// Facts of a Claude row that the file columns do not spell directly.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub model: Option<&'static str>,
    pub scope: Option<traffic::Scope>,
    pub tier: Option<traffic::Tier>,
    pub long: bool,
    pub token: Option<crate::rates::TokenType>,
    pub quantity: Option<i64>,
    pub expected: Option<Decimal>,
    pub line_item_type: &'static str,
    pub plant: Option<&'static str>,
}

/// The simulated cloud bills and their ground truth.
#[derive(Debug, Clone)]
pub struct CloudBills {
    pub config: CloudConfig,
    aws: Vec<aws::CurRow>,
    gcp: Vec<gcp::GcpRow>,
    invocations: Vec<CloudInvocation>,
    truth: Vec<CloudTruthLine>,
}

impl CloudBills {
    /// The same config gives the same bills, byte for byte.
    pub fn generate(config: CloudConfig) -> CloudBills {
        let mut hours = Vec::new();
        for day in config.dates() {
            hours.extend(traffic::day_hours(config.seed, day));
        }
        let mut aws = aws::rows(&config, &hours);
        let mut gcp = gcp::rows(&config, &hours);
        let mut invocations = invocations::records(&config, &hours);
        if config.plants {
            plants::plant(&config, &mut aws, &mut gcp, &mut invocations);
        }
        aws::finish(&config, &mut aws);
        gcp::finish(&mut gcp);
        let truth =
            aws.iter().filter_map(aws::CurRow::truth).chain(gcp.iter().filter_map(gcp::GcpRow::truth)).collect();
        CloudBills { config, aws, gcp, invocations, truth }
    }

    /// One entry per Claude line item written, in file order (AWS, then GCP).
    pub fn truth(&self) -> &[CloudTruthLine] {
        &self.truth
    }

    /// The non-Claude rows written, per provider: (rows, Σ cost before credits).
    pub fn other(&self) -> BTreeMap<&'static str, (u64, Decimal)> {
        let mut out = BTreeMap::new();
        let aws = self.aws.iter().filter(|r| r.claude.is_none()).map(|r| r.cost);
        let gcp = self.gcp.iter().filter(|r| r.claude.is_none()).map(|r| r.cost);
        for (provider, costs) in [("aws_bedrock", aws.collect::<Vec<_>>()), ("gcp_vertex", gcp.collect())] {
            out.insert(provider, (costs.len() as u64, costs.iter().sum()));
        }
        out
    }

    /// The Bedrock model invocation log records written, in time order per file.
    pub fn invocations(&self) -> &[CloudInvocation] {
        &self.invocations
    }

    /// `truth.json`'s text: the truth, the other rows, the totals and the plants.
    pub fn truth_json(&self) -> String {
        truth::to_json(self)
    }

    /// Writes every file of the layout and `truth.json` under `dir` (created if missing). Refuses
    /// a non-empty directory that is not an earlier output of this writer.
    pub fn write_all(&self, dir: &Path) -> Result<()> {
        layout::prepare(dir)?;
        cur_write::write(dir, &self.aws, self.config.end)?;
        legacy_write::write(dir, &self.aws, self.config.end)?;
        gcp_write::write(dir, &self.gcp)?;
        invocations::write(dir, &self.invocations)?;
        truth::write(dir, self)
    }
}
