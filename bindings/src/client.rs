//! `counterfoil.AdminClient`: converts, delegates to the core client, returns polars frames.

use counterfoil::TimeWindow;
use counterfoil::api::analytics::{AnalyticsEndpoint, AnalyticsQuery};
use counterfoil::api::{
    AdminClient, ApiKey, BaseUrl, BucketWidth, ClientConfig, CostDimension, CostQuery, UsageDimension, UsageFilters,
    UsageQuery,
};
use counterfoil::frames::analytics::analytics_frame;
use counterfoil::frames::claude_code::claude_code_frame;
use counterfoil::frames::{api_keys_frame, cost_frame, fetch_usage, workspaces_frame};
use counterfoil::jobs::fetch::analytics_queries;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrow::to_polars;
use crate::convert::{instant, strings};
use crate::errors::{InputError, to_py};
use crate::gateway::wait;

/// An analytics query from Python arguments; `group_by=None` is the reconciliation grouping.
fn analytics_query(
    endpoint: AnalyticsEndpoint,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    group_by: Option<Vec<String>>,
    bucket_width: Option<String>,
    exclude_deleted_users: bool,
    filters: Option<&Bound<'_, PyDict>>,
) -> PyResult<AnalyticsQuery> {
    let window = TimeWindow::new(instant(start, "start")?, instant(end, "end")?).map_err(to_py)?;
    let mut q = AnalyticsQuery::new(endpoint, window);
    q.bucket_width = bucket_width.map(|w| w.parse::<BucketWidth>()).transpose().map_err(to_py)?;
    let (usage_q, cost_q) = analytics_queries(window);
    let default = if endpoint == AnalyticsEndpoint::Usage { usage_q.group_by } else { cost_q.group_by };
    q.group_by = group_by.unwrap_or(default);
    q.exclude_deleted_users = exclude_deleted_users;
    for (k, v) in filters.into_iter().flat_map(|d| d.iter()) {
        let name: String = k.extract()?;
        let values: Vec<String> = match v.extract::<String>() {
            Ok(s) => vec![s],
            Err(_) => {
                v.extract().map_err(|_| InputError::new_err(format!("filter {name} must be a str or a list of str")))?
            }
        };
        q.filters.insert(name, values);
    }
    Ok(q)
}

#[pyclass(name = "AdminClient", module = "counterfoil", frozen)]
pub struct PyAdminClient {
    pub(crate) inner: AdminClient,
}

impl PyAdminClient {
    /// Every row of an analytics query as its frame (usage or cost, by the query's endpoint).
    fn analytics_frame(&self, py: Python<'_>, q: AnalyticsQuery) -> PyResult<Py<PyAny>> {
        let client = self.inner.clone();
        let df = wait(py, async move { analytics_frame(&client.analytics_rows(&q).await?, &q) })?;
        to_polars(py, df)
    }
}

fn parse<T: std::str::FromStr<Err = counterfoil::Error>>(items: Vec<String>) -> PyResult<Vec<T>> {
    items.iter().map(|s| s.parse().map_err(to_py)).collect()
}

#[pymethods]
impl PyAdminClient {
    #[new]
    /// `now`: the clock that decides which buckets may not exist yet (default: the system clock);
    /// set it to a simulated organization's "now" when replaying a timeline against the fake API.
    #[pyo3(signature = (api_key=None, base_url=None, *, max_retries=2, concurrency=4, timeout=45.0, now=None))]
    fn new(
        api_key: Option<String>,
        base_url: Option<String>,
        max_retries: u32,
        concurrency: usize,
        timeout: f64,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let key = match api_key {
            Some(k) => ApiKey::new(k),
            None => ApiKey::from_env(),
        }
        .map_err(to_py)?;
        let base = match base_url {
            Some(u) => BaseUrl::parse(&u),
            None => BaseUrl::from_env(),
        }
        .map_err(to_py)?;
        let mut config = ClientConfig::from_knobs(max_retries, concurrency, timeout).map_err(to_py)?;
        config.now = now.map(|t| instant(t, "now")).transpose()?;
        Ok(PyAdminClient { inner: AdminClient::new(key, base, config).map_err(to_py)? })
    }

