//! Organization, workspaces and API keys: labels for ids, fetched with ID-cursor paging.
//!
//! Archived workspaces and inactive keys are included: historical usage still names them.

use serde::de::DeserializeOwned;

use super::client::AdminClient;
use super::wire::{ApiKeyInfo, ListPage, Organization, Workspace};
use crate::error::{Error, Result};

pub const ME_PATH: &str = "/v1/organizations/me";
pub const WORKSPACES_PATH: &str = "/v1/organizations/workspaces";
pub const API_KEYS_PATH: &str = "/v1/organizations/api_keys";

impl AdminClient {
    /// `GET /v1/organizations/me`: also a cheap check that the key is an Admin key.
    pub async fn organization(&self) -> Result<Organization> {
        self.get_json(ME_PATH, &[], &[]).await
    }

    /// Every workspace, archived ones included. The default workspace is not among them: it is
    /// the `null` workspace id in reports.
    pub async fn workspaces(&self) -> Result<Vec<Workspace>> {
        self.list(WORKSPACES_PATH, vec![("include_archived".into(), "true".into())]).await
    }

    /// Every API key, whatever its status.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        self.list(API_KEYS_PATH, vec![]).await
    }

    /// ID-cursor paging: `after_id = last_id` while `has_more`.
    async fn list<T: DeserializeOwned>(&self, path: &str, base: Vec<(String, String)>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut q = base.clone();
            q.push(("limit".into(), "1000".into()));
            if let Some(a) = &after {
                q.push(("after_id".into(), a.clone()));
            }
            let page: ListPage<T> = self.get_json(path, &q, &[]).await?;
            let n = page.data.len();
            out.extend(page.data);
            if !page.has_more {
                return Ok(out);
            }
            match page.last_id {
                Some(last) if n > 0 && after.as_deref() != Some(last.as_str()) => after = Some(last),
                _ => {
                    return Err(Error::ApiResponse {
                        endpoint: path.into(),
                        message: "has_more is true but last_id does not advance".into(),
                    });
                }
            }
        }
    }
}
