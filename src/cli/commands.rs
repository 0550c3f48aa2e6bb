//! The subcommands: each parses its arguments, calls the engine, and writes the result.

use std::io::Write;

use super::args::{
    Connection, CostArgs, DemoArgs, FakeApiArgs, Format, RatesArgs, SimArgs, UsageArgs,
};
use super::output::{table, write_frame};
use super::progress_bar;
use crate::api::{
    AdminClient, ApiKey, BaseUrl, BucketWidth, ClientConfig, CostDimension, CostQuery, RetryPolicy,
    UsageDimension, UsageFilters, UsageQuery,
};
use crate::error::{Error, Result, io_err};
use crate::frames::{cost_frame, usage_frame};
use crate::rates::RateCard;
use crate::runtime::block_on;
use crate::sim::{FakeAdminApi, Faults, OrgConfig, Organization};
use crate::window::{TimeWindow, parse_instant};

fn client(c: &Connection, what: &str) -> Result<AdminClient> {
    let key = match &c.api_key {
        Some(k) => ApiKey::new(k.clone())?,
        None => ApiKey::from_env()?,
    };
    let base = match &c.base_url {
        Some(u) => BaseUrl::parse(u)?,
        None => BaseUrl::from_env()?,
    };
    let config = ClientConfig {
        retry: RetryPolicy {
            max_retries: c.max_retries,
            ..RetryPolicy::default()
        },
        concurrency: c.concurrency as usize,
        ..ClientConfig::default()
    };
    Ok(AdminClient::new(key, base, config)?.with_progress(progress_bar(what)))
}

