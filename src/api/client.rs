//! `AdminClient`: authenticated GETs with retries, the report paging loop, and window splitting.
//!
//! Endpoint groups (`usage`, `cost`, `organization`) borrow the client and only build queries;
//! everything about HTTP lives here. Long report ranges are cut into windows of one full page
//! each and fetched with bounded concurrency; the buckets are then checked to be contiguous, so a
//! result is in order with no duplicates and no gaps, or it is an error.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::Retryable;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use super::credentials::{ApiKey, BaseUrl};
use super::retry::{RetryPolicy, retry_after, should_retry};
use super::wire::{Bucket, ErrorEnvelope, ReportPage};
use crate::error::{ApiFailure, Error, Result};

/// `anthropic-version` sent on every request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Beta header needed to group or filter usage by `speed`.
pub const FAST_MODE_BETA: &str = "fast-mode-2026-02-01";

/// Tunables of a client; `Default` suits the real API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub retry: RetryPolicy,
    /// Windows fetched at once when a range spans several pages.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig { retry: RetryPolicy::default(), concurrency: 4, timeout: Duration::from_secs(60) }
    }
}

/// A client of the Admin API. Cheap to clone.
#[derive(Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base: BaseUrl,
    key: ApiKey,
    config: ClientConfig,
    progress: Arc<indicatif::ProgressBar>,
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
}

