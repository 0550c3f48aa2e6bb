//! `AdminClient`: authenticated GETs with retries, deadlines and error classification.
//!
//! Endpoint groups (`usage`, `cost`, `organization`, …) borrow the client and only build
//! queries; everything about a single HTTP request lives here. The paging loop and window
//! splitting are in `paging`, the page decoder in `page`, the tunables in `config`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::Retryable;
use serde::de::DeserializeOwned;

pub use super::config::ClientConfig;
use super::credentials::{ApiKey, BaseUrl};
use super::page::decode;
use super::retry::{retry_after, should_retry};
use super::wire::ErrorEnvelope;
use crate::error::{ApiFailure, Error, Result};

/// `anthropic-version` sent on every request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Beta header needed to group or filter usage by `speed`.
pub const FAST_MODE_BETA: &str = "fast-mode-2026-02-01";

/// A client of the Admin API. Cheap to clone.
#[derive(Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base: BaseUrl,
    key: ApiKey,
    config: ClientConfig,
    progress: Arc<indicatif::ProgressBar>,
    progress_label: String,
    /// HTTP requests sent (retries included), shared by clones.
    requests: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient").field("base_url", &self.base.as_str()).field("api_key", &self.key).finish()
    }
}

/// One failed attempt, as the retry loop sees it.
struct Attempt {
    error: Error,
    retryable: bool,
    wait: Option<Duration>,
    /// Shown while waiting to retry: "rate limited", "overloaded"…
    reason: &'static str,
}

