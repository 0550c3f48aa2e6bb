//! Findings and the reports people read: one finding per planted cause with its money, the split
//! totals agreeing with the findings, and a terminal report that fits 80 and 100 columns without
//! ever splitting an amount.

mod common;

use counterfoil::jobs::fetch::fetch;
use counterfoil::money::exact_usd;
use counterfoil::rates::RateCard;
use counterfoil::reconcile::{Direction, FindingKind, Options, Reconciliation, reconcile};
use counterfoil::report::{self, text_summary};
use counterfoil::runtime::block_on;
use counterfoil::sim::{FakeAdminApi, Faults, OrgConfig, Organization, Plant};
use polars::prelude::*;

fn run(plants: &[Plant]) -> (Reconciliation, Organization) {
    let mut cfg = OrgConfig::new(7, 14, common::today());
    cfg.plants = plants.to_vec();
    let org = Organization::generate(cfg);
    let truth = org.clone();
    let window = org.window();
    let api = FakeAdminApi::start_blocking(org, Faults::default(), 0).unwrap();
    let client = common::client_for(&api, common::config(0, 4));
    let fetched = block_on(fetch(&client, window)).unwrap().unwrap();
    let options = Options { window: Some(window), workspace_names: fetched.workspace_names, ..Options::default() };
    (reconcile(&fetched.usage, &fetched.cost, &RateCard::bundled(), &options).unwrap(), truth)
}

#[test]
fn one_finding_per_planted_cause_with_the_money_at_stake() {
    let (rec, org) = run(&Plant::ALL);
    let kinds: Vec<FindingKind> = rec.findings.iter().map(|f| f.kind).collect();
    // Six plants, six causes: the unknown model's thirteen lines are one finding.
    assert_eq!(rec.findings.len(), 6, "{:#?}", rec.findings.iter().map(|f| &f.title).collect::<Vec<_>>());
    for k in [FindingKind::Unpriced, FindingKind::UnbilledUsage, FindingKind::PhantomCharge, FindingKind::KnownPattern]
    {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }
    let unknown = rec.findings.iter().find(|f| f.kind == FindingKind::Unpriced).unwrap();
    let planted_unknown = org.planted.iter().filter(|p| p.plant == Plant::UnknownModel).count();
    assert_eq!(unknown.lines.len(), planted_unknown);
    assert!(unknown.title.starts_with("claude-opus-6-preview is not in the rate card"), "{}", unknown.title);
    assert!(unknown.next_step.contains("--rates"));
    // The findings account for the split to the last digit.
    let sum = |d: Direction| rec.findings.iter().filter(|f| f.direction == d).map(|f| f.amount).sum::<i128>();
    let s = &rec.summary;
    assert_eq!(sum(Direction::Unchecked), s.unchecked);
    assert_eq!(sum(Direction::Over) - sum(Direction::Under), s.overbilled - s.underbilled);
    // Every discrepancy line names its finding, and only those.
    let status = rec.lines.column("status").unwrap().str().unwrap().clone();
    let finding = rec.lines.column("finding").unwrap().str().unwrap().clone();
    for (st, f) in status.iter().zip(finding.iter()) {
        let bad = matches!(st, Some("mismatch" | "missing_cost" | "missing_usage" | "unpriced"));
        assert_eq!(bad, f.is_some(), "{st:?} {f:?}");
    }
    // Ordered by money at stake.
    assert!(rec.findings.windows(2).all(|w| w[0].amount >= w[1].amount));
    let frame = rec.findings_frame().unwrap();
    assert_eq!(frame.height(), 6);
    assert_eq!(frame.column("amount_usd").unwrap().dtype(), &DataType::Decimal(38, 12));
}

/// Every `$` in the text starts a whole amount in cents: nothing was cut at a line end.
fn amounts_whole(text: &str) -> bool {
    text.match_indices('$').all(|(i, _)| {
        let rest = &text[i + 1..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.').collect();
        let before = &text[..i];
        before.ends_with('<') || (digits.contains('.') && digits.split('.').nth(1).is_some_and(|c| c.len() == 2))
    })
}

#[test]
fn the_terminal_report_fits_80_and_100_columns_and_never_splits_an_amount() {
    let (rec, _) = run(&Plant::ALL);
    for width in [80, 100, 140] {
        let text = text_summary(&rec, width).unwrap();
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= width, "{width}: a line of {widest} columns:\n{text}");
        assert!(amounts_whole(&text), "{width}: an amount was split:\n{text}");
        for f in &rec.findings {
            assert!(text.contains(&f.id), "{width}: {} missing", f.id);
            assert!(text.contains(&counterfoil::money::cents_usd(f.amount)), "{width}: amount of {}", f.id);
        }
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("positive means Anthropic billed more than the tokens cost"));
        assert!(!text.contains("cache_creation."), "one label per token type");
    }
    let line = report::stderr_summary(&rec).unwrap();
    let n = rec.summary.discrepancies();
    assert!(n > 6, "thirteen or so unpriced lines of the unknown model, and five single plants");
    assert!(line.starts_with(&format!("{n} discrepancies in 6 findings:")), "{line}");
    assert!(line.contains("over-billed") && line.contains("unchecked") && line.contains("--format html"));
}

#[test]
fn the_html_report_holds_every_discrepancy_exactly_and_the_split() {
    let (rec, _) = run(&Plant::ALL);
    let html = report::html(&rec, "t").unwrap();
    let bad = rec.discrepancies().unwrap();
    for i in 0..bad.height() {
        for c in ["expected_usd", "reported_usd"] {
            if let Some(m) = report::money_of(&bad, c, i) {
                assert!(html.contains(&exact_usd(m)), "{c} of line {i}: {}", exact_usd(m));
            }
        }
    }
    for label in ["over-billed", "under-billed", "unchecked", "net delta", "Findings (6)", "By day"] {
        assert!(html.contains(label), "{label}");
    }
    assert!(!html.contains("cache_creation.ephemeral"), "one label per token type");
    assert!(!html.contains("overflow-x"), "nothing scrolls (a printed scrollbar hides money)");
}

#[test]
fn a_clean_run_says_so_briefly() {
    let (rec, _) = run(&[]);
    assert!(rec.findings.is_empty());
    assert!(report::stderr_summary(&rec).is_none());
    let text = text_summary(&rec, 80).unwrap();
    assert!(text.contains("compared lines match: no discrepancies"), "{text}");
}
