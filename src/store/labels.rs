//! `workspaces.parquet` and `api_keys.parquet`: ids → names (API keys with their creator),
//! replaced only when their content changed.

use std::collections::BTreeMap;
use std::path::Path;

use super::partition::{self, content_hash};
use super::state::State;
use crate::api::AdminClient;
use crate::error::Result;
use crate::frames::{api_keys_frame, workspaces_frame};

pub const WORKSPACES: &str = "workspaces.parquet";
pub const API_KEYS: &str = "api_keys.parquet";

/// Fetches both lists and writes the ones whose content changed.
pub async fn refresh(root: &Path, client: &AdminClient, state: &mut State) -> Result<()> {
    let (ws, keys) = futures::try_join!(client.workspaces(), client.api_keys())?;
    for (file, df) in [(WORKSPACES, workspaces_frame(&ws)?), (API_KEYS, api_keys_frame(&keys)?)] {
        let hash = content_hash(&df)?;
        let path = root.join(file);
        // Compared with the file as it is (its hash computed again), not with the state's record.
        let stored =
            if partition::readable(&path) { Some(content_hash(&partition::read(&path, None)?)?) } else { None };
        if stored.as_deref() != Some(hash.as_str()) {
            partition::write(root, &path, &df)?;
            state.labels.insert(file.to_owned(), hash);
        }
    }
    Ok(())
}

/// Workspace id → name, from the store (empty when never synced).
pub fn workspace_names(root: &Path) -> Result<BTreeMap<String, String>> {
    let path = root.join(WORKSPACES);
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    crate::frames::workspace_names(&partition::read(&path, Some(&["workspace_id", "name"]))?)
}
