//! All Claude spend in one table: Anthropic, AWS Bedrock and Google Vertex side by side.
//!
//! `all_spend` answers "what do we spend on Claude, everywhere": one row per provider × account
//! (Anthropic workspace, AWS account, GCP project) × model × day × token type, with what was
//! billed, what list price says it should have cost and the difference. Tax, credits, refunds and
//! fees of the cloud bills are not usage: they are summed apart in [`SpendTotals`], never mixed
//! into a token row. Sums are exact (scale-12 mantissas).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::reconcile::{CloudReconciliation, CloudStatus};
use crate::error::Result;
use crate::frames::columns::{self as col, MoneyBuilder};

/// The columns of the all-spend frame (DESIGN §13).
pub const SPEND_COLUMNS: [&str; 9] = [
    "provider",
    "account_id",
    "account_name",
    "date",
    "model",
    "token_type",
    "billed_usd",
    "expected_usd",
    "delta_usd",
];

type Key = (String, Option<String>, NaiveDate, Option<String>, Option<String>);

/// Exact sums of one row; `expected` is known only when every line in it was priced.
#[derive(Default, Clone, Copy)]
struct Sums {
    billed: i128,
    expected: i128,
    unpriced: bool,
}

impl Sums {
    fn expected(&self) -> Option<i128> {
        (!self.unpriced).then_some(self.expected)
    }
}

/// Per provider: Σ billed of usage rows and Σ of what is not usage.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SpendTotals {
    pub usage_billed: BTreeMap<String, i128>,
    pub not_usage: BTreeMap<String, i128>,
}

fn add(acc: &mut Sums, billed: i128, expected: Option<i128>) {
    acc.billed += billed;
    match expected {
        Some(e) => acc.expected += e,
        None => acc.unpriced = true,
    }
}

/// One frame over an Anthropic reconciliation's lines (optional) and a cloud reconciliation
/// (optional); `names` gives Anthropic workspace names.
pub fn all_spend(
    anthropic: Option<&DataFrame>,
    cloud: Option<&CloudReconciliation>,
    names: &BTreeMap<String, String>,
) -> Result<(DataFrame, SpendTotals)> {
    let mut rows: BTreeMap<Key, Sums> = BTreeMap::new();
    let mut totals = SpendTotals::default();
    if let Some(df) = anthropic {
        let s = |n: &str| -> Result<StringChunked> {
            Ok(df.column(n)?.as_materialized_series().cast(&DataType::String)?.str()?.clone())
        };
        let m = |n: &str| -> Result<Vec<Option<i128>>> {
            Ok(df.column(n)?.as_materialized_series().cast(&col::money_dtype())?.decimal()?.physical().iter().collect())
        };
        let (ws, model, token) = (s("workspace_id")?, s("model")?, s("token_type")?);
        let dates = df.column("date")?.as_materialized_series().cast(&DataType::Date)?;
        let dates = dates.date()?.physical().clone();
        let (reported, expected) = (m("reported_usd")?, m("expected_usd")?);
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        for i in 0..df.height() {
            let Some(d) = dates.get(i) else { continue };
            let billed = reported[i].unwrap_or(0);
            let k = (
                "anthropic".to_string(),
                ws.get(i).map(str::to_string),
                epoch + chrono::Duration::days(d as i64),
                model.get(i).map(str::to_string),
                token.get(i).map(str::to_string),
            );
            add(rows.entry(k).or_default(), billed, expected[i]);
            *totals.usage_billed.entry("anthropic".into()).or_default() += billed;
        }
    }
    if let Some(rec) = cloud {
        for l in &rec.lines {
            let p = l.line.provider.as_str().to_string();
            match l.status {
                CloudStatus::UsageMismatch => continue,
                CloudStatus::NotUsage => {
                    *totals.not_usage.entry(p).or_default() += l.line.billed;
                    continue;
                }
                _ => {}
            }
            let k = (
                p.clone(),
                l.line.account_id.clone(),
                l.line.date,
                l.line.model.clone(),
                l.line.token_type.map(|t| t.api_name().to_string()),
            );
            add(rows.entry(k).or_default(), l.line.billed, l.expected);
            *totals.usage_billed.entry(p).or_default() += l.line.billed;
        }
    }
    let n = rows.len();
    let (mut billed, mut expected, mut delta) =
        (MoneyBuilder::new("billed_usd", n), MoneyBuilder::new("expected_usd", n), MoneyBuilder::new("delta_usd", n));
    let (mut provider, mut account, mut account_name, mut date, mut model, mut token) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for ((p, a, d, m, t), s) in rows {
        account_name.push(if p == "anthropic" { a.as_ref().and_then(|a| names.get(a).cloned()) } else { None });
        provider.push(Some(p));
        account.push(a);
        date.push(Some(d));
        model.push(m);
        token.push(t);
        billed.push(Some(s.billed));
        expected.push(s.expected());
        delta.push(s.expected().map(|e| s.billed - e));
    }
    let df = DataFrame::new(
        n,
        vec![
            col::text("provider", provider),
            col::text("account_id", account),
            col::text("account_name", account_name),
            col::date("date", date),
            col::text("model", model),
            col::text("token_type", token),
            billed.finish(),
            expected.finish(),
            delta.finish(),
        ],
    )?;
    Ok((df, totals))
}
