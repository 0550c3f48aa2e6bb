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
use crate::window::TimeWindow;

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
    /// Deadline for one request, its retries and their waits included. A stalled server fails
    /// within it (default 45 s, under a minute).
    pub timeout: Duration,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Longest silence allowed while a response is read (catches a body that stalls).
    pub read_timeout: Duration,
    /// The clock that decides which buckets may not exist yet (`None`: the system clock). Tests
    /// and the fake API's simulated "now" set it.
    pub now: Option<DateTime<Utc>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            retry: RetryPolicy::default(),
            concurrency: 4,
            timeout: Duration::from_secs(45),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(15),
            now: None,
        }
    }
}

impl ClientConfig {
    /// The deadline as the CLI's `--timeout SECONDS`, with the read timeout kept below it.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.read_timeout = self.read_timeout.min(timeout);
        self.connect_timeout = self.connect_timeout.min(timeout);
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
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
    async fn get_body(&self, path: &str, query: &[(String, String)], betas: &[&str]) -> Result<Vec<u8>> {
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

    /// All pages of one report window, following `next_page`. At most `max_buckets` may arrive:
    /// a server that pages on with empty or surplus pages is stopped, not followed.
    pub(crate) async fn report<P: Page>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
        betas: &[&str],
        max_buckets: usize,
    ) -> Result<Vec<P>> {
        let mut seen = HashSet::new();
        let mut page: Option<String> = None;
        let mut out = Vec::new();
        let mut buckets = 0;
        let fail = |message: String| Error::ApiResponse { endpoint: path.into(), message };
        loop {
            let mut q = query.clone();
            if let Some(p) = &page {
                q.push(("page".into(), p.clone()));
            }
            let body = self.get_body(path, &q, betas).await?;
            let mut p = P::decode(path, &body)?;
            self.progress.inc(1);
            let n = p.bounds().len();
            buckets += n;
            if buckets > max_buckets {
                return Err(fail(format!("more buckets than the window holds ({max_buckets})")));
            }
            let (has_more, next_page) = p.cursor();
            out.push(p);
            match next_cursor(path, has_more, next_page, n, &mut seen)? {
                None => return Ok(out),
                Some(next) => {
                    self.progress.inc_length(1);
                    page = Some(next);
                }
            }
        }
    }

    /// A report over `window` at `step`, cut into windows of `per_page` buckets fetched with
    /// bounded concurrency, then checked to cover the window exactly: its pages, in order.
    pub(crate) async fn windowed_report<P: Page, F>(
        &self,
        path: &str,
        window: TimeWindow,
        step: chrono::Duration,
        per_page: u32,
        query_for: F,
        betas: &[&str],
    ) -> Result<Vec<P>>
    where
        F: Fn(DateTime<Utc>, DateTime<Utc>) -> Vec<(String, String)>,
    {
        let windows = window.split(step, per_page);
        self.progress.inc_length(windows.len() as u64);
        let parts: Vec<Vec<P>> = futures::stream::iter(windows.into_iter().map(|(s, e)| {
            let q = query_for(s, e);
            let max = ((e - s).num_seconds() / step.num_seconds().max(1)) as usize;
            async move { self.report::<P>(path, q, betas, max).await }
        }))
        .buffered(self.config.concurrency.max(1))
        .try_collect()
        .await?;
        let pages: Vec<P> = parts.into_iter().flatten().collect();
        let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> =
            pages.iter().flat_map(|p| p.bounds().iter().copied()).collect();
        check_complete(path, window, step, self.config.now(), &bounds)?;
        Ok(pages)
    }
}

/// A decoded page of a bucketed report: wire types ([`WirePage`]) or, for usage, columns
/// (`usage_page::UsagePage`). The paging loop and the completeness check only need this.
pub(crate) trait Page: Sized {
    fn decode(endpoint: &str, body: &[u8]) -> Result<Self>;
    /// `[starting_at, ending_at)` of each bucket, in the order they arrived.
    fn bounds(&self) -> &[(DateTime<Utc>, DateTime<Utc>)];
    /// `has_more` and `next_page`.
    fn cursor(&mut self) -> (bool, Option<String>);
}

