//! Map columns of a bill — CUR 2.0's `product` and `resource_tags`, read from Parquet as
//! `List(Struct{key, value})` — read from their arrays directly. A month of CUR has a million
//! Claude rows; a dynamic value per row (a Series per map, then JSON) was a tenth of the reader.

use polars::prelude::*;
use polars_arrow::array::{Array, ListArray, StructArray, Utf8ViewArray};

use super::columns::{gather, series_texts};
use super::table::Table;
use crate::error::Result;

/// The value of `key` in the map column `name` for each of `rows` (a Parquet map's arrays read
/// directly, or JSON object text), or `None` when the table has no such column.
pub fn values(table: &Table, name: &str, key: &str, rows: &[u32]) -> Result<Option<Vec<Option<String>>>> {
    let Ok(col) = table.frame.column(name) else { return Ok(None) };
    let s = gather(col.as_materialized_series(), rows)?.rechunk();
    if let Some(out) = pairs(&s, &mut |k, v| if k == key { Some(v.to_string()) } else { None })? {
        return Ok(Some(out));
    }
    Ok(Some(series_texts(&s)?.iter().map(|m| super::cells::map_get(m.as_deref(), key)).collect()))
}

/// For a `List(Struct{key, value})` of strings: the first `f(key, value)` that answers, per row.
fn pairs(s: &Series, f: &mut dyn FnMut(&str, &str) -> Option<String>) -> Result<Option<Vec<Option<String>>>> {
    let mut out: Vec<Option<String>> = vec![None; s.len()];
    let walked = walk_pairs(s, &mut |row, k, v| {
        if out[row].is_none() {
            out[row] = f(k, v);
        }
    })?;
    Ok(walked.then_some(out))
}

/// The entries of one chunk of a map column, and their keys and values (strings); `None` when it
/// is not a map of strings.
pub fn entries(arr: &ListArray<i64>) -> Option<(&StructArray, &Utf8ViewArray, &Utf8ViewArray)> {
    let st = arr.values().as_any().downcast_ref::<StructArray>()?;
    let keys = st.values()[0].as_any().downcast_ref::<Utf8ViewArray>()?;
    let values = st.values()[1].as_any().downcast_ref::<Utf8ViewArray>()?;
    Some((st, keys, values))
}

/// Calls `f(row, key, value)` for every pair of a map column; false when it is not one.
fn walk_pairs(s: &Series, f: &mut dyn FnMut(usize, &str, &str)) -> Result<bool> {
    let DataType::List(inner) = s.dtype() else { return Ok(false) };
    if !matches!(inner.as_ref(), DataType::Struct(f) if f.len() == 2) {
        return Ok(false);
    }
    let mut base = 0usize;
    for arr in s.list()?.downcast_iter() {
        let Some((_, keys, values)) = entries(arr) else { return Ok(false) };
        for i in 0..arr.len() {
            if !arr.is_valid(i) {
                continue;
            }
            let (a, b) = arr.offsets().start_end(i);
            for j in a..b {
                if let (Some(k), Some(v)) = (keys.get(j), values.get(j)) {
                    f(base + i, k, v);
                }
            }
        }
        base += arr.len();
    }
    Ok(true)
}

/// A map column (`List(Struct{key, value})` of strings, as Parquet maps are read) as the JSON
/// object text `cells::cell` writes for each row — the same text, from the arrays directly rather
/// than a dynamic value per row: an empty key or value is null (a null key becomes `""`), a key
/// given twice keeps its first place and last value. `None` when `s` is not such a column.
pub fn cells(s: &Series) -> Result<Option<Vec<Option<String>>>> {
    fn present(t: Option<&str>) -> Option<&str> {
        t.filter(|t| !matches!(t.trim(), "" | "{}" | "[]"))
    }
    use serde_json::{Map, Value};
    let DataType::List(inner) = s.dtype() else { return Ok(None) };
    let DataType::Struct(fields) = inner.as_ref() else { return Ok(None) };
    if fields.len() != 2 || fields[0].name() != "key" || fields[1].name() != "value" {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut base = 0;
    for arr in s.list()?.downcast_iter() {
        let Some((st, keys, values)) = entries(arr) else { return Ok(None) };
        for i in 0..arr.len() {
            let (a, b) = arr.offsets().start_end(i);
            if !arr.is_valid(i) || a == b {
                out.push(None);
                continue;
            }
            if (a..b).any(|j| !st.is_valid(j)) {
                // A null entry: not a map as `cell` sees it (it writes a JSON array).
                out.push(super::cells::cell(s.get(base + i)?));
                continue;
            }
            let mut m = Map::new();
            for j in a..b {
                let value = match present(values.get(j)) {
                    Some(v) => Value::String(v.to_string()),
                    None => Value::Null,
                };
                m.insert(present(keys.get(j)).unwrap_or_default().to_string(), value);
            }
            out.push(Some(Value::Object(m).to_string()));
        }
        base += arr.len();
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_cells_are_the_texts_cell_writes() {
        // Rows: two tags; a key twice; empty and blank values; a null and an empty key; no
        // entries; a null row; a null entry (not a map to `cell`: a JSON array); quotes to escape.
        let row = |pairs: &[(Option<&str>, Option<&str>)], null_entry: bool| {
            let k: Vec<Option<&str>> = pairs.iter().map(|p| p.0).collect();
            let v: Vec<Option<&str>> = pairs.iter().map(|p| p.1).collect();
            let fields = [Series::new("key".into(), k), Series::new("value".into(), v)];
            let mut st = StructChunked::from_series("".into(), pairs.len(), fields.iter()).unwrap();
            if null_entry {
                let valid: Vec<bool> = (0..pairs.len()).map(|i| i != 0).collect();
                st = st.with_outer_validity(Some(polars_arrow::bitmap::Bitmap::from(valid.as_slice())));
            }
            Some(st.into_series())
        };
        let rows = vec![
            row(&[(Some("user_team"), Some("ml")), (Some("env"), Some("prod"))], false),
            row(&[(Some("a"), Some("1")), (Some("b"), Some("2")), (Some("a"), Some("3"))], false),
            row(&[(Some("a"), Some("")), (Some("b"), Some("  ")), (Some("c"), None)], false),
            row(&[(None, Some("x")), (Some(""), Some("y"))], false),
            row(&[], false),
            None,
            row(&[(Some("a"), Some("1")), (Some("b"), Some("2"))], true),
            row(&[(Some("say \"hi\""), Some("back\\slash"))], false),
        ];
        let s = ListChunked::from_iter(rows).into_series();
        let fast = cells(&s).unwrap().expect("a map column");
        let slow: Vec<Option<String>> = s.iter().map(super::super::cells::cell).collect();
        assert_eq!(fast, slow);
        assert_eq!(fast[0].as_deref(), Some(r#"{"user_team":"ml","env":"prod"}"#));
        assert_eq!(fast[1].as_deref(), Some(r#"{"a":"3","b":"2"}"#));
        assert_eq!(fast[3].as_deref(), Some(r#"{"":"y"}"#));
        assert_eq!((fast[4].as_deref(), fast[5].as_deref()), (None, None));
        assert!(fast[6].as_deref().is_some_and(|t| t.starts_with('[')), "{:?}", fast[6]);
    }
}
