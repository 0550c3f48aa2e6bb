//! `GET /v1/organizations/usage_report/claude_code`: one UTC day per request (`starting_at` is a
//! `YYYY-MM-DD` date here), paged by cursor; a window is fetched day by day.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};

use super::analytics_wire::{ClaudeCodePage, ClaudeCodeRecord};
use super::client::AdminClient;
use crate::error::{Error, Result};
use crate::window::TimeWindow;

pub const CLAUDE_CODE_PATH: &str = "/v1/organizations/usage_report/claude_code";

impl AdminClient {
    /// Every Claude Code record of the UTC days of `window`.
    pub async fn claude_code(&self, window: TimeWindow) -> Result<Vec<ClaudeCodeRecord>> {
        window.check_whole_days()?;
        let mut out = Vec::new();
        let mut day: NaiveDate = window.start.date_naive();
        while day < window.end.date_naive() {
            self.progress_len(1);
            let mut seen = HashSet::new();
            let mut page: Option<String> = None;
            loop {
                let mut q = vec![("starting_at".to_owned(), day.to_string()), ("limit".to_owned(), "1000".to_owned())];
                if let Some(p) = &page {
                    q.push(("page".into(), p.clone()));
                }
                let p: ClaudeCodePage = self.get_json(CLAUDE_CODE_PATH, &q, &[]).await?;
                self.progress_inc();
                let fail = |m: String| Error::ApiResponse { endpoint: CLAUDE_CODE_PATH.into(), message: m };
                if let Some(r) = p.data.iter().find(|r| r.date.date_naive() != day) {
                    return Err(fail(format!("a record dated {} answered the request for {day}", r.date)));
                }
                let n = p.data.len();
                out.extend(p.data);
                let Some(next) = super::paging::next_cursor(CLAUDE_CODE_PATH, p.has_more, p.next_page, n, &mut seen)?
                else {
                    break;
                };
                self.progress_len(1);
                page = Some(next);
            }
            day += Duration::days(1);
        }
        Ok(out)
    }
}
