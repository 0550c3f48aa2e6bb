//! `counterfoil.simulate.Organization` and `counterfoil.FakeAdminApi`.

use std::sync::Mutex;

use counterfoil::TimeWindow;
use counterfoil::sim::{Contract, FakeAdminApi, Faults, OrgConfig, Organization, Plant};
use pyo3::prelude::*;

use crate::arrow::to_polars;
use crate::convert::instant;
use crate::errors::{InputError, to_py};

/// A seeded, deterministic simulated organization and its ground truth.
#[pyclass(name = "Organization", module = "counterfoil.simulate", frozen)]
pub struct PyOrganization {
    pub(crate) inner: Organization,
}

#[pymethods]
impl PyOrganization {
    #[new]
    /// `contract="demo"`: negotiated discounts (12 % off Opus 5.5; 8 % off Sonnet 5.5 from
    /// mid-window) and a list-price change the bundled card does not know (Haiku 4.5 up 20 % ten
    /// days before the end). `lag=True`: usage and cost become visible gradually after each
    /// minute (most within 4 hours, all within 24), as Anthropic's exports do.
    #[pyo3(signature = (seed=7, days=14, today=None, *, plants=None, cost_null=None, contract=None, lag=false))]
    fn new(
        seed: u64,
        days: u32,
        today: Option<&Bound<'_, PyAny>>,
        plants: Option<&Bound<'_, PyAny>>,
        cost_null: Option<Vec<String>>,
        contract: Option<String>,
        lag: bool,
    ) -> PyResult<Self> {
        if !(1..=400).contains(&days) {
            return Err(InputError::new_err("days must be between 1 and 400"));
        }
        let today = match today {
            Some(t) => instant(t, "today")?.date_naive(),
            None => chrono::Utc::now().date_naive(),
        };
        let mut config =
            OrgConfig::new(seed, days, today).with_cost_null(&cost_null.unwrap_or_default()).map_err(to_py)?;
        config.plants = match plants {
            None => vec![],
            Some(p) => match p.extract::<String>() {
                Ok(s) => Plant::parse_list(&s).map_err(to_py)?,
                Err(_) => p
                    .extract::<Vec<String>>()?
                    .iter()
                    .map(|s| s.parse::<Plant>())
                    .collect::<Result<_, _>>()
                    .map_err(to_py)?,
            },
        };
        config = match contract.as_deref() {
            None | Some("none") => config,
            Some("demo") => config.with_contract(Contract::demo(TimeWindow::last_days(today, days))).map_err(to_py)?,
            Some(other) => {
                return Err(InputError::new_err(format!("unknown contract {other:?}; choose None or \"demo\"")));
            }
        };
        config.lag = lag;
        Ok(PyOrganization { inner: Organization::generate(config) })
    }

    #[getter]
    fn seed(&self) -> u64 {
        self.inner.config.seed
    }

    #[getter]
    fn days(&self) -> u32 {
        self.inner.config.days
    }

    /// `(start, end)` of the data, as UTC datetimes (end exclusive).
    #[getter]
    fn window(&self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        let w = self.inner.window();
        (w.start, w.end)
    }

    /// Ground truth: every usage record (minute resolution).
    fn usage_records(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.inner.records_frame().map_err(to_py)?)
    }

    /// Ground truth: every cost line billed, per day, in USD.
    fn cost_lines(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.inner.cost_lines_frame().map_err(to_py)?)
    }

    /// Ground truth: the planted discrepancies, with the status reconciliation must give each.
    fn planted(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_polars(py, self.inner.planted_frame().map_err(to_py)?)
    }

    fn __repr__(&self) -> String {
        let w = self.inner.window();
        format!(
            "Organization(seed={}, days={}, window={}..{})",
            self.inner.config.seed,
            self.inner.config.days,
            w.start.date_naive(),
            w.end.date_naive()
        )
    }
}

/// The fake Admin API serving an organization (or a list of them, each chosen by its Admin key:
/// a fleet) on loopback; a context manager.
#[pyclass(name = "FakeAdminApi", module = "counterfoil", frozen)]
pub struct PyFakeAdminApi {
    api: Mutex<Option<FakeAdminApi>>,
    base_url: String,
    api_key: String,
    api_keys: Vec<String>,
}

impl PyFakeAdminApi {
    /// Runs `f` on the running server, or says it was stopped.
    fn with<T>(&self, f: impl FnOnce(&FakeAdminApi) -> T) -> PyResult<T> {
        let guard = self.api.lock().expect("lock");
        guard.as_ref().map(f).ok_or_else(|| InputError::new_err("the fake API was stopped"))
    }
}

