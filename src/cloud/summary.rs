//! The summary of a cloud reconciliation: per provider and in total, every figure exact.
//!
//! The money split follows DESIGN §4 — `overbilled_usd` (Σ positive deltas of mismatches),
//! `underbilled_usd` (Σ |negative deltas|), `unchecked_usd` (Σ billed of unpriced lines) — plus
//! `not_usage_usd` (tax, credits, refunds, fees: summed apart) and `other` (rows of the bills
//! that are not Claude), so a user sees everything the files held and nothing is dropped unsaid.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::reconcile::{CloudReconciliation, CloudStatus};
use crate::money::format_mantissa;
use crate::rates::cloud::Provider;

/// Exact totals of one provider (or all).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    pub lines: usize,
    /// Σ billed of usage lines.
    pub billed: i128,
    /// Σ expected of priced lines, and Σ billed of those same lines.
    pub expected: i128,
    pub billed_priced: i128,
    pub overbilled: i128,
    pub underbilled: i128,
    pub unchecked: i128,
    pub not_usage: i128,
    pub counts: BTreeMap<&'static str, usize>,
    /// Unpriced product names and usage types / SKUs, so "a product counterfoil has never seen"
    /// is named in the summary.
    pub unknown: Vec<String>,
}

impl Totals {
    pub fn delta(&self) -> i128 {
        self.billed_priced - self.expected
    }

    fn json(&self) -> Value {
        let m = |v: i128| Value::String(format_mantissa(v));
        json!({
            "lines": self.lines,
            "billed_usd": m(self.billed),
            "expected_usd": m(self.expected),
            "billed_priced_usd": m(self.billed_priced),
            "delta_usd": m(self.delta()),
            "overbilled_usd": m(self.overbilled),
            "underbilled_usd": m(self.underbilled),
            "unchecked_usd": m(self.unchecked),
            "not_usage_usd": m(self.not_usage),
            "counts": self.counts,
            "unknown": self.unknown,
        })
    }
}

impl CloudReconciliation {
    /// Totals per provider, and over all providers under `None`.
    pub fn totals(&self) -> BTreeMap<Option<Provider>, Totals> {
        let mut out: BTreeMap<Option<Provider>, Totals> = BTreeMap::new();
        for l in &self.lines {
            for key in [Some(l.line.provider), None] {
                let t = out.entry(key).or_default();
                t.lines += 1;
                *t.counts.entry(l.status.as_str()).or_default() += 1;
                match l.status {
                    CloudStatus::NotUsage => t.not_usage += l.line.billed,
                    CloudStatus::UsageMismatch => {}
                    CloudStatus::Unpriced => {
                        t.billed += l.line.billed;
                        t.unchecked += l.line.billed;
                        let what = match (&l.line.model, &l.line.product) {
                            (None, Some(p)) => format!("product {p:?}"),
                            _ => l.note.clone().unwrap_or_default(),
                        };
                        if !t.unknown.contains(&what) {
                            t.unknown.push(what);
                        }
                    }
                    CloudStatus::Match | CloudStatus::Mismatch => {
                        t.billed += l.line.billed;
                        t.billed_priced += l.line.billed;
                        t.expected += l.expected.unwrap_or(0);
                        let d = l.delta().unwrap_or(0);
                        if l.status == CloudStatus::Mismatch {
                            if d > 0 {
                                t.overbilled += d;
                            } else {
                                t.underbilled += -d;
                            }
                        }
                    }
                }
            }
        }
        out
    }

    pub fn discrepancies(&self) -> usize {
        self.lines.iter().filter(|l| l.status.is_discrepancy()).count()
    }

    /// 0 when every line checks out, 1 when any is a discrepancy (as for Anthropic's bill).
    pub fn exit_code(&self) -> i32 {
        i32::from(self.discrepancies() > 0)
    }

    /// Billed, expected and delta by IAM principal (AWS) or labels (Google), for `--by-principal`.
    pub fn by_principal(&self) -> BTreeMap<String, Totals> {
        let mut out: BTreeMap<String, Totals> = BTreeMap::new();
        for l in self
            .lines
            .iter()
            .filter(|l| matches!(l.status, CloudStatus::Match | CloudStatus::Mismatch | CloudStatus::Unpriced))
        {
            let who = l.line.principal.clone().or_else(|| l.line.tags.clone()).unwrap_or_else(|| "(none)".into());
            let t = out.entry(who).or_default();
            t.lines += 1;
            t.billed += l.line.billed;
            *t.counts.entry(l.status.as_str()).or_default() += 1;
            if let Some(e) = l.expected {
                t.expected += e;
                t.billed_priced += l.line.billed;
            } else {
                t.unchecked += l.line.billed;
            }
        }
        out
    }

    /// The `summary` object of the JSON report.
    pub fn summary_json(&self) -> Value {
        let totals = self.totals();
        let providers: serde_json::Map<String, Value> =
            totals.iter().filter_map(|(p, t)| p.map(|p| (p.as_str().to_string(), t.json()))).collect();
        let other: serde_json::Map<String, Value> = self
            .other
            .iter()
            .map(|(p, o)| (p.as_str().to_string(), json!({"rows": o.rows, "cost_usd": format_mantissa(o.cost)})))
            .collect();
        json!({
            "window": self.window.as_ref().map(|w| json!({"start": w.start.to_rfc3339(), "end": w.end.to_rfc3339()})),
            "total": totals.get(&None).cloned().unwrap_or_default().json(),
            "providers": providers,
            "other": other,
            "outside_window_lines": self.outside_window,
            "discrepancies": self.discrepancies(),
            "findings": self.findings.len(),
            "tolerance": {"abs_usd": self.tolerance.abs_usd.to_string(), "rel": self.tolerance.rel.to_string()},
            "files": self.files,
        })
    }
}