/// A page of wire types with its bucket bounds.
pub(crate) struct WirePage<R> {
    page: ReportPage<R>,
    bounds: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl<R> WirePage<R> {
    /// The buckets of pages, in order.
    pub(crate) fn buckets(pages: Vec<WirePage<R>>) -> Vec<Bucket<R>> {
        pages.into_iter().flat_map(|p| p.page.data).collect()
    }
}

impl<R: DeserializeOwned> Page for WirePage<R> {
    fn decode(endpoint: &str, body: &[u8]) -> Result<Self> {
        let page: ReportPage<R> = decode(endpoint, body)?;
        let bounds = page.data.iter().map(|b| (b.starting_at, b.ending_at)).collect();
        Ok(WirePage { page, bounds })
    }

    fn bounds(&self) -> &[(DateTime<Utc>, DateTime<Utc>)] {
        &self.bounds
    }

    fn cursor(&mut self) -> (bool, Option<String>) {
        (self.page.has_more, self.page.next_page.take())
    }
}

/// The cursor of the next page, or `None` after the last: the one paging rule of every cursor
/// endpoint. An empty page that says `has_more`, a missing token or a token seen before stops
/// the loop with an error instead of paging forever.
pub(crate) fn next_cursor(
    path: &str,
    has_more: bool,
    next_page: Option<String>,
    rows: usize,
    seen: &mut HashSet<String>,
) -> Result<Option<String>> {
    let fail = |message: String| Error::ApiResponse { endpoint: path.into(), message };
    if !has_more {
        return Ok(None);
    }
    if rows == 0 {
        return Err(fail("an empty page says has_more; stopping instead of paging forever".into()));
    }
    let next =
        next_page.filter(|t| !t.is_empty()).ok_or_else(|| fail("has_more is true but next_page is missing".into()))?;
    if !seen.insert(next.clone()) {
        return Err(fail(format!("page token {next:?} repeated; stopping instead of looping forever")));
    }
    Ok(Some(next))
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

/// The buckets must be exactly those of `window` at `step`: in order, each `step` long, none
/// missing, none extra, none outside. The legacy reports return a bucket per period, empty ones
/// included, so a gap is data that did not arrive. Only buckets that have not ended yet by `now`
/// may be absent at the end (the API has no data for them yet).
pub(crate) fn check_complete(
    path: &str,
    window: TimeWindow,
    step: chrono::Duration,
    now: DateTime<Utc>,
    buckets: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Result<()> {
    let fail = |m: String| Err(Error::ApiResponse { endpoint: path.into(), message: m });
    let t = crate::window::fmt_rfc3339;
    let mut expect = window.start;
    for &(starting_at, ending_at) in buckets {
        if starting_at < window.start || ending_at > window.end {
            return fail(format!(
                "bucket {}..{} lies outside the requested window {}..{}",
                t(starting_at),
                t(ending_at),
                t(window.start),
                t(window.end)
            ));
        }
        if ending_at - starting_at != step {
            return fail(format!("bucket {}..{} is not one {} bucket", t(starting_at), t(ending_at), width_name(step)));
        }
        if starting_at > expect {
            return fail(format!("bucket {} is missing (the next one starts {})", t(expect), t(starting_at)));
        }
        if starting_at < expect {
            return fail(format!("bucket {} arrived twice or out of order", t(starting_at)));
        }
        expect = ending_at;
    }
    if expect < window.end && expect + step <= now {
        return fail(format!(
            "the response stops at {}, before the requested end {}: bucket {} is missing",
            t(expect),
            t(window.end),
            t(expect)
        ));
    }
    Ok(())
}

fn width_name(step: chrono::Duration) -> &'static str {
    match step.num_seconds() {
        60 => "1m",
        3600 => "1h",
        86_400 => "1d",
        _ => "requested",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::UsageResult;

    #[test]
    fn a_stalled_server_fails_within_a_minute_by_default() {
        let c = ClientConfig::default();
        assert!(c.timeout < Duration::from_secs(60), "the deadline covers retries and waits");
        assert!(c.read_timeout <= c.timeout && c.connect_timeout <= c.timeout);
        let short = ClientConfig::default().with_timeout(Duration::from_secs(2));
        assert_eq!((short.read_timeout, short.connect_timeout), (Duration::from_secs(2), Duration::from_secs(2)));
    }

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
