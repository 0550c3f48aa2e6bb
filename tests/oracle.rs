//! An independent oracle for prices. The simulator bills through the same lookup the reconciler
//! uses, so a pricing bug shared by both is invisible to every end-to-end test. This test parses
//! the base rate table of `reference/pricing.md` (§1) on its own, with nothing from the rate-card
//! code, and checks every row against the bundled card; the rows the reference leaves open are
//! listed by name, so a new open row must be looked at, not skipped silently.

use chrono::{Duration, NaiveDate};
use counterfoil::rates::{PriceQuery, RateCard, TokenType};
use rust_decimal::Decimal;

const COPY: &str = include_str!("fixtures/pricing-reference.md");

/// One row of the reference table, as text.
struct Row {
    model: String,
    ids: Vec<String>,
    /// In, 5m, 1h, read, out; `None` where the reference gives no number.
    prices: [Option<Decimal>; 5],
    valid: String,
}

fn table(text: &str) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("| Claude")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        // "same" repeats the previous row's ids (a dated price change of one model).
        let ids_cell = if cells[1] == "same" {
            out.last().map(|r| r.ids.join("/")).unwrap_or_default()
        } else {
            cells[1].to_owned()
        };
        let ids = ids_cell
            .split(['/', ','])
            .map(|s| s.split('(').next().unwrap_or("").trim().to_owned())
            .filter(|s| s.starts_with("claude-"))
            .collect();
        let price = |c: &str| -> Option<Decimal> {
            let c = c.replace("**", "");
            c.split('(').next().unwrap_or("").trim().parse().ok()
        };
        out.push(Row {
            model: cells[0].to_owned(),
            ids,
            prices: [price(cells[2]), price(cells[3]), price(cells[4]), price(cells[5]), price(cells[6])],
            valid: cells[7].to_owned(),
        });
    }
    out
}

/// A day the row's price is valid on: its first day, or two months into an approximate month.
fn check_day(valid: &str) -> Option<NaiveDate> {
    let first = valid.split_whitespace().next()?;
    if let Some(month) = first.strip_prefix('~') {
        return NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok().map(|d| d + Duration::days(62));
    }
    NaiveDate::parse_from_str(first, "%Y-%m-%d").ok()
}

/// Rows the reference leaves open, and why they cannot be checked.
const OPEN: [(&str, &str); 3] = [
    ("Claude 3 Sonnet", "retired 2025-07-21, before the Usage & Cost API (2025-08-18): not in the card"),
    ("Claude Haiku 5.5, prompt > 100,000", "no usage dimension exposes the >100k tier (pricing.md §2.4)"),
    ("Claude Mythos Preview", "no model id and no price are known"),
];

#[test]
fn the_fixture_is_the_reference_verbatim() {
    let original = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/pricing.md");
    let Ok(text) = std::fs::read_to_string(&original) else {
        eprintln!("{} is not on this machine; checking the copy only", original.display());
        return;
    };
    let section = |t: &str| -> Vec<String> {
        let s = t.find("## 1. Base rate table").expect("§1");
        t[s..]
            .lines()
            .skip(1)
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(section(COPY), section(&text), "tests/fixtures/pricing-reference.md drifted from the reference");
}

#[test]
fn every_row_of_the_reference_table_is_in_the_bundled_card() {
    let card = RateCard::bundled();
    let rows = table(COPY);
    assert!(rows.len() >= 28, "the table parsed: {} rows", rows.len());
    let mut open = Vec::new();
    let mut checked = 0;
    for row in &rows {
        let day = check_day(&row.valid);
        let Some(id) = row.ids.first().filter(|_| !row.model.contains("> 100,000")) else {
            open.push(row.model.clone());
            continue;
        };
        if card.resolve(id).is_none() {
            open.push(row.model.clone());
            continue;
        }
        let day = day.unwrap_or_else(|| panic!("{}: no start date in {:?}", row.model, row.valid));
        // Rows like "Fable 5 / Mythos 5" name two models at one price: check each.
        for id in &row.ids {
            let q = PriceQuery {
                model: id,
                day,
                service_tier: Some("standard"),
                context_window: Some("0-200k"),
                inference_geo: Some("global"),
                speed: Some("standard"),
            };
            let priced = card.price(&q).unwrap_or_else(|e| panic!("{id} ({}) on {day}: {e}", row.model));
            for (t, want) in TokenType::ALL.iter().zip(row.prices) {
                if let Some(want) = want {
                    assert_eq!(priced.rate(*t), want, "{id} ({}) {:?} on {day}", row.model, t);
                    checked += 1;
                }
            }
        }
    }
    let mut expected: Vec<String> = OPEN.iter().map(|(m, _)| (*m).to_owned()).collect();
    expected.sort();
    open.sort();
    for (m, why) in OPEN {
        eprintln!("left open by the reference: {m}: {why}");
    }
    assert_eq!(open, expected, "rows that could not be checked");
    assert!(checked >= 120, "prices compared: {checked}");
}
