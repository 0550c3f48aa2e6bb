//! `ClientConfig`: the tunables of a client (retries, concurrency, deadlines, the clock).
//!
//! Apart from the client so that a caller sets them without reading HTTP code; `Default` suits the
//! real API, tests and the fake API's simulated "now" change them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::retry::RetryPolicy;
use crate::error::{Error, Result};

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

    /// A config from the knobs a user sets (retries, concurrency, the deadline in seconds): a
    /// deadline in (0, 86400] seconds and a concurrency in 1..=32, else an input error (the
    /// bounds the CLI's flags have).
    pub fn from_knobs(max_retries: u32, concurrency: usize, timeout_secs: f64) -> Result<Self> {
        let timeout_ok = timeout_secs.is_finite() && timeout_secs > 0.0 && timeout_secs <= 86_400.0;
        if !timeout_ok || !(1..=32).contains(&concurrency) {
            return Err(Error::input("timeout must be in (0, 86400] seconds and concurrency in 1..=32"));
        }
        let retry = RetryPolicy { max_retries, ..RetryPolicy::default() };
        Ok(ClientConfig { retry, concurrency, ..ClientConfig::default() }
            .with_timeout(Duration::from_secs_f64(timeout_secs)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_server_fails_within_a_minute_by_default() {
        let c = ClientConfig::default();
        assert!(c.timeout < Duration::from_secs(60), "the deadline covers retries and waits");
        assert!(c.read_timeout <= c.timeout && c.connect_timeout <= c.timeout);
        let short = ClientConfig::default().with_timeout(Duration::from_secs(2));
        assert_eq!((short.read_timeout, short.connect_timeout), (Duration::from_secs(2), Duration::from_secs(2)));
    }

    #[test]
    fn knobs_out_of_bounds_are_input_errors() {
        let c = ClientConfig::from_knobs(5, 32, 86_400.0).unwrap();
        assert_eq!((c.retry.max_retries, c.concurrency, c.timeout), (5, 32, Duration::from_secs(86_400)));
        for (n, t) in [(0, 45.0), (33, 45.0), (4, 0.0), (4, -1.0), (4, 86_400.5), (4, f64::NAN), (4, f64::INFINITY)] {
            assert_eq!(ClientConfig::from_knobs(2, n, t).unwrap_err().exit_code(), 2, "{n} {t}");
        }
    }
}
