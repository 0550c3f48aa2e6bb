//! `--notify SPEC` and `COUNTERFOIL_NOTIFY`: where alerts go (DESIGN §12).
//!
//! A sink's URL or routing key is a secret (a Slack webhook URL is its own credential): it lives
//! in a [`SecretString`], exposed only when the request is built, and every message, `Debug`
//! output and store row names the sink by its kind and host, plus a short hash that tells two
//! sinks on one host apart without revealing either.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Comma-separated SPECs read when no `--notify` is given.
pub const NOTIFY_ENV_VAR: &str = "COUNTERFOIL_NOTIFY";
/// Overrides the PagerDuty Events API v2 endpoint (tests, proxies).
pub const PAGERDUTY_URL_ENV_VAR: &str = "COUNTERFOIL_PAGERDUTY_URL";
pub const PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";

const SPEC_HINT: &str = "expected slack:URL, webhook:URL or pagerduty:ROUTING_KEY (any of them may be env:NAME)";

/// What a sink speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// A Slack incoming webhook: one Block Kit message per run.
    Slack,
    /// Any HTTP endpoint: one CloudEvents 1.0 structured-mode POST per event.
    Webhook,
    /// PagerDuty Events API v2: one trigger or resolve per event.
    PagerDuty,
}

impl SinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Slack => "slack",
            SinkKind::Webhook => "webhook",
            SinkKind::PagerDuty => "pagerduty",
        }
    }
}

/// One parsed SPEC.
#[derive(Clone)]
pub struct Sink {
    pub kind: SinkKind,
    url: SecretString,
    routing_key: Option<SecretString>,
    host: String,
    id: String,
}

impl Sink {
    /// The endpoint; only for sending.
    pub(crate) fn url(&self) -> &str {
        self.url.expose_secret()
    }

    /// PagerDuty's routing key; only for building the body.
    pub(crate) fn routing_key(&self) -> Option<&str> {
        self.routing_key.as_ref().map(|k| k.expose_secret())
    }

    /// The host it posts to: the most a message ever shows.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `kind:host:hash8`: the `sink` of the store's `notified` events. Stable across runs, not
    /// secret (eight hex digits of a SHA-256 of the whole secret cannot be turned back into it).
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sink({})", self.id)
    }
}

impl fmt::Display for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind.as_str(), self.host)
    }
}

/// `value`, or the environment variable it names as `env:NAME`.
fn resolve(value: &str, env: &dyn Fn(&str) -> Option<String>, scheme: &str) -> Result<String> {
    let Some(name) = value.strip_prefix("env:") else { return Ok(value.to_owned()) };
    if name.is_empty() {
        return Err(Error::input_hint(format!("--notify {scheme}:env: names no variable"), SPEC_HINT));
    }
    match env(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(Error::input_hint(
            format!("--notify {scheme}:env:{name}: the environment variable {name} is not set"),
            format!("export {name}, or give the value itself"),
        )),
    }
}

/// An endpoint URL checked like the API's base URL: https, or plain http to loopback only, no
/// credentials shown. Returns the host.
fn check_url(url: &str, scheme: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::input_hint(format!("--notify {scheme}: the URL is not valid ({e})"), SPEC_HINT))?;
    let host = parsed.host_str().map(str::to_owned).unwrap_or_default();
    if host.is_empty() {
        return Err(Error::input_hint(format!("--notify {scheme}: the URL has no host"), SPEC_HINT));
    }
    match parsed.scheme() {
        "https" => Ok(host),
        "http" if crate::api::credentials::is_loopback(&parsed) => Ok(host),
        "http" => Err(Error::input_hint(
            format!(
                "--notify {scheme}: refusing plain http:// to {host}: the alert and its secret URL would cross the network unencrypted"
            ),
            "use https://, or http:// only to a loopback address (127.0.0.1, localhost, [::1])",
        )),
        other => Err(Error::input_hint(
            format!("--notify {scheme}: unsupported URL scheme {other:?} (host {host})"),
            SPEC_HINT,
        )),
    }
}

fn short_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))[..8].to_owned()
}

