//! Inline SVG charts for the HTML report: no scripts, no network, printable, with axes.
//!
//! Amounts are exact everywhere else; here they become pixel lengths only. Bars carry the exact
//! amount in a `<title>` (shown on hover).

use crate::money::{cents_usd, exact_usd, signed_cents_usd};

/// An escaped string for HTML text and attributes.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub const OVER: &str = "#c0392b";
pub const UNDER: &str = "#2e6fb7";
pub const UNCHECKED: &str = "#9aa0a8";
const PALETTE: [&str; 8] = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f"];

/// Label every n-th day so that at most about 16 labels share the axis.
fn label_every(n: usize) -> usize {
    n.div_ceil(16).max(1)
}

/// One category of a diverging chart: over-billed (up), under-billed (down), unchecked (up, on top).
pub struct Delta {
    pub label: String,
    pub over: i128,
    pub under: i128,
    pub unchecked: i128,
}

/// A "nice" axis step (1, 2 or 5 × 10^k cents) so that `max` spans about four steps.
fn nice_step(max: i128) -> i128 {
    let cents = (max / 10_000_000_000).max(1);
    let raw = (cents + 3) / 4;
    let mut p = 1i128;
    while p * 10 <= raw {
        p *= 10;
    }
    let step = [1, 2, 5, 10].iter().map(|k| k * p).find(|s| *s >= raw).unwrap_or(10 * p);
    step * 10_000_000_000
}

fn legend(items: &[(&str, &str)], x: f64, y: f64) -> String {
    let mut s = String::from("<g font-size=\"11\">");
    let mut at = x;
    for (color, name) in items {
        s += &format!(
            "<rect x=\"{at:.1}\" y=\"{y:.1}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            at + 14.0,
            y + 9.0,
            esc(name)
        );
        at += 24.0 + 6.5 * name.chars().count() as f64;
    }
    s + "</g>"
}

fn figure(title: &str, w: f64, h: f64, body: String) -> String {
    format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {w} {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">{body}</svg></figure>",
        esc(title),
        esc(title)
    )
}

/// Columns per category (days) going up for over-billed and unchecked, down for under-billed.
pub fn diverging_columns(title: &str, rows: &[Delta]) -> String {
    let (w, left, top, half) = (760.0, 64.0, 28.0, 90.0);
    let up = rows.iter().map(|r| r.over + r.unchecked).max().unwrap_or(0);
    let down = rows.iter().map(|r| r.under).max().unwrap_or(0);
    let step = nice_step(up.max(down).max(1));
    let ticks_up = (up + step - 1) / step;
    let ticks_down = (down + step - 1) / step;
    let scale = half / (ticks_up.max(ticks_down).max(1) * step) as f64;
    let zero = top + ticks_up.max(1) as f64 * step as f64 * scale;
    let bottom = zero + ticks_down as f64 * step as f64 * scale;
    let h = bottom + 30.0;
    let mut s = legend(&[(OVER, "over-billed"), (UNDER, "under-billed"), (UNCHECKED, "unchecked")], left, 4.0);
    for k in -ticks_down..=ticks_up.max(1) {
        let y = zero - (k * step) as f64 * scale;
        let label = if k == 0 { "$0".into() } else { signed_cents_usd(k * step) };
        s += &format!(
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{w}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            if k == 0 { "#555" } else { "#e3e6ec" },
            if k == 0 { 1.2 } else { 0.8 },
            left - 4.0,
            y + 3.0,
            esc(&label)
        );
    }
    let slot = (w - left) / rows.len().max(1) as f64;
    let bar = (slot * 0.6).min(28.0);
    for (i, r) in rows.iter().enumerate() {
        let x = left + i as f64 * slot + (slot - bar) / 2.0;
        let (ho, hu, hc) = (r.over as f64 * scale, r.under as f64 * scale, r.unchecked as f64 * scale);
        for (y, hgt, color, what, m) in [
            (zero - ho, ho, OVER, "over-billed", r.over),
            (zero - ho - hc, hc, UNCHECKED, "unchecked", r.unchecked),
            (zero, hu, UNDER, "under-billed", r.under),
        ] {
            if m > 0 {
                s += &format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{color}\"><title>{} {what} {}</title></rect>",
                    hgt.max(1.0),
                    esc(&r.label),
                    exact_usd(m)
                );
            }
        }
        if i % label_every(rows.len()) == 0 {
            let short = r.label.get(5..).unwrap_or(&r.label);
            s += &format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                x + bar / 2.0,
                bottom + 16.0,
                esc(short)
            );
        }
    }
    figure(title, w, h, s)
}

