//! Sending: each sink on its own, so one that is down never holds back the others.
//!
//! Every request has a timeout (10 s unless the caller says otherwise) and is retried up to three
//! times with exponential backoff on connection errors, 429 and 5xx, waiting what the server's
//! `Retry-After` asks when it asks. A timeout is not retried: a sink that stalls costs the run
//! one timeout, not four. The first event a sink does not take ends that sink's turn for this run
//! (with a store, what it did not take is sent again next run). Messages about a failure name the
//! sink by kind and host and the cause in counterfoil's own words: never the URL, which
//! `reqwest`'s error text would include.

use std::time::Duration;

use serde_json::Value;

use super::encode;
use super::event::Event;
use super::spec::{Sink, SinkKind};
use crate::error::{Error, Result};

/// How one run delivers.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryConfig {
    pub timeout: Duration,
    pub retries: u32,
    pub initial_delay: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig { timeout: Duration::from_secs(10), retries: 3, initial_delay: Duration::from_millis(500) }
    }
}

/// What one sink did with the events it was given.
#[derive(Debug)]
pub struct SinkOutcome {
    /// Indices (into the events given) that the sink acknowledged with a 2xx.
    pub acknowledged: Vec<usize>,
    /// Why it stopped, when it did.
    pub failure: Option<String>,
}

fn content_type(kind: SinkKind) -> &'static str {
    match kind {
        SinkKind::Webhook => "application/cloudevents+json",
        _ => "application/json",
    }
}

/// POSTs `body` to the sink, with the retry policy above.
async fn post(
    http: &reqwest::Client,
    sink: &Sink,
    body: &Value,
    cfg: &DeliveryConfig,
) -> std::result::Result<(), String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut attempt = 0u32;
    loop {
        let sent = http
            .post(sink.url())
            .header(reqwest::header::CONTENT_TYPE, content_type(sink.kind))
            .timeout(cfg.timeout)
            .body(bytes.clone())
            .send()
            .await;
        let (why, wait) = match sent {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => {
                let status = r.status().as_u16();
                if !(status == 429 || status >= 500) {
                    return Err(format!("HTTP {status}"));
                }
                (format!("HTTP {status}"), crate::api::retry::retry_after(r.headers()))
            }
            Err(e) if e.is_timeout() => return Err(format!("no answer within {:.1} s", cfg.timeout.as_secs_f64())),
            Err(e) if e.is_connect() => ("connection failed".to_owned(), None),
            Err(_) => return Err("the request failed".to_owned()),
        };
        if attempt >= cfg.retries {
            return Err(format!("{why} after {} attempts", attempt + 1));
        }
        let backoff = cfg.initial_delay.saturating_mul(1 << attempt.min(6));
        tokio::time::sleep(wait.unwrap_or(backoff)).await;
        attempt += 1;
    }
}

/// Sends `events` to one sink: Slack one message for all, the others one request each.
async fn deliver_one(
    http: &reqwest::Client,
    sink: &Sink,
    events: &[&Event],
    split: &encode::Split<'_>,
    cfg: &DeliveryConfig,
) -> SinkOutcome {
    let mut out = SinkOutcome { acknowledged: Vec::new(), failure: None };
    if events.is_empty() {
        return out;
    }
    if sink.kind == SinkKind::Slack {
        let body = encode::slack(events, encode::Split { summary: split.summary });
        match post(http, sink, &body, cfg).await {
            Ok(()) => out.acknowledged = (0..events.len()).collect(),
            Err(why) => out.failure = Some(why),
        }
        return out;
    }
    for (i, e) in events.iter().enumerate() {
        let body = match sink.kind {
            SinkKind::PagerDuty => encode::pagerduty(e, sink.routing_key().unwrap_or_default()),
            _ => encode::cloudevent(e),
        };
        match post(http, sink, &body, cfg).await {
            Ok(()) => out.acknowledged.push(i),
            Err(why) => {
                out.failure = Some(why);
                break;
            }
        }
    }
    out
}

/// Sends each sink its events (`per_sink[i]` for `sinks[i]`), all sinks at once.
pub fn deliver(
    sinks: &[Sink],
    per_sink: &[Vec<&Event>],
    split: encode::Split<'_>,
    cfg: &DeliveryConfig,
) -> Result<Vec<SinkOutcome>> {
    let http = reqwest::Client::builder()
        .user_agent(concat!("counterfoil/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::input(format!("cannot build the HTTP client: {e}")))?;
    let split = &split;
    crate::runtime::block_on(futures::future::join_all(
        sinks.iter().zip(per_sink).map(|(s, evs)| deliver_one(&http, s, evs, split, cfg)),
    ))
}