impl AdminClient {
    pub fn new(key: ApiKey, base: BaseUrl, config: ClientConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("counterfoil/", env!("CARGO_PKG_VERSION"), " (https://github.com/counterfoil)"))
            .timeout(config.timeout)
            .build()
            .map_err(|e| Error::input(format!("cannot build the HTTP client: {e}")))?;
        Ok(AdminClient { http, base, key, config, progress: Arc::new(indicatif::ProgressBar::hidden()) })
    }

    /// Key and base URL from the environment (DESIGN §5).
    pub fn from_env() -> Result<Self> {
        AdminClient::new(ApiKey::from_env()?, BaseUrl::from_env()?, ClientConfig::default())
    }

    /// Report each fetched page to this bar (the CLI shows it on a terminal).
    pub fn with_progress(mut self, bar: indicatif::ProgressBar) -> Self {
        self.progress = Arc::new(bar);
        self
    }

    pub fn base_url(&self) -> &BaseUrl {
        &self.base
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// GET `path` with `query`, retrying as the SDK does, and decode the JSON body.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
        betas: &[&str],
    ) -> Result<T> {
        let url = self.base.join(path);
        let attempts = AtomicU32::new(0);
        let once = || async {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(&url, path, query, betas).await
        };
        let result = once
            .retry(self.config.retry.backoff())
            .sleep(tokio::time::sleep)
            .when(|a: &Attempt| a.retryable)
            .adjust(|a: &Attempt, planned| planned.map(|d| a.wait.unwrap_or(d)))
            .await;
        let body = match result {
            Ok(body) => body,
            Err(a) => {
                return Err(match a.error {
                    Error::RateLimit { failure, .. } => {
                        Error::RateLimit { failure, attempts: attempts.load(Ordering::Relaxed) }
                    }
                    other => other,
                });
            }
        };
        self.progress.inc(1);
        decode(path, &body)
    }

    async fn attempt(
        &self,
        url: &str,
        path: &str,
        query: &[(String, String)],
        betas: &[&str],
    ) -> Result<bytes::Bytes, Attempt> {
        let mut req = self
            .http
            .get(url)
            .query(query)
            .header("x-api-key", self.key.expose())
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header("accept", "application/json");
        if !betas.is_empty() {
            req = req.header("anthropic-beta", betas.join(","));
        }
        let resp = req.send().await.map_err(|e| Attempt {
            error: Error::ApiConnection { url: self.base.join(path), message: describe_reqwest(&e) },
            retryable: true,
            wait: None,
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| Attempt {
            error: Error::ApiConnection { url: self.base.join(path), message: describe_reqwest(&e) },
            retryable: true,
            wait: None,
        })?;
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
        Err(Attempt {
            retryable: should_retry(status, &headers),
            wait: retry_after(&headers),
            error: self.classify(failure),
        })
    }

    fn classify(&self, mut f: ApiFailure) -> Error {
        match f.status {
            401 => {
                f.hint = Some(self.key.refusal_hint());
                Error::Authentication(f)
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

    /// All buckets of a report between `start` and `end`, following `next_page`.
    pub(crate) async fn report<R: DeserializeOwned>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
        betas: &[&str],
    ) -> Result<Vec<Bucket<R>>> {
        let mut seen = HashSet::new();
        let mut page: Option<String> = None;
        let mut out = Vec::new();
        loop {
            let mut q = query.clone();
            if let Some(p) = &page {
                q.push(("page".into(), p.clone()));
            }
            let p: ReportPage<R> = self.get_json(path, &q, betas).await?;
            out.extend(p.data);
            if !p.has_more {
                return Ok(out);
            }
            self.progress.inc_length(1);
            let next = p.next_page.filter(|t| !t.is_empty()).ok_or_else(|| Error::ApiResponse {
                endpoint: path.into(),
                message: "has_more is true but next_page is missing".into(),
            })?;
            if !seen.insert(next.clone()) {
                return Err(Error::ApiResponse {
                    endpoint: path.into(),
                    message: format!("page token {next:?} repeated; stopping instead of looping forever"),
                });
            }
            page = Some(next);
        }
    }

    /// A report over `windows` (consecutive, each `[start, end)`), fetched with bounded
    /// concurrency and checked to be contiguous.
    pub(crate) async fn windowed_report<R: DeserializeOwned, F>(
        &self,
        path: &str,
        windows: Vec<(DateTime<Utc>, DateTime<Utc>)>,
        query_for: F,
        betas: &[&str],
    ) -> Result<Vec<Bucket<R>>>
    where
        F: Fn(DateTime<Utc>, DateTime<Utc>) -> Vec<(String, String)>,
    {
        self.progress.inc_length(windows.len() as u64);
        let first = windows.first().map(|w| w.0);
        let parts: Vec<Vec<Bucket<R>>> = futures::stream::iter(windows.into_iter().map(|(s, e)| {
            let q = query_for(s, e);
            async move { self.report::<R>(path, q, betas).await }
        }))
        .buffered(self.config.concurrency.max(1))
        .try_collect()
        .await?;
        let buckets: Vec<Bucket<R>> = parts.into_iter().flatten().collect();
        check_contiguous(path, first, &buckets)?;
        Ok(buckets)
    }
}

/// Decodes a response body; a failure names the JSON path (`data[3].results[0].model`).
///
/// Path tracking halves decode throughput, so bodies are decoded plainly and only a body that
/// fails is decoded again with `serde_path_to_error` to say where.
pub fn decode<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|plain| {
        let de = &mut serde_json::Deserializer::from_slice(body);
        let message = match serde_path_to_error::deserialize::<_, T>(de) {
            Err(e) => format!("at `{}`: {}", e.path(), e.inner()),
            Ok(_) => plain.to_string(),
        };
        Error::ApiResponse { endpoint: endpoint.to_owned(), message }
    })
}

/// Buckets must start at `first`, each where the previous one ended.
fn check_contiguous<R>(path: &str, first: Option<DateTime<Utc>>, buckets: &[Bucket<R>]) -> Result<()> {
    let fail = |m: String| Err(Error::ApiResponse { endpoint: path.into(), message: m });
    if let (Some(first), Some(b)) = (first, buckets.first()) {
        if b.starting_at != first {
            return fail(format!("first bucket starts at {} instead of {first}", b.starting_at));
        }
    }
    for pair in buckets.windows(2) {
        if pair[1].starting_at != pair[0].ending_at {
            return fail(format!(
                "buckets are not contiguous: one ends at {}, the next starts at {}",
                pair[0].ending_at, pair[1].starting_at
            ));
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::UsageResult;

    #[test]
    fn decode_errors_name_the_json_path() {
        let body = br#"{"data":[{"starting_at":"2026-09-01T00:00:00Z","ending_at":"2026-09-02T00:00:00Z",
            "results":[{"uncached_input_tokens":"many","cache_read_input_tokens":0,"output_tokens":0}]}],"has_more":false}"#;
        let e = decode::<ReportPage<UsageResult>>("usage", body).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("data[0].results[0].uncached_input_tokens"), "{msg}");
        assert_eq!(e.exit_code(), 4);
    }
}
