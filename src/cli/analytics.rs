//! The Analytics API on the command line: `usage|cost --source analytics`, `claude-code`, and
//! `rates --suggest`.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Args;

use super::args::{Connection, CostArgs, Output, RatesArgs, UsageArgs, Window};
use super::commands::{client, load_card, output};
use crate::api::BucketWidth;
use crate::api::analytics::{AnalyticsEndpoint, AnalyticsQuery};
use crate::calibrate::suggest;
use crate::error::{Error, Result, io_err};
use crate::frames::analytics::{analytics_cost_frame, analytics_usage_frame};
use crate::frames::claude_code::claude_code_frame;
use crate::jobs::fetch::fetch_and_reconcile;
use crate::reconcile::Tolerance;
use crate::runtime::block_on;
use crate::window::TimeWindow;

#[derive(Debug, Args)]
pub struct ClaudeCodeArgs {
    #[command(flatten)]
    pub window: Window,
    /// One row per day, developer and model, with tokens, instead of per day and developer.
    #[arg(long)]
    pub by_model: bool,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub connection: Connection,
}

/// The default grouping of analytics usage (the legacy default) and cost (plus cost and token type).
const USAGE_DEFAULT: &str = "workspace_id,api_key_id,model,service_tier,context_window,inference_geo,speed";
const COST_DEFAULT: &str =
    "workspace_id,api_key_id,model,service_tier,context_window,inference_geo,speed,cost_type,token_type";

fn width(s: &str) -> Result<Option<BucketWidth>> {
    if s.trim() == "none" { Ok(None) } else { s.parse().map(Some) }
}

fn list(s: &str) -> Vec<String> {
    if s.trim() == "none" {
        return vec![];
    }
    s.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect()
}

/// `--filter models=a,b` (repeatable) plus the legacy-named flags, as analytics filters.
fn filters(given: &[String], legacy: &[(&str, &[String])]) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in given {
        let (name, values) = f.split_once('=').ok_or_else(|| {
            Error::input_hint(format!("invalid --filter {f:?}"), "write NAME=V1,V2, e.g. --filter models=claude-opus-5")
        })?;
        out.entry(name.trim().trim_end_matches("[]").to_owned()).or_default().extend(list(values));
    }
    for (name, values) in legacy {
        if !values.is_empty() {
            out.entry((*name).to_owned()).or_default().extend(values.iter().cloned());
        }
    }
    Ok(out)
}

pub fn usage(a: UsageArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    if !a.account_id.is_empty() || !a.service_account_id.is_empty() {
        return Err(Error::input_hint(
            "the analytics API filters people by actor, not by account id",
            "use --filter actor_ids=user_…,svac_… (or --source legacy)",
        ));
    }
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Usage, window);
    q.bucket_width = width(&a.bucket_width)?;
    q.group_by = list(a.group_by.as_deref().unwrap_or(USAGE_DEFAULT));
    q.filters = filters(
        &a.filter,
        &[
            ("workspace_ids", &a.workspace_id),
            ("api_key_ids", &a.api_key_id),
            ("models", &a.model),
            ("service_tiers", &a.service_tier),
            ("context_windows", &a.context_window),
            ("inference_geos", &a.inference_geo),
            ("speeds", &a.speed),
        ],
    )?;
    let c = client(&a.connection, "analytics usage")?;
    let rows = block_on(c.analytics_rows(&q))??;
    let mut df = analytics_usage_frame(&rows, &q.group_by, q.bucket_width.is_some())?;
    output(&mut df, &a.output, stdout, stderr, q.group_by.iter().any(|g| g == "workspace_id"))?;
    Ok(0)
}

pub fn cost(a: CostArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let mut q = AnalyticsQuery::new(AnalyticsEndpoint::Cost, window);
    q.bucket_width = width(&a.bucket_width)?;
    q.group_by = list(a.group_by.as_deref().unwrap_or(COST_DEFAULT));
    q.filters = filters(&a.filter, &[])?;
    let c = client(&a.connection, "analytics cost")?;
    let rows = block_on(c.analytics_rows(&q))??;
    let mut df = analytics_cost_frame(&rows, &q.group_by, q.bucket_width.is_some())?;
    output(&mut df, &a.output, stdout, stderr, q.group_by.iter().any(|g| g == "workspace_id"))?;
    Ok(0)
}

pub fn claude_code_cmd(a: ClaudeCodeArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let c = client(&a.connection, "claude code")?;
    let records = block_on(c.claude_code(window))??;
    let mut df = claude_code_frame(&records, a.by_model)?;
    output(&mut df, &a.output, stdout, stderr, false)?;
    Ok(0)
}

/// `rates --suggest`: reconcile the history with the card, then print the overlay it supports.
pub fn suggest_cmd(a: RatesArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let (start, end) = (a.start.as_deref().unwrap_or_default(), a.end.as_deref().unwrap_or_default());
    let window = TimeWindow::parse(start, end)?;
    let card = load_card(a.rates.as_deref(), stderr)?;
    let c = client(&a.connection, "history")?;
    let rec = block_on(fetch_and_reconcile(&c, window, &card, Tolerance::default(), false, a.source.into()))??;
    let cal = suggest(&rec, &card)?;
    let text = cal.overlay_toml(&card)?;
    match &a.output.out {
        Some(p) => {
            crate::fsio::write_output_bytes(p, text.as_bytes())?;
            if let Some(line) = crate::fsio::wrote_line(p) {
                let _ = writeln!(stderr, "{line}");
            }
        }
        None => stdout.write_all(text.as_bytes()).map_err(io_err("<stdout>"))?,
    }
    let _ = writeln!(
        stderr,
        "{} suggestion{} from {} reconciled lines ({} one-off{} below {} days and {} lines: not a price); apply with --rates after review",
        cal.suggestions.len(),
        if cal.suggestions.len() == 1 { "" } else { "s" },
        rec.lines.height(),
        cal.one_offs.len(),
        if cal.one_offs.len() == 1 { "" } else { "s" },
        crate::calibrate::MIN_RUN_DAYS,
        crate::calibrate::MIN_RUN_LINES,
    );
    Ok(0)
}
