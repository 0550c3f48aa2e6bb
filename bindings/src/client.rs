//! `counterfoil.AdminClient`: converts, delegates to the core client, returns polars frames.

use counterfoil::TimeWindow;
use counterfoil::api::{
    AdminClient, ApiKey, BaseUrl, BucketWidth, ClientConfig, CostDimension, CostQuery, RetryPolicy, UsageDimension,
    UsageFilters, UsageQuery,
};
use counterfoil::frames::{api_keys_frame, cost_frame, usage_frame, workspaces_frame};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrow::to_polars;
use crate::convert::{instant, strings};
use crate::errors::to_py;
use crate::gateway::wait;

#[pyclass(name = "AdminClient", module = "counterfoil", frozen)]
pub struct PyAdminClient {
    pub(crate) inner: AdminClient,
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
        if !timeout.is_finite() || timeout <= 0.0 || timeout > 86_400.0 || concurrency == 0 || concurrency > 32 {
            return Err(to_py(counterfoil::Error::input(
                "timeout must be in (0, 86400] seconds and concurrency in 1..=32",
            )));
        }
        let config = ClientConfig {
            retry: RetryPolicy { max_retries, ..RetryPolicy::default() },
            concurrency,
            now: now.map(|t| instant(t, "now")).transpose()?,
            ..ClientConfig::default()
        }
        .with_timeout(std::time::Duration::from_secs_f64(timeout));
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
        let df = wait(py, async move { usage_frame(&client.usage_buckets(&query).await?) })?;
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
