//! `counterfoil fake-cloud-bills`: the simulated organization's Bedrock and Vertex bills written
//! to a directory (DESIGN §8, §13), for the cloud reconcile to read offline.
//!
//! Its arguments live here rather than in `args.rs`. The directory is refused unless it is new,
//! empty or an earlier output of this command, so a typo never overwrites someone's files.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;

use super::commands::now;
use crate::error::{Error, Result};
use crate::sim::{CloudBills, CloudConfig};

/// Write simulated AWS Bedrock and Google Vertex bills (CUR 2.0, legacy CUR, GCP export, invocation logs) with plants and truth.json.
#[derive(Debug, Args)]
pub struct FakeCloudBillsArgs {
    /// The directory to write (created if missing; must be empty or an earlier output).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the simulated traffic.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Whole UTC days of data, ending the day before --end.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub days: u32,
    /// First day without data, YYYY-MM-DD [default: today UTC, or the day of $COUNTERFOIL_NOW].
    #[arg(long)]
    pub end: Option<String>,
    /// Bill everything correctly: no plants.
    #[arg(long)]
    pub no_plants: bool,
}

pub fn run(a: FakeCloudBillsArgs, _stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let end = match &a.end {
        Some(d) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| Error::input_hint(format!("invalid --end {d:?}"), "use a UTC day like 2026-11-20"))?,
        None => now()?.date_naive(),
    };
    let config = CloudConfig::new(a.seed, a.days, end).with_plants(!a.no_plants);
    config.check()?;
    let started = std::time::Instant::now();
    let bills = CloudBills::generate(config);
    bills.write_all(&a.out)?;
    let count = |p: &str| bills.truth().iter().filter(|l| l.provider == p).count();
    let other = bills.other();
    let others = |p: &str| other.get(p).map_or(0, |o| o.0);
    let plants = bills.truth().iter().filter(|l| l.plant.is_some()).count();
    let dir = a.out.display();
    let _ = writeln!(
        stderr,
        "wrote {dir}: {} Claude + {} other AWS rows, {} Claude + {} other GCP rows, {} invocation records, \
         {plants} plants, days {} to {} ({:.1} s)",
        count("aws_bedrock"),
        others("aws_bedrock"),
        count("gcp_vertex"),
        others("gcp_vertex"),
        bills.invocations().len(),
        bills.config.start(),
        bills.config.end,
        started.elapsed().as_secs_f64(),
    );
    let _ = writeln!(
        stderr,
        "hint: the truth is {dir}/truth.json; the bills are {dir}/cur2, {dir}/legacy-cur, {dir}/gcp/billing.parquet \
         and {dir}/bedrock-invocations"
    );
    Ok(0)
}
