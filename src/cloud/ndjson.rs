//! Newline-delimited JSON (BigQuery's nested extract of the billing export) as a text frame.
//!
//! Nested objects become `parent_child` columns like flattened Parquet structs; a list of
//! `{key, value}` pairs (`labels`, `project.labels`) becomes a JSON object cell, any other list a
//! JSON array cell; numbers keep serde_json's shortest text. Every column is text, so money and
//! amounts are parsed exactly downstream.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde_json::{Map, Value};

use super::table::normalise_name;

/// The records of `bytes` (one JSON object per non-blank line) as a frame of text columns.
pub fn frame(bytes: &[u8]) -> Result<DataFrame, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text, so not newline-delimited JSON".to_string())?;
    let mut columns: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    let mut rows = 0usize;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| format!("line {}: not a JSON record: {e}", i + 1))?;
        let Value::Object(obj) = v else {
            return Err(format!("line {}: a record must be a JSON object", i + 1));
        };
        let mut flat = BTreeMap::new();
        flatten("", &obj, &mut flat);
        for (k, cell) in flat {
            let col = columns.entry(k).or_insert_with(|| vec![None; rows]);
            col.push(cell);
        }
        rows += 1;
        for col in columns.values_mut() {
            col.resize(rows, None);
        }
    }
    if rows == 0 {
        return Err("no records: an empty file is not a bill".into());
    }
    let cols: Vec<Column> = columns
        .into_iter()
        .map(|(k, v)| StringChunked::from_iter_options(k.as_str().into(), v.into_iter()).into_column())
        .collect();
    DataFrame::new(rows, cols).map_err(|e| e.to_string())
}

fn flatten(prefix: &str, obj: &Map<String, Value>, out: &mut BTreeMap<String, Option<String>>) {
    for (k, v) in obj {
        let name = if prefix.is_empty() { normalise_name(k) } else { format!("{prefix}_{}", normalise_name(k)) };
        match v {
            Value::Object(inner) => flatten(&name, inner, out),
            other => {
                out.insert(name, text(other));
            }
        }
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => {
            let pairs = !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.as_object().is_some_and(|o| o.contains_key("key") && o.contains_key("value")));
            if pairs {
                let mut m = Map::new();
                for i in items {
                    m.insert(i["key"].as_str().unwrap_or_default().to_string(), i["value"].clone());
                }
                Some(Value::Object(m).to_string())
            } else {
                Some(v.to_string())
            }
        }
        Value::Object(_) => Some(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_records_flatten_like_parquet_structs() {
        let src =
            br#"{"service":{"description":"Claude Sonnet 4.6"},"cost":0.0033,"labels":[{"key":"team","value":"ml"}]}

{"service":{"description":"BigQuery"},"cost":1,"credits":[{"amount":-0.5}]}
"#;
        let df = frame(src).unwrap();
        assert_eq!(df.height(), 2);
        let s = df.column("service_description").unwrap().str().unwrap();
        assert_eq!(s.get(1), Some("BigQuery"));
        assert_eq!(df.column("cost").unwrap().str().unwrap().get(0), Some("0.0033"));
        assert_eq!(df.column("labels").unwrap().str().unwrap().get(0), Some(r#"{"team":"ml"}"#));
        assert_eq!(df.column("credits").unwrap().str().unwrap().get(0), None);
    }

    #[test]
    fn not_json_is_refused_with_its_line() {
        assert!(frame(b"{\"a\":1}\nnot json\n").unwrap_err().starts_with("line 2"));
        assert!(frame(b"\n\n").unwrap_err().contains("empty"));
        assert!(frame(b"[1,2]").unwrap_err().contains("object"));
    }
}
