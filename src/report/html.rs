//! The HTML report: one self-contained file (inline CSS and SVG, no script, no network) with the
//! headline numbers, charts of expected vs reported, and every discrepancy with its explanation.

use polars::prelude::*;

use super::formats::cell_text;
use super::svg::{bar_pairs, column_pairs, esc};
use super::{money_cell, short_type, signed_usd, usd};
use crate::error::Result;
use crate::reconcile::Reconciliation;
use crate::reconcile::summary::Rollup;

const STYLE: &str = r#"
:root { --ink: #1d2330; --muted: #5d6678; --bad: #b3261e; --ok: #1e7b34; --line: #d9dde6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: .75rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; }
.card .v { font-size: 1.3rem; font-variant-numeric: tabular-nums; } .card .k { color: var(--muted); font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
.bad { color: var(--bad); } .good { color: var(--ok); }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
table.narrow { width: auto; min-width: 22rem; }
.wrap { overflow-x: auto; }
td.nw { white-space: nowrap; }
tr.discrepancy td { border-bottom: none; } tr.why td { color: var(--muted); padding-top: 0; font-style: italic; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background: #f4f6fa; font-weight: 600; }
span.status { color: var(--bad); font-weight: 600; font-style: normal; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .25rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: 12px; }
@media print { body { margin: 0; max-width: none; } .cards { grid-template-columns: repeat(4, 1fr); } h2 { break-after: avoid; } tr { break-inside: avoid; } figure { break-inside: avoid; } }
"#;

fn pairs(rows: &[Rollup]) -> Vec<(String, i128, i128)> {
    rows.iter()
        .filter(|r| r.expected != 0 || r.reported != 0)
        .map(|r| (r.label.clone(), r.expected, r.reported))
        .collect()
}

fn rollup_table(title: &str, rows: &[Rollup]) -> String {
    let mut s = format!(
        "<table><thead><tr><th>{}</th><th>expected</th><th>reported</th><th>delta</th><th>lines</th><th>discrepancies</th></tr></thead><tbody>",
        esc(title)
    );
    for r in rows {
        s += &format!(
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n{}>{}</td></tr>",
            esc(&r.label),
            usd(r.expected),
            usd(r.reported),
            signed_usd(r.delta()),
            r.lines,
            if r.discrepancies > 0 { " bad" } else { "" },
            r.discrepancies
        );
    }
    s + "</tbody></table>"
}

fn cell(df: &DataFrame, c: &str, i: usize) -> String {
    df.column(c).ok().and_then(|col| col.get(i).ok()).and_then(|v| cell_text(&v)).unwrap_or_default()
}

/// The report as one HTML document.
pub fn html(rec: &Reconciliation, title: &str) -> Result<String> {
    let s = &rec.summary;
    let window = s
        .window
        .map(|w| format!("{} to {} (UTC days, end exclusive)", w.start.date_naive(), w.end.date_naive()))
        .unwrap_or_default();
    let n_bad = s.discrepancies();
    let mut h = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(title)
    );
    h += &format!("<header><h1>{}</h1><div class=muted>{}</div></header>", esc(title), esc(&window));
    h += "<section class=cards>";
    for (k, v, class) in [
        ("expected", usd(s.expected), ""),
        ("reported", usd(s.reported), ""),
        ("delta", signed_usd(s.delta()), if s.delta() == 0 { "good" } else { "bad" }),
        ("discrepancies", n_bad.to_string(), if n_bad == 0 { "good" } else { "bad" }),
    ] {
        h += &format!("<div class=card><div class=k>{k}</div><div class=\"v {class}\">{}</div></div>", esc(&v));
    }
    h += "</section>";
    h += "<p class=muted>Expected and reported are summed over lines where both sides are compared. Money is exact to 12 decimal places of a dollar.</p>";

    h += "<h2>Lines by status</h2><table class=narrow><thead><tr><th>status</th><th>lines</th></tr></thead><tbody>";
    for (k, n) in &s.counts {
        h += &format!("<tr><td>{k}</td><td class=n>{n}</td></tr>");
    }
    h += "</tbody></table>";

    h += &format!("<h2 id=discrepancies>Discrepancies ({n_bad})</h2>");
    let bad = rec.discrepancies()?;
    if bad.height() == 0 {
        h += "<p class=good>None: every line matches within tolerance.</p>";
    } else {
        h += "<div class=wrap><table class=discrepancies><thead><tr><th>date</th><th>workspace</th><th>model</th><th>tier · context · geo</th><th>type</th><th>quantity</th><th>expected</th><th>reported</th><th>delta</th></tr></thead><tbody>";
        for i in 0..bad.height() {
            let kind = short_type(&cell(&bad, "token_type", i), &cell(&bad, "cost_type", i));
            let dims: Vec<String> = ["service_tier", "context_window", "inference_geo"]
                .iter()
                .map(|c| cell(&bad, c, i))
                .filter(|v| !v.is_empty())
                .collect();
            h += &format!(
                "<tr class=discrepancy><td class=nw>{}</td><td>{}</td><td class=nw>{}</td><td class=nw>{}</td><td class=nw>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr><tr class=why><td></td><td colspan=8><span class=status>{}</span> {}</td></tr>",
                esc(&cell(&bad, "date", i)),
                esc(&cell(&bad, "workspace_name", i)),
                esc(&cell(&bad, "model", i)),
                esc(&dims.join(" · ")),
                esc(&kind),
                esc(&cell(&bad, "quantity", i)),
                money_cell(&bad, "expected_usd", i, false),
                money_cell(&bad, "reported_usd", i, false),
                money_cell(&bad, "delta_usd", i, true),
                esc(&cell(&bad, "status", i)),
                esc(&cell(&bad, "explanation", i)),
            );
        }
        h += "</tbody></table></div>";
    }

    h += "<h2>Expected vs reported</h2>";
    h += &column_pairs("By day", &pairs(&s.by_day));
    h += &bar_pairs("By workspace", &pairs(&s.by_workspace));
    h += &bar_pairs("By model", &pairs(&s.by_model));

    h += "<h2>Outside the comparison</h2><table><thead><tr><th>charge</th><th>expected</th><th>reported</th></tr></thead><tbody>";
    h += &format!(
        "<tr><td>Priority Tier usage at list price (billed outside cost_report)</td><td class=n>{}</td><td class=n>—</td></tr>",
        usd(s.priority_expected)
    );
    for (k, (e, r)) in &s.non_token {
        h += &format!(
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(k),
            if k == "web_search" { usd(*e) } else { "—".into() },
            usd(*r)
        );
    }
    h += &format!(
        "<tr><th>Total billed in cost_report</th><th></th><th class=n>{}</th></tr></tbody></table>",
        usd(s.reported_all)
    );
    for (d, dims) in &s.coarsened {
        h += &format!(
            "<p class=muted>{d}: cost_report left {} null on every line; that day was reconciled without it.</p>",
            esc(&dims.join(", "))
        );
    }

    h += "<h2>Roll-ups</h2>";
    h += &rollup_table("workspace", &s.by_workspace);
    h += "<br>";
    h += &rollup_table("model", &s.by_model);
    h += "<br>";
    h += &rollup_table("token type", &s.by_token_type);
    h += &format!(
        "<footer>Generated by counterfoil {} · usage × rate card vs cost_report, line by line · a null workspace is the default workspace.</footer></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    Ok(h)
}