/// A comma list of dimensions; "none" (or empty) means no grouping.
fn dimensions<T: std::str::FromStr<Err = Error>>(list: &str) -> Result<Vec<T>> {
    if list.trim().is_empty() || list.trim() == "none" {
        return Ok(vec![]);
    }
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

pub fn usage(a: UsageArgs, stdout: &mut dyn Write, _stderr: &mut dyn Write) -> Result<i32> {
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let width: BucketWidth = a.bucket_width.parse()?;
    let mut query = UsageQuery::new(window, width);
    if let Some(g) = &a.group_by {
        query.group_by = dimensions(g)?;
    }
    query.filters = UsageFilters {
        api_key_ids: a.api_key_id,
        workspace_ids: a.workspace_id,
        account_ids: a.account_id,
        service_account_ids: a.service_account_id,
        models: a.model,
        service_tiers: a.service_tier,
        context_windows: a.context_window,
        inference_geos: a.inference_geo,
        speeds: a.speed,
    };
    let client = client(&a.connection, "usage")?;
    let buckets = block_on(client.usage_buckets(&query))??;
    let mut df = usage_frame(&buckets)?;
    let by_ws = query.group_by.contains(&UsageDimension::WorkspaceId);
    write_frame(
        &mut df,
        a.output.format,
        a.output.out.as_deref(),
        stdout,
        by_ws,
    )?;
    Ok(0)
}

pub fn cost(a: CostArgs, stdout: &mut dyn Write, _stderr: &mut dyn Write) -> Result<i32> {
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let query = CostQuery {
        window,
        group_by: dimensions(&a.group_by)?,
    };
    let client = client(&a.connection, "cost")?;
    let buckets = block_on(client.cost_buckets(&query))??;
    let mut df = cost_frame(&buckets)?;
    let by_ws = query.group_by.contains(&CostDimension::WorkspaceId);
    write_frame(
        &mut df,
        a.output.format,
        a.output.out.as_deref(),
        stdout,
        by_ws,
    )?;
    Ok(0)
}

fn organization(sim: &SimArgs) -> Result<Organization> {
    let today = match &sim.today {
        Some(d) => parse_instant(d, "--today")?.date_naive(),
        None => chrono::Utc::now().date_naive(),
    };
    Ok(Organization::generate(OrgConfig::new(
        sim.seed, sim.days, today,
    )))
}

pub fn fake_api(a: FakeApiArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    if !matches!(a.error_status, 500 | 529) {
        return Err(Error::input(format!(
            "--error-status must be 500 or 529, not {}",
            a.error_status
        )));
    }
    let org = organization(&a.sim)?;
    let w = org.window();
    let faults = Faults {
        latency: std::time::Duration::from_millis(a.latency_ms),
        rate_limit_every: a.rate_limit_every,
        retry_after_ms: a.retry_after_ms,
        error_every: a.error_every,
        error_status: a.error_status,
    };
    let api = FakeAdminApi::start_blocking(org, faults, a.port)?;
    let io = io_err("<stdout>");
    writeln!(stdout, "ANTHROPIC_BASE_URL={}", api.base_url()).map_err(io)?;
    writeln!(stdout, "ANTHROPIC_ADMIN_KEY={}", api.api_key()).map_err(io_err("<stdout>"))?;
    stdout.flush().map_err(io_err("<stdout>"))?;
    let _ = writeln!(
        stderr,
        "serving a simulated organization (seed {}, data {} to {}) on {}; Ctrl-C to stop",
        a.sim.seed,
        w.start.date_naive(),
        w.end.date_naive(),
        api.base_url()
    );
    block_on(tokio::signal::ctrl_c())?
        .map_err(|e| Error::input(format!("cannot wait for Ctrl-C: {e}")))?;
    api.stop();
    Ok(0)
}

/// Until reconciliation lands: fetch the simulated organization's usage and cost over real HTTP,
/// summarise them per workspace, and write both frames as Parquet.
pub fn demo(a: DemoArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    let org = organization(&a.sim)?;
    let window = org.window();
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0)?;
    let _ = writeln!(
        stderr,
        "fake Admin API on {} (simulated organization, seed {})",
        api.base_url(),
        a.sim.seed
    );
    let client = AdminClient::new(
        ApiKey::new(api.api_key())?,
        BaseUrl::parse(&api.base_url())?,
        ClientConfig::default(),
    )?
    .with_progress(progress_bar("fetching"));
    let (usage, cost) = block_on(async {
        let u = client
            .usage_buckets(&UsageQuery::new(window, BucketWidth::Day))
            .await?;
        let c = client.cost_buckets(&CostQuery::new(window)).await?;
        Ok::<_, Error>((u, c))
    })??;
    let mut usage = usage_frame(&usage)?;
    let mut cost = cost_frame(&cost)?;
    std::fs::create_dir_all(&a.out).map_err(io_err(a.out.display()))?;
    for (df, name) in [(&mut usage, "usage.parquet"), (&mut cost, "cost.parquet")] {
        let path = a.out.join(name);
        write_frame(df, Format::Parquet, Some(&path), stdout, true)?;
    }
    let summary =
        crate::frames::summary::by_workspace(&usage, &cost, &api.organization().workspaces)?;
    writeln!(
        stdout,
        "{} to {} (UTC days), per workspace:",
        window.start.date_naive(),
        (window.end - chrono::Duration::days(1)).date_naive()
    )
    .map_err(io_err("<stdout>"))?;
    writeln!(stdout, "{}", table(&summary, true)).map_err(io_err("<stdout>"))?;
    let _ = writeln!(
        stderr,
        "wrote {} and {}",
        a.out.join("usage.parquet").display(),
        a.out.join("cost.parquet").display()
    );
    Ok(0)
}

pub fn rates(a: RatesArgs, stdout: &mut dyn Write) -> Result<i32> {
    if let Some(path) = &a.check {
        let card = RateCard::load(path)?;
        writeln!(
            stdout,
            "ok: {} is a valid rate card ({} models in effect)",
            path.display(),
            card.models.len()
        )
        .map_err(io_err("<stdout>"))?;
        return Ok(0);
    }
    let card = match &a.rates {
        Some(p) => RateCard::load(p)?,
        None => RateCard::bundled(),
    };
    let mut df = card.to_frame()?;
    write_frame(
        &mut df,
        a.output.format,
        a.output.out.as_deref(),
        stdout,
        false,
    )?;
    Ok(0)
}