#[pymethods]
impl PyFakeAdminApi {
    #[new]
    #[pyo3(signature = (organization=None, *, port=0, latency_ms=0, rate_limit_every=0, retry_after_ms=1000, error_every=0, error_status=500))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        organization: Option<&Bound<'_, PyAny>>,
        port: u16,
        latency_ms: u64,
        rate_limit_every: u32,
        retry_after_ms: u64,
        error_every: u32,
        error_status: u16,
    ) -> PyResult<Self> {
        if !matches!(error_status, 500 | 529) {
            return Err(InputError::new_err("error_status must be 500 or 529"));
        }
        let orgs: Vec<Organization> = match organization {
            None => vec![Organization::generate(OrgConfig::recent(7, 14))],
            Some(o) => match o.cast::<PyOrganization>() {
                Ok(one) => vec![one.get().inner.clone()],
                Err(_) => {
                    let many: Vec<PyRef<PyOrganization>> = o.extract().map_err(|_| {
                        InputError::new_err("organization must be a simulate.Organization or a list of them")
                    })?;
                    many.iter().map(|x| x.inner.clone()).collect()
                }
            },
        };
        let faults = Faults {
            latency: std::time::Duration::from_millis(latency_ms),
            rate_limit_every,
            retry_after_ms,
            error_every,
            error_status,
        };
        let api = py.detach(|| FakeAdminApi::start_fleet_blocking(orgs, faults, port)).map_err(to_py)?;
        Ok(PyFakeAdminApi {
            base_url: api.base_url(),
            api_key: api.api_key().to_owned(),
            api_keys: api.api_keys(),
            api: Mutex::new(Some(api)),
        })
    }

    /// e.g. `http://127.0.0.1:40123`
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The Admin key this fake accepts (a simulated one, safe to show).
    #[getter]
    fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The Admin key of each organization served, in order (a fleet's keys).
    #[getter]
    fn api_keys(&self) -> Vec<String> {
        self.api_keys.clone()
    }

    /// How many requests the fake has answered.
    #[getter]
    fn request_count(&self) -> usize {
        self.api.lock().expect("lock").as_ref().map(|a| a.requests().len()).unwrap_or(0)
    }

    /// The simulated organization's regular (non-admin) key, refused with 403.
    #[getter]
    fn regular_key(&self) -> String {
        self.api.lock().expect("lock").as_ref().map(|a| a.organization().regular_key.clone()).unwrap_or_default()
    }

    fn stop(&self) {
        if let Some(api) = self.api.lock().expect("lock").take() {
            api.stop();
        }
    }

    /// The simulated present: buckets after it do not exist yet; today's are partial.
    #[getter]
    fn now(&self) -> PyResult<chrono::DateTime<chrono::Utc>> {
        self.with(|a| a.now())
    }

    /// Moves the simulated present (a timezone-aware datetime or RFC 3339 string).
    fn set_now(&self, now: &Bound<'_, PyAny>) -> PyResult<()> {
        let t = instant(now, "now")?;
        self.with(|a| a.set_now(t))
    }

    /// An outage: while the simulated present is in `[start, end)` every request answers 503,
    /// then the server recovers; `set_outage(None, None)` ends it.
    #[pyo3(signature = (start, end))]
    fn set_outage(&self, start: Option<&Bound<'_, PyAny>>, end: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let window = match (start, end) {
            (Some(s), Some(e)) => Some((instant(s, "start")?, instant(e, "end")?)),
            _ => None,
        };
        self.with(|a| a.set_outage(window))
    }

    /// Rebills a past day correctly (its planted error fixed); True if the bill changed.
    fn fix(&self, day: &Bound<'_, PyAny>) -> PyResult<bool> {
        let d = instant(day, "day")?.date_naive();
        self.with(|a| a.fix(d))?.map_err(to_py)
    }

    /// Bills a fixed day wrongly again: the error comes back.
    fn rebreak(&self, day: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = instant(day, "day")?.date_naive();
        self.with(|a| a.rebreak(d))?.map_err(to_py)
    }

    /// Revokes every Admin key: each request from now on answers 401.
    fn revoke_keys(&self) -> PyResult<()> {
        self.with(|a| a.revoke_keys())
    }

    /// Restates a past day between calls: about `share` of its usage arrives late and is billed
    /// into the day (recorded in the organization's ground truth). Returns the records added.
    #[pyo3(signature = (day, share=0.05))]
    fn restate(&self, day: &Bound<'_, PyAny>, share: f64) -> PyResult<usize> {
        let d = instant(day, "day")?.date_naive();
        self.with(|a| a.restate(d, share))?.map_err(to_py)
    }

    /// How the analytics endpoints spell what the reference leaves unconfirmed: the request
    /// count's key (`requests`, `request_count`, …) and flat instead of nested metric names.
    #[pyo3(signature = (request_key="requests", flat=false))]
    fn set_analytics_spelling(&self, request_key: &str, flat: bool) -> PyResult<()> {
        self.with(|a| a.set_analytics_spelling(request_key, flat))
    }

    /// The organization as served now (restatements included): the ground truth.
    fn organization(&self) -> PyResult<PyOrganization> {
        Ok(PyOrganization { inner: self.with(|a| (*a.organization()).clone())? })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop();
        false
    }

    fn __repr__(&self) -> String {
        format!("FakeAdminApi(base_url={:?})", self.base_url)
    }
}
