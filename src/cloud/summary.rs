//! The summary of a cloud reconciliation: per provider and in total, every figure exact.
//!
//! The money split follows DESIGN §4 — `overbilled_usd` (Σ positive deltas of mismatches),
//! `underbilled_usd` (Σ |negative deltas|), `unchecked_usd` (Σ billed of unpriced lines) — plus
//! `not_usage_usd` (tax, credits, refunds, fees: summed apart) and `other` (rows of the bills
//! that are not Claude), so a user sees everything the files held and nothing is dropped unsaid.

use std::collections::BTreeMap;

use serde_json::Value;

use super::reconcile::{CloudReconciliation, CloudStatus};
use crate::rates::cloud::Provider;
use crate::typed::Typed;

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

    fn typed(&self) -> Typed {
        let counts = Typed::Map(self.counts.iter().map(|(k, v)| (k.to_string(), Typed::from(*v))).collect());
        let unknown = Typed::List(self.unknown.iter().map(|u| Typed::from(u.as_str())).collect());
        crate::typed! {
            "lines" => self.lines,
            "billed_usd" => Typed::Money(self.billed),
            "expected_usd" => Typed::Money(self.expected),
            "billed_priced_usd" => Typed::Money(self.billed_priced),
            "delta_usd" => Typed::Money(self.delta()),
            "overbilled_usd" => Typed::Money(self.overbilled),
            "underbilled_usd" => Typed::Money(self.underbilled),
            "unchecked_usd" => Typed::Money(self.unchecked),
            "not_usage_usd" => Typed::Money(self.not_usage),
            "counts" => counts,
            "unknown" => unknown,
        }
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

    /// The summary: JSON of the report (`.to_json()`) and Python's `summary` dict alike.
    pub fn summary_typed(&self) -> Typed {
        let totals = self.totals();
        let providers =
            Typed::Map(totals.iter().filter_map(|(p, t)| p.map(|p| (p.as_str().to_string(), t.typed()))).collect());
        let other = Typed::Map(
            self.other
                .iter()
                .map(|(p, o)| {
                    (p.as_str().to_string(), crate::typed! {"rows" => o.rows, "cost_usd" => Typed::Money(o.cost)})
                })
                .collect(),
        );
        let window = match &self.window {
            Some(w) => crate::typed! {"start" => w.start.to_rfc3339(), "end" => w.end.to_rfc3339()},
            None => Typed::Null,
        };
        let files = Typed::List(self.files.iter().map(|f| Typed::from(f.as_str())).collect());
        crate::typed! {
            "window" => window,
            "total" => totals.get(&None).cloned().unwrap_or_default().typed(),
            "providers" => providers,
            "other" => other,
            "outside_window_lines" => self.outside_window,
            "discrepancies" => self.discrepancies(),
            "findings" => self.findings.len(),
            "tolerance" => crate::typed! {"abs_usd" => self.tolerance.abs_usd, "rel" => self.tolerance.rel},
            "files" => files,
        }
    }

    pub fn summary_json(&self) -> Value {
        self.summary_typed().to_json()
    }
}
