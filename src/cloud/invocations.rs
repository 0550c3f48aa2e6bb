//! Bedrock model invocation logs, and the token cross-check against the CUR.
//!
//! The CUR says how many tokens AWS billed; the invocation log (one JSON record per call,
//! delivered to S3 or CloudWatch Logs within minutes) says how many were used. Summed per UTC day
//! × account × model × token class they must agree. Cache writes are compared as 5m + 1h
//! together (`cache_creation_input_tokens`): the log counts writes without their TTL. Only days
//! and accounts present in both sources are compared — logging may be off for an account, and
//! the CUR lags the logs by about a day — so a source that is simply absent is never a mismatch.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::Path;

use chrono::NaiveDate;
use serde_json::Value;

use super::cells::instant;
use super::reconcile::{CheckedLine, CloudStatus};
use super::table;
use crate::error::{Error, Result};
use crate::rates::cloud::Provider;
use crate::rates::{RateCard, TokenType};
use crate::window::TimeWindow;

/// One logged call's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub date: NaiveDate,
    pub account_id: Option<String>,
    pub model_id: String,
    /// The card's id for `model_id`, `None` for an opaque application profile.
    pub model: Option<String>,
    pub principal: Option<String>,
    pub input: i64,
    pub cache_read: i64,
    pub cache_write: i64,
    pub output: i64,
}

/// The token classes compared, with the names the lines carry.
const CLASSES: [&str; 4] =
    ["uncached_input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"];

fn class_of(t: TokenType) -> &'static str {
    match t {
        TokenType::Input => CLASSES[0],
        TokenType::Output => CLASSES[1],
        TokenType::CacheRead => CLASSES[2],
        TokenType::CacheWrite5m | TokenType::CacheWrite1h => CLASSES[3],
    }
}

/// Reads every log file under `path` (`.json`, `.jsonl`, `.json.gz`), one record per line.
pub fn read(path: &Path, card: &RateCard) -> Result<Vec<Invocation>> {
    let mut out = vec![];
    for file in table::data_files(path)? {
        let raw = std::fs::read(&file).map_err(|e| Error::Io { path: file.display().to_string(), source: e })?;
        let text = if file.extension().is_some_and(|e| e == "gz") {
            let mut s = String::new();
            flate2::read::MultiGzDecoder::new(raw.as_slice())
                .read_to_string(&mut s)
                .map_err(|e| Error::input(format!("{}: not a readable gzip file: {e}", file.display())))?;
            s
        } else {
            String::from_utf8(raw).map_err(|_| Error::input(format!("{}: not UTF-8 text", file.display())))?
        };
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let at = || format!("{} line {}", file.display(), i + 1);
            let v: Value =
                serde_json::from_str(line).map_err(|e| Error::input(format!("{}: not a JSON record: {e}", at())))?;
            out.push(record(&v, card).map_err(|m| Error::input(format!("{}: {m}", at())))?);
        }
    }
    Ok(out)
}

fn record(v: &Value, card: &RateCard) -> std::result::Result<Invocation, String> {
    let ts = v["timestamp"].as_str().and_then(instant).ok_or("no UTC `timestamp`")?;
    let model_id = v["modelId"].as_str().ok_or("no `modelId`")?.to_string();
    let count = |section: &str, field: &str| -> std::result::Result<i64, String> {
        match &v[section][field] {
            Value::Null => Ok(0),
            Value::Number(n) => {
                n.as_i64().filter(|n| *n >= 0).ok_or_else(|| format!("{section}.{field} is not a token count"))
            }
            _ => Err(format!("{section}.{field} is not a number")),
        }
    };
    Ok(Invocation {
        date: ts.date_naive(),
        account_id: v["accountId"].as_str().map(str::to_string),
        model: super::models::from_bedrock_id(card, &model_id),
        model_id,
        principal: v["identity"]["arn"].as_str().map(str::to_string),
        input: count("input", "inputTokenCount")?,
        cache_read: count("input", "cacheReadInputTokenCount")?,
        cache_write: count("input", "cacheWriteInputTokenCount")?,
        output: count("output", "outputTokenCount")?,
    })
}