    /// Usage report as a frame (DESIGN §3 "usage"). `group_by=None` groups by every dimension a
    /// price depends on plus the API key (as the CLI does); `[]` gives totals.
    #[pyo3(signature = (start, end, bucket_width="1d", group_by=None, *, api_key_ids=None, workspace_ids=None,
        account_ids=None, service_account_ids=None, models=None, service_tiers=None, context_windows=None,
        inference_geos=None, speeds=None))]
    #[allow(clippy::too_many_arguments)]
    fn usage(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        bucket_width: &str,
        group_by: Option<Vec<String>>,
        api_key_ids: Option<Vec<String>>,
        workspace_ids: Option<Vec<String>>,
        account_ids: Option<Vec<String>>,
        service_account_ids: Option<Vec<String>>,
        models: Option<Vec<String>>,
        service_tiers: Option<Vec<String>>,
        context_windows: Option<Vec<String>>,
        inference_geos: Option<Vec<String>>,
        speeds: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let window = TimeWindow::new(instant(start, "start")?, instant(end, "end")?).map_err(to_py)?;
        let width: BucketWidth = bucket_width.parse().map_err(to_py)?;
        let mut query = UsageQuery::new(window, width);
        if let Some(g) = group_by {
            query.group_by = parse::<UsageDimension>(g)?;
        }
        query.filters = UsageFilters {
            api_key_ids: strings(api_key_ids),
            workspace_ids: strings(workspace_ids),
            account_ids: strings(account_ids),
            service_account_ids: strings(service_account_ids),
            models: strings(models),
            service_tiers: strings(service_tiers),
            context_windows: strings(context_windows),
            inference_geos: strings(inference_geos),
            speeds: strings(speeds),
        };
        let client = self.inner.clone();
        let df = wait(py, async move { fetch_usage(&client, &query).await })?;
        to_polars(py, df)
    }

    /// Cost report as a frame (DESIGN §3 "cost"), USD as Decimal(38, 12).
    #[pyo3(signature = (start, end, group_by=None))]
    fn cost(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        group_by: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let window = TimeWindow::new(instant(start, "start")?, instant(end, "end")?).map_err(to_py)?;
        let mut query = CostQuery::new(window);
        if let Some(g) = group_by {
            query.group_by = parse::<CostDimension>(g)?;
        }
        let client = self.inner.clone();
        let df = wait(py, async move { cost_frame(&client.cost_buckets(&query).await?) })?;
        to_polars(py, df)
    }

    /// Usage from the Usage and Cost Analytics API (DESIGN §11): `bucket_start`, `bucket_end`
    /// (null when `bucket_width=None`: one row per group over the window), a column per
    /// `group_by` dimension, the token counts, `web_search_requests` and `requests`. Filters are
    /// the API's array filters by name, e.g. `models=["claude-opus-5"]`, `actor_types=["user_actor"]`.
    #[pyo3(signature = (start, end, group_by=None, bucket_width=None, *, exclude_deleted_users=false, **filters))]
    #[allow(clippy::too_many_arguments)]
    fn analytics_usage(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        group_by: Option<Vec<String>>,
        bucket_width: Option<String>,
        exclude_deleted_users: bool,
        filters: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let q = analytics_query(
            AnalyticsEndpoint::Usage,
            start,
            end,
            group_by,
            bucket_width,
            exclude_deleted_users,
            filters,
        )?;
        self.analytics_frame(py, q)
    }

    /// Cost from the Analytics API: the dimensions, `amount_usd` (after negotiated discounts),
    /// `list_amount_usd` (list price), `currency`, `requests` (null when grouped by cost or token
    /// type). Default grouping: every price dimension, the API key, cost and token type.
    #[pyo3(signature = (start, end, group_by=None, bucket_width=None, *, exclude_deleted_users=false, **filters))]
    #[allow(clippy::too_many_arguments)]
    fn analytics_cost(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        group_by: Option<Vec<String>>,
        bucket_width: Option<String>,
        exclude_deleted_users: bool,
        filters: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let q = analytics_query(
            AnalyticsEndpoint::Cost,
            start,
            end,
            group_by,
            bucket_width,
            exclude_deleted_users,
            filters,
        )?;
        self.analytics_frame(py, q)
    }

    /// The Claude Code usage report, day by day: per day and developer (sessions, lines added
    /// and removed, commits, pull requests, tool decisions, estimated cost), or with
    /// `by_model=True` per day, developer and model with tokens.
    #[pyo3(signature = (start, end, *, by_model=false))]
    fn claude_code(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        by_model: bool,
    ) -> PyResult<Py<PyAny>> {
        let window = TimeWindow::new(instant(start, "start")?, instant(end, "end")?).map_err(to_py)?;
        let client = self.inner.clone();
        let df = wait(py, async move { claude_code_frame(&client.claude_code(window).await?, by_model) })?;
        to_polars(py, df)
    }

    /// Fetches and reconciles `[start, end)` (whole UTC days) exactly as `counterfoil reconcile`
    /// does: the same queries, the same rules. `source="analytics"` reads the Analytics API.
    #[pyo3(signature = (start, end, card=None, *, abs_tol=None, rel_tol=None, source="legacy", by_api_key=false))]
    #[allow(clippy::too_many_arguments)]
    fn reconcile(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        card: Option<&crate::rates::PyRateCard>,
        abs_tol: Option<&Bound<'_, PyAny>>,
        rel_tol: Option<&Bound<'_, PyAny>>,
        source: &str,
        by_api_key: bool,
    ) -> PyResult<crate::reconcile::PyReconciliation> {
        use counterfoil::jobs::fetch::{fetch_and_reconcile, provenance};
        let window = TimeWindow::new(instant(start, "start")?, instant(end, "end")?).map_err(to_py)?;
        let card = card.map(|c| c.inner.clone()).unwrap_or_else(counterfoil::rates::RateCard::bundled);
        let tolerance = crate::convert::tolerance(abs_tol, rel_tol)?;
        let source = source.parse().map_err(to_py)?;
        let client = self.inner.clone();
        let inner = wait(py, async move {
            let mut rec = fetch_and_reconcile(&client, window, &card, tolerance, by_api_key, source).await?;
            rec.provenance = provenance(&client, window).await?;
            Ok(rec)
        })?;
        Ok(crate::reconcile::PyReconciliation { inner })
    }

    /// Every workspace, archived ones included (the default workspace is the null id).
    fn workspaces(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let client = self.inner.clone();
        let df = wait(py, async move { workspaces_frame(&client.workspaces().await?) })?;
        to_polars(py, df)
    }

    /// Every API key, whatever its status.
    fn api_keys(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let client = self.inner.clone();
        let df = wait(py, async move { api_keys_frame(&client.api_keys().await?) })?;
        to_polars(py, df)
    }

    /// `{"id", "name", "type"}` of the organization the key belongs to.
    fn organization<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let client = self.inner.clone();
        let org = wait(py, async move { client.organization().await })?;
        let d = PyDict::new(py);
        d.set_item("id", org.id)?;
        d.set_item("name", org.name)?;
        d.set_item("type", org.kind)?;
        Ok(d)
    }

    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url().as_str().to_owned()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner).replacen("AdminClient {", "AdminClient(", 1).replace(" }", ")")
    }
}
