//! `counterfoil attribute | cache | whatif | forecast | spend-report`: the cost model on the
//! command line, from the API or a store, through the same core functions as Python.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::Duration;
use rust_decimal::Decimal;

use super::args::{
    AttributeArgs, CacheArgs, ForecastArgs, ModelSource, Output, ScenarioArgs, SpendReportArgs, SummaryFormat,
    WhatifArgs,
};
use super::commands::{client, load_card, output};
use crate::api::{BucketWidth, CostQuery, UsageDimension, UsageQuery};
use crate::error::{Error, Result, io_err};
use crate::frames::{CostFrame, UsageFrame, api_keys_frame, cost_frame, fetch_usage, workspaces_frame};
use crate::model::forecast::{Coverage, parse_budget, parse_month};
use crate::model::{Labels, Scenario, attribute, cache_report, forecast, rollup, whatif};
use crate::rates::RateCard;
use crate::runtime::block_on;
use crate::store::Store;
use crate::window::{TimeWindow, parse_instant};

/// Usage, cost and labels of a window, from the store or the API.
struct Loaded {
    window: TimeWindow,
    usage: UsageFrame,
    cost: CostFrame,
    labels: Labels,
    card: RateCard,
}

fn load(src: &ModelSource, stderr: &mut dyn Write) -> Result<Loaded> {
    let window = TimeWindow::parse(&src.window.start, &src.window.end)?;
    window.check_whole_days()?;
    let card = load_card(src.rates.as_deref(), stderr)?;
    if let Some(dir) = &src.store {
        let store = Store::open(dir)?;
        return Ok(Loaded {
            window,
            usage: store.usage(window)?,
            cost: store.cost(window)?,
            labels: store.labels()?,
            card,
        });
    }
    let client = client(&src.connection, "fetching")?;
    let mut uq = UsageQuery::new(window, BucketWidth::Day);
    uq.group_by = UsageDimension::DEFAULT.to_vec();
    let cq = CostQuery::new(window);
    let (u, c, ws, keys) = block_on(async {
        futures::try_join!(fetch_usage(&client, &uq), client.cost_buckets(&cq), client.workspaces(), client.api_keys())
    })??;
    let labels = Labels::from_frames(Some(&workspaces_frame(&ws)?), Some(&api_keys_frame(&keys)?))?;
    let usage = UsageFrame::new(&u).map_err(|e| e.of_response(crate::api::USAGE_REPORT))?;
    let cost = CostFrame::new(&cost_frame(&c)?).map_err(|e| e.of_response(crate::api::COST_REPORT))?;
    Ok(Loaded { window, usage, cost, labels, card })
}

fn list(s: &str) -> Vec<&str> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).collect()
}

fn decimal(s: &str, flag: &str) -> Result<Decimal> {
    crate::money::parse_decimal(s, flag)
}

/// The scenario of the flags.
pub(crate) fn scenario(a: &ScenarioArgs) -> Result<Scenario> {
    let mut swap = BTreeMap::new();
    for s in &a.swap {
        let (from, to) = s.split_once('=').ok_or_else(|| {
            Error::input_hint(format!("invalid --swap {s:?}"), "use FROM=TO, e.g. claude-opus-4-1=claude-sonnet-4-5")
        })?;
        swap.insert(from.trim().to_owned(), to.trim().to_owned());
    }
    let mut r#where: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for w in &a.r#where {
        let (dim, values) =
            w.split_once('=').ok_or_else(|| Error::input_hint(format!("invalid --where {w:?}"), "use DIM=V1,V2"))?;
        let values = values.split(',').map(|v| (v.trim() != "null").then(|| v.trim().to_owned())).collect();
        r#where.insert(dim.trim().to_owned(), values);
    }
    Ok(Scenario {
        swap_models: swap,
        batch_share: a.batch_share.as_deref().map(|s| decimal(s, "--batch-share")).transpose()?,
        cache_ttl: a.cache_ttl.clone(),
        inference_geo: a.geo.clone(),
        price_date: a
            .price_date
            .as_deref()
            .map(|d| parse_instant(d, "--price-date").map(|t| t.date_naive()))
            .transpose()?,
        discount_factor: a.discount.as_deref().map(|s| decimal(s, "--discount")).transpose()?,
        r#where,
    })
}

