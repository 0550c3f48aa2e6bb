//! One cell of a bill as text: the bill's own digits, never float arithmetic.
//!
//! A Parquet or JSON float becomes its shortest round-trip decimal text (Rust's `Display` of
//! `f64`, which never uses an exponent), so `0.0033` stays `0.0033`; a timestamp becomes RFC 3339
//! UTC; a map (`List(Struct{key, value})`, Polars' reading of Parquet `MAP`) becomes a JSON
//! object, and a list of structs (GCP `credits`) a JSON array. Readers then parse exact decimals
//! from that text.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use polars::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A cell as text; empty text is no value.
pub fn cell(v: AnyValue<'_>) -> Option<String> {
    let text = match v {
        AnyValue::Null => return None,
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(f) => format!("{f}"),
        AnyValue::Float32(f) => format!("{f}"),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => {
            let micros = match unit {
                TimeUnit::Nanoseconds => v.div_euclid(1000),
                TimeUnit::Microseconds => v,
                TimeUnit::Milliseconds => v * 1000,
            };
            DateTime::<Utc>::from_timestamp_micros(micros)?.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }
        AnyValue::Date(d) => (NaiveDate::from_ymd_opt(1970, 1, 1)? + chrono::Duration::days(d as i64)).to_string(),
        AnyValue::List(s) if s.is_empty() => return None,
        AnyValue::List(s) => json_of_list(&s).to_string(),
        other => match other.extract::<i128>() {
            Some(i) if other.is_integer() => i.to_string(),
            _ => other.to_string().trim_matches('"').to_string(),
        },
    };
    // An empty map or list is no value, whichever way the file spells it.
    (!matches!(text.trim(), "" | "{}" | "[]")).then_some(text)
}

fn json_of_list(s: &Series) -> Value {
    let items: Vec<Value> = s.iter().map(json_of).collect();
    let as_map = !items.is_empty()
        && items
            .iter()
            .all(|v| v.as_object().is_some_and(|o| o.len() == 2 && o.contains_key("key") && o.contains_key("value")));
    if as_map {
        let mut m = Map::new();
        for v in items {
            let key = v["key"].as_str().unwrap_or_default().to_string();
            m.insert(key, v["value"].clone());
        }
        Value::Object(m)
    } else {
        Value::Array(items)
    }
}

fn json_of(v: AnyValue<'_>) -> Value {
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::StructOwned(payload) => {
            let (values, fields) = &*payload;
            let mut m = Map::new();
            for (f, v) in fields.iter().zip(values.iter()) {
                m.insert(f.name().to_string(), json_of(v.clone()));
            }
            Value::Object(m)
        }
        v @ AnyValue::Struct(..) => json_of(v.into_static()),
        other => match cell(other) {
            Some(t) => Value::String(t),
            None => Value::Null,
        },
    }
}

/// The value of `key` in a map cell (JSON object text, as `cell` writes maps and CUR 2.0 CSV
/// spells them).
pub fn map_get(cell: Option<&str>, key: &str) -> Option<String> {
    let v: Value = serde_json::from_str(cell?).ok()?;
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Tags or labels as one JSON object, however the file spelled them: a map cell, a JSON object, or
/// BigQuery's `[{"key": …, "value": …}]` (`TO_JSON_STRING(labels)` in a flattened CSV). Empty is none.
pub fn tags(cell: Option<String>) -> Option<String> {
    let text = cell?;
    let pairs = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(items)) => items,
        Ok(Value::Object(o)) if o.is_empty() => return None,
        _ => return Some(text),
    };
    let mut m = Map::new();
    for i in &pairs {
        match (i.get("key").and_then(Value::as_str), i.get("value")) {
            (Some(k), Some(v)) => m.insert(k.to_string(), v.clone()),
            _ => return Some(text),
        };
    }
    (!m.is_empty()).then(|| Value::Object(m).to_string())
}

/// An exact decimal from the bill's text (`0.0033`, `3.3E-3`, `-1.5`); the message names what.
pub fn decimal(text: &str, what: &dyn Fn() -> String) -> Result<Decimal> {
    let t = text.trim();
    t.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| Error::input(format!("{}: {t:?} is not a number", what())))
}

/// A UTC instant from a bill's text: RFC 3339 (`2026-11-03T04:00:00Z`, `…+00:00`), BigQuery's
/// `2026-11-03 04:00:00 UTC`, or a bare `2026-11-03T04:00:00` (bills are UTC).
pub fn instant(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let bare = t.strip_suffix(" UTC").or_else(|| t.strip_suffix('Z')).unwrap_or(t);
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%MZ"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(bare, f) {
            return Some(n.and_utc());
        }
    }
    NaiveDate::parse_from_str(bare, "%Y-%m-%d").ok().map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_keep_their_shortest_digits() {
        for (f, want) in [(0.0033, "0.0033"), (1.234567, "1.234567"), (1e-7, "0.0000001"), (3.3, "3.3"), (2.0, "2")] {
            assert_eq!(cell(AnyValue::Float64(f)).as_deref(), Some(want));
        }
        let d = decimal("3.3E-3", &|| "x".into()).unwrap();
        assert_eq!(d.to_string(), "0.0033");
        assert!(decimal("abc", &|| "row 3".into()).unwrap_err().to_string().contains("row 3"));
    }

    #[test]
    fn instants_in_the_bills_spellings() {
        let want = "2026-11-03T04:00:00Z".parse::<DateTime<Utc>>().unwrap();
        for t in ["2026-11-03T04:00:00Z", "2026-11-03 04:00:00 UTC", "2026-11-03T04:00:00+00:00", "2026-11-03T04:00:00"]
        {
            assert_eq!(instant(t), Some(want), "{t}");
        }
        assert_eq!(instant("yesterday"), None);
    }

    #[test]
    fn maps_read_by_key() {
        let c = r#"{"product_name":"Claude Sonnet 4.6 (Amazon Bedrock Edition)","region":"us-east-1"}"#;
        assert_eq!(map_get(Some(c), "region").as_deref(), Some("us-east-1"));
        assert_eq!(map_get(Some(c), "servicecode"), None);
        assert_eq!(map_get(Some("not json"), "region"), None);
    }
}
