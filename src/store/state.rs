//! `state.json`: what the store holds, per dataset and UTC day, and when the restatement window
//! was last re-read. Replaced atomically after every day written, so a crash leaves either the
//! state before a day or the state after it.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::store_err;
use crate::error::Result;

/// The schema this version writes and reads.
pub const SCHEMA: &str = "counterfoil.store/1";
const SCHEMA_PREFIX: &str = "counterfoil.store/";
const SCHEMA_VERSION: u32 = 1;

/// One stored day of one dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayState {
    /// When it was last fetched (whether or not it changed).
    pub fetched_at: DateTime<Utc>,
    pub rows: usize,
    /// SHA-256 of the partition's content in a canonical row order.
    pub content_hash: String,
    /// False while the day is inside the restatement window (the API may still change it).
    pub complete: bool,
    /// Whether every bucket of the day had settled (ended `--settle-hours` before) when it was
    /// last fetched; a day that is neither settled nor complete is provisional.
    #[serde(default)]
    pub settled: bool,
}

impl DayState {
    /// Settled when last fetched, or old enough that the cadence no longer re-reads it.
    pub fn is_settled(&self) -> bool {
        self.settled || self.complete
    }
}

/// The organization a store belongs to: a store never mixes two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgIdentity {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub schema: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub organization: Option<OrgIdentity>,
    /// The UTC day on which days T-2 … T-restate were last re-read (a backfill counts).
    #[serde(default)]
    pub restate_checked: Option<NaiveDate>,
    #[serde(default)]
    pub usage: BTreeMap<NaiveDate, DayState>,
    #[serde(default)]
    pub cost: BTreeMap<NaiveDate, DayState>,
    /// Content hashes of `workspaces.parquet` and `api_keys.parquet`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// How rows are encoded for the content hashes (`store::canonical::ENCODING`); older stores
    /// hashed the report's cell texts (`counterfoil.rows/1`). Hashes are compared only with ones
    /// computed again from the files, so an older store needs no migration.
    #[serde(default = "rows_v1")]
    pub hash_encoding: String,
}

fn rows_v1() -> String {
    "counterfoil.rows/1".into()
}

impl State {
    pub fn new(now: DateTime<Utc>) -> State {
        State {
            schema: SCHEMA.into(),
            created_at: now,
            organization: None,
            restate_checked: None,
            usage: BTreeMap::new(),
            cost: BTreeMap::new(),
            labels: BTreeMap::new(),
            hash_encoding: super::canonical::ENCODING.into(),
        }
    }

    pub fn days(&self, dataset: super::Dataset) -> &BTreeMap<NaiveDate, DayState> {
        match dataset {
            super::Dataset::Usage => &self.usage,
            super::Dataset::Cost => &self.cost,
        }
    }

    pub fn days_mut(&mut self, dataset: super::Dataset) -> &mut BTreeMap<NaiveDate, DayState> {
        match dataset {
            super::Dataset::Usage => &mut self.usage,
            super::Dataset::Cost => &mut self.cost,
        }
    }

    /// Reads `state.json`, refusing a newer schema or a file that is not a store's state.
    pub fn read(path: &Path) -> Result<State> {
        let text = std::fs::read_to_string(path).map_err(|e| store_err(path, format!("cannot read it: {e}")))?;
        let raw: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| store_err(path, format!("is not valid JSON: {e}")))?;
        let schema = raw.get("schema").and_then(|s| s.as_str()).unwrap_or("");
        let Some(version) = schema.strip_prefix(SCHEMA_PREFIX).and_then(|v| v.parse::<u32>().ok()) else {
            return Err(store_err(path, format!("is not a counterfoil store state (schema {schema:?})")));
        };
        if version > SCHEMA_VERSION {
            return Err(store_err(
                path,
                format!("was written by a newer counterfoil (schema {schema}); this version reads {SCHEMA}"),
            ));
        }
        serde_json::from_value(raw).map_err(|e| store_err(path, format!("is damaged: {e}")))
    }

    /// Writes `state.json` atomically (its temporary in `DIR/_tmp/`, like every store file).
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| store_err(path, e.to_string()))?;
        let root = path.parent().unwrap_or(Path::new("."));
        super::files::write_bytes(root, path, text.as_bytes())
    }
}
