//! A cloud reconciliation as a person or a program reads it: the lines frame (CSV/Parquet),
//! JSON (summary, findings, lines; money as decimal strings), a terminal summary that fits its
//! width, and a self-contained HTML page.

use polars::prelude::*;
use serde_json::{Value, json};

use super::svg::esc;
use super::wrap::hanging;
use crate::cloud::lines::{self, CloudLine};
use crate::cloud::reconcile::{CheckedLine, CloudReconciliation, CloudStatus};
use crate::error::Result;
use crate::frames::columns::MoneyBuilder;
use crate::money::{cents_usd, signed_cents_usd};
use crate::typed::Typed;

/// Columns added to `cloud_lines` in the reconciliation's lines.
pub const CHECK_COLUMNS: [&str; 7] =
    ["rate_usd_per_mtok", "expected_usd", "delta_usd", "status", "note", "finding", "logged_quantity"];

/// The token class a line shows: its token type, or the class a usage check compared.
fn token_label(l: &CheckedLine) -> Option<String> {
    match l.status {
        CloudStatus::UsageMismatch => l.line.usage_type.clone(),
        _ => l.line.token_type.map(|t| t.api_name().to_string()),
    }
}

/// Every line with its check: the `cloud_lines` columns, then [`CHECK_COLUMNS`].
pub fn lines_frame(rec: &CloudReconciliation) -> Result<DataFrame> {
    let base: Vec<CloudLine> = rec
        .lines
        .iter()
        .map(|l| {
            let mut line = l.line.clone();
            if l.status == CloudStatus::UsageMismatch {
                line.usage_type = None;
            }
            line
        })
        .collect();
    let mut df = lines::to_frame(&base)?;
    let token: Vec<Option<String>> = rec.lines.iter().map(token_label).collect();
    df.replace("token_type", StringChunked::from_iter_options("token_type".into(), token.into_iter()).into_column())?;
    let n = rec.lines.len();
    let (mut expected, mut delta) = (MoneyBuilder::new("expected_usd", n), MoneyBuilder::new("delta_usd", n));
    for l in &rec.lines {
        expected.push(l.expected);
        delta.push(l.delta());
    }
    let text = |name: &str, f: &dyn Fn(&CheckedLine) -> Option<String>| {
        StringChunked::from_iter_options(name.into(), rec.lines.iter().map(f)).into_column()
    };
    let rate: Vec<Option<i128>> =
        rec.lines.iter().map(|l| l.rate.and_then(|r| crate::money::to_mantissa(r).ok())).collect();
    let extra = vec![
        crate::frames::columns::money("rate_usd_per_mtok", rate)?,
        expected.finish(),
        delta.finish(),
        text("status", &|l| Some(l.status.as_str().to_string())),
        text("note", &|l| l.note.clone()),
        text("finding", &|l| l.finding.clone()),
        Int64Chunked::from_iter_options("logged_quantity".into(), rec.lines.iter().map(|l| l.logged_quantity))
            .into_column(),
    ];
    df.hstack_mut(&extra)?;
    Ok(df)
}

/// The findings as typed values (JSON's `findings`, Python's `findings`).
pub fn findings_typed(rec: &CloudReconciliation) -> Typed {
    Typed::List(
        rec.findings
            .iter()
            .map(|f| {
                crate::typed! {
                    "id" => f.id.as_str(), "status" => f.status.as_str(), "provider" => f.provider.as_str(),
                    "account_id" => f.account_id.clone().map_or(Typed::Null, Typed::from),
                    "model" => f.model.clone().map_or(Typed::Null, Typed::from),
                    "cause" => f.cause.as_str(), "title" => f.title.as_str(), "next_step" => f.next_step.as_str(),
                    "lines" => f.lines, "delta_usd" => Typed::Money(f.delta), "billed_usd" => Typed::Money(f.billed),
                    "first_date" => f.first_date, "last_date" => f.last_date,
                }
            })
            .collect(),
    )
}

/// The JSON report: `summary`, `findings`, `lines` (money as decimal strings).
pub fn json(rec: &CloudReconciliation) -> Result<Value> {
    let lines = super::formats::records(&lines_frame(rec)?)?;
    Ok(json!({"summary": rec.summary_json(), "findings": findings_typed(rec).to_json(), "lines": lines}))
}

