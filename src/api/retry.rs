//! The retry policy of the official Anthropic SDKs, on top of `backon`.
//!
//! Retried: connection errors and timeouts, 408, 409, 429 and every status ≥ 500 (529 included);
//! `x-should-retry: true|false` overrides the status. The wait is the server's `retry-after-ms`,
//! else `retry-after` (seconds or an HTTP date), when it lies in (0, 60] s; otherwise capped
//! exponential backoff with jitter.

use std::time::Duration;

use backon::ExponentialBuilder;
use reqwest::header::HeaderMap;

/// How many times and how long to wait; defaults match the official SDK (2 retries, 0.5 s → 8 s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 2, initial_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.initial_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_retries as usize)
    }
}

/// Whether a response status should be retried, honouring `x-should-retry`.
pub(crate) fn should_retry(status: u16, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// The server's requested wait, if it is one the SDK would honour.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let secs = if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        Some(ms / 1000.0)
    } else if let Some(v) = get("retry-after") {
        v.parse::<f64>().ok().or_else(|| {
            let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
            Some((when.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_milliseconds() as f64 / 1000.0)
        })
    } else {
        None
    }?;
    (secs > 0.0 && secs <= 60.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn statuses_like_the_sdk() {
        let none = HeaderMap::new();
        for s in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(should_retry(s, &none), "{s}");
        }
        for s in [400, 401, 403, 404, 413] {
            assert!(!should_retry(s, &none), "{s}");
        }
        assert!(!should_retry(503, &headers(&[("x-should-retry", "false")])));
        assert!(should_retry(400, &headers(&[("x-should-retry", "true")])));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "250")])), Some(Duration::from_millis(250)));
        assert_eq!(retry_after(&headers(&[("retry-after", "2")])), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "20"), ("retry-after", "9")])),
            Some(Duration::from_millis(20))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "0")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "600")])), None);
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(5)).to_rfc2822();
        let d = retry_after(&headers(&[("retry-after", &soon)])).unwrap();
        assert!(d <= Duration::from_secs(5) && d >= Duration::from_secs(3), "{d:?}");
    }
}
