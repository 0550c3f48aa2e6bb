//! The rate card: what every token should cost, by model and date.
//!
//! `card.toml` (compiled in) holds every Claude model of `reference/pricing.md` with dated rate
//! rows, the batch and US-geo modifiers, Priority marked as absent from cost_report, and non-token
//! unit prices. A user card layers over it (a negotiated price, a discount factor, a model the
//! bundled card does not know yet). `lookup` answers "what does this usage row cost per MTok",
//! or says why it cannot be priced — never a silent $0.

mod card;
pub mod cloud;
mod frame;
mod located;
mod lookup;
mod model;
mod revise;
mod unpriceable;

pub use card::{BUNDLED_CARD, RateCard};
pub use lookup::{PriceQuery, Priced};
pub use model::{CacheMultipliers, CardFile, Discount, ModelEntry, Modifier, RateRow, TokenType, UnitPrice};
pub use unpriceable::Unpriceable;
