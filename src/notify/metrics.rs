//! `--metrics-file PATH`: the run's money as OpenMetrics gauges for node_exporter's textfile
//! collector (DESIGN §12).
//!
//! Metrics are the one place counterfoil's money is a float: they are for graphs and alert rules,
//! not for the record (the report and the store keep the exact decimals). The file is replaced
//! atomically, so the collector never reads half of it, and only by a run that finished: a job
//! that stops succeeding leaves `counterfoil_last_success_timestamp_seconds` behind, which is
//! what a "stale" alert rule watches.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::reconcile::Reconciliation;

/// A label value as the exposition format quotes it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A scale-12 USD mantissa as a float (for graphs only).
fn usd(m: i128) -> f64 {
    m as f64 / 1e12
}

/// The exposition text of `rec` finished at `at`.
pub fn text(rec: &Reconciliation, at: DateTime<Utc>) -> String {
    let org = rec.provenance.organization.as_ref().map_or("unknown", |(id, _)| id.as_str());
    let s = &rec.summary;
    let gauges: [(&str, &str, Option<&str>, f64); 6] = [
        ("counterfoil_billed_usd", "Everything billed in the window, USD.", Some("usd"), usd(s.billed_all)),
        ("counterfoil_overbilled_usd", "Billed above what the tokens cost, USD.", Some("usd"), usd(s.overbilled)),
        ("counterfoil_underbilled_usd", "Billed below what the tokens cost, USD.", Some("usd"), usd(s.underbilled)),
        ("counterfoil_unchecked_usd", "Billed with nothing to check it against, USD.", Some("usd"), usd(s.unchecked)),
        ("counterfoil_open_findings", "Discrepancy lines in the window.", None, s.discrepancies() as f64),
        (
            "counterfoil_last_success_timestamp_seconds",
            "When the last reconciliation finished, Unix seconds.",
            Some("seconds"),
            at.timestamp_micros() as f64 / 1e6,
        ),
    ];
    let mut out = String::new();
    for (name, help, unit, value) in gauges {
        let _ = writeln!(out, "# TYPE {name} gauge");
        if let Some(u) = unit {
            let _ = writeln!(out, "# UNIT {name} {u}");
        }
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "{name}{{organization=\"{}\"}} {value:?}", label(org));
    }
    out.push_str("# EOF\n");
    out
}

/// Writes the gauges of `rec` to `path`, atomically.
pub fn write(path: &Path, rec: &Reconciliation, at: DateTime<Utc>) -> Result<()> {
    let body = text(rec, at);
    crate::fsio::write_output(path, |w| {
        w.write_all(body.as_bytes()).map_err(|e| Error::Io { path: path.display().to_string(), source: e })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_quoted_and_money_is_a_float() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(usd(1_500_000_000_000), 1.5);
    }
}