/// Horizontal bars per category: over-billed and unchecked to the right, under-billed to the left.
pub fn diverging_bars(title: &str, rows: &[Delta]) -> String {
    let (w, label_w, row_h) = (760.0, 200.0, 22.0);
    let right = rows.iter().map(|r| r.over + r.unchecked).max().unwrap_or(0);
    let left_max = rows.iter().map(|r| r.under).max().unwrap_or(0);
    let step = nice_step(right.max(left_max).max(1));
    let (tr, tl) = ((right + step - 1) / step, (left_max + step - 1) / step);
    let span = (w - label_w - 20.0) / ((tr.max(1) + tl) * step) as f64;
    let zero = label_w + tl as f64 * step as f64 * span;
    let top = 24.0;
    let h = top + rows.len() as f64 * row_h + 22.0;
    let mut s = legend(&[(OVER, "over-billed"), (UNDER, "under-billed"), (UNCHECKED, "unchecked")], label_w, 4.0);
    for k in -tl..=tr.max(1) {
        let x = zero + (k * step) as f64 * span;
        let label = if k == 0 { "$0".into() } else { signed_cents_usd(k * step) };
        s += &format!(
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{}\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            h - 20.0,
            if k == 0 { "#555" } else { "#e3e6ec" },
            h - 6.0,
            esc(&label)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h + 4.0;
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            label_w - 8.0,
            y + 11.0,
            esc(&r.label)
        );
        let (wo, wu, wc) = (r.over as f64 * span, r.under as f64 * span, r.unchecked as f64 * span);
        for (x, wd, color, what, m) in [
            (zero, wo, OVER, "over-billed", r.over),
            (zero + wo, wc, UNCHECKED, "unchecked", r.unchecked),
            (zero - wu, wu, UNDER, "under-billed", r.under),
        ] {
            if m > 0 {
                s += &format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"14\" fill=\"{color}\"><title>{} {what} {}</title></rect>",
                    wd.max(1.0),
                    esc(&r.label),
                    exact_usd(m)
                );
            }
        }
    }
    figure(title, w, h, s)
}

/// Stacked columns: one per day, one colour per series (workspace, model…), with a y axis.
pub fn stacked_columns(title: &str, days: &[String], series: &[(String, Vec<i128>)]) -> String {
    let (w, left, top, plot_h) = (760.0, 64.0, 8.0, 200.0);
    let totals: Vec<i128> = (0..days.len()).map(|d| series.iter().map(|(_, v)| v[d].max(0)).sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let step = nice_step(max);
    let ticks = (max + step - 1) / step;
    let scale = plot_h / (ticks * step) as f64;
    let base = top + plot_h;
    let legend_rows = series.len().div_ceil(4);
    let h = base + 26.0 + legend_rows as f64 * 16.0;
    let mut s = String::new();
    for k in 0..=ticks {
        let y = base - (k * step) as f64 * scale;
        s += &format!(
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{w}\" y2=\"{y:.1}\" stroke=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            if k == 0 { "#555" } else { "#e3e6ec" },
            left - 4.0,
            y + 3.0,
            esc(&cents_usd(k * step))
        );
    }
    let slot = (w - left) / days.len().max(1) as f64;
    let bar = (slot * 0.7).min(34.0);
    for (d, day) in days.iter().enumerate() {
        let x = left + d as f64 * slot + (slot - bar) / 2.0;
        let mut y = base;
        for (j, (name, v)) in series.iter().enumerate() {
            let hgt = v[d].max(0) as f64 * scale;
            if v[d] > 0 {
                y -= hgt;
                s += &format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{hgt:.2}\" fill=\"{}\"><title>{day} {} {}</title></rect>",
                    PALETTE[j % PALETTE.len()],
                    esc(name),
                    exact_usd(v[d])
                );
            }
        }
        if d % label_every(days.len()) == 0 {
            s += &format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                x + bar / 2.0,
                base + 14.0,
                esc(day.get(5..).unwrap_or(day))
            );
        }
    }
    for (j, (name, _)) in series.iter().enumerate() {
        let (col, row) = (j % 4, j / 4);
        s += &legend(&[(PALETTE[j % PALETTE.len()], name)], left + col as f64 * 175.0, base + 22.0 + row as f64 * 16.0);
    }
    figure(title, w, h, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round() {
        let cents = |c: i128| c * 10_000_000_000;
        assert_eq!(nice_step(cents(10_000)), cents(5_000)); // $100 → $50 steps
        assert_eq!(nice_step(cents(100)), cents(50)); // $1 → 50¢
        assert_eq!(nice_step(cents(30)), cents(10)); // 30¢ → 10¢
        assert_eq!(nice_step(1), cents(1)); // anything tiny → 1¢
    }
}
