//! Shared fixtures: a fixed simulated organization and a client for a running fake API.
#![allow(dead_code)]

use std::time::Duration;

use chrono::NaiveDate;
use counterfoil::api::{AdminClient, ApiKey, BaseUrl, ClientConfig, RetryPolicy};
use counterfoil::sim::{FakeAdminApi, Faults, OrgConfig, Organization};

/// The simulated "today" of every fixture: data covers the days before it.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

pub fn org(seed: u64, days: u32) -> Organization {
    Organization::generate(OrgConfig::new(seed, days, today()))
}

/// Fast retries so fault tests do not sleep for seconds.
pub fn config(max_retries: u32, concurrency: usize) -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            max_retries,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
        },
        concurrency,
        // The fixtures' simulated "today": buckets before it exist.
        now: Some(today().and_hms_opt(0, 0, 0).unwrap().and_utc()),
        ..ClientConfig::default()
    }
}

pub fn client_for(api: &FakeAdminApi, config: ClientConfig) -> AdminClient {
    AdminClient::new(ApiKey::new(api.api_key()).unwrap(), BaseUrl::parse(&api.base_url()).unwrap(), config).unwrap()
}

pub fn client_with_key(api: &FakeAdminApi, key: &str) -> AdminClient {
    AdminClient::new(ApiKey::new(key).unwrap(), BaseUrl::parse(&api.base_url()).unwrap(), config(0, 1)).unwrap()
}

pub async fn serve(org: Organization, faults: Faults) -> FakeAdminApi {
    FakeAdminApi::start(org, faults, 0).await.unwrap()
}
pub mod cloud;
pub mod hostile;
pub mod receiver;
