//! Query-string parsing and validation for the fake API, with the real API's 400s.
//!
//! Arrays are repeated bracketed keys (`group_by[]=model`, percent-encoded or not). Unknown
//! parameters are refused, except `beta=true`, which the official SDKs append.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::api::BucketWidth;

/// A 400 message.
pub(crate) type Invalid = String;

pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Params, Invalid> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for (k, _) in &pairs {
            if k != "beta" && !allowed.contains(&k.as_str()) {
                return Err(format!("{k}: unknown query parameter"));
            }
        }
        for (k, _) in &pairs {
            if !k.ends_with("[]") && pairs.iter().filter(|(k2, _)| k2 == k).count() > 1 {
                return Err(format!("{k}: parameter given more than once"));
            }
        }
        Ok(Params(pairs))
    }

    pub fn one(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
    }

    /// Every value of an array parameter, checked against the allowed values.
    pub fn enums(&self, key: &str, allowed: &[&str]) -> Result<Vec<String>, Invalid> {
        let values = self.all(key);
        for v in &values {
            if !allowed.contains(&v.as_str()) {
                return Err(format!("{key}: invalid value {v:?}; expected one of {}", allowed.join(", ")));
            }
        }
        Ok(values)
    }

    pub fn time(&self, key: &str) -> Result<Option<DateTime<Utc>>, Invalid> {
        match self.one(key) {
            None => Ok(None),
            Some(v) => crate::window::parse_instant(v, key)
                .map(Some)
                .map_err(|_| format!("{key}: invalid datetime {v:?}; expected RFC 3339")),
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<u32>, Invalid> {
        self.one(key)
            .map(|v| v.parse::<u32>().map_err(|_| format!("{key}: expected an integer, got {v:?}")))
            .transpose()
    }

    pub fn bool(&self, key: &str) -> Result<bool, Invalid> {
        match self.one(key) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(format!("{key}: expected true or false, got {v:?}")),
        }
    }
}

/// The bucket range and page of a report request.
pub(crate) struct ReportRange {
    pub width: BucketWidth,
    /// Start of the first bucket of this page.
    pub page_start: DateTime<Utc>,
    /// Buckets end at or before this instant.
    pub end: DateTime<Utc>,
    pub limit: u32,
}

impl ReportRange {
    pub fn parse(p: &Params, width: BucketWidth, now: DateTime<Utc>) -> Result<ReportRange, Invalid> {
        let start = p.time("starting_at")?.ok_or("starting_at: field required")?;
        let step = width.duration();
        let start = start.duration_trunc(step).map_err(|e| format!("starting_at: {e}"))?;
        // Buckets exist up to the one holding "now" (partial); later ones do not exist yet.
        let up_to_now =
            (now + step - Duration::microseconds(1)).duration_trunc(step).map_err(|e| format!("ending_at: {e}"))?;
        let end = match p.time("ending_at")? {
            Some(e) if e <= start => return Err("ending_at: must be after starting_at".into()),
            Some(e) => e.min(up_to_now),
            None => up_to_now,
        };
        let (default, max) = width.limits();
        let limit = p.int("limit")?.unwrap_or(default);
        if limit < 1 || limit > max {
            return Err(format!("limit: must be between 1 and {max} for bucket_width '{}'", width.as_str()));
        }
        let page_start = match p.one("page") {
            None => start,
            Some(token) => {
                let t = decode_page(token).ok_or("page: invalid page token")?;
                if t < start || t >= end.max(start + step) || t.duration_trunc(step).ok() != Some(t) {
                    return Err("page: invalid page token for this query".into());
                }
                t
            }
        };
        Ok(ReportRange { width, page_start, end, limit })
    }

    /// Bucket starts on this page, and the next page's first bucket if any.
    pub fn page(&self) -> (Vec<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let step = self.width.duration();
        let mut starts = Vec::new();
        let mut t = self.page_start;
        while t + step <= self.end && starts.len() < self.limit as usize {
            starts.push(t);
            t += step;
        }
        let more = (t + step <= self.end).then_some(t);
        (starts, more)
    }
}

/// `page_` + base64 of the next bucket's start, the documented example's shape.
pub(crate) fn encode_page(t: DateTime<Utc>) -> String {
    format!("page_{}", STANDARD.encode(crate::window::fmt_rfc3339(t)))
}

fn decode_page(token: &str) -> Option<DateTime<Utc>> {
    let raw = STANDARD.decode(token.strip_prefix("page_")?).ok()?;
    DateTime::parse_from_rfc3339(std::str::from_utf8(&raw).ok()?).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_token_matches_the_documented_example() {
        let t = crate::window::parse_instant("2025-05-14", "t").unwrap();
        assert_eq!(encode_page(t), "page_MjAyNS0wNS0xNFQwMDowMDowMFo=");
        assert_eq!(decode_page("page_MjAyNS0wNS0xNFQwMDowMDowMFo="), Some(t));
    }

    #[test]
    fn brackets_encoded_or_not() {
        let p = Params::parse(Some("group_by%5B%5D=model&group_by[]=workspace_id&beta=true"), &["group_by[]"]).unwrap();
        assert_eq!(p.all("group_by[]"), vec!["model", "workspace_id"]);
        assert!(Params::parse(Some("group_by=model"), &["group_by[]"]).is_err());
    }
}
