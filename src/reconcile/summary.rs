//! The summary of a reconciliation: totals, counts by status, Priority and non-token charges on
//! their own, and roll-ups by day, workspace, model and token type.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::lines::workspace_name;
use super::{Line, Status};
use crate::money::format_mantissa;
use crate::window::TimeWindow;

/// Sums of one group of lines (scale-12 USD mantissas).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    pub key: Option<String>,
    pub label: String,
    pub expected: i128,
    pub reported: i128,
    pub lines: usize,
    pub discrepancies: usize,
}

impl Rollup {
    fn add(&mut self, l: &Line) {
        if comparable(l.status) {
            self.expected += l.expected().unwrap_or(0);
            self.reported += l.reported().unwrap_or(0);
        }
        self.lines += 1;
        self.discrepancies += usize::from(l.status.is_discrepancy());
    }

    pub fn delta(&self) -> i128 {
        self.reported - self.expected
    }

    fn json(&self) -> Value {
        json!({"key": self.key, "label": self.label, "expected_usd": format_mantissa(self.expected),
               "reported_usd": format_mantissa(self.reported), "delta_usd": format_mantissa(self.delta()),
               "lines": self.lines, "discrepancies": self.discrepancies})
    }
}

/// Lines whose two sides are compared: they make up the headline totals.
pub fn comparable(s: Status) -> bool {
    matches!(s, Status::Match | Status::Mismatch | Status::MissingCost | Status::MissingUsage)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub window: Option<TimeWindow>,
    pub lines: usize,
    pub counts: BTreeMap<&'static str, usize>,
    /// Totals over comparable lines.
    pub expected: i128,
    pub reported: i128,
    /// Everything cost_report billed in the window, cost-only charges included.
    pub reported_all: i128,
    /// Priority Tier usage at list price (not in cost_report).
    pub priority_expected: i128,
    /// Expected and reported per non-token cost type (web_search, code_execution, …).
    pub non_token: BTreeMap<String, (i128, i128)>,
    /// Days reconciled at a coarser key, and the dimensions dropped.
    pub coarsened: Vec<(NaiveDate, Vec<&'static str>)>,
    pub by_day: Vec<Rollup>,
    pub by_workspace: Vec<Rollup>,
    pub by_model: Vec<Rollup>,
    pub by_token_type: Vec<Rollup>,
}

fn rollup<F: Fn(&Line) -> (Option<String>, String)>(lines: &[Line], key: F) -> Vec<Rollup> {
    let mut m: BTreeMap<(Option<String>, String), Rollup> = BTreeMap::new();
    for l in lines {
        let (k, label) = key(l);
        m.entry((k.clone(), label.clone())).or_insert_with(|| Rollup { key: k, label, ..Rollup::default() }).add(l);
    }
    m.into_values().collect()
}

impl Summary {
    pub fn of(
        lines: &[Line],
        window: Option<TimeWindow>,
        coarse: &BTreeMap<NaiveDate, Vec<&'static str>>,
        names: &BTreeMap<String, String>,
    ) -> Summary {
        let mut s = Summary { window, lines: lines.len(), ..Summary::default() };
        for st in Status::ALL {
            s.counts.insert(st.as_str(), 0);
        }
        for l in lines {
            *s.counts.get_mut(l.status.as_str()).expect("every status") += 1;
            if comparable(l.status) {
                s.expected += l.expected().unwrap_or(0);
                s.reported += l.reported().unwrap_or(0);
            }
            s.reported_all += l.reported().unwrap_or(0);
            if l.status == Status::NotInCostReport {
                s.priority_expected += l.expected().unwrap_or(0);
            }
            if l.key.cost_type != "tokens" {
                let e = s.non_token.entry(l.key.cost_type.clone()).or_default();
                e.0 += l.expected().unwrap_or(0);
                e.1 += l.reported().unwrap_or(0);
            }
        }
        s.coarsened = coarse.iter().map(|(d, dims)| (*d, dims.clone())).collect();
        s.by_day = rollup(lines, |l| (Some(l.key.date.to_string()), l.key.date.to_string()));
        s.by_workspace = rollup(lines, |l| {
            let id = l.key.workspace_id.clone();
            let label = workspace_name(id.as_deref(), names).or_else(|| id.clone()).unwrap_or_default();
            (id, label)
        });
        s.by_model = rollup(lines, |l| {
            (l.key.model.clone(), l.key.model.clone().unwrap_or_else(|| format!("({})", l.key.cost_type)))
        });
        s.by_token_type = rollup(lines, |l| {
            let k = l.key.token_type.clone().unwrap_or_else(|| l.key.cost_type.clone());
            (Some(k.clone()), k)
        });
        s
    }

    pub fn delta(&self) -> i128 {
        self.reported - self.expected
    }

    /// Lines that make the reconciliation fail.
    pub fn discrepancies(&self) -> usize {
        Status::ALL
            .iter()
            .filter(|s| s.is_discrepancy())
            .map(|s| self.counts.get(s.as_str()).copied().unwrap_or(0))
            .sum()
    }

    /// The `window` object of the JSON output.
    pub fn window_json(&self) -> Value {
        match self.window {
            Some(w) => {
                json!({"start": w.start.date_naive().to_string(), "end": w.end.date_naive().to_string()})
            }
            None => Value::Null,
        }
    }

    /// The summary as JSON: money as decimal strings in USD.
    pub fn to_json(&self) -> Value {
        let non_token: serde_json::Map<String, Value> = self
            .non_token
            .iter()
            .map(|(k, (e, r))| {
                (k.clone(), json!({"expected_usd": format_mantissa(*e), "reported_usd": format_mantissa(*r)}))
            })
            .collect();
        json!({
            "window": self.window_json(),
            "lines": self.lines,
            "ok": self.discrepancies() == 0,
            "discrepancies": self.discrepancies(),
            "counts": self.counts,
            "expected_usd": format_mantissa(self.expected),
            "reported_usd": format_mantissa(self.reported),
            "delta_usd": format_mantissa(self.delta()),
            "reported_all_usd": format_mantissa(self.reported_all),
            "priority_expected_usd": format_mantissa(self.priority_expected),
            "non_token": non_token,
            "coarsened": self.coarsened.iter().map(|(d, dims)| json!({"date": d.to_string(), "dropped": dims})).collect::<Vec<_>>(),
            "by_day": self.by_day.iter().map(Rollup::json).collect::<Vec<_>>(),
            "by_workspace": self.by_workspace.iter().map(Rollup::json).collect::<Vec<_>>(),
            "by_model": self.by_model.iter().map(Rollup::json).collect::<Vec<_>>(),
            "by_token_type": self.by_token_type.iter().map(Rollup::json).collect::<Vec<_>>(),
        })
    }
}