/// Parses one SPEC, reading `env:NAME` and the PagerDuty endpoint through `env`.
pub fn parse_with(spec: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Sink> {
    let spec = spec.trim();
    let Some((scheme, value)) = spec.split_once(':') else {
        return Err(Error::input_hint("--notify: a SPEC is SCHEME:VALUE", SPEC_HINT));
    };
    let kind = match scheme {
        "slack" => SinkKind::Slack,
        "webhook" => SinkKind::Webhook,
        "pagerduty" => SinkKind::PagerDuty,
        other => {
            // The value may be a secret: only the scheme is named.
            let shown: String = other.chars().take(20).collect();
            return Err(Error::input_hint(format!("--notify: unknown sink {shown:?}"), SPEC_HINT));
        }
    };
    if value.trim().is_empty() {
        return Err(Error::input_hint(format!("--notify {scheme}: nothing after the colon"), SPEC_HINT));
    }
    let value = resolve(value.trim(), env, scheme)?;
    let (url, routing_key) = match kind {
        SinkKind::PagerDuty => {
            if value.chars().any(|c| c.is_whitespace() || c.is_control()) || value.contains("://") {
                return Err(Error::input_hint(
                    "--notify pagerduty: a routing key is 32 characters without spaces, not a URL",
                    format!("the endpoint is {PAGERDUTY_URL} (or ${PAGERDUTY_URL_ENV_VAR})"),
                ));
            }
            let url = env(PAGERDUTY_URL_ENV_VAR).filter(|u| !u.trim().is_empty()).unwrap_or(PAGERDUTY_URL.into());
            (url.trim().to_owned(), Some(value))
        }
        _ => (value, None),
    };
    let host = check_url(&url, scheme)?;
    let id = format!("{scheme}:{host}:{}", short_hash(routing_key.as_deref().unwrap_or(&url)));
    Ok(Sink { kind, url: SecretString::from(url), routing_key: routing_key.map(SecretString::from), host, id })
}

/// A `--notify` value as clap holds it: its `Debug` shows only the scheme, so printing the
/// parsed arguments never shows a webhook URL or routing key.
#[derive(Clone)]
pub struct SpecArg(String);

impl std::str::FromStr for SpecArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(SpecArg(s.to_owned()))
    }
}

impl AsRef<str> for SpecArg {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SpecArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme: String = self.0.split(':').next().unwrap_or("").chars().take(20).collect();
        write!(f, "SpecArg({scheme}:…)")
    }
}

/// The sinks of `--notify` (each flag one SPEC), else of `COUNTERFOIL_NOTIFY` (comma-separated),
/// read from the process environment. Any bad SPEC fails the whole list: nothing runs.
pub fn parse_all<S: AsRef<str>>(specs: &[S]) -> Result<Vec<Sink>> {
    parse_all_with(specs, &|name| std::env::var(name).ok())
}

pub fn parse_all_with<S: AsRef<str>>(specs: &[S], env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Sink>> {
    let from_env;
    let list: Vec<&str> = if specs.is_empty() {
        from_env = env(NOTIFY_ENV_VAR).unwrap_or_default();
        from_env.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
    } else {
        specs.iter().map(AsRef::as_ref).collect()
    };
    list.into_iter().map(|s| parse_with(s, env)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOOK" => Some("https://hooks.slack.com/services/T0/B0/SECRETHOOK".into()),
            "PD" => Some("R0UTINGKEYSECRET0123456789abcdef".into()),
            NOTIFY_ENV_VAR => Some("slack:env:HOOK, pagerduty:env:PD".into()),
            _ => None,
        }
    }

    #[test]
    fn specs_parse_and_never_show_their_secret() {
        let sinks = parse_all_with::<&str>(&[], &env).unwrap();
        let arg: SpecArg = "slack:https://hooks.slack.com/SECRET".parse().unwrap();
        assert_eq!(format!("{arg:?}"), "SpecArg(slack:…)");
        assert_eq!(sinks.len(), 2);
        assert_eq!(sinks[0].kind, SinkKind::Slack);
        assert_eq!(sinks[0].host(), "hooks.slack.com");
        assert_eq!(sinks[1].url(), PAGERDUTY_URL);
        assert_eq!(sinks[1].routing_key(), Some("R0UTINGKEYSECRET0123456789abcdef"));
        for s in &sinks {
            let shown = format!("{s:?} {s} {}", s.id());
            assert!(!shown.contains("SECRET"), "{shown}");
        }
        let w = parse_with("webhook:http://127.0.0.1:9/x?token=SECRET", &env).unwrap();
        assert_eq!(w.to_string(), "webhook (127.0.0.1)");
        assert_ne!(w.id(), parse_with("webhook:http://127.0.0.1:9/y", &env).unwrap().id());
    }

    #[test]
    fn bad_specs_are_input_errors_without_the_secret() {
        for spec in [
            "slack",
            "slack:",
            "teams:https://SECRET.example",
            "slack:env:UNSET_SECRET_NAME",
            "webhook:http://hooks.example.com/SECRET",
            "webhook:ftp://x.example/SECRET",
            "webhook:not a url SECRET",
            "pagerduty:https://SECRET.example",
        ] {
            let e = parse_with(spec, &env).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{spec}");
            let text = format!("{e} {}", e.hint().unwrap_or(""));
            assert!(!text.contains("SECRET") || spec.contains("UNSET_SECRET_NAME"), "{spec}: {text}");
        }
        let pd = |name: &str| (name == PAGERDUTY_URL_ENV_VAR).then(|| "http://example.com/enqueue".to_owned());
        assert!(parse_with("pagerduty:abc", &pd).is_err(), "the override is checked like any URL");
    }
}
