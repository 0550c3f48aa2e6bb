//! The Admin key and the endpoint it is sent to.
//!
//! The key lives in a [`secrecy::SecretString`] and is only exposed when the request header is
//! built; `Debug` and `Display` show at most its last four characters. Plain `http://` is refused
//! except to loopback, so a key never crosses a network in clear text (the fake Admin API serves
//! plain HTTP on 127.0.0.1).

use std::fmt;
use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// Environment variables read for the key, in order.
pub const KEY_ENV_VARS: [&str; 2] = ["ANTHROPIC_ADMIN_KEY", "ANTHROPIC_ADMIN_API_KEY"];
/// Environment variable read for the base URL.
pub const BASE_URL_ENV_VAR: &str = "ANTHROPIC_BASE_URL";
/// Where the real Admin API lives.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// Where users create Admin keys; quoted in hints.
pub const ADMIN_KEY_HELP: &str = "an Admin API key (sk-ant-admin…) is needed: an organization admin creates one in the Claude Console under Settings → Admin keys";

/// An Admin API key (or OAuth token). Never printed.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key: String = key.into();
        let trimmed = key.trim();
        if trimmed.is_empty() {
            return Err(Error::input_hint("the API key is empty", ADMIN_KEY_HELP));
        }
        if trimmed.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::input("the API key contains whitespace or control characters"));
        }
        Ok(ApiKey(SecretString::from(trimmed.to_owned())))
    }

    /// The key from `ANTHROPIC_ADMIN_KEY` or `ANTHROPIC_ADMIN_API_KEY`.
    pub fn from_env() -> Result<Self> {
        for var in KEY_ENV_VARS {
            if let Ok(v) = std::env::var(var)
                && !v.trim().is_empty()
            {
                return ApiKey::new(v);
            }
        }
        Err(Error::input_hint("no Admin API key: set ANTHROPIC_ADMIN_KEY or pass --api-key", ADMIN_KEY_HELP))
    }

    /// The key itself; only for building the request header.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The last four characters, the most we ever show.
    pub fn last4(&self) -> String {
        let k = self.expose();
        let n = k.chars().count();
        k.chars().skip(n.saturating_sub(4)).collect()
    }

    /// True for regular (workspace) API keys, which the Admin API refuses.
    pub fn looks_like_regular_key(&self) -> bool {
        self.expose().starts_with("sk-ant-api")
    }

    /// The hint to attach to a 401/403 for this credential.
    pub(crate) fn refusal_hint(&self) -> String {
        if self.looks_like_regular_key() {
            format!("this looks like a regular API key (sk-ant-api…); {ADMIN_KEY_HELP}")
        } else {
            format!("check the key ending in …{}; {ADMIN_KEY_HELP}", self.last4())
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey(…{})", self.last4())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "…{}", self.last4())
    }
}

/// A validated base URL without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

/// `url` with anything between `scheme://` and the authority's last `@` replaced by `***`, so a
/// URL with credentials can be named in a message without them.
pub fn redact_userinfo(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else { return url.to_owned() };
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

impl BaseUrl {
    pub fn parse(url: &str) -> Result<Self> {
        let raw = url.trim().trim_end_matches('/');
        // Every message below shows the URL without any user:password part.
        let shown = redact_userinfo(raw);
        let url = shown.as_str();
        let parsed = reqwest::Url::parse(raw).map_err(|e| {
            Error::input_hint(format!("invalid base URL {url:?}: {e}"), "expected e.g. https://api.anthropic.com")
        })?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Error::input_hint(
                format!(
                    "refusing a base URL with credentials in it ({url}): they would be printed and sent to every host it names"
                ),
                "give the Admin key in ANTHROPIC_ADMIN_KEY or --api-key, and a proxy's credentials in HTTPS_PROXY",
            ));
        }
        match parsed.scheme() {
            "https" => {}
            "http" if is_loopback(&parsed) => {}
            "http" => {
                return Err(Error::input_hint(
                    format!("refusing plain http:// to {url}: the key would cross the network unencrypted"),
                    "use https://, or http:// only to a loopback address (127.0.0.1, localhost, [::1])",
                ));
            }
            other => {
                return Err(Error::input(format!("unsupported URL scheme {other:?} in base URL {url}")));
            }
        }
        if parsed.host_str().is_none() {
            return Err(Error::input(format!("base URL {url} has no host")));
        }
        Ok(BaseUrl(raw.to_owned()))
    }

    /// `ANTHROPIC_BASE_URL`, or the real API.
    pub fn from_env() -> Result<Self> {
        match std::env::var(BASE_URL_ENV_VAR) {
            Ok(v) if !v.trim().is_empty() => BaseUrl::parse(&v),
            _ => BaseUrl::parse(DEFAULT_BASE_URL),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `base + path`, where path starts with `/`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }
}

pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_printed_beyond_last_four() {
        let k = ApiKey::new("sk-ant-admin01-SECRETSECRET-wxyz").unwrap();
        assert_eq!(format!("{k:?}"), "ApiKey(…wxyz)");
        assert_eq!(k.to_string(), "…wxyz");
        assert!(!k.refusal_hint().contains("SECRET"));
    }

    #[test]
    fn regular_key_gets_admin_hint() {
        let k = ApiKey::new("sk-ant-api03-abc").unwrap();
        assert!(k.looks_like_regular_key());
        assert!(k.refusal_hint().contains("Admin keys"));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(BaseUrl::parse("http://127.0.0.1:8080/").is_ok());
        assert!(BaseUrl::parse("http://localhost:1").is_ok());
        assert!(BaseUrl::parse("http://[::1]:9").is_ok());
        assert!(BaseUrl::parse("https://api.anthropic.com").is_ok());
        let err = BaseUrl::parse("http://api.anthropic.com").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(BaseUrl::parse("http://10.0.0.1").is_err());
        assert!(BaseUrl::parse("ftp://x").is_err());
        assert_eq!(BaseUrl::parse("https://x.test/").unwrap().join("/v1"), "https://x.test/v1");
    }

    #[test]
    fn credentials_in_a_base_url_are_refused_and_never_shown() {
        for url in [
            "https://user:s3cr3t-pass@api.example.test",
            "https://s3cr3t-pass@api.example.test/v1",
            "http://user:s3cr3t-pass@127.0.0.1:9",
            "https://user:s3cr3t-pass@host.test:notaport",
            "ftp://user:s3cr3t-pass@x",
        ] {
            let e = BaseUrl::parse(url).unwrap_err();
            let text = format!("{e} {}", e.hint().unwrap_or(""));
            assert_eq!(e.exit_code(), 2, "{url}");
            assert!(!text.contains("s3cr3t"), "{url}: {text}");
            assert!(text.contains("***@"), "{url}: {text}");
        }
        let e = BaseUrl::parse("https://user:s3cr3t-pass@api.example.test").unwrap_err().to_string();
        assert!(e.starts_with("refusing a base URL with credentials in it (https://***@api.example.test)"), "{e}");
        assert_eq!(redact_userinfo("https://a@b@host/p?x=@y"), "https://***@host/p?x=@y");
        assert_eq!(redact_userinfo("https://host/p@q"), "https://host/p@q");
    }
}
