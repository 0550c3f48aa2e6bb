//! Why a usage row cannot be priced: a closed set of causes, so that a reconciliation can group
//! lines by cause (one finding for "model X is not in the card", however many days it spans) and
//! say what to do about each, instead of matching on message text.

use std::fmt;

use chrono::NaiveDate;

/// A reason a row has no expected amount. It is never priced at $0 instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unpriceable {
    /// The card does not know the model (by id, alias or dated form).
    UnknownModel { model: String },
    /// The model was used before its release date in the card.
    NotReleased { model: String, released: NaiveDate },
    /// The model was used on or after its first-party retirement.
    Retired { model: String, retired: NaiveDate },
    /// A dimension that changes the price was not grouped by (null in the frame).
    MissingDimension { dimension: &'static str },
    /// A dimension value the card has no price for (a new service tier, geo, speed or window).
    UnknownValue { dimension: &'static str, value: String },
    /// A service tier priced only from a later date.
    TierNotYet { tier: String, from: NaiveDate },
    /// `inference_geo = us` on a model without a data-residency price.
    GeoNotEligible { model: String, geo: String },
    /// The card has no rate row for that day, window and speed.
    NoRate { model: String, window: String, speed: String, day: NaiveDate },
    /// Prices that overflow exact money, or that need more than six decimals per MTok.
    Arithmetic { model: String, detail: String },
    /// No unit price for a non-token charge (e.g. web search).
    NoUnitPrice { cost_type: String },
}

impl Unpriceable {
    /// What the lines of one cause share, without days: the grouping key of a finding.
    pub fn group_key(&self) -> String {
        match self {
            Unpriceable::UnknownModel { model } => format!("unknown model {model}"),
            Unpriceable::NotReleased { model, .. } => format!("{model} before release"),
            Unpriceable::Retired { model, .. } => format!("{model} after retirement"),
            Unpriceable::MissingDimension { dimension } => format!("{dimension} unknown"),
            Unpriceable::UnknownValue { dimension, value } => format!("{dimension} {value}"),
            Unpriceable::TierNotYet { tier, .. } => format!("tier {tier} before its price"),
            Unpriceable::GeoNotEligible { model, geo } => format!("{geo} on {model}"),
            Unpriceable::NoRate { model, window, speed, .. } => format!("no {speed} {window} rate for {model}"),
            Unpriceable::Arithmetic { model, .. } => format!("price arithmetic of {model}"),
            Unpriceable::NoUnitPrice { cost_type } => format!("no unit price for {cost_type}"),
        }
    }

    /// What to do about it, in a sentence.
    pub fn next_step(&self) -> String {
        match self {
            Unpriceable::UnknownModel { model } => format!(
                "add {model} to a rate card (a [[model]] with its prices, see `counterfoil rates`) and pass it with --rates"
            ),
            Unpriceable::NotReleased { model, .. } | Unpriceable::Retired { model, .. } => format!(
                "check the release and retirement dates of {model} in the rate card; correct them in a --rates card if the card is wrong"
            ),
            Unpriceable::MissingDimension { dimension } => format!(
                "fetch usage grouped by {dimension} (AdminClient.usage() does by default; --group-by must include it)"
            ),
            Unpriceable::UnknownValue { dimension, value } => format!(
                "add a price for {dimension} = {value:?} to a rate card ([[modifier]] or [[model.rate]]) and pass it with --rates"
            ),
            Unpriceable::TierNotYet { tier, .. } => {
                format!("check the valid_from of the {tier} modifier in the rate card")
            }
            Unpriceable::GeoNotEligible { model, .. } => {
                format!("set geo_eligible = true for {model} in a --rates card if it now has data residency")
            }
            Unpriceable::NoRate { model, .. } => {
                format!("add a [[model.rate]] row covering those days to a --rates card for {model}")
            }
            Unpriceable::Arithmetic { .. } => {
                "check the prices of the rate card (at most six decimals per MTok)".into()
            }
            Unpriceable::NoUnitPrice { cost_type } => {
                format!("add a [[unit_price]] for {cost_type} to a --rates card")
            }
        }
    }
}

impl fmt::Display for Unpriceable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unpriceable::UnknownModel { model } => write!(f, "unknown model {model:?}"),
            Unpriceable::NotReleased { model, released } => write!(f, "{model} was not released until {released}"),
            Unpriceable::Retired { model, retired } => write!(f, "{model} was retired on {retired}"),
            Unpriceable::MissingDimension { dimension } => {
                write!(f, "{dimension} is unknown and changes the price (group usage by {dimension})")
            }
            Unpriceable::UnknownValue { dimension, value } => write!(f, "no price for {dimension} {value:?}"),
            Unpriceable::TierNotYet { tier, from } => write!(f, "service tier {tier} has no price before {from}"),
            Unpriceable::GeoNotEligible { model, geo } => {
                write!(f, "inference_geo {geo} on {model}, which has no data-residency price")
            }
            Unpriceable::NoRate { model, window, speed, day } => match speed.as_str() {
                "fast" => write!(f, "no fast-mode price for {model} on {day}"),
                _ => write!(f, "no {window} price for {model} on {day}"),
            },
            Unpriceable::Arithmetic { model, detail } => write!(f, "{detail} ({model})"),
            Unpriceable::NoUnitPrice { cost_type } => write!(f, "the rate card has no usable {cost_type} unit price"),
        }
    }
}
