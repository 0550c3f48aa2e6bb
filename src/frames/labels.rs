//! Label frames: workspace and API-key names for ids (archived ones included).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::columns::{datetime, micros, text};
use crate::api::wire::{ApiKeyInfo, Workspace};
use crate::error::{Error, Result};

pub const WORKSPACE_COLUMNS: [&str; 5] = ["workspace_id", "name", "created_at", "archived_at", "default_inference_geo"];
/// Workspace id → name from a workspaces frame (`AdminClient.workspaces()`, the store's copy, or
/// a user's frame with `workspace_id` and `name`); rows with a null id or name are skipped.
pub fn workspace_names(df: &DataFrame) -> Result<BTreeMap<String, String>> {
    let text = |c: &str| df.column(c).ok().and_then(|c| c.str().ok().cloned());
    let (Some(ids), Some(names)) = (text("workspace_id"), text("name")) else {
        return Err(Error::input("workspaces must be a frame with workspace_id and name (AdminClient.workspaces())"));
    };
    Ok(ids.iter().zip(names.iter()).filter_map(|(i, n)| Some((i?.to_owned(), n?.to_owned()))).collect())
}

pub const API_KEY_COLUMNS: [&str; 8] =
    ["api_key_id", "name", "workspace_id", "status", "created_at", "partial_key_hint", "created_by", "created_by_type"];

pub fn workspaces_frame(ws: &[Workspace]) -> Result<DataFrame> {
    let columns = vec![
        text(WORKSPACE_COLUMNS[0], ws.iter().map(|w| Some(w.id.clone())).collect()),
        text(WORKSPACE_COLUMNS[1], ws.iter().map(|w| Some(w.name.clone())).collect()),
        datetime(WORKSPACE_COLUMNS[2], ws.iter().map(|w| Some(micros(w.created_at))).collect()),
        datetime(WORKSPACE_COLUMNS[3], ws.iter().map(|w| w.archived_at.map(micros)).collect()),
        text(
            WORKSPACE_COLUMNS[4],
            ws.iter().map(|w| w.data_residency.as_ref().and_then(|d| d.default_inference_geo.clone())).collect(),
        ),
    ];
    Ok(DataFrame::new(ws.len(), columns)?)
}

pub fn api_keys_frame(keys: &[ApiKeyInfo]) -> Result<DataFrame> {
    let columns = vec![
        text(API_KEY_COLUMNS[0], keys.iter().map(|k| Some(k.id.clone())).collect()),
        text(API_KEY_COLUMNS[1], keys.iter().map(|k| Some(k.name.clone())).collect()),
        text(API_KEY_COLUMNS[2], keys.iter().map(|k| k.workspace_id.clone()).collect()),
        text(API_KEY_COLUMNS[3], keys.iter().map(|k| Some(k.status.clone())).collect()),
        datetime(API_KEY_COLUMNS[4], keys.iter().map(|k| Some(micros(k.created_at))).collect()),
        text(API_KEY_COLUMNS[5], keys.iter().map(|k| k.partial_key_hint.clone()).collect()),
        text(API_KEY_COLUMNS[6], keys.iter().map(|k| k.created_by.as_ref().map(|a| a.id.clone())).collect()),
        text(API_KEY_COLUMNS[7], keys.iter().map(|k| k.created_by.as_ref().map(|a| a.kind.clone())).collect()),
    ];
    Ok(DataFrame::new(keys.len(), columns)?)
}
