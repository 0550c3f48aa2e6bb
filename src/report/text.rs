//! The terminal summary of `counterfoil reconcile` (and the demo).

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets::UTF8_FULL_CONDENSED};

use super::formats::cell_text;
use super::{money_cell, short_type, signed_usd, usd};
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
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t.set_header([
            "date",
            "workspace",
            "model",
            "tier · context · geo",
            "type",
            "quantity",
            "expected",
            "reported",
            "delta",
            "status",
            "explanation",
        ]);
        let cell = |c: &str, i: usize| {
            bad.column(c).ok().and_then(|col| col.get(i).ok()).and_then(|v| cell_text(&v)).unwrap_or_default()
        };
        for i in 0..bad.height() {
            let dims: Vec<String> = ["service_tier", "context_window", "inference_geo"]
                .iter()
                .map(|c| cell(c, i))
                .filter(|v| !v.is_empty())
                .collect();
            t.add_row([
                cell("date", i),
                cell("workspace_name", i),
                cell("model", i),
                dims.join(" · "),
                short_type(&cell("token_type", i), &cell("cost_type", i)),
                cell("quantity", i),
                money_cell(&bad, "expected_usd", i, false),
                money_cell(&bad, "reported_usd", i, false),
                money_cell(&bad, "delta_usd", i, true),
                cell("status", i),
                cell("explanation", i),
            ]);
        }
        if let Some(c) = t.column_mut(10) {
            c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(48)));
        }
        out += &format!("{t}\n");
    }
    out += &format!("\n{}\n", rollup_table("workspace", &s.by_workspace));
    Ok(out)
}
