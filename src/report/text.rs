//! The terminal report of `counterfoil reconcile` (and the demo), laid out for the terminal's
//! width: the money split in a few lines, the findings as wrapped prose, then the discrepancy
//! lines and the roll-up by workspace as tables whose columns are chosen to fit. Cells wrap at
//! word boundaries only, so an amount is never split.

use comfy_table::{CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::wrap::{hanging, wrap};
use super::{cents_cell, text_cell};
use crate::error::Result;
use crate::frames::CostType;
use crate::money::{cents_usd, group_thousands, signed_cents_usd};
use crate::reconcile::Reconciliation;
use crate::reconcile::labels::type_label;
use crate::reconcile::summary::{Rollup, SIGN_CONVENTION, SIGN_CONVENTION_ANALYTICS};

/// A table of pre-wrapped cells; `right` marks the numeric columns.
fn render(headers: &[&str], rows: &[Vec<String>], right: &[bool]) -> (String, usize) {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled).set_header(headers);
    for r in rows {
        t.add_row(r.clone());
    }
    for (i, r) in right.iter().enumerate() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(if *r { CellAlignment::Right } else { CellAlignment::Left });
        }
    }
    let s = t.to_string();
    let w = s.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    (s, w)
}

/// The first layout (widest first) that fits `width`.
fn fitting(candidates: Vec<(String, usize)>, width: usize) -> String {
    let last = candidates.len() - 1;
    for (i, (s, w)) in candidates.iter().enumerate() {
        if *w <= width || i == last {
            return s.clone();
        }
    }
    String::new()
}

fn cell_wrap(text: &str, width: usize) -> String {
    wrap(text, width).join("\n")
}

/// The discrepancy lines, laid out for `width`.
fn lines_table(rec: &Reconciliation, width: usize) -> Result<String> {
    let bad = rec.discrepancies()?;
    let n = bad.height();
    let get = |c: &str, i: usize| text_cell(&bad, c, i);
    let kind = |i: usize| {
        let tt = get("token_type", i);
        type_label((!tt.is_empty()).then_some(tt.as_str()), &get("cost_type", i))
    };
    let dims = |i: usize| {
        ["service_tier", "context_window", "inference_geo"]
            .iter()
            .map(|c| get(c, i))
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let money = |i: usize| {
        [
            cents_cell(&bad, "expected_usd", i, false),
            cents_cell(&bad, "reported_usd", i, false),
            cents_cell(&bad, "delta_usd", i, true),
        ]
    };
    let wide: Vec<Vec<String>> = (0..n)
        .map(|i| {
            let [e, r, d] = money(i);
            vec![
                get("finding", i),
                get("date", i),
                get("workspace_name", i),
                get("model", i),
                dims(i),
                kind(i),
                get("quantity", i),
                e,
                r,
                d,
                get("status", i),
            ]
        })
        .collect();
    let medium = |model_w: usize| -> Vec<Vec<String>> {
        (0..n)
            .map(|i| {
                let [e, r, d] = money(i);
                vec![
                    get("finding", i),
                    get("date", i),
                    get("workspace_name", i),
                    cell_wrap(&get("model", i), model_w),
                    kind(i),
                    e,
                    r,
                    d,
                ]
            })
            .collect()
    };
    let money_w = (0..n).flat_map(money).map(|m| m.chars().count()).max().unwrap_or(8);
    // Narrow: where = workspace / model / type stacked, wrapped to what the other columns leave.
    let where_w = width.saturating_sub(3 + 10 + 3 * (money_w + 3) + 4 + 7 + 1).max(14);
    let narrow: Vec<Vec<String>> = (0..n)
        .map(|i| {
            let [e, r, d] = money(i);
            let parts = [get("workspace_name", i), get("model", i), kind(i)];
            let place =
                parts.iter().filter(|p| !p.is_empty()).map(|p| cell_wrap(p, where_w)).collect::<Vec<_>>().join("\n");
            vec![get("finding", i), get("date", i), place, e, r, d]
        })
        .collect();
    let r = |cols: &[bool]| cols.to_vec();
    Ok(fitting(
        vec![
            render(
                &[
                    "",
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
                ],
                &wide,
                &r(&[false, false, false, false, false, false, true, true, true, true, false]),
            ),
            render(
                &["", "date", "workspace", "model", "type", "expected", "reported", "delta"],
                &medium(usize::MAX),
                &r(&[false, false, false, false, false, true, true, true]),
            ),
            render(
                &["", "date", "workspace", "model", "type", "expected", "reported", "delta"],
                &medium(18),
                &r(&[false, false, false, false, false, true, true, true]),
            ),
            render(
                &["", "date", "where", "expected", "reported", "delta"],
                &narrow,
                &r(&[false, false, false, true, true, true]),
            ),
        ],
        width,
    ))
}

fn rollup_table(title: &str, rows: &[Rollup], width: usize) -> String {
    let wide: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.label.clone(),
                cents_usd(r.expected),
                cents_usd(r.list),
                signed_cents_usd(r.checked_delta()),
                cents_usd(r.overbilled),
                cents_usd(r.underbilled),
                cents_usd(r.unchecked),
                r.discrepancies.to_string(),
            ]
        })
        .collect();
    let narrow: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                cell_wrap(&r.label, 16),
                cents_usd(r.expected),
                cents_usd(r.list),
                signed_cents_usd(r.checked_delta()),
                r.discrepancies.to_string(),
            ]
        })
        .collect();
    fitting(
        vec![
            render(
                &[title, "expected", "reported", "delta", "over-billed", "under-billed", "unchecked", "issues"],
                &wide,
                &[false, true, true, true, true, true, true, true],
            ),
            render(&[title, "expected", "reported", "delta", "issues"], &narrow, &[false, true, true, true, true]),
        ],
        width,
    )
}

