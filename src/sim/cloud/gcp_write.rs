//! The Google Cloud billing export in the three forms a BigQuery extract gives
//! (`reference/cloud-billing.md` §3.1): nested Parquet (`gcp/billing.parquet`), nested
//! newline-delimited JSON (`gcp/billing.ndjson`, timestamps as `2026-11-03 04:00:00 UTC`) and a
//! flattened CSV (`gcp/billing.csv`: `service_description`, `usage_amount`, `labels` as JSON
//! text, `credits_amount` summed), since CSV cannot carry records.
//!
//! Every form is written from one list of cells per row, in the standard export's field order.

use std::path::Path;

use polars::prelude::*;
use serde_json::{Map, Value};

use super::frame::{Cell, column, key_values, list_of, opt, record, t, write_parquet};
use super::gcp::GcpRow;
use super::text::{bill_float, bq_time, csv_line, float_text, write_file};
use super::traffic::{GCP_BILLING_ACCOUNT, GCP_PROJECTS};
use crate::error::{Error, Result};

/// Top-level fields in export order; a dotted scalar belongs to the record before its dot.
const TOP: [&str; 19] = [
    "billing_account_id",
    "service",
    "sku",
    "usage_start_time",
    "usage_end_time",
    "project",
    "labels",
    "system_labels",
    "location",
    "export_time",
    "cost",
    "currency",
    "currency_conversion_rate",
    "usage",
    "credits",
    "invoice",
    "cost_type",
    "adjustment_info",
    "cost_at_list",
];

#[rustfmt::skip]
const SCALARS: [&str; 29] = [
    "billing_account_id", "service.id", "service.description", "sku.id", "sku.description",
    "usage_start_time", "usage_end_time", "project.id", "project.number", "project.name",
    "location.location", "location.country", "location.region", "location.zone", "export_time",
    "cost", "currency", "currency_conversion_rate", "usage.amount", "usage.unit",
    "usage.amount_in_pricing_units", "usage.pricing_unit", "invoice.month", "cost_type",
    "adjustment_info.id", "adjustment_info.description", "adjustment_info.mode", "adjustment_info.type",
    "cost_at_list",
];

fn country(location: &str) -> Option<&'static str> {
    match location {
        "global" => None,
        l if l.starts_with("europe-west1") => Some("BE"),
        _ => Some("US"),
    }
}

/// A row's scalar cells in [`SCALARS`] order.
fn scalars(r: &GcpRow) -> Result<Vec<Cell>> {
    let what = format!("GCP row {} {}", r.sku.1, r.start);
    let f = |d, w: &str| bill_float(d, w).map(|x| Cell::Float(Some(x)));
    let p = &GCP_PROJECTS[r.project];
    let usage = r.usage;
    let adj = r.adjustment;
    Ok(vec![
        t(GCP_BILLING_ACCOUNT),
        t(r.service.0.clone()),
        t(r.service.1),
        t(r.sku.0.clone()),
        t(r.sku.1.clone()),
        Cell::Time(r.start),
        Cell::Time(r.end),
        t(p.id),
        t(p.number),
        t(p.name),
        opt(r.location),
        opt(r.location.and_then(country)),
        opt(r.location.filter(|l| *l != "US")),
        Cell::Text(None),
        Cell::Time(r.export_time),
        f(r.cost, &what)?,
        t("USD"),
        Cell::Float(Some(1.0)),
        Cell::Float(usage.map(|u| bill_float(u.0, &what)).transpose()?),
        opt(usage.map(|u| u.1)),
        Cell::Float(usage.map(|u| bill_float(u.2, &what)).transpose()?),
        opt(usage.map(|u| u.3)),
        t(r.start.format("%Y%m").to_string()),
        t(r.cost_type),
        opt(adj.map(|a| a.0)),
        opt(adj.map(|a| a.1)),
        opt(adj.map(|a| a.2)),
        opt(adj.map(|a| a.3)),
        f(r.cost_at_list, &what)?,
    ])
}

