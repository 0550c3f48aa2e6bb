//! Cost modeling, the engine's second half (DESIGN §10): who spent the bill (attribution), what
//! caching saved (cache economics), what it would cost otherwise (what-if) and where the month
//! lands (forecast). All money exact; all of it computed from the same validated frames and the
//! same priced usage contributions as reconciliation.

mod allocate;
pub mod attribution;
pub mod cache;
pub mod forecast;
pub mod whatif;

use std::collections::BTreeMap;

use polars::prelude::DataFrame;

pub use allocate::largest_remainder;
pub use attribution::{attribute, rollup};
pub use cache::cache_report;
pub use forecast::{Forecast, forecast};
pub use whatif::{Scenario, whatif};

use crate::error::{Error, Result};
use crate::frames::columns::concat;
use crate::frames::usage::USAGE_DIMENSION_COLUMNS;

/// Names for ids: workspace id → name; API key id → (name, creator id).
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub workspaces: BTreeMap<String, String>,
    pub keys: BTreeMap<String, (String, Option<String>)>,
}

impl Labels {
    /// From the frames of `AdminClient.workspaces()` and `api_keys()` (either may be absent).
    pub fn from_frames(workspaces: Option<&DataFrame>, api_keys: Option<&DataFrame>) -> Result<Labels> {
        let mut l = Labels::default();
        let strings = |df: &DataFrame, c: &str| -> Result<Vec<Option<String>>> {
            let col = df.column(c).map_err(|_| {
                Error::input(format!(
                    "the labels frame has no column {c:?} (pass AdminClient.workspaces() / api_keys())"
                ))
            })?;
            Ok(col.str()?.iter().map(|v| v.map(str::to_owned)).collect())
        };
        if let Some(ws) = workspaces {
            l.workspaces = crate::frames::workspace_names(ws)?;
        }
        if let Some(keys) = api_keys {
            let creators = if keys.column("created_by").is_ok() {
                strings(keys, "created_by")?
            } else {
                vec![None; keys.height()]
            };
            for ((id, name), by) in strings(keys, "api_key_id")?.into_iter().zip(strings(keys, "name")?).zip(creators) {
                if let (Some(id), Some(name)) = (id, name) {
                    l.keys.insert(id, (name, by));
                }
            }
        }
        Ok(l)
    }
}

/// The dimensions a model may group by: usage dimensions and `date`.
pub const GROUPABLE: [&str; 10] = concat(&[&["date"], &USAGE_DIMENSION_COLUMNS]);

pub(crate) fn check_by(by: &[&str]) -> Result<()> {
    for b in by {
        if !GROUPABLE.contains(b) {
            return Err(Error::input_hint(
                format!("cannot group by {b:?}: it is not a usage dimension"),
                format!("choose among {}", GROUPABLE.join(", ")),
            ));
        }
    }
    Ok(())
}