fn write(
    df: &mut polars::prelude::DataFrame,
    o: &Output,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32> {
    output(df, o, stdout, stderr, true)?;
    Ok(0)
}

pub fn attribute_cmd(a: AttributeArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let l = load(&a.source, stderr)?;
    let mut df = attribute(&l.usage, &l.cost, &l.card, &l.labels, Some(l.window))?;
    if let Some(by) = &a.by {
        df = rollup(&df, &list(by))?;
    }
    write(&mut df, &a.output, stdout, stderr)
}

pub fn cache_cmd(a: CacheArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let l = load(&a.source, stderr)?;
    let usage = crate::reconcile::sides::clip_usage(&l.usage, Some(l.window))?;
    let mut df = cache_report(&usage, &l.card, &list(&a.by))?;
    write(&mut df, &a.output, stdout, stderr)
}

pub fn whatif_cmd(a: WhatifArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let s = scenario(&a.scenario)?;
    let l = load(&a.source, stderr)?;
    let usage = crate::reconcile::sides::clip_usage(&l.usage, Some(l.window))?;
    let mut df = whatif(&usage, &s, &l.card, &list(&a.by))?;
    write(&mut df, &a.output, stdout, stderr)
}

/// The cost frame a forecast of `month` needs at `today` (the month so far and the 28 settled
/// days before the first provisional one) and the window it covers: the window fetched from the
/// API, or the part of it the store holds (so that days the store lacks are refused, not $0).
fn forecast_cost(
    a: &ForecastArgs,
    month: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<(CostFrame, TimeWindow)> {
    let first_unsettled =
        (today.and_hms_opt(0, 0, 0).expect("midnight") - Duration::hours(i64::from(a.settle_hours))).date();
    let start = month.min(first_unsettled.min(today) - Duration::days(28));
    let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let end = today.max(start + Duration::days(1));
    let window = TimeWindow::new(midnight(start), midnight(end))?;
    if let Some(dir) = &a.store {
        let store = Store::open(dir)?;
        let state = store.state()?;
        let days = state.days(crate::store::Dataset::Cost);
        let mut held = days.range(start..end).map(|(d, _)| *d);
        let first = held.next();
        let last = held.next_back().or(first);
        let (Some(first), Some(last)) = (first, last) else {
            return Err(Error::input_hint(
                format!("the store {} holds no cost from {start} to {end}: nothing to forecast from", dir.display()),
                "run `counterfoil sync --store DIR` first",
            ));
        };
        // The days the store holds, from the first to the last: the forecast refuses a
        // frame that stops short of today, naming the last day (a day missing in between is
        // the store's own error).
        let held = TimeWindow::new(midnight(first), midnight(last + Duration::days(1)))?;
        return Ok((store.cost(held)?, held));
    }
    let client = client(&a.connection, "fetching")?;
    let c = block_on(client.cost_buckets(&CostQuery::new(window)))??;
    Ok((CostFrame::new(&cost_frame(&c)?).map_err(|e| e.of_response(crate::api::COST_REPORT))?, window))
}

pub fn forecast_cmd(a: ForecastArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let sinks = crate::notify::spec::parse_all(&a.notify)?;
    let cfg = super::notify::delivery(a.notify_timeout);
    let store = a.store.clone();
    let f = match forecast_run(&a, stdout) {
        Ok(f) => f,
        Err(e) => return Err(super::notify::job_failed("forecast", &sinks, &cfg, store.as_deref(), None, e, stderr)),
    };
    let at = super::commands::now()?;
    let want_org = !sinks.is_empty() || a.metrics_file.is_some();
    let organization = match store.as_deref() {
        Some(_) => super::notify::store_organization(store.as_deref()),
        // From the API, whose bill it is costs one request, made only for alerts and metrics.
        None if want_org => {
            let o = block_on(client(&a.connection, "forecast")?.organization())??;
            crate::notify::event::Organization { id: o.id, name: o.name }
        }
        None => crate::notify::event::Organization::default(),
    };
    if let Some(path) = a.metrics_file.as_deref() {
        let who = crate::notify::metrics::Who::new(Some(&organization.id), "forecast", None);
        crate::notify::metrics::Metrics::forecast(&f, &who, at).write(path)?;
    }
    if !super::notify::after_forecast(&sinks, &cfg, store.as_deref(), &f, organization, at, stderr)? {
        return Ok(4);
    }
    Ok(i32::from(f.over_budget() == Some(true)))
}

fn forecast_run(a: &ForecastArgs, stdout: &mut dyn Write) -> Result<crate::model::Forecast> {
    let today = super::commands::now()?.date_naive();
    let month = a.month.as_deref().map(parse_month).transpose()?;
    let budget = a.budget.as_deref().map(parse_budget).transpose()?;
    let first = month.unwrap_or_else(|| today - Duration::days(chrono::Datelike::day(&today) as i64 - 1));
    let (cost, window) = forecast_cost(a, first, today)?;
    let coverage = Coverage { settle_hours: a.settle_hours, ..Coverage::window(window) };
    let f = forecast(&cost, Some(first), budget, today, coverage)?;
    let io = || io_err("<stdout>");
    match a.format {
        SummaryFormat::Json => writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&f.to_json()).map_err(|e| Error::Internal(e.to_string()))?
        )
        .map_err(io())?,
        SummaryFormat::Table => {
            use crate::money::cents_usd;
            writeln!(
                stdout,
                "forecast for {} (today {}, {} days elapsed, {} left)",
                f.month, f.today, f.days_elapsed, f.days_left
            )
            .map_err(io())?;
            writeln!(stdout, "  month to date   {:>14}   (settled days)", cents_usd(f.month_to_date)).map_err(io())?;
            if f.provisional_days > 0 {
                writeln!(
                    stdout,
                    "  provisional     {:>14}   ({} unsettled day{}, may still grow; not in month to date)",
                    cents_usd(f.provisional),
                    f.provisional_days,
                    if f.provisional_days == 1 { "" } else { "s" }
                )
                .map_err(io())?;
            }
            writeln!(
                stdout,
                "  projected       {:>14}   (same-weekday mean of the 28 settled days)",
                cents_usd(f.projected)
            )
            .map_err(io())?;
            writeln!(stdout, "  band            {:>14} to {}", cents_usd(f.low), cents_usd(f.high)).map_err(io())?;
            if let (Some(b), Some(over)) = (f.budget, f.over_budget()) {
                writeln!(
                    stdout,
                    "  budget          {:>14}   {}",
                    cents_usd(b),
                    if over { "the projection exceeds it" } else { "within" }
                )
                .map_err(io())?;
            }
        }
    }
    Ok(f)
}

