//! Bedrock model invocation log records (`reference/cloud-billing.md` §2): several requests per
//! billed stream-hour whose token counts sum exactly to the bill's quantities (except where the
//! `invocation_gap` plant took some away), written as gzip JSON lines under
//! `bedrock-invocations/YYYY/MM/DD/`.
//!
//! The log has one cache-write count (5m and 1h together), buckets disjoint (input excludes cache
//! reads and writes), and the model id as the caller sent it: a `us.`/`eu.`/`global.` profile or
//! the in-region id. Records of batch jobs are logged like on-demand ones.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, Timelike, Utc};
use rand::RngExt;
use serde_json::json;

use super::CloudConfig;
use super::aws::profile_id;
use super::text::{gzip, hex_id, iso_z, write_file};
use super::traffic::{AWS_ACCOUNTS, Hour, Provider, STREAMS, Tier, day_rng};
use crate::error::Result;

/// One model invocation log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudInvocation {
    pub timestamp: DateTime<Utc>,
    pub account_id: &'static str,
    pub region: &'static str,
    pub request_id: String,
    pub operation: &'static str,
    /// As the caller sent it (`us.anthropic.claude-sonnet-4-6`, `global.anthropic.…`, in-region).
    pub model_id: String,
    /// The canonical Anthropic id (not in the log: for tests).
    pub model: &'static str,
    /// `identity.arn`.
    pub identity_arn: String,
    pub input_tokens: i64,
    pub cache_read_input_tokens: i64,
    /// 5m and 1h writes together.
    pub cache_write_input_tokens: i64,
    pub output_tokens: i64,
    /// The stream and billed hour the record belongs to (for the plants).
    pub(crate) stream: usize,
    pub(crate) hour: DateTime<Utc>,
}

/// `total` split into `n` non-negative parts that sum to it.
fn split(rng: &mut rand_chacha::ChaCha8Rng, total: i64, n: usize) -> Vec<i64> {
    let mut cuts: Vec<i64> = (1..n).map(|_| rng.random_range(0..=total)).collect();
    cuts.sort_unstable();
    let mut parts = Vec::with_capacity(n);
    let mut last = 0;
    for c in cuts.into_iter().chain([total]) {
        parts.push(c - last);
        last = c;
    }
    parts
}

/// The records of every AWS stream-hour, ordered by account, region and time.
pub(crate) fn records(config: &CloudConfig, hours: &[Hour]) -> Vec<CloudInvocation> {
    let mut out = Vec::new();
    for h in hours {
        let s = &STREAMS[h.stream];
        if s.provider != Provider::Aws {
            continue;
        }
        let hour_of_day = h.start.hour() as usize;
        let mut rng = day_rng(config.seed, h.start.date_naive(), h.stream * 32 + hour_of_day, 2);
        let n = rng.random_range(2..=6usize);
        let [input, w5, w1, read, output] = h.tokens;
        let parts = [
            split(&mut rng, input, n),
            split(&mut rng, read, n),
            split(&mut rng, w5 + w1, n),
            split(&mut rng, output, n),
        ];
        let mut seconds: Vec<i64> = (0..n).map(|_| rng.random_range(0..3600)).collect();
        seconds.sort_unstable();
        let account = AWS_ACCOUNTS[s.account].id;
        let kind = if s.principal.starts_with("user/") { "iam" } else { "sts" };
        for i in 0..n {
            let timestamp = h.start + Duration::seconds(seconds[i]);
            let id =
                hex_id(&[&config.seed.to_string(), &timestamp.to_rfc3339(), &h.stream.to_string(), &i.to_string()], 32);
            out.push(CloudInvocation {
                timestamp,
                account_id: account,
                region: s.region,
                request_id: format!("{}-{}-{}-{}-{}", &id[0..8], &id[8..12], &id[12..16], &id[16..20], &id[20..32]),
                operation: match (s.tier, i % 2) {
                    (Tier::Batch, _) => "InvokeModel",
                    (_, 0) => "Converse",
                    _ => "ConverseStream",
                },
                model_id: profile_id(s),
                model: s.model,
                identity_arn: format!("arn:aws:{kind}::{account}:{}", s.principal),
                input_tokens: parts[0][i],
                cache_read_input_tokens: parts[1][i],
                cache_write_input_tokens: parts[2][i],
                output_tokens: parts[3][i],
                stream: h.stream,
                hour: h.start,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.account_id, a.region, a.timestamp, &a.request_id).cmp(&(b.account_id, b.region, b.timestamp, &b.request_id))
    });
    out
}

fn json_line(r: &CloudInvocation) -> String {
    json!({
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": iso_z(r.timestamp),
        "accountId": r.account_id,
        "identity": {"arn": r.identity_arn},
        "region": r.region,
        "requestId": r.request_id,
        "operation": r.operation,
        "modelId": r.model_id,
        "input": {
            "inputContentType": "application/json",
            "inputTokenCount": r.input_tokens,
            "cacheReadInputTokenCount": r.cache_read_input_tokens,
            "cacheWriteInputTokenCount": r.cache_write_input_tokens,
        },
        "output": {"outputContentType": "application/json", "outputTokenCount": r.output_tokens},
    })
    .to_string()
}

/// One file per UTC day × account × region: `YYYY/MM/DD/<account>_<region>.json.gz`.
pub(crate) fn write(dir: &Path, records: &[CloudInvocation]) -> Result<()> {
    let mut files: BTreeMap<(String, &str, &str), String> = BTreeMap::new();
    for r in records {
        let day = r.timestamp.format("%Y/%m/%d").to_string();
        let text = files.entry((day, r.account_id, r.region)).or_default();
        text.push_str(&json_line(r));
        text.push('\n');
    }
    for ((day, account, region), text) in files {
        let path = dir.join("bedrock-invocations").join(day).join(format!("{account}_{region}.json.gz"));
        write_file(&path, &gzip(text.as_bytes(), &path)?)?;
    }
    Ok(())
}
