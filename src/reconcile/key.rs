//! The reconciliation key and the two sides that meet on it.

use std::sync::Arc;

use chrono::NaiveDate;

use super::contributions::Contribution;
use crate::error::{Error, Result};
use crate::frames::CostType;
use crate::money;
use crate::rates::Unpriceable;

/// The line key's columns in the `lines` frame (DESIGN §4), in order: what a line is known by in
/// the frame, the findings history and notifications.
pub const LINE_KEY_COLUMNS: [&str; 8] =
    ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "cost_type", "token_type"];

/// (UTC day, workspace, model, service tier, context window, inference geo, cost type, token
/// type): DESIGN §4, plus the API key when an analytics reconciliation is asked to split by it
/// (always `None` otherwise). `None` is a null in the frames (the default workspace, or a
/// dimension the line does not have). Strings are shared (`Arc<str>`): a key is built per usage
/// group and token type, hundreds of thousands of times for a year split by API key, and
/// cloning a shared string is a counter increment where a `String` is an allocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineKey {
    pub date: NaiveDate,
    pub workspace_id: Option<Arc<str>>,
    pub model: Option<Arc<str>>,
    pub service_tier: Option<Arc<str>>,
    pub context_window: Option<Arc<str>>,
    pub inference_geo: Option<Arc<str>>,
    pub cost_type: CostType,
    pub token_type: Option<Arc<str>>,
    pub api_key_id: Option<Arc<str>>,
}

/// One side of a reconciliation summed to the line key. Hashed, not ordered: the lines are
/// sorted once at the end, and a year split by workspace has a few hundred thousand keys whose
/// strings an ordered map would compare twenty times each.
pub type SideMap<V> = polars::prelude::PlHashMap<LineKey, V>;

/// One shared string per distinct value: a cost frame of a year split by workspace has
/// hundreds of thousands of rows but a few dozen distinct values per column, and a key built per
/// row would otherwise allocate each of its strings again.
#[derive(Default)]
pub struct StrPool<'a> {
    seen: polars::prelude::PlHashMap<&'a str, Arc<str>>,
}

impl<'a> StrPool<'a> {
    pub fn get(&mut self, v: Option<&'a str>) -> Option<Arc<str>> {
        let v = v?;
        Some(self.seen.entry(v).or_insert_with(|| Arc::from(v)).clone())
    }
}

/// What usage says about a key: tokens (or requests) and what the card says they cost.
#[derive(Debug, Clone, Default)]
pub struct UsageSide {
    pub quantity: i64,
    /// Σ of the priced part, as a scale-12 USD mantissa.
    pub priced_sum: i128,
    /// The rate(s) seen, as scale-12 mantissas (USD per MTok, or per unit).
    pub rate: RateSeen,
    /// Why part of this key could not be priced; then the key has no expected amount.
    pub unpriced: Option<Box<Unpriceable>>,
    /// Priority Tier: priced for information, billed outside cost_report.
    pub not_in_cost_report: bool,
    /// The card's doubts about the price, if any.
    pub note: Option<String>,
}

/// The rates seen on one key so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RateSeen {
    #[default]
    None,
    One(i128),
    Several,
}

impl RateSeen {
    pub fn with(self, r: i128) -> RateSeen {
        match self {
            RateSeen::None => RateSeen::One(r),
            RateSeen::One(x) if x == r => self,
            _ => RateSeen::Several,
        }
    }

    pub fn single(self) -> Option<i128> {
        match self {
            RateSeen::One(r) => Some(r),
            _ => None,
        }
    }
}

impl UsageSide {
    /// Adds one usage group's contribution: exact, checked.
    pub fn add(&mut self, c: &Contribution) -> Result<()> {
        self.quantity = self.quantity.checked_add(c.quantity).ok_or_else(|| {
            Error::input("the quantity of one reconciliation line is beyond Int64; refusing to wrap it")
        })?;
        match &c.expected {
            Ok(e) => {
                if let Some(r) = c.rate {
                    self.rate = self.rate.with(r);
                }
                self.priced_sum = money::add(self.priced_sum, *e, "an expected total")?;
                self.not_in_cost_report |= c.not_in_cost_report;
                if self.note.is_none() {
                    self.note.clone_from(&c.note);
                }
            }
            Err(reason) => {
                self.unpriced.get_or_insert_with(|| Box::new(reason.clone()));
            }
        }
        Ok(())
    }

    /// The expected amount, unless part of the key is unpriced.
    pub fn expected(&self) -> Option<i128> {
        self.unpriced.is_none().then_some(self.priced_sum)
    }
}

/// What the cost report says about a key.
#[derive(Debug, Clone, Default)]
pub struct CostSide {
    /// Scale-12 USD mantissa: what the line is checked on (cost_report's amount, or the analytics
    /// API's `list_amount`).
    pub reported: i128,
    /// The analytics API's `amount` (after the negotiated discount); `None` for cost_report.
    pub net: Option<i128>,
    /// Shared: a cost frame has a few distinct descriptions over hundreds of thousands of rows.
    pub description: Option<Arc<str>>,
}