pub fn spend_report_cmd(a: SpendReportArgs, _stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let s = scenario(&a.scenario)?;
    let has_scenario = !(a.scenario.swap.is_empty()
        && a.scenario.batch_share.is_none()
        && a.scenario.cache_ttl.is_none()
        && a.scenario.geo.is_none()
        && a.scenario.price_date.is_none()
        && a.scenario.discount.is_none());
    let budget = a.budget.as_deref().map(parse_budget).transpose()?;
    let l = load(&a.source, stderr)?;
    let files = crate::jobs::cloud::CloudFiles { cur: a.bills.cur, gcp: a.bills.gcp, invocations: vec![] };
    let cloud = match files.is_empty() {
        true => None,
        false => {
            let tol = crate::cloud::reconcile::default_tolerance();
            Some(crate::jobs::cloud::reconcile_files(&files, &l.card, tol, Some(l.window))?)
        }
    };
    let html = crate::report::spend::spend_html(&crate::report::spend::SpendInputs {
        window: l.window,
        usage: &l.usage,
        cost: &l.cost,
        card: &l.card,
        labels: &l.labels,
        scenario: has_scenario.then_some(&s),
        budget,
        today: super::commands::now()?.date_naive(),
        cloud: cloud.as_ref(),
    })?;
    crate::fsio::write_output_bytes(&a.out, html.as_bytes())?;
    if let Some(line) = crate::fsio::wrote_line(&a.out) {
        let _ = writeln!(stderr, "{line}");
    }
    Ok(0)
}
