//! `truth.json`: what the bills say and what they should say, for tests in any language.
//!
//! Money is text (the exact decimal), never a JSON number; timestamps are RFC 3339 UTC. The
//! plants are listed once each, with the key a reconcile finds them by.

use std::path::Path;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::plants::PLANTS;
use super::text::{decimal_text, iso_z, write_file};
use super::{CloudBills, CloudTruthLine};
use crate::error::Result;

fn money(d: Decimal) -> Value {
    Value::String(decimal_text(d))
}

fn line(l: &CloudTruthLine) -> Value {
    json!({
        "provider": l.provider,
        "account_id": l.account_id,
        "date": l.date.to_string(),
        "usage_start": iso_z(l.usage_start),
        "region": l.region,
        "scope": l.scope,
        "model": l.model,
        "service_tier": l.service_tier,
        "context_window": l.context_window,
        "token_type": l.token_type,
        "quantity": l.quantity,
        "line_item_type": l.line_item_type,
        "billed_usd": money(l.billed_usd),
        "expected_usd": l.expected_usd.map(money),
        "source_id": l.source_id,
        "plant": l.plant,
    })
}

/// The whole truth as JSON text (what `truth.json` holds).
pub(crate) fn to_json(bills: &CloudBills) -> String {
    let c = &bills.config;
    let lines: Vec<Value> = bills.truth().iter().map(line).collect();
    let mut other = Map::new();
    for (provider, (rows, cost)) in bills.other() {
        other.insert(provider.to_owned(), json!({"rows": rows, "cost_usd": money(cost)}));
    }
    let mut totals = Map::new();
    for provider in ["aws_bedrock", "gcp_vertex"] {
        let of = |usage: bool| -> Decimal {
            bills
                .truth()
                .iter()
                .filter(|l| l.provider == provider && (l.line_item_type == "Usage") == usage)
                .map(|l| l.billed_usd)
                .sum()
        };
        totals.insert(
            provider.to_owned(),
            json!({"usage_billed_usd": money(of(true)), "not_usage_usd": money(of(false))}),
        );
    }
    let plants: Vec<Value> = PLANTS
        .iter()
        .filter_map(|p| bills.truth().iter().find(|l| l.plant == Some(*p)))
        .map(|l| {
            json!({
                "plant": l.plant,
                "provider": l.provider,
                "account_id": l.account_id,
                "date": l.date.to_string(),
                "model": l.model,
                "token_type": l.token_type,
                "source_id": l.source_id,
            })
        })
        .collect();
    // Pretty at the top, one line per truth line: readable, diffable, half the size.
    let field = |k: &str, v: &Value| format!("  {}: {}", Value::String(k.into()), v);
    let config = json!({"seed": c.seed, "days": c.days, "start": c.start().to_string(), "end": c.end.to_string(), "plants": c.plants});
    let list = |items: &[Value]| {
        let body: Vec<String> = items.iter().map(|v| format!("    {v}")).collect();
        if body.is_empty() { "[]".to_owned() } else { format!("[\n{}\n  ]", body.join(",\n")) }
    };
    let parts = [
        field("config", &config),
        format!("  \"lines\": {}", list(&lines)),
        field("other", &Value::Object(other)),
        field("totals", &Value::Object(totals)),
        format!("  \"plants\": {}", list(&plants)),
    ];
    format!("{{\n{}\n}}\n", parts.join(",\n"))
}

pub(crate) fn write(dir: &Path, bills: &CloudBills) -> Result<()> {
    write_file(&dir.join("truth.json"), to_json(bills).as_bytes())
}
