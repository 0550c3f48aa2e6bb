//! The subcommands: each parses its arguments, calls the engine, and writes the result.

use std::io::{IsTerminal, Write};

use super::args::{
    Connection, CostArgs, DataSource, DemoArgs, FakeApiArgs, RatesArgs, ReconcileArgs, SimArgs, UsageArgs,
};
use super::progress_bar;
use crate::api::{
    AdminClient, ApiKey, BaseUrl, BucketWidth, ClientConfig, CostDimension, CostQuery, RetryPolicy, UsageDimension,
    UsageFilters, UsageQuery,
};
use crate::error::{Error, Result, io_err};
use crate::frames::{cost_frame, fetch_usage};
use crate::rates::RateCard;
use crate::report::formats::{Format, write_frame, write_frame_file};
use crate::runtime::block_on;
use crate::sim::{Contract, FakeAdminApi, Faults, OrgConfig, Organization, Plant};
use crate::window::{TimeWindow, parse_instant};

/// The clock a command reads: the real one, or `COUNTERFOIL_NOW` (RFC 3339) for simulations and
/// tests that drive the fake API's clock (`FakeAdminApi.set_now`) and must drive ours with it.
pub(crate) fn clock() -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    match std::env::var("COUNTERFOIL_NOW") {
        Ok(v) if !v.trim().is_empty() => parse_instant(v.trim(), "COUNTERFOIL_NOW").map(Some),
        _ => Ok(None),
    }
}

/// [`clock`], or the real time.
pub(crate) fn now() -> Result<chrono::DateTime<chrono::Utc>> {
    Ok(clock()?.unwrap_or_else(chrono::Utc::now))
}

pub(crate) fn client(c: &Connection, what: &str) -> Result<AdminClient> {
    let key = match &c.api_key {
        Some(k) => ApiKey::new(k.clone())?,
        None => ApiKey::from_env()?,
    };
    let base = match &c.base_url {
        Some(u) => BaseUrl::parse(u)?,
        None => BaseUrl::from_env()?,
    };
    let config = ClientConfig {
        retry: RetryPolicy { max_retries: c.max_retries, ..RetryPolicy::default() },
        concurrency: c.concurrency as usize,
        now: clock()?,
        ..ClientConfig::default()
    }
    .with_timeout(std::time::Duration::from_secs_f64(c.timeout));
    Ok(AdminClient::new(key, base, config)?.with_progress(progress_bar(what)))
}

/// A comma list of dimensions; "none" (or empty) means no grouping.
fn dimensions<T: std::str::FromStr<Err = Error>>(list: &str) -> Result<Vec<T>> {
    if list.trim().is_empty() || list.trim() == "none" {
        return Ok(vec![]);
    }
    list.split(',').filter(|s| !s.trim().is_empty()).map(str::parse).collect()
}

/// Writes a frame where `--out` / `--format` say, with `wrote PATH` on stderr for files.
pub(crate) fn output(
    df: &mut polars::prelude::DataFrame,
    o: &super::args::Output,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    default_workspace: bool,
) -> Result<()> {
    match &o.out {
        Some(path) => {
            write_frame_file(df, o.format, path, default_workspace)?;
            if let Some(line) = crate::fsio::wrote_line(path) {
                let _ = writeln!(stderr, "{line}");
            }
            Ok(())
        }
        None => {
            if o.format == Format::Parquet && std::io::stdout().is_terminal() {
                return Err(Error::input_hint("refusing to write Parquet to a terminal", "add --out FILE.parquet"));
            }
            write_frame(df, o.format, stdout, default_workspace)
        }
    }
}

/// A rate card from `--rates` (or the bundled one), its warnings on stderr.
pub(crate) fn load_card(path: Option<&std::path::Path>, stderr: &mut dyn Write) -> Result<RateCard> {
    let card = match path {
        Some(p) => RateCard::load(p)?,
        None => RateCard::bundled(),
    };
    for w in &card.warnings {
        super::warn(stderr, w);
    }
    Ok(card)
}

pub fn usage(a: UsageArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    if a.source == DataSource::Analytics {
        return super::analytics::usage(a, stdout, stderr);
    }
    if !a.filter.is_empty() {
        return Err(Error::input_hint(
            "--filter is for --source analytics",
            "use the named flags (--model, --workspace-id, …)",
        ));
    }
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
    let mut df = block_on(fetch_usage(&client, &query))??;
    let by_ws = query.group_by.contains(&UsageDimension::WorkspaceId);
    output(&mut df, &a.output, stdout, stderr, by_ws)?;
    Ok(0)
}

