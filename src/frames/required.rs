//! Which columns a frame handed in must have, checked before anything reads it.
//!
//! A dimension the frame was not grouped by is a column of nulls (that is how `AdminClient`
//! returns it), never an absent column. An absent one is almost always a rename or a `select`
//! that went too far, and reading it as "not grouped by" turns a typo into dozens of false
//! discrepancies (`model` renamed to `mdl` made every line `unpriced`). So every entry point that
//! takes a user's frame checks its names here first and refuses with the columns it did see.

use crate::error::{Error, Result};

/// The kinds of frame users hand to counterfoil.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// `AdminClient.usage()` / `Store.usage()` (DESIGN §3).
    Usage,
    /// `AdminClient.cost()` / `Store.cost()` (DESIGN §3).
    Cost,
    /// `AdminClient.analytics_cost()` grouped as reconcile needs it (DESIGN §11).
    AnalyticsCost,
    /// Any cost frame read only for its daily totals (the forecast).
    DailyCost,
}

impl FrameKind {
    /// The columns this kind must have. The usage frame's extensions (`account_id`,
    /// `service_account_id`) and the cost frame's `description` and `currency` (USD when absent)
    /// are not required; the analytics cost frame has only the dimensions it was grouped by.
    pub fn required(self) -> Vec<&'static str> {
        match self {
            FrameKind::Usage => super::USAGE_CONTRACT_COLUMNS.to_vec(),
            FrameKind::Cost => {
                super::COST_COLUMNS.into_iter().filter(|c| !["description", "currency"].contains(c)).collect()
            }
            FrameKind::AnalyticsCost => {
                vec!["bucket_start", "cost_type", "model", "token_type", "amount_usd", "list_amount_usd"]
            }
            FrameKind::DailyCost => vec!["bucket_start", "amount_usd"],
        }
    }

    fn label(self) -> &'static str {
        match self {
            FrameKind::Usage => "usage",
            FrameKind::Cost | FrameKind::DailyCost => "cost",
            FrameKind::AnalyticsCost => "analytics cost",
        }
    }
}

/// Refuses a frame (by its column `names`) that lacks a column `kind` requires, naming what is
/// missing and listing the columns it has. `what` is the argument's name (`usage`, `cost`).
pub fn check_columns(kind: FrameKind, what: &str, names: &[&str]) -> Result<()> {
    let missing: Vec<&str> = kind.required().into_iter().filter(|c| !names.contains(c)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let quoted = |v: &[&str]| v.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
    let unknown: Vec<&str> = names.iter().copied().filter(|c| !known(kind, c)).collect();
    let renamed = if unknown.is_empty() {
        String::new()
    } else {
        format!(" ({} not a {} column: renamed?)", quoted(&unknown), kind.label())
    };
    let counts = if missing.iter().any(|c| super::COUNT_COLUMNS.contains(c) || *c == "amount_usd") {
        " (a missing count or amount is never assumed to be 0)"
    } else {
        ""
    };
    Err(Error::input_hint(
        format!(
            "{what}: the {} frame has no column {}{counts}; it has {}{renamed}",
            kind.label(),
            quoted(&missing),
            if names.is_empty() { "no columns".to_owned() } else { quoted(names) },
        ),
        "pass the frame as AdminClient or Store returns it; a dimension it was not grouped by is a column of nulls, not a missing column",
    ))
}

/// Whether `name` is a column counterfoil knows in a frame of `kind`.
fn known(kind: FrameKind, name: &str) -> bool {
    match kind {
        FrameKind::Usage => super::USAGE_COLUMNS.contains(&name) || name == "date",
        FrameKind::Cost | FrameKind::DailyCost => super::COST_COLUMNS.contains(&name) || name == "date",
        FrameKind::AnalyticsCost => super::ANALYTICS_COST_COLUMNS.contains(&name) || name == "date",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_column_is_named_with_what_the_frame_has() {
        let mut names: Vec<&str> = FrameKind::Usage.required();
        assert!(check_columns(FrameKind::Usage, "usage", &names).is_ok());
        let at = names.iter().position(|c| *c == "model").unwrap();
        names[at] = "mdl";
        let e = check_columns(FrameKind::Usage, "usage", &names).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(text.starts_with("usage: the usage frame has no column \"model\"; it has \"bucket_start\""), "{text}");
        assert!(text.ends_with("(\"mdl\" not a usage column: renamed?)"), "{text}");
    }

    #[test]
    fn optional_columns_may_be_absent_and_required_ones_are_listed_together() {
        let cost: Vec<&str> = FrameKind::Cost.required();
        assert!(check_columns(FrameKind::Cost, "cost", &cost).is_ok(), "description and currency are optional");
        let e = check_columns(FrameKind::DailyCost, "cost", &["date"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "cost: the cost frame has no column \"bucket_start\", \"amount_usd\" (a missing count or amount is never assumed to be 0); it has \"date\""
        );
        let e = check_columns(FrameKind::AnalyticsCost, "cost", &[]).unwrap_err().to_string();
        assert!(e.ends_with("it has no columns"), "{e}");
    }
}
