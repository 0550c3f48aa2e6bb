//! The terminal summary of `counterfoil reconcile` (and the demo).

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use polars::prelude::*;

use super::{signed_usd, usd};
use crate::cli::output::cell_text;
use crate::error::Result;
use crate::reconcile::Reconciliation;
use crate::reconcile::summary::Rollup;

fn rollup_table(title: &str, rows: &[Rollup]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([title, "expected", "reported", "delta", "lines", "discrepancies"]);
    for r in rows {
        t.add_row([
            r.label.clone(),
            usd(r.expected),
            usd(r.reported),
            signed_usd(r.delta()),
            r.lines.to_string(),
            r.discrepancies.to_string(),
        ]);
    }
    t
}

/// Headline, counts, Priority and non-token charges, the discrepancies with explanations, and
/// the roll-up by workspace.
pub fn text_summary(rec: &Reconciliation) -> Result<String> {
    let s = &rec.summary;
    let mut out = String::new();
    if let Some(w) = s.window {
        out += &format!(
            "counterfoil reconcile {} to {} (UTC days, end exclusive)\n",
            w.start.date_naive(),
            w.end.date_naive()
        );
    }
    out += &format!(
        "  expected {}   reported {}   delta {}   (lines where both sides are compared)\n",
        usd(s.expected),
        usd(s.reported),
        signed_usd(s.delta())
    );
    let counts: Vec<String> = s.counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{n} {k}")).collect();
    out += &format!("  lines: {}\n", counts.join(", "));
    if s.priority_expected != 0 {
        out += &format!("  Priority Tier at list price (billed outside cost_report): {}\n", usd(s.priority_expected));
    }
    for (k, (e, r)) in &s.non_token {
        out += &format!(
            "  {k}: expected {}, reported {}\n",
            if *e == 0 && k != "web_search" { "-".to_owned() } else { usd(*e) },
            usd(*r)
        );
    }
    for (d, dims) in &s.coarsened {
        out += &format!("  {d}: cost_report left {} null on every line; reconciled without it\n", dims.join(", "));
    }
    out += &format!("  total billed in cost_report: {}\n", usd(s.reported_all));
    let bad = rec.discrepancies()?;
    if bad.height() == 0 {
        out += "\nNo discrepancies: every line matches within tolerance.\n";
    } else {
        out += &format!("\n{} discrepancies:\n", bad.height());
        let cols = [
            "date",
            "workspace_name",
            "model",
            "service_tier",
            "context_window",
            "inference_geo",
            "token_type",
            "quantity",
            "expected_usd",
            "reported_usd",
            "delta_usd",
            "status",
            "explanation",
        ];
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_header(cols.map(|c| c.replace("_usd", "").replace("workspace_name", "workspace")));
        for i in 0..bad.height() {
            let row: Vec<String> = cols
                .iter()
                .map(|c| {
                    let v = bad.column(c).and_then(|col| col.get(i)).unwrap_or(AnyValue::Null);
                    let text = cell_text(&v).unwrap_or_default();
                    if c.ends_with("_usd") && !text.is_empty() {
                        let m = crate::money::to_mantissa(text.parse().unwrap_or_default()).unwrap_or(0);
                        if *c == "delta_usd" { signed_usd(m) } else { usd(m) }
                    } else if *c == "cost_type" || text.is_empty() && *c == "token_type" {
                        bad.column("cost_type")
                            .ok()
                            .and_then(|col| col.get(i).ok())
                            .and_then(|v| cell_text(&v))
                            .unwrap_or_default()
                    } else {
                        text
                    }
                })
                .collect();
            t.add_row(row);
        }
        out += &format!("{t}\n");
    }
    out += &format!("\n{}\n", rollup_table("workspace", &s.by_workspace));
    Ok(out)
}
