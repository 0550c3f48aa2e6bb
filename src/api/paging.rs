//! The report paging loop and window splitting: every page of a window following `next_page`,
//! long ranges cut into windows of one full page fetched with bounded concurrency, and the check
//! that the buckets cover the window exactly (in order, no duplicates, no gaps) or an error.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};

use super::client::AdminClient;
use super::page::Page;
use crate::error::{Error, Result};
use crate::window::TimeWindow;

impl AdminClient {
    /// All pages of one report window, following `next_page`. At most `max_buckets` may arrive:
    /// a server that pages on with empty or surplus pages is stopped, not followed.
    pub(crate) async fn report<P: Page>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
        betas: &[&str],
        max_buckets: usize,
    ) -> Result<Vec<P>> {
        let mut seen = HashSet::new();
        let mut page: Option<String> = None;
        let mut out = Vec::new();
        let mut buckets = 0;
        let fail = |message: String| Error::ApiResponse { endpoint: path.into(), message };
        loop {
            let mut q = query.clone();
            if let Some(p) = &page {
                q.push(("page".into(), p.clone()));
            }
            let body = self.get_body(path, &q, betas).await?;
            let mut p = P::decode(path, &body)?;
            self.progress_inc();
            let n = p.bounds().len();
            buckets += n;
            if buckets > max_buckets {
                return Err(fail(format!("more buckets than the window holds ({max_buckets})")));
            }
            let (has_more, next_page) = p.cursor();
            out.push(p);
            match next_cursor(path, has_more, next_page, n, &mut seen)? {
                None => return Ok(out),
                Some(next) => {
                    self.progress_len(1);
                    page = Some(next);
                }
            }
        }
    }

    /// A report over `window` at `step`, cut into windows of `per_page` buckets fetched with
    /// bounded concurrency, then checked to cover the window exactly: its pages, in order.
    pub(crate) async fn windowed_report<P: Page, F>(
        &self,
        path: &str,
        window: TimeWindow,
        step: chrono::Duration,
        per_page: u32,
        query_for: F,
        betas: &[&str],
    ) -> Result<Vec<P>>
    where
        F: Fn(DateTime<Utc>, DateTime<Utc>) -> Vec<(String, String)>,
    {
        let windows = window.split(step, per_page);
        self.progress_len(windows.len() as u64);
        let parts: Vec<Vec<P>> = futures::stream::iter(windows.into_iter().map(|(s, e)| {
            let q = query_for(s, e);
            let max = ((e - s).num_seconds() / step.num_seconds().max(1)) as usize;
            async move { self.report::<P>(path, q, betas, max).await }
        }))
        .buffered(self.config().concurrency.max(1))
        .try_collect()
        .await?;
        let pages: Vec<P> = parts.into_iter().flatten().collect();
        let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> =
            pages.iter().flat_map(|p| p.bounds().iter().copied()).collect();
        check_complete(path, window, step, self.config().now(), &bounds)?;
        Ok(pages)
    }
}

/// The cursor of the next page, or `None` after the last: the one paging rule of every cursor
/// endpoint. An empty page that says `has_more`, a missing token or a token seen before stops
/// the loop with an error instead of paging forever.
pub(crate) fn next_cursor(
    path: &str,
    has_more: bool,
    next_page: Option<String>,
    rows: usize,
    seen: &mut HashSet<String>,
) -> Result<Option<String>> {
    let fail = |message: String| Error::ApiResponse { endpoint: path.into(), message };
    if !has_more {
        return Ok(None);
    }
    if rows == 0 {
        return Err(fail("an empty page says has_more; stopping instead of paging forever".into()));
    }
    let next =
        next_page.filter(|t| !t.is_empty()).ok_or_else(|| fail("has_more is true but next_page is missing".into()))?;
    if !seen.insert(next.clone()) {
        return Err(fail(format!("page token {next:?} repeated; stopping instead of looping forever")));
    }
    Ok(Some(next))
}

/// The buckets must be exactly those of `window` at `step`: in order, each `step` long, none
/// missing, none extra, none outside. The legacy reports return a bucket per period, empty ones
/// included, so a gap is data that did not arrive. Only buckets that have not ended yet by `now`
/// may be absent at the end (the API has no data for them yet).
pub(crate) fn check_complete(
    path: &str,
    window: TimeWindow,
    step: chrono::Duration,
    now: DateTime<Utc>,
    buckets: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Result<()> {
    let fail = |m: String| Err(Error::ApiResponse { endpoint: path.into(), message: m });
    let t = crate::window::fmt_rfc3339;
    let mut expect = window.start;
    for &(starting_at, ending_at) in buckets {
        if starting_at < window.start || ending_at > window.end {
            return fail(format!(
                "bucket {}..{} lies outside the requested window {}..{}",
                t(starting_at),
                t(ending_at),
                t(window.start),
                t(window.end)
            ));
        }
        if ending_at - starting_at != step {
            return fail(format!("bucket {}..{} is not one {} bucket", t(starting_at), t(ending_at), width_name(step)));
        }
        if starting_at > expect {
            return fail(format!("bucket {} is missing (the next one starts {})", t(expect), t(starting_at)));
        }
        if starting_at < expect {
            return fail(format!("bucket {} arrived twice or out of order", t(starting_at)));
        }
        expect = ending_at;
    }
    if expect < window.end && expect + step <= now {
        return fail(format!(
            "the response stops at {}, before the requested end {}: bucket {} is missing",
            t(expect),
            t(window.end),
            t(expect)
        ));
    }
    Ok(())
}

fn width_name(step: chrono::Duration) -> &'static str {
    match step.num_seconds() {
        60 => "1m",
        3600 => "1h",
        86_400 => "1d",
        _ => "requested",
    }
}
