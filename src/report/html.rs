//! The HTML report: one self-contained file (inline CSS and SVG, no script, no network) written
//! for a finance reader: the money split and the findings first, then where the delta lies (by
//! day, workspace and model), then what was spent, then every discrepancy line with exact values.
//! Money is in cents in prose and summaries with the exact value on hover, exact in the line
//! table. It prints to A4 with nothing cut off.

use std::collections::BTreeMap;

use super::svg::{Delta, diverging_bars, diverging_columns, esc, stacked_columns};
use super::{exact_cell, money_of, text_cell};
use crate::error::Result;
use crate::frames::CostType;
use crate::money::{cents_usd, exact_usd, group_thousands, signed_cents_usd};
use crate::reconcile::Reconciliation;
use crate::reconcile::labels::type_label;
use crate::reconcile::summary::{Rollup, SIGN_CONVENTION, SIGN_CONVENTION_ANALYTICS};

const STYLE: &str = r#"
:root { --ink: #1d2330; --muted: #5d6678; --over: #c0392b; --under: #2e6fb7; --ok: #1e7b34; --line: #d9dde6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
.muted { color: var(--muted); } .over { color: var(--over); } .under { color: var(--under); } .good { color: var(--ok); }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0 .5rem; }
.card { flex: 1 1 8rem; border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; min-width: 0; }
.card .v { font-size: 1.25rem; font-variant-numeric: tabular-nums; white-space: nowrap; } .card .k { color: var(--muted); font-size: .75rem; text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; table-layout: auto; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
td.nw, th.nw { white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; overflow-wrap: normal; }
th { background: #f4f6fa; font-weight: 600; }
tr.finding td { border-bottom: none; } tr.next td { color: var(--muted); padding-top: 0; }
tr.discrepancy td { border-bottom: none; } tr.why td { color: var(--muted); padding-top: 0; font-style: italic; }
span.tag { font-weight: 600; font-style: normal; }
figure { margin: 1rem 0; break-inside: avoid; } figcaption { font-weight: 600; margin-bottom: .25rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 11px; }
  table { font-size: 9.5px; } th, td { padding: .15rem .25rem; }
  h2 { break-after: avoid; } tr { break-inside: avoid; }
  .card { flex-basis: 6rem; } .card .v { font-size: 1rem; }
}
"#;

fn money_td(m: i128, signed: bool) -> String {
    let shown = if signed { signed_cents_usd(m) } else { cents_usd(m) };
    let class = match (signed, m.signum()) {
        (true, 1) => " over",
        (true, -1) => " under",
        _ => "",
    };
    format!("<td class=\"n{class}\" title=\"{}\">{}</td>", esc(&exact_usd(m)), esc(&shown))
}

fn rollup_table(title: &str, rows: &[Rollup]) -> String {
    let mut s = format!(
        "<table><thead><tr><th>{}</th><th class=n>billed</th><th class=n>expected</th><th class=n>reported</th><th class=n>delta</th><th class=n>over-billed</th><th class=n>under-billed</th><th class=n>unchecked</th><th class=n>lines</th><th class=n>issues</th></tr></thead><tbody>",
        esc(title)
    );
    for r in rows {
        s += &format!(
            "<tr><td>{}</td>{}{}{}{}{}{}{}<td class=n>{}</td><td class=n>{}</td></tr>",
            esc(&r.label),
            money_td(r.billed, false),
            money_td(r.expected, false),
            money_td(r.list, false),
            money_td(r.checked_delta(), true),
            money_td(r.overbilled, false),
            money_td(r.underbilled, false),
            money_td(r.unchecked, false),
            r.lines,
            r.discrepancies
        );
    }
    s + "</tbody></table>"
}

fn deltas(rows: &[Rollup]) -> Vec<Delta> {
    rows.iter()
        .map(|r| Delta { label: r.label.clone(), over: r.overbilled, under: r.underbilled, unchecked: r.unchecked })
        .collect()
}

/// Billed amounts per day and per value of `by` (top 7 by total, the rest as "other").
fn spend(rec: &Reconciliation, by: &str) -> (Vec<String>, Vec<(String, Vec<i128>)>) {
    let l = &rec.lines;
    let mut cells: BTreeMap<(String, String), i128> = BTreeMap::new();
    let mut totals: BTreeMap<String, i128> = BTreeMap::new();
    let mut days: Vec<String> = Vec::new();
    for i in 0..l.height() {
        let Some(m) = money_of(l, "reported_usd", i) else { continue };
        let day = text_cell(l, "date", i);
        let mut key = text_cell(l, by, i);
        if key.is_empty() {
            key = format!("({})", type_label(None, &text_cell(l, "cost_type", i)));
        }
        *cells.entry((day.clone(), key.clone())).or_default() += m;
        *totals.entry(key).or_default() += m;
        if !days.contains(&day) {
            days.push(day);
        }
    }
    days.sort();
    let mut names: Vec<(String, i128)> = totals.into_iter().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.1));
    let top: Vec<String> = names.iter().take(7).map(|(n, _)| n.clone()).collect();
    let mut series: Vec<(String, Vec<i128>)> = top.iter().map(|n| (n.clone(), vec![0; days.len()])).collect();
    let mut other = vec![0i128; days.len()];
    for ((day, key), m) in cells {
        let d = days.iter().position(|x| *x == day).unwrap_or(0);
        match top.iter().position(|n| *n == key) {
            Some(j) => series[j].1[d] += m,
            None => other[d] += m,
        }
    }
    if other.iter().any(|m| *m != 0) {
        series.push(("other".into(), other));
    }
    (days, series)
}