/// The whole terminal report for `width` columns.
pub fn text_summary(rec: &Reconciliation, width: usize) -> Result<String> {
    let s = &rec.summary;
    let table_width = width;
    let width = width.min(110); // prose reads best at a bounded measure
    let mut out = String::new();
    let analytics = s.source == crate::reconcile::Source::Analytics;
    if let Some(w) = s.window {
        let days = (w.end - w.start).num_days();
        out += &hanging(
            "",
            0,
            &format!(
                "counterfoil reconcile {} to {} ({days} UTC days, end exclusive){}",
                w.start.date_naive(),
                w.end.date_naive(),
                if analytics { "; Analytics API: list prices checked" } else { "" }
            ),
            width,
        );
    }
    let row =
        |label: &str, amount: String, note: &str| hanging(&format!("  {label:<16}{amount:>12}  "), 32, note, width);
    if analytics {
        out += &row("billed", cents_usd(s.net_all), "amount of every analytics cost line, after negotiated discounts");
        out += &row("at list", cents_usd(s.reported_all), "list_amount of the same lines: what is checked");
        out += &row("over list", cents_usd(s.overbilled), "list price billed above the card's");
        out +=
            &row("under list", cents_usd(s.underbilled), "list price billed below the card's, or usage never billed");
    } else {
        out += &row("billed", cents_usd(s.reported_all), "everything in cost_report for the window");
        out += &row("over-billed", cents_usd(s.overbilled), "billed more than the tokens cost");
        out += &row("under-billed", cents_usd(s.underbilled), "billed less than the tokens cost");
    }
    out += &row("unchecked", cents_usd(s.unchecked), "billed, with nothing to check it against");
    let convention = if analytics { SIGN_CONVENTION_ANALYTICS } else { SIGN_CONVENTION };
    out += &row("net delta", signed_cents_usd(s.checked_delta()), &format!("over the compared lines; {convention}"));
    if s.priority_expected != 0 {
        out += &row("Priority Tier", cents_usd(s.priority_expected), "at list price; billed outside cost_report");
    }
    for (k, (_, r)) in s.non_token.iter().filter(|(k, _)| CostType::from(k.as_str()) != CostType::WebSearch) {
        let note = match (&s.session_runtime, CostType::from(k.as_str())) {
            (Some(rt), CostType::SessionUsage) => match (rt.hours(), rt.usd_per_hour) {
                (Some(h), Some(p)) => {
                    format!("{} session-hours at ${}/h; no usage counterpart by design", h.round_dp(2), p.normalize())
                }
                _ => "no usage counterpart by design".into(),
            },
            _ => "no usage counterpart by design".into(),
        };
        out += &row(&type_label(None, k), cents_usd(*r), &note);
    }
    for m in s.discount_by_model.iter().filter(|m| m.discount().is_some_and(|d| d != 0)) {
        let pct = crate::money::format_mantissa(m.discount().unwrap_or(0) * 100)
            .parse::<rust_decimal::Decimal>()
            .map_or_else(|_| "?".into(), |d| d.round_dp(2).normalize().to_string());
        let label = m.model.clone().unwrap_or_else(|| "(no model)".into());
        out += &hanging(
            "  ",
            2,
            &format!("{label}: {pct} % off list ({} at list, {} billed)", cents_usd(m.list), cents_usd(m.net)),
            width,
        );
    }
    for (d, dims) in &s.coarsened {
        out += &hanging(
            "  ",
            2,
            &format!("{d}: cost_report left {} null on every line; compared without it", dims.join(", ")),
            width,
        );
    }
    let matched = s.counts.get("match").copied().unwrap_or(0);
    out += "\n";
    if rec.findings.is_empty() {
        out += &hanging(
            "",
            0,
            &format!("All {} compared lines match: no discrepancies.", group_thousands(&matched.to_string())),
            width,
        );
    } else {
        out += &hanging(
            "",
            0,
            &format!(
                "{} lines match; {} discrepancies in {} findings:",
                group_thousands(&matched.to_string()),
                s.discrepancies(),
                rec.findings.len()
            ),
            width,
        );
        for f in &rec.findings {
            let dir = match f.direction.as_str() {
                "overbilled" => "over",
                "underbilled" => "under",
                other => other,
            };
            let head = format!(" {:<4}{:>9} {:<10}", f.id, cents_usd(f.amount), dir);
            let indent = head.chars().count();
            out += &hanging(&head, indent, &f.title, width);
            out += &hanging(&format!("{:indent$}", ""), indent, &format!("next: {}", f.next_step), width);
        }
        out += "\nDiscrepancy lines (money in cents; exact values in --format json/csv/html):\n";
        out += &lines_table(rec, table_width)?;
        out += "\n";
    }
    out += "\n";
    out += &rollup_table("workspace", &s.by_workspace, table_width);
    out += "\n";
    Ok(out)
}

/// The one line a job's log gets on stderr when a reconciliation fails (exit 1).
pub fn stderr_summary(rec: &Reconciliation) -> Option<String> {
    let s = &rec.summary;
    let n = s.discrepancies();
    (n > 0).then(|| {
        format!(
            "{n} discrepancies in {} findings: {} over-billed, {} under-billed, {} unchecked; see --format html",
            rec.findings.len(),
            cents_usd(s.overbilled),
            cents_usd(s.underbilled),
            cents_usd(s.unchecked)
        )
    })
}