type Key = (NaiveDate, Option<String>, String, &'static str);

/// `usage_mismatch` lines where the bill's tokens and the logs' disagree.
pub fn cross_check(lines: &[CheckedLine], logs: &[Invocation], window: Option<&TimeWindow>) -> Vec<CheckedLine> {
    let in_window = |d: NaiveDate| window.is_none_or(|w| w.start.date_naive() <= d && d < w.end.date_naive());
    let mut billed: BTreeMap<Key, (i64, &CheckedLine)> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.line.provider == Provider::AwsBedrock && l.line.is_usage()) {
        let (Some(model), Some(t), Some(q)) = (&l.line.model, l.line.token_type, l.line.quantity) else { continue };
        let e = billed.entry((l.line.date, l.line.account_id.clone(), model.clone(), class_of(t))).or_insert((0, l));
        e.0 += q;
    }
    let mut logged: BTreeMap<Key, i64> = BTreeMap::new();
    for inv in logs.iter().filter(|i| in_window(i.date)) {
        let Some(model) = &inv.model else { continue };
        for (class, n) in CLASSES.into_iter().zip([inv.input, inv.output, inv.cache_read, inv.cache_write]) {
            *logged.entry((inv.date, inv.account_id.clone(), model.clone(), class)).or_default() += n;
        }
    }
    let days = |keys: Vec<(NaiveDate, Option<String>)>| keys.into_iter().collect::<BTreeSet<_>>();
    let both: BTreeSet<_> = days(billed.keys().map(|k| (k.0, k.1.clone())).collect())
        .intersection(&days(logged.keys().map(|k| (k.0, k.1.clone())).collect()))
        .cloned()
        .collect();
    let keys: BTreeSet<&Key> =
        billed.keys().chain(logged.keys()).filter(|k| both.contains(&(k.0, k.1.clone()))).collect();
    let template = lines.iter().find(|l| l.line.provider == Provider::AwsBedrock).map(|l| l.line.clone());
    let mut out = vec![];
    for k in keys {
        let b = billed.get(k).map(|(q, _)| *q).unwrap_or(0);
        let g = logged.get(k).copied().unwrap_or(0);
        if b == g {
            continue;
        }
        let Some(mut line) = billed.get(k).map(|(_, l)| l.line.clone()).or_else(|| template.clone()) else { continue };
        line.date = k.0;
        line.account_id = k.1.clone();
        line.model = Some(k.2.clone());
        line.token_type = None;
        line.quantity = Some(b);
        line.billed = 0;
        line.list = None;
        line.line_item_type = "UsageCheck".into();
        line.usage_type = Some(k.3.to_string());
        line.source = "invocation logs × CUR".into();
        out.push(CheckedLine {
            line,
            rate: None,
            expected: None,
            status: CloudStatus::UsageMismatch,
            note: Some(format!(
                "the CUR bills {} {}, the invocation logs count {}",
                crate::money::group_thousands(&b.to_string()),
                k.3,
                crate::money::group_thousands(&g.to_string())
            )),
            logged_quantity: Some(g),
            finding: None,
        });
    }
    out
}

/// The columns of `cf.read_bedrock_invocations`: one row per logged call.
pub const INVOCATION_COLUMNS: [&str; 9] = [
    "date",
    "account_id",
    "model_id",
    "model",
    "principal",
    "uncached_input_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "output_tokens",
];

pub fn to_frame(logs: &[Invocation]) -> Result<polars::prelude::DataFrame> {
    use crate::frames::columns as col;
    let text = |f: &dyn Fn(&Invocation) -> Option<String>| logs.iter().map(f).collect::<Vec<_>>();
    let ints = |name: &str, f: &dyn Fn(&Invocation) -> i64| col::int(name, logs.iter().map(f).collect());
    Ok(polars::prelude::DataFrame::new(
        logs.len(),
        vec![
            col::date("date", logs.iter().map(|i| Some(i.date)).collect()),
            col::text("account_id", text(&|i| i.account_id.clone())),
            col::text("model_id", text(&|i| Some(i.model_id.clone()))),
            col::text("model", text(&|i| i.model.clone())),
            col::text("principal", text(&|i| i.principal.clone())),
            ints("uncached_input_tokens", &|i| i.input),
            ints("cache_read_input_tokens", &|i| i.cache_read),
            ints("cache_creation_input_tokens", &|i| i.cache_write),
            ints("output_tokens", &|i| i.output),
        ],
    )?)
}
