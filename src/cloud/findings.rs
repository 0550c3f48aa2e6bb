//! Cloud findings: the discrepant lines grouped into what a person acts on, and the summary.
//!
//! A finding is one (status, provider, account, model, cause): "account 111122223333 was billed
//! regional Sonnet 4.6 usage at the global rate on 4 lines, −$0.82". Ids `C1`, `C2`, … are
//! ordered by money at stake, like Anthropic's `F1`, `F2`, ….

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::reconcile::{CheckedLine, CloudStatus};
use crate::rates::cloud::Provider;

/// A group of discrepant lines with one cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudFinding {
    pub id: String,
    pub status: CloudStatus,
    pub provider: Provider,
    pub account_id: Option<String>,
    pub model: Option<String>,
    /// What went wrong, e.g. "regional usage billed at the global rate".
    pub cause: String,
    pub title: String,
    pub next_step: String,
    pub lines: usize,
    /// Σ billed − expected of the priced lines (scale-12), Σ billed of unpriced ones.
    pub delta: i128,
    pub billed: i128,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
}

fn cause_key(l: &CheckedLine) -> String {
    let note = l.note.as_deref().unwrap_or("");
    match l.status {
        CloudStatus::Mismatch if note.starts_with("billed at") => {
            if l.delta().unwrap_or(0) > 0 { "billed above the list price" } else { "billed below the list price" }
                .into()
        }
        CloudStatus::Mismatch => note.split(" (").next().unwrap_or(note).to_string(),
        _ => note.to_string(),
    }
}

/// Groups discrepant lines into findings and writes each line's finding id.
pub fn assign(lines: &mut [CheckedLine]) -> Vec<CloudFinding> {
    type Key = (CloudStatus, Provider, Option<String>, Option<String>, String);
    let mut groups: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate().filter(|(_, l)| l.status.is_discrepancy()) {
        let k = (l.status, l.line.provider, l.line.account_id.clone(), l.line.model.clone(), cause_key(l));
        groups.entry(k).or_default().push(i);
    }
    let mut out: Vec<(CloudFinding, Vec<usize>)> = groups
        .into_iter()
        .map(|((status, provider, account_id, model, cause), idx)| {
            let ls: Vec<&CheckedLine> = idx.iter().map(|&i| &lines[i]).collect();
            let delta = ls
                .iter()
                .map(|l| l.delta().unwrap_or(if status == CloudStatus::Unpriced { l.line.billed } else { 0 }))
                .sum();
            let billed = ls.iter().map(|l| l.line.billed).sum();
            let first_date = ls.iter().map(|l| l.line.date).min().expect("a group has lines");
            let last_date = ls.iter().map(|l| l.line.date).max().expect("a group has lines");
            let (title, next_step) =
                describe(status, provider, account_id.as_deref(), model.as_deref(), &cause, ls.len());
            let f = CloudFinding {
                id: String::new(),
                status,
                provider,
                account_id,
                model,
                cause,
                title,
                next_step,
                lines: ls.len(),
                delta,
                billed,
                first_date,
                last_date,
            };
            (f, idx)
        })
        .collect();
    out.sort_by(|(a, _), (b, _)| {
        b.delta.abs().cmp(&a.delta.abs()).then(a.status.cmp(&b.status)).then(a.first_date.cmp(&b.first_date))
    });
    let mut findings = Vec::with_capacity(out.len());
    for (n, (mut f, idx)) in out.into_iter().enumerate() {
        f.id = format!("C{}", n + 1);
        for i in idx {
            lines[i].finding = Some(f.id.clone());
        }
        findings.push(f);
    }
    findings
}

fn describe(
    status: CloudStatus,
    provider: Provider,
    account: Option<&str>,
    model: Option<&str>,
    cause: &str,
    n: usize,
) -> (String, String) {
    let who = match provider {
        Provider::AwsBedrock => format!("AWS account {}", account.unwrap_or("?")),
        Provider::GcpVertex => format!("GCP project {}", account.unwrap_or("?")),
    };
    let who = match model {
        Some(m) => format!("{who}: {m}"),
        None => who,
    };
    let lines = if n == 1 { "1 line".to_string() } else { format!("{n} lines") };
    match status {
        CloudStatus::Mismatch => (
            format!("{who} — {cause} ({lines})"),
            format!(
                "check these line items in the {} bill against the provider's price list and raise a billing case with the line item ids",
                provider.title()
            ),
        ),
        CloudStatus::Unpriced => (
            format!("{who} — cannot be checked: {cause} ({lines})"),
            "add the price to your rate card as a [[cloud_price]] row (see `counterfoil rates --cloud`), or tell us the spelling at https://github.com/counterfoil/counterfoil/issues".into(),
        ),
        CloudStatus::UsageMismatch => (
            format!("{who} — {cause} ({lines})"),
            "compare the invocation logs and the CUR for these days; logs arrive within minutes, the CUR within about a day, so re-run after the bill settles".into(),
        ),
        CloudStatus::Match | CloudStatus::NotUsage => (String::new(), String::new()),
    }
}