/// The report as one HTML document.
pub fn html(rec: &Reconciliation, title: &str) -> Result<String> {
    let s = &rec.summary;
    let window = s
        .window
        .map(|w| format!("{} to {} (UTC days, end exclusive)", w.start.date_naive(), w.end.date_naive()))
        .unwrap_or_default();
    let mut h = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(title)
    );
    h += &format!("<header><h1>{}</h1><div class=muted>{}</div></header>", esc(title), esc(&window));
    h += "<section class=cards>";
    let card = |k: &str, m: i128, class: &str, signed: bool| {
        let v = if signed { signed_cents_usd(m) } else { cents_usd(m) };
        format!(
            "<div class=card><div class=k>{k}</div><div class=\"v {class}\" title=\"{}\">{}</div></div>",
            esc(&exact_usd(m)),
            esc(&v)
        )
    };
    let analytics = s.source == crate::reconcile::Source::Analytics;
    let (over, under) = if analytics { ("over list", "under list") } else { ("over-billed", "under-billed") };
    if analytics {
        h += &card("billed", s.net_all, "", false);
        h += &card("at list", s.reported_all, "", false);
    } else {
        h += &card("billed", s.reported_all, "", false);
    }
    h += &card(over, s.overbilled, if s.overbilled > 0 { "over" } else { "good" }, false);
    h += &card(under, s.underbilled, if s.underbilled > 0 { "under" } else { "good" }, false);
    h += &card("unchecked", s.unchecked, if s.unchecked > 0 { "over" } else { "good" }, false);
    h += &card("net delta", s.checked_delta(), "", true);
    h += "</section>";
    h += &format!(
        "<p class=muted>{}. Over-billed, under-billed and unchecked are shown apart because a net delta hides offsetting errors; the net delta is over the lines whose two sides are compared. Money is exact to 12 decimal places of a dollar: hover an amount to see every digit.</p>",
        {
            let c = if analytics { SIGN_CONVENTION_ANALYTICS } else { SIGN_CONVENTION };
            esc(&c[..1].to_uppercase()) + &esc(&c[1..])
        },
    );
    let discounted: Vec<_> = s.discount_by_model.iter().filter(|m| m.discount().is_some_and(|d| d != 0)).collect();
    if !discounted.is_empty() {
        h += "<h2>Negotiated discounts</h2><table><thead><tr><th>model</th><th class=n>at list</th><th class=n>billed</th><th class=n>discount</th></tr></thead><tbody>";
        for m in discounted {
            let pct = crate::money::format_mantissa(m.discount().unwrap_or(0) * 100);
            h += &format!(
                "<tr><td>{}</td>{}{}<td class=n title=\"{pct} %\">{} %</td></tr>",
                esc(m.model.as_deref().unwrap_or("(no model)")),
                money_td(m.list, false),
                money_td(m.net, false),
                esc(&pct
                    .parse::<rust_decimal::Decimal>()
                    .map(|d| d.round_dp(2).normalize().to_string())
                    .unwrap_or(pct.clone())),
            );
        }
        h += "</tbody></table>";
    }

    let n_bad = s.discrepancies();
    h += &format!("<h2 id=findings>Findings ({})</h2>", rec.findings.len());
    if rec.findings.is_empty() {
        h += "<p class=good>None: every compared line matches within tolerance.</p>";
    } else {
        h += "<table><thead><tr><th>#</th><th class=n>at stake</th><th>what</th><th class=n>lines</th></tr></thead><tbody>";
        for f in &rec.findings {
            let class = match f.direction.as_str() {
                "overbilled" => "over",
                "underbilled" => "under",
                _ => "",
            };
            h += &format!(
                "<tr class=finding><td class=nw>{}</td><td class=\"n {class}\" title=\"{}\">{}<br><span class=muted>{}</span></td><td>{}</td><td class=n>{}</td></tr><tr class=next><td></td><td></td><td colspan=2>next: {}</td></tr>",
                esc(&f.id),
                esc(&exact_usd(f.amount)),
                esc(&cents_usd(f.amount)),
                esc(f.direction.as_str()),
                esc(&f.title),
                f.lines.len(),
                esc(&f.next_step)
            );
        }
        h += "</tbody></table>";
    }

    h += "<h2>Where the differences are</h2><p class=muted>Over-billed and unchecked amounts go up (or right), under-billed amounts down (or left). Expected and reported are shown in the roll-ups below.</p>";
    h += &diverging_columns("By day", &deltas(&s.by_day));
    h += &diverging_bars("By workspace", &deltas(&s.by_workspace));
    let models: Vec<Delta> =
        deltas(&s.by_model).into_iter().filter(|d| d.over != 0 || d.under != 0 || d.unchecked != 0).collect();
    h += &diverging_bars("By model (models with a difference)", &models);

    h += "<h2>What was billed</h2>";
    let (days, by_ws) = spend(rec, "workspace_name");
    h += &stacked_columns("Billed per day, by workspace", &days, &by_ws);
    let (days, by_model) = spend(rec, "model");
    h += &stacked_columns("Billed per day, by model", &days, &by_model);

    h += &format!("<h2 id=lines>Discrepancy lines ({n_bad})</h2>");
    let bad = rec.discrepancies()?;
    if bad.height() == 0 {
        h += "<p class=good>None.</p>";
    } else {
        h += "<p class=muted>Exact amounts. Each line names its finding.</p>";
        h += "<table><thead><tr><th class=nw>#</th><th class=nw>date</th><th>workspace</th><th>model</th><th>type · tier · context · geo</th><th class=n>quantity</th><th class=n>expected</th><th class=n>reported</th><th class=n>delta</th></tr></thead><tbody>";
        for i in 0..bad.height() {
            let get = |c: &str| text_cell(&bad, c, i);
            let tt = get("token_type");
            let mut kind = vec![type_label((!tt.is_empty()).then_some(tt.as_str()), &get("cost_type"))];
            kind.extend(
                ["service_tier", "context_window", "inference_geo"].iter().map(|c| get(c)).filter(|v| !v.is_empty()),
            );
            h += &format!(
                "<tr class=discrepancy><td class=nw>{}</td><td class=nw>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr><tr class=why><td></td><td colspan=8><span class=tag>{}</span> {}</td></tr>",
                esc(&get("finding")),
                esc(&get("date")),
                esc(&get("workspace_name")),
                esc(&get("model")),
                esc(&kind.join(" · ")),
                esc(&group_thousands(&get("quantity"))),
                esc(&exact_cell(&bad, "expected_usd", i, false)),
                esc(&exact_cell(&bad, "reported_usd", i, false)),
                esc(&exact_cell(&bad, "delta_usd", i, true)),
                esc(&get("status")),
                esc(&get("explanation")),
            );
        }
        h += "</tbody></table>";
    }

    h +=
        "<h2>Not compared</h2><table><thead><tr><th>charge</th><th class=n>amount</th><th>why</th></tr></thead><tbody>";
    h += &format!(
        "<tr><td>Priority Tier usage</td>{}<td>at list price; Priority is billed outside cost_report</td></tr>",
        money_td(s.priority_expected, false)
    );
    for (k, (_, r)) in s.non_token.iter().filter(|(k, _)| CostType::from(k.as_str()) != CostType::WebSearch) {
        let hours = match (&s.session_runtime, CostType::from(k.as_str())) {
            (Some(rt), CostType::SessionUsage) => match (rt.hours(), rt.usd_per_hour) {
                (Some(h), Some(p)) => format!("{} session-hours at ${}/h; ", h.round_dp(2), p.normalize()),
                _ => String::new(),
            },
            _ => String::new(),
        };
        h += &format!(
            "<tr><td>{}</td>{}<td>billed; {}no usage counterpart by design</td></tr>",
            esc(&type_label(None, k)),
            money_td(*r, false),
            esc(&hours)
        );
    }
    h += &format!(
        "<tr><td>Unchecked</td>{}<td>billed, but the rate card cannot price it (see the findings)</td></tr>",
        money_td(s.unchecked, false)
    );
    h += &format!(
        "<tr><th>Total billed in {}</th><th></th><th class=n title=\"{}\">{}</th></tr></tbody></table>",
        if analytics { "the analytics cost, at list" } else { "cost_report" },
        esc(&exact_usd(s.reported_all)),
        esc(&cents_usd(s.reported_all))
    );
    for (d, dims) in &s.coarsened {
        h += &format!(
            "<p class=muted>{d}: cost_report left {} null on every line; that day was compared without it (Priority usage kept apart).</p>",
            esc(&dims.join(", "))
        );
    }

    h += "<h2>Roll-ups</h2>";
    h += &rollup_table("workspace", &s.by_workspace);
    h += "<br>";
    h += &rollup_table("model", &s.by_model);
    h += "<br>";
    let by_type: Vec<Rollup> = s
        .by_token_type
        .iter()
        .map(|r| {
            let label = match r.key.as_deref() {
                Some(k) if k.contains('.') || k.ends_with("_tokens") => type_label(Some(k), "tokens"),
                Some(k) => type_label(None, k),
                None => r.label.clone(),
            };
            Rollup { label, ..r.clone() }
        })
        .collect();
    h += &rollup_table("type", &by_type);
    h += &format!(
        "<footer>Generated by counterfoil {} · usage × rate card vs cost_report, line by line · the default workspace is shown as Default.</footer></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    Ok(h)
}

