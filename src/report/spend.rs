//! The spend report: one self-contained HTML page for the people asking "who spent it, is caching
//! paying off, what if, and where will the month land": billed spend over time by workspace,
//! model and API key, the top keys with their creators, cache savings, a what-if comparison when
//! one is given, and the forecast with its band against a budget.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::DataFrame;

use super::svg::{esc, stacked_columns};
use super::{money_of, text_cell};
use crate::error::Result;
use crate::frames::{CostFrame, UsageFrame};
use crate::model::{Labels, Scenario, attribute, cache_report, forecast, whatif};
use crate::money::{cents_usd, exact_usd, signed_cents_usd};
use crate::rates::RateCard;
use crate::reconcile::sides::{clip_cost, clip_usage};
use crate::window::TimeWindow;

/// What the report is made of.
pub struct SpendInputs<'a> {
    pub window: TimeWindow,
    pub usage: &'a UsageFrame,
    pub cost: &'a CostFrame,
    pub card: &'a RateCard,
    pub labels: &'a Labels,
    pub scenario: Option<&'a Scenario>,
    pub budget: Option<i128>,
    pub today: NaiveDate,
    /// The same window's Bedrock and Vertex bills, reconciled: adds "All Claude spend".
    pub cloud: Option<&'a crate::cloud::CloudReconciliation>,
}

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #d9dde6; padding-bottom: .25rem; }
.muted { color: #5d6678; } .cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0; }
.card { flex: 1 1 8rem; border: 1px solid #d9dde6; border-radius: 8px; padding: .6rem .8rem; }
.card .v { font-size: 1.2rem; white-space: nowrap; font-variant-numeric: tabular-nums; } .card .k { color: #5d6678; font-size: .75rem; text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { border-bottom: 1px solid #d9dde6; padding: .3rem .45rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; } th { background: #f4f6fa; }
.save { color: #1e7b34; } .cost { color: #c0392b; }
figure { margin: 1rem 0; break-inside: avoid; } figcaption { font-weight: 600; }
@page { size: A4; margin: 12mm; } @media print { body { margin: 0; max-width: none; font-size: 11px; } table { font-size: 9.5px; } tr { break-inside: avoid; } }
"#;

fn money_td(m: Option<i128>) -> String {
    match m {
        Some(m) => format!("<td class=n title=\"{}\">{}</td>", esc(&exact_usd(m)), esc(&cents_usd(m))),
        None => "<td class=n>—</td>".into(),
    }
}

/// Σ `value` per (date, label) and per label, top `top` labels kept, the rest as "other".
fn by_day(df: &DataFrame, label: &str, value: &str, top: usize) -> (Vec<String>, Vec<(String, Vec<i128>)>) {
    let mut cells: BTreeMap<(String, String), i128> = BTreeMap::new();
    let mut totals: BTreeMap<String, i128> = BTreeMap::new();
    for i in 0..df.height() {
        let Some(m) = money_of(df, value, i) else { continue };
        let mut name = text_cell(df, label, i);
        if name.is_empty() {
            name = if label == "api_key_name" {
                "(no key: Console, or no usage)".into()
            } else {
                format!("({})", text_cell(df, "cost_type", i).replace('_', " "))
            };
        }
        *cells.entry((text_cell(df, "date", i), name.clone())).or_default() += m;
        *totals.entry(name).or_default() += m;
    }
    let days: Vec<String> =
        cells.keys().map(|(d, _)| d.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let mut names: Vec<(String, i128)> = totals.into_iter().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.1));
    let kept: Vec<String> = names.iter().take(top).map(|(n, _)| n.clone()).collect();
    let mut series: Vec<(String, Vec<i128>)> = kept.iter().map(|n| (n.clone(), vec![0; days.len()])).collect();
    let mut other = vec![0i128; days.len()];
    for ((day, name), m) in cells {
        let d = days.iter().position(|x| *x == day).unwrap_or(0);
        match kept.iter().position(|n| *n == name) {
            Some(j) => series[j].1[d] += m,
            None => other[d] += m,
        }
    }
    if other.iter().any(|m| *m != 0) {
        series.push(("other".into(), other));
    }
    (days, series)
}

/// "All Claude spend": Anthropic's bill beside the Bedrock and Vertex bills, per provider and day.
fn all_providers(attr: &DataFrame, billed: i128, list: i128, c: &crate::cloud::CloudReconciliation) -> String {
    use crate::cloud::CloudStatus;
    let mut per_day: BTreeMap<(String, String), i128> = BTreeMap::new();
    for r in 0..attr.height() {
        *per_day.entry((text_cell(attr, "date", r), "Anthropic".into())).or_default() +=
            money_of(attr, "allocated_usd", r).unwrap_or(0);
    }
    for l in c
        .lines
        .iter()
        .filter(|l| matches!(l.status, CloudStatus::Match | CloudStatus::Mismatch | CloudStatus::Unpriced))
    {
        *per_day.entry((l.line.date.to_string(), l.line.provider.title().into())).or_default() += l.line.billed;
    }
    let mut h = "<h2>All Claude spend</h2><p class=muted>Anthropic's bill beside the cloud bills for the same days; each cloud line item is checked at the cloud's list price (<code>counterfoil cloud reconcile</code>). Tax and credits are not usage and are shown apart.</p>".to_string();
    h += "<table><thead><tr><th>provider</th><th class=n>billed</th><th class=n>at list</th><th class=n>delta</th><th class=n>not usage</th></tr></thead><tbody>";
    h += &format!(
        "<tr><td>Anthropic</td>{}{}<td class=n>{}</td><td class=n>—</td></tr>",
        money_td(Some(billed)),
        money_td(Some(list)),
        signed_cents_usd(billed - list)
    );
    for (p, t) in c.totals().iter().filter_map(|(p, t)| p.map(|p| (p, t))) {
        h += &format!(
            "<tr><td>{}</td>{}{}<td class=n>{}</td>{}</tr>",
            esc(p.title()),
            money_td(Some(t.billed)),
            money_td(Some(t.expected)),
            signed_cents_usd(t.delta()),
            money_td(Some(t.not_usage))
        );
    }
    h += "</tbody></table>";
    let days: Vec<String> =
        per_day.keys().map(|(d, _)| d.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let names: Vec<String> =
        per_day.keys().map(|(_, p)| p.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let series: Vec<(String, Vec<i128>)> = names
        .iter()
        .map(|n| (n.clone(), days.iter().map(|d| per_day.get(&(d.clone(), n.clone())).copied().unwrap_or(0)).collect()))
        .collect();
    h + &stacked_columns("Billed per day, by provider", &days, &series)
}

/// The spend report as one HTML document.
pub fn spend_html(i: &SpendInputs<'_>) -> Result<String> {
    let usage = clip_usage(i.usage, Some(i.window))?;
    let cost = clip_cost(i.cost, Some(i.window))?;
    let attr = attribute(&usage, &cost, i.card, i.labels, None)?;
    let cache = cache_report(&usage, i.card, &["workspace_id", "model"])?;
    let sum = |df: &DataFrame, c: &str| (0..df.height()).filter_map(|r| money_of(df, c, r)).sum::<i128>();
    let billed = sum(&attr, "allocated_usd");
    let list: i128 = sum(&attr, "expected_usd");
    let net = sum(&cache, "net_savings_usd");
    let fc = forecast(
        &cost,
        None,
        i.budget,
        i.today.min(i.window.end.date_naive()),
        crate::model::forecast::Coverage::window(i.window),
    );
    let mut h = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>counterfoil spend report</title><style>{STYLE}</style></head><body><h1>Spend report</h1><div class=muted>{} to {} (UTC days, end exclusive)</div>",
        i.window.start.date_naive(),
        i.window.end.date_naive()
    );
    h += "<section class=cards>";
    let card = |k: &str, v: String, title: String| {
        format!("<div class=card><div class=k>{k}</div><div class=v title=\"{}\">{}</div></div>", esc(&title), esc(&v))
    };
    h += &card("billed", cents_usd(billed), exact_usd(billed));
    h += &card("usage at list price", cents_usd(list), exact_usd(list));
    h += &card("cache net savings", cents_usd(net), exact_usd(net));
    if let Ok(f) = &fc {
        h += &card(&format!("{} projected", f.month), cents_usd(f.projected), exact_usd(f.projected));
    }
    h += "</section><p class=muted>Billed money is allocated to API keys in proportion to what each key's tokens cost at list price, so the parts add up to the bill exactly. Usage at list price includes Priority Tier usage, which is billed outside the cost report.</p>";

    if let Some(c) = i.cloud {
        h += &all_providers(&attr, billed, list, c);
    }
    h += "<h2>Billed per day</h2>";
    let (days, ws) = by_day(&attr, "workspace_name", "allocated_usd", 7);
    h += &stacked_columns("By workspace", &days, &ws);
    let (days, models) = by_day(&attr, "model", "allocated_usd", 7);
    h += &stacked_columns("By model", &days, &models);
    let (days, keys) = by_day(&attr, "api_key_name", "allocated_usd", 7);
    h += &stacked_columns("By API key", &days, &keys);

    h += "<h2>Top API keys</h2><table><thead><tr><th>key</th><th>workspace</th><th>created by</th><th class=n>billed</th><th class=n>at list</th><th class=n>share</th></tr></thead><tbody>";
    let mut per_key: BTreeMap<(String, String, String), (i128, i128)> = BTreeMap::new();
    for r in 0..attr.height() {
        let key = (
            text_cell(&attr, "api_key_name", r),
            text_cell(&attr, "workspace_name", r),
            text_cell(&attr, "created_by", r),
        );
        let e = per_key.entry(key).or_default();
        e.0 += money_of(&attr, "allocated_usd", r).unwrap_or(0);
        e.1 += money_of(&attr, "expected_usd", r).unwrap_or(0);
    }
    let mut ranked: Vec<_> = per_key.into_iter().collect();
    ranked.sort_by_key(|(_, (b, _))| std::cmp::Reverse(*b));
    for ((name, ws, by), (b, e)) in ranked.into_iter().take(12) {
        let share = if billed > 0 { format!("{:.1}%", b as f64 * 100.0 / billed as f64) } else { "—".into() };
        let name = if name.is_empty() { "(no key)".into() } else { name };
        h += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td>{}{}<td class=n>{share}</td></tr>",
            esc(&name),
            esc(&ws),
            esc(&by),
            money_td(Some(b)),
            money_td(Some(e))
        );
    }
    h += "</tbody></table>";

    h += "<h2>Prompt caching</h2><table><thead><tr><th>workspace</th><th>model</th><th class=n>hit rate</th><th class=n>write premium</th><th class=n>read savings</th><th class=n>net</th></tr></thead><tbody>";
    let names = &i.labels.workspaces;
    for r in 0..cache.height() {
        let ws = text_cell(&cache, "workspace_id", r);
        let ws = if ws.is_empty() { "Default".into() } else { names.get(&ws).cloned().unwrap_or(ws) };
        let hit = cache.column("cache_hit_rate").ok().and_then(|c| c.f64().ok().and_then(|c| c.get(r)));
        let netv = money_of(&cache, "net_savings_usd", r);
        h += &format!(
            "<tr><td>{}</td><td>{}</td><td class=n>{}</td>{}{}<td class=\"n {}\">{}</td></tr>",
            esc(&ws),
            esc(&text_cell(&cache, "model", r)),
            hit.map(|h| format!("{:.1}%", h * 100.0)).unwrap_or_else(|| "—".into()),
            money_td(money_of(&cache, "write_premium_usd", r)),
            money_td(money_of(&cache, "read_savings_usd", r)),
            if netv.unwrap_or(0) >= 0 { "save" } else { "cost" },
            netv.map(signed_cents_usd).unwrap_or_else(|| "unpriced".into())
        );
    }
    h += "</tbody></table>";

    if let Some(s) = i.scenario {
        let w = whatif(&usage, s, i.card, &["model"])?;
        h += "<h2>What if</h2><p class=muted>The same tokens repriced under the scenario (a swap keeps token counts; a batch share moves that fraction of standard-tier tokens to batch; cache reads stay reads). Negative deltas are savings.</p>";
        h += "<table><thead><tr><th>model</th><th class=n>baseline</th><th class=n>scenario</th><th class=n>delta</th><th>status</th></tr></thead><tbody>";
        for r in 0..w.height() {
            let d = money_of(&w, "delta_usd", r);
            h += &format!(
                "<tr><td>{}</td>{}{}<td class=\"n {}\">{}</td><td>{}</td></tr>",
                esc(&text_cell(&w, "model", r)),
                money_td(money_of(&w, "baseline_usd", r)),
                money_td(money_of(&w, "scenario_usd", r)),
                if d.unwrap_or(0) <= 0 { "save" } else { "cost" },
                d.map(signed_cents_usd).unwrap_or_else(|| "—".into()),
                esc(&text_cell(&w, "status", r))
            );
        }
        h += "</tbody></table>";
    }

    h += "<h2>Forecast</h2>";
    match fc {
        Ok(f) => {
            h += &format!(
                "<p>{}: {} billed in the {} complete days so far; projected <b>{}</b> for the month (band {} to {}), from the same-weekday mean of the 28 days before {}.{}</p>",
                f.month,
                cents_usd(f.month_to_date),
                f.days_elapsed,
                cents_usd(f.projected),
                cents_usd(f.low),
                cents_usd(f.high),
                f.today,
                match (f.budget, f.over_budget()) {
                    (Some(b), Some(true)) => format!(" <b class=cost>Over the budget of {}.</b>", cents_usd(b)),
                    (Some(b), _) => format!(" Within the budget of {}.", cents_usd(b)),
                    _ => String::new(),
                }
            );
            let scale = f.high.max(f.budget.unwrap_or(0)).max(1) as f64;
            let x = |m: i128| 20.0 + 720.0 * m as f64 / scale;
            let mut svg = format!(
                "<svg role=img aria-label=\"forecast band\" viewBox=\"0 0 760 60\" width=\"100%\"><rect x=\"{:.1}\" y=\"18\" width=\"{:.1}\" height=\"16\" fill=\"#cfd8e8\"><title>band</title></rect><rect x=\"20\" y=\"22\" width=\"{:.1}\" height=\"8\" fill=\"#4e79a7\"><title>month to date {}</title></rect><line x1=\"{:.1}\" y1=\"12\" x2=\"{:.1}\" y2=\"40\" stroke=\"#1d2330\" stroke-width=\"2\"><title>projected {}</title></line>",
                x(f.low),
                x(f.high) - x(f.low),
                x(f.month_to_date) - 20.0,
                esc(&exact_usd(f.month_to_date)),
                x(f.projected),
                x(f.projected),
                esc(&exact_usd(f.projected))
            );
            if let Some(b) = f.budget {
                svg += &format!(
                    "<line x1=\"{:.1}\" y1=\"6\" x2=\"{:.1}\" y2=\"46\" stroke=\"#c0392b\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"58\" font-size=\"10\" text-anchor=\"middle\">budget {}</text>",
                    x(b),
                    x(b),
                    x(b),
                    esc(&cents_usd(b))
                );
            }
            h += &format!("<figure><figcaption>Month to date, band and projection</figcaption>{svg}</svg></figure>");
        }
        Err(e) => h += &format!("<p class=muted>No forecast: {}</p>", esc(&e.to_string())),
    }
    h += &format!("<footer class=muted>Generated by counterfoil {}.</footer></body></html>", env!("CARGO_PKG_VERSION"));
    Ok(h)
}