impl AdminClient {
    pub fn new(key: ApiKey, base: BaseUrl, config: ClientConfig) -> Result<Self> {
        if config.timeout.is_zero() || config.concurrency == 0 {
            return Err(Error::input("the timeout and the concurrency must be positive"));
        }
        // Redirects are never followed: a 3xx is an error, so the key only ever goes to `base`.
        let http = reqwest::Client::builder()
            .user_agent(concat!("counterfoil/", env!("CARGO_PKG_VERSION"), " (https://github.com/counterfoil)"))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| Error::input(format!("cannot build the HTTP client: {e}")))?;
        Ok(AdminClient {
            http,
            base,
            key,
            config,
            progress: Arc::new(indicatif::ProgressBar::hidden()),
            progress_label: String::new(),
            requests: Arc::default(),
        })
    }

    /// Key and base URL from the environment (DESIGN §5).
    pub fn from_env() -> Result<Self> {
        AdminClient::new(ApiKey::from_env()?, BaseUrl::from_env()?, ClientConfig::default())
    }

    /// Report each fetched page to this bar (the CLI shows it on a terminal).
    pub fn with_progress(mut self, bar: indicatif::ProgressBar) -> Self {
        self.progress_label = bar.message();
        self.progress = Arc::new(bar);
        self
    }

    pub fn base_url(&self) -> &BaseUrl {
        &self.base
    }

    /// One more page expected (progress bar length).
    pub(crate) fn progress_len(&self, n: u64) {
        self.progress.inc_length(n);
    }

    /// One page fetched (progress bar position).
    pub(crate) fn progress_inc(&self) {
        self.progress.inc(1);
    }

    /// HTTP requests sent so far by this client and its clones, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// GET `path` with `query`, retrying as the SDK does, and decode the JSON body. The whole
    /// call, retries and waits included, must finish within the configured deadline.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
        betas: &[&str],
    ) -> Result<T> {
        decode(path, &self.get_body(path, query, betas).await?)
    }

    /// The body of a successful GET, after retries.
    pub(super) async fn get_body(&self, path: &str, query: &[(String, String)], betas: &[&str]) -> Result<Vec<u8>> {
        let url = self.base.join(path);
        let attempts = AtomicU32::new(0);
        let once = || async {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.attempt(&url, path, query, betas).await
        };
        let retried = once
            .retry(self.config.retry.backoff())
            .sleep(tokio::time::sleep)
            .when(|a: &Attempt| a.retryable)
            .adjust(|a: &Attempt, planned| planned.map(|d| a.wait.unwrap_or(d)))
            .notify(|a: &Attempt, wait: Duration| {
                self.progress.set_message(format!("waiting {:.0} s: {}", wait.as_secs_f64().ceil(), a.reason));
            });
        let result = match tokio::time::timeout(self.config.timeout, retried).await {
            Ok(r) => r,
            Err(_) => {
                return Err(Error::ApiConnection {
                    url,
                    message: format!(
                        "no complete answer within {} s (retries included): the server may be stalled; --timeout sets the limit",
                        self.config.timeout.as_secs_f64()
                    ),
                });
            }
        };
        self.progress.set_message(self.progress_label.clone());
        result.map(Into::into).map_err(|a| match a.error {
            Error::RateLimit { failure, .. } => {
                Error::RateLimit { failure, attempts: attempts.load(Ordering::Relaxed) }
            }
            other => other,
        })
    }

    async fn attempt(
        &self,
        url: &str,
        path: &str,
        query: &[(String, String)],
        betas: &[&str],
    ) -> Result<bytes::Bytes, Attempt> {
        // Every request, not only the first, must go where plain HTTP is allowed.
        BaseUrl::parse(url).map_err(|error| Attempt { error, retryable: false, wait: None, reason: "refused" })?;
        let mut key = reqwest::header::HeaderValue::from_str(self.key.expose()).map_err(|_| Attempt {
            error: Error::input("the API key contains characters that cannot go in a header"),
            retryable: false,
            wait: None,
            reason: "refused",
        })?;
        key.set_sensitive(true);
        let mut req = self
            .http
            .get(url)
            .query(query)
            .header("x-api-key", key)
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header("accept", "application/json");
        if !betas.is_empty() {
            req = req.header("anthropic-beta", betas.join(","));
        }
        let connection = |e: reqwest::Error| Attempt {
            error: Error::ApiConnection { url: self.base.join(path), message: describe_reqwest(&e) },
            retryable: true,
            wait: None,
            reason: "connection failed",
        };
        let resp = req.send().await.map_err(connection)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(connection)?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let request_id = headers.get("request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let failure = match serde_json::from_slice::<ErrorEnvelope>(&body) {
            Ok(env) => ApiFailure {
                status,
                error_type: Some(env.error.kind),
                message: env.error.message,
                request_id: env.request_id.or(request_id),
                hint: None,
            },
            Err(_) => ApiFailure {
                status,
                error_type: None,
                message: String::from_utf8_lossy(&body).chars().take(300).collect::<String>().trim().to_owned(),
                request_id,
                hint: None,
            },
        };
        let location = headers.get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Err(Attempt {
            retryable: should_retry(status, &headers),
            wait: retry_after(&headers),
            reason: match status {
                429 => "rate limited",
                529 => "overloaded",
                _ => "server error",
            },
            error: self.classify(failure, location, path),
        })
    }

    fn classify(&self, mut f: ApiFailure, location: Option<String>, path: &str) -> Error {
        match f.status {
            300..=399 => {
                f.message = format!("redirect to {}", location.as_deref().unwrap_or("(no location)"));
                f.hint = Some(
                    "counterfoil never follows redirects, so the Admin key only goes to the host you named; set --base-url (ANTHROPIC_BASE_URL) to the final address".into(),
                );
                Error::ApiStatus(f)
            }
            401 => {
                f.hint = Some(self.key.refusal_hint());
                Error::Authentication(f)
            }
            403 if path.starts_with("/v1/organizations/analytics/") => {
                f.hint = Some(format!(
                    "the Analytics API takes an Admin key or an API key with the read:analytics scope; {}",
                    self.key.refusal_hint()
                ));
                Error::PermissionDenied(f)
            }
            403 => {
                f.hint = Some(self.key.refusal_hint());
                Error::PermissionDenied(f)
            }
            429 => {
                f.hint = Some("the Admin API asks for at most about one request a minute for sustained polling; retry later or lower --concurrency".into());
                Error::RateLimit { failure: f, attempts: 0 }
            }
            _ => Error::ApiStatus(f),
        }
    }
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut msg = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}