/// A compact fragment for notebooks (`Reconciliation._repr_html_`): the money split, the
/// findings and the delta by day, with its own scoped style.
pub fn notebook(rec: &Reconciliation) -> Result<String> {
    let s = &rec.summary;
    let window = s.window.map(|w| format!("{} to {}", w.start.date_naive(), w.end.date_naive())).unwrap_or_default();
    let mut h = String::from(
        "<div class=cf-rec><style>.cf-rec table{border-collapse:collapse;font-size:12px}.cf-rec td,.cf-rec th{padding:2px 8px;text-align:left;vertical-align:top}.cf-rec td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}.cf-rec .over{color:#c0392b}.cf-rec .under{color:#2e6fb7}.cf-rec figure{margin:6px 0;max-width:760px}</style>",
    );
    h += &format!(
        "<b>Reconciliation {}</b> · {} lines · {}<br>",
        esc(&window),
        s.lines,
        if rec.ok() {
            "<span style=\"color:#1e7b34\">ok</span>".to_owned()
        } else {
            format!("{} discrepancies in {} findings", s.discrepancies(), rec.findings.len())
        }
    );
    h += &format!(
        "<table><tr><th>billed</th><th>over-billed</th><th>under-billed</th><th>unchecked</th><th>net delta</th></tr><tr>{}{}{}{}{}</tr></table>",
        money_td(s.billed_all, false),
        money_td(s.overbilled, false),
        money_td(s.underbilled, false),
        money_td(s.unchecked, false),
        money_td(s.checked_delta(), true)
    );
    if !rec.findings.is_empty() {
        h += "<table><tr><th>#</th><th>at stake</th><th>finding</th><th>next step</th></tr>";
        for f in &rec.findings {
            h += &format!(
                "<tr><td>{}</td>{}<td>{}</td><td>{}</td></tr>",
                esc(&f.id),
                money_td(f.amount, false),
                esc(&f.title),
                esc(&f.next_step)
            );
        }
        h += "</table>";
        h += &diverging_columns("Delta by day", &deltas(&s.by_day));
    }
    Ok(h + "</div>")
}