/// The terminal summary, wrapped to `width`.
pub fn text(rec: &CloudReconciliation, width: usize) -> String {
    let mut out = String::new();
    let totals = rec.totals();
    let window =
        rec.window.as_ref().map(|w| format!(" {} → {}", w.start.date_naive(), w.end.date_naive())).unwrap_or_default();
    out.push_str(&format!("Cloud bills{window}\n"));
    for (p, t) in totals.iter().filter_map(|(p, t)| p.map(|p| (p, t))) {
        let line = format!(
            "{}: {} lines, billed {}, list price {}, delta {}; not usage {}",
            p.title(),
            t.lines,
            cents_usd(t.billed),
            cents_usd(t.expected),
            signed_cents_usd(t.delta()),
            cents_usd(t.not_usage)
        );
        out.push_str(&hanging("", 2, &line, width));
        let counts: Vec<String> = t.counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        out.push_str(&hanging("", 4, &counts.join(", "), width));
    }
    for (p, o) in &rec.other {
        if o.rows > 0 {
            let rows = if o.rows == 1 { "1 row".to_string() } else { format!("{} rows", o.rows) };
            let bill =
                if *p == crate::rates::cloud::Provider::AwsBedrock { "the AWS bill" } else { "the Google Cloud bill" };
            let text = format!("{rows} of {bill} not Claude, skipped ({})", cents_usd(o.cost));
            out.push_str(&hanging("", 2, &text, width));
        }
    }
    if rec.findings.is_empty() {
        out.push_str("No discrepancies: every priced line is the list price of its tokens.\n");
    } else {
        let n = rec.findings.len();
        out.push_str(&format!("{n} finding{}:\n", if n == 1 { "" } else { "s" }));
        for f in &rec.findings {
            let head = match f.status {
                CloudStatus::UsageMismatch => format!("{} ", f.id),
                _ => format!("{} {} ", f.id, signed_cents_usd(f.delta)),
            };
            out.push_str(&hanging(&head, head.chars().count(), &f.title, width));
            out.push_str(&hanging("    → ", 6, &f.next_step, width));
        }
    }
    out
}

/// A self-contained HTML page (no script, no external resource).
pub fn html(rec: &CloudReconciliation) -> Result<String> {
    let mut rows = String::new();
    for (p, t) in rec.totals().iter().filter_map(|(p, t)| p.map(|p| (p, t))) {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(p.title()),
            t.lines,
            cents_usd(t.billed),
            cents_usd(t.expected),
            signed_cents_usd(t.delta()),
            cents_usd(t.unchecked),
            cents_usd(t.not_usage)
        ));
    }
    let mut findings = String::new();
    for f in &rec.findings {
        let money = if f.status == CloudStatus::UsageMismatch { "—".to_string() } else { signed_cents_usd(f.delta) };
        // A date never breaks at its hyphens; a range may break between its two dates.
        let days = if f.first_date == f.last_date {
            format!("<span class=d>{}</span>", f.first_date)
        } else {
            format!("<span class=d>{}</span> – <span class=d>{}</span>", f.first_date, f.last_date)
        };
        findings.push_str(&format!(
            "<tr><td>{}</td><td class=n>{}</td><td>{}<br><small>{}</small></td><td>{days}</td></tr>",
            esc(&f.id),
            esc(&money),
            esc(&f.title),
            esc(&f.next_step),
        ));
    }
    if findings.is_empty() {
        findings = "<tr><td colspan=4>No discrepancies.</td></tr>".into();
    }
    let window =
        rec.window.as_ref().map(|w| format!("{} → {}", w.start.date_naive(), w.end.date_naive())).unwrap_or_default();
    Ok(format!(
        r#"<!doctype html><html lang=en><meta charset=utf-8><title>counterfoil: cloud bills</title>
<style>body{{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}}.n{{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}}small{{color:#555}}.d{{white-space:nowrap}}@media print{{body{{margin:0}}}}</style>
<h1>Claude on AWS Bedrock and Google Vertex AI</h1><p>{}</p>
<table><tr><th>Provider</th><th>Lines</th><th class=n>Billed</th><th class=n>List price</th><th class=n>Delta</th><th class=n>Unchecked</th><th class=n>Not usage</th></tr>{rows}</table>
<h2>Findings</h2><table><tr><th>Id</th><th class=n>Delta</th><th>What</th><th>Days</th></tr>{findings}</table>
<p><small>Money is exact; the table rounds to cents for reading. Lines: JSON, CSV or Parquet output of the same command.</small></p></html>
"#,
        esc(&window)
    ))
}