pub fn cost(a: CostArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    if a.source == DataSource::Analytics {
        return super::analytics::cost(a, stdout, stderr);
    }
    if !a.filter.is_empty() || a.bucket_width != "1d" {
        return Err(Error::input_hint("cost_report has daily buckets and no filters", "use --source analytics"));
    }
    let window = TimeWindow::parse(&a.window.start, &a.window.end)?;
    let query =
        CostQuery { window, group_by: dimensions(a.group_by.as_deref().unwrap_or("workspace_id,description"))? };
    let client = client(&a.connection, "cost")?;
    let buckets = block_on(client.cost_buckets(&query))??;
    let mut df = cost_frame(&buckets)?;
    let by_ws = query.group_by.contains(&CostDimension::WorkspaceId);
    output(&mut df, &a.output, stdout, stderr, by_ws)?;
    Ok(0)
}

pub(crate) fn organization(sim: &SimArgs) -> Result<Organization> {
    let today = match &sim.today {
        Some(d) => parse_instant(d, "--today")?.date_naive(),
        None => chrono::Utc::now().date_naive(),
    };
    let mut config = OrgConfig::new(sim.seed, sim.days, today).with_cost_null(&sim.cost_null)?;
    config = match sim.contract.as_str() {
        "none" => config,
        "demo" => {
            let w = TimeWindow::last_days(today, sim.days);
            config.with_contract(Contract::demo(w))?
        }
        other => return Err(Error::input_hint(format!("unknown --contract {other:?}"), "choose none or demo")),
    };
    config.plants = Plant::parse_list(sim.plants.as_deref().unwrap_or("none"))?;
    Ok(Organization::generate(config))
}

pub fn fake_api(a: FakeApiArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    if !matches!(a.error_status, 500 | 529) {
        return Err(Error::input(format!("--error-status must be 500 or 529, not {}", a.error_status)));
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
    api.set_analytics_spelling(&a.sim.analytics_request_key, a.sim.analytics_flat);
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
    block_on(tokio::signal::ctrl_c())?.map_err(|e| Error::input(format!("cannot wait for Ctrl-C: {e}")))?;
    api.stop();
    Ok(0)
}

pub fn reconcile(a: ReconcileArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    super::reconcile::run(a, stdout, stderr)
}

pub fn demo(a: DemoArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    super::reconcile::demo(a, stdout, stderr)
}

pub fn rates(a: RatesArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    if a.suggest {
        return super::analytics::suggest_cmd(a, stdout, stderr);
    }
    if let Some(path) = &a.check {
        let card = load_card(Some(path), stderr)?;
        writeln!(
            stdout,
            "ok: {} is a valid rate card ({} models in effect, {} warnings)",
            path.display(),
            card.models.len(),
            card.warnings.len()
        )
        .map_err(io_err("<stdout>"))?;
        return Ok(0);
    }
    let card = load_card(a.rates.as_deref(), stderr)?;
    if a.cloud {
        let mut df = card.cloud_prices_frame()?;
        output(&mut df, &a.output, stdout, stderr, false)?;
        return Ok(0);
    }
    let mut df = card.to_frame()?;
    output(&mut df, &a.output, stdout, stderr, false)?;
    if a.output.format == Format::Table && a.output.out.is_none() {
        let io = || io_err("<stdout>");
        writeln!(stdout, "Prices are USD per million tokens. Modifiers:").map_err(io())?;
        for m in &card.modifiers {
            let effect = match m.factor {
                Some(f) => format!("× {f}"),
                None => "not in cost_report (priced for information)".into(),
            };
            let since = m.valid_from.map(|d| format!(" from {d}")).unwrap_or_default();
            writeln!(stdout, "  {} = {}: {effect}{since}", m.dimension, m.value).map_err(io())?;
        }
        if let Some(d) = card.discount_factor {
            writeln!(stdout, "  every token price × {d} (discount_factor of the user card)").map_err(io())?;
        }
        for d in &card.discounts {
            let to = d.valid_to.map(|t| format!(" until {t}")).unwrap_or_default();
            writeln!(
                stdout,
                "  {}: {} % off list from {}{to} (negotiated discount)",
                d.model,
                d.discount * rust_decimal::Decimal::ONE_HUNDRED,
                d.valid_from
            )
            .map_err(io())?;
        }
        writeln!(stdout, "Unit prices:").map_err(io())?;
        for u in &card.unit_prices {
            writeln!(stdout, "  {}: ${} per {}", u.cost_type, u.price, u.unit).map_err(io())?;
        }
        if let Some(d) = card.as_of {
            writeln!(stdout, "Card as of {d}.").map_err(io())?;
        }
    }
    Ok(0)
}