fn labels(r: &GcpRow) -> Vec<(String, String)> {
    r.labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn parquet_columns(rows: &[GcpRow], cells: &[Vec<Cell>]) -> Result<Vec<Column>> {
    let n = rows.len();
    let scalar = |name: &str| {
        let i = SCALARS.iter().position(|s| *s == name).expect("a known field");
        column(name.rsplit('.').next().unwrap_or(name), &cells.iter().map(|c| &c[i]).collect::<Vec<_>>())
    };
    let mut out = Vec::new();
    for top in TOP {
        let fields: Vec<&str> =
            SCALARS.iter().copied().filter(|s| s.split('.').next() == Some(top) && s.contains('.')).collect();
        out.push(match top {
            "labels" => key_values(top, &rows.iter().map(labels).collect::<Vec<_>>())?,
            "system_labels" => key_values(top, &vec![vec![]; n])?,
            "credits" => credits_column(rows)?,
            _ if !fields.is_empty() => record(top, n, &fields.iter().map(|f| scalar(f)).collect::<Result<Vec<_>>>()?)?,
            _ => scalar(top)?,
        });
    }
    Ok(out)
}

fn credits_column(rows: &[GcpRow]) -> Result<Column> {
    let all: Vec<_> = rows.iter().flat_map(|r| r.credits.iter()).collect();
    let amounts = all.iter().map(|c| bill_float(c.amount, "GCP credit").map(Some)).collect::<Result<Vec<_>>>()?;
    let s = |f: &dyn Fn(&super::gcp::Credit) -> &'static str| all.iter().map(|c| f(c)).collect::<Vec<_>>();
    let fields = [
        Column::new("name".into(), s(&|c| c.name)),
        Column::new("amount".into(), amounts),
        Column::new("full_name".into(), s(&|c| c.full_name)),
        Column::new("id".into(), s(&|c| c.id)),
        Column::new("type".into(), s(&|c| c.kind)),
    ];
    let flat = StructChunked::from_columns("".into(), all.len(), &fields)?.into_series();
    list_of("credits", &flat, rows.iter().map(|r| r.credits.len()))
}

fn json_value(c: &Cell) -> Result<Value> {
    Ok(match c {
        Cell::Text(s) => s.clone().map_or(Value::Null, Value::String),
        Cell::Float(f) => match f {
            None => Value::Null,
            Some(x) => {
                Value::Number(serde_json::Number::from_f64(*x).ok_or_else(|| Error::Internal("NaN in a bill".into()))?)
            }
        },
        Cell::Time(t) => Value::String(bq_time(*t)),
        Cell::Map(_) => return Err(Error::Internal("no map among the GCP scalars".into())),
    })
}

fn json_row(r: &GcpRow, cells: &[Cell]) -> Result<Value> {
    let mut obj = Map::new();
    let kv = |pairs: Vec<(String, String)>| {
        Value::Array(pairs.into_iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect())
    };
    for top in TOP {
        let value = match top {
            "labels" => kv(labels(r)),
            "system_labels" => Value::Array(vec![]),
            "credits" => Value::Array(
                r.credits
                    .iter()
                    .map(|c| {
                        let amount = bill_float(c.amount, "GCP credit")?;
                        Ok(serde_json::json!({"name": c.name, "amount": amount, "full_name": c.full_name, "id": c.id, "type": c.kind}))
                    })
                    .collect::<Result<_>>()?,
            ),
            _ => {
                let mut rec = Map::new();
                for (i, name) in SCALARS.iter().enumerate() {
                    match name.split_once('.') {
                        Some((head, field)) if head == top => {
                            rec.insert(field.to_owned(), json_value(&cells[i])?);
                        }
                        None if *name == top => {
                            obj.insert(top.to_owned(), json_value(&cells[i])?);
                        }
                        _ => {}
                    }
                }
                if rec.is_empty() {
                    continue;
                }
                Value::Object(rec)
            }
        };
        obj.insert(top.to_owned(), value);
    }
    Ok(Value::Object(obj))
}

fn csv_text(c: &Cell) -> Option<String> {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Float(f) => f.map(float_text),
        Cell::Time(t) => Some(bq_time(*t)),
        Cell::Map(_) => None,
    }
}

fn csv(rows: &[GcpRow], cells: &[Vec<Cell>]) -> Result<String> {
    let mut header: Vec<String> = SCALARS.iter().map(|s| s.replace('.', "_")).collect();
    let labels_at = SCALARS.iter().position(|s| *s == "project.name").expect("known") + 1;
    let credits_at = SCALARS.iter().position(|s| *s == "usage.pricing_unit").expect("known") + 2;
    header.insert(labels_at, "labels".into());
    header.insert(credits_at, "credits_amount".into());
    let mut out = header.join(",");
    out.push('\n');
    for (r, row) in rows.iter().zip(cells) {
        let mut fields: Vec<Option<String>> = row.iter().map(csv_text).collect();
        let l = labels(r).into_iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect();
        fields.insert(labels_at, Some(Value::Array(l).to_string()));
        let credits = r.credits.iter().map(|c| c.amount).sum();
        fields.insert(credits_at, Some(float_text(bill_float(credits, "GCP credits")?)));
        out.push_str(&csv_line(&fields));
    }
    Ok(out)
}

pub(crate) fn write(dir: &Path, rows: &[GcpRow]) -> Result<()> {
    let cells = rows.iter().map(scalars).collect::<Result<Vec<_>>>()?;
    write_parquet(&dir.join("gcp/billing.parquet"), parquet_columns(rows, &cells)?)?;
    let mut ndjson = String::new();
    for (r, c) in rows.iter().zip(&cells) {
        ndjson.push_str(&json_row(r, c)?.to_string());
        ndjson.push('\n');
    }
    write_file(&dir.join("gcp/billing.ndjson"), ndjson.as_bytes())?;
    write_file(&dir.join("gcp/billing.csv"), csv(rows, &cells)?.as_bytes())
}
