//! Inline SVG charts for the HTML report: no scripts, no network, printable.
//!
//! Amounts are exact everywhere else; here they are converted to pixel lengths only.

use super::usd;

/// An escaped string for HTML text and attributes.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn px(m: i128, max: i128, len: f64) -> f64 {
    if max <= 0 { 0.0 } else { (m.max(0) as f64 / max as f64) * len }
}

const EXPECTED: &str = "#5b6abf";
const REPORTED: &str = "#e39b3a";

fn legend(y: f64) -> String {
    format!(
        "<g font-size=\"11\"><rect x=\"0\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{EXPECTED}\"/><text x=\"14\" y=\"{}\">expected</text>\
         <rect x=\"80\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{REPORTED}\"/><text x=\"94\" y=\"{}\">reported</text></g>",
        y + 9.0,
        y + 9.0
    )
}

/// Vertical pairs of bars (expected, reported) per category, e.g. per day.
pub fn column_pairs(title: &str, rows: &[(String, i128, i128)]) -> String {
    let (w, h, top, left) = (760.0, 220.0, 24.0, 8.0);
    let max = rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(0);
    let slot = if rows.is_empty() { w } else { (w - left) / rows.len() as f64 };
    let bar = (slot * 0.38).min(18.0);
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {w} {}\" width=\"100%\">",
        esc(title),
        esc(title),
        h + 56.0
    );
    s += &legend(2.0);
    s += &format!("<line x1=\"{left}\" y1=\"{}\" x2=\"{w}\" y2=\"{}\" stroke=\"#999\"/>", top + h, top + h);
    for (i, (label, e, r)) in rows.iter().enumerate() {
        let x = left + i as f64 * slot + (slot - 2.0 * bar) / 2.0;
        let (he, hr) = (px(*e, max, h), px(*r, max, h));
        s += &format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{he:.1}\" fill=\"{EXPECTED}\"><title>{} expected {}</title></rect>",
            top + h - he,
            esc(label),
            usd(*e)
        );
        s += &format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{hr:.1}\" fill=\"{REPORTED}\"><title>{} reported {}</title></rect>",
            x + bar,
            top + h - hr,
            esc(label),
            usd(*r)
        );
        let short = label.get(5..).unwrap_or(label);
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x + bar,
            top + h + 14.0,
            esc(short)
        );
    }
    s += &format!("<text x=\"{w}\" y=\"12\" font-size=\"10\" text-anchor=\"end\">max {}</text>", usd(max));
    s + "</svg></figure>"
}

/// Horizontal pairs of bars per category, e.g. per workspace or model.
pub fn bar_pairs(title: &str, rows: &[(String, i128, i128)]) -> String {
    let (label_w, w, row_h) = (210.0, 760.0, 26.0);
    let max = rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(0);
    let h = rows.len() as f64 * row_h + 24.0;
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {w} {h}\" width=\"100%\">",
        esc(title),
        esc(title)
    );
    s += &legend(2.0);
    let len = w - label_w - 110.0;
    for (i, (label, e, r)) in rows.iter().enumerate() {
        let y = 20.0 + i as f64 * row_h;
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(label)
        );
        s += &format!(
            "<rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"9\" fill=\"{EXPECTED}\"><title>expected {}</title></rect>",
            px(*e, max, len),
            usd(*e)
        );
        s += &format!(
            "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{:.1}\" height=\"9\" fill=\"{REPORTED}\"><title>reported {}</title></rect>",
            y + 10.0,
            px(*r, max, len),
            usd(*r)
        );
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text>",
            label_w + px((*e).max(*r), max, len) + 6.0,
            y + 14.0,
            esc(&usd(*r))
        );
    }
    s + "</svg></figure>"
}
