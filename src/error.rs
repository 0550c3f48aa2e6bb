//! The crate's one error type.
//!
//! Every failure a user can meet is a variant here, carrying what they need to act on it (the
//! server's message and request id, a hint, the file and line of a bad rate card). The CLI maps
//! variants to exit codes with [`Error::exit_code`]; the Python bindings map them to exception
//! classes named like the official Anthropic SDK's. Nothing here ever holds the API key.

use std::fmt;

/// Exit code of an internal error (a bug): `EX_SOFTWARE`, never 1 ("discrepancies found").
pub const INTERNAL_EXIT: i32 = 70;
/// The hint attached to internal errors.
pub const BUG_HINT: &str = "this is a bug in counterfoil; please report it with the command and this message at https://github.com/counterfoil/counterfoil/issues";

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in counterfoil.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 401: the credential was refused.
    #[error("authentication failed (HTTP 401): {}{}", .0.message, .0.suffix())]
    Authentication(ApiFailure),
    /// 403: the credential is valid but may not read organization reports.
    #[error("permission denied (HTTP 403): {}{}", .0.message, .0.suffix())]
    PermissionDenied(ApiFailure),
    /// 429 after every retry.
    #[error("rate limited (HTTP 429) after {attempts} attempts: {}{}", .failure.message, .failure.suffix())]
    RateLimit { failure: ApiFailure, attempts: u32 },
    /// Any other non-success status (after retries for the retryable ones).
    #[error("API error (HTTP {}{}): {}{}", .0.status, .0.error_type.as_deref().map(|t| format!(", {t}")).unwrap_or_default(), .0.message, .0.suffix())]
    ApiStatus(ApiFailure),
    /// The host could not be reached, or the connection failed, after retries.
    #[error("could not reach the Admin API at {url}: {message}")]
    ApiConnection { url: String, message: String },
    /// The server answered 2xx with a body that is not what the API documents.
    #[error("unexpected response from {endpoint}: {message}")]
    ApiResponse { endpoint: String, message: String },
    /// A rate card that cannot be used.
    #[error("{location}: {message}")]
    RateCard { location: String, message: String },
    /// Bad arguments or input data from the caller.
    #[error("{message}")]
    Input { message: String, hint: Option<String> },
    /// A synced store that cannot be read or written (the path names the file when one is at fault).
    #[error("store {path}: {message}")]
    Store { path: String, message: String, hint: Option<String> },
    /// A notification sink did not acknowledge after retries (the work itself was done; with a
    /// store, what it missed is sent again by the next run). Names sinks by kind and host only.
    #[error("{message}")]
    Notify {
        message: String,
        /// Events told all the same: the most any sink acknowledged (each event counted once).
        acknowledged: usize,
    },
    /// The user interrupted a long call.
    #[error("interrupted")]
    Interrupted,
    /// A failure inside the frame engine after the input was validated: a bug, or memory.
    #[error("internal error in the frame engine: {0}")]
    Frame(#[from] polars::error::PolarsError),
    /// A bug: a panic caught at the CLI or Python boundary, or an invariant that did not hold.
    #[error("internal error: {0}")]
    Internal(String),
    /// Filesystem errors outside the store (writing an output file, reading a card).
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What an API error response told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: u16,
    /// `error.type` from the envelope, e.g. `permission_error`.
    pub error_type: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// What the user can do about it, printed as a `hint:` line.
    pub hint: Option<String>,
}

impl ApiFailure {
    fn suffix(&self) -> String {
        match &self.request_id {
            Some(id) => format!(" (request id {id})"),
            None => String::new(),
        }
    }
}

impl Error {
    /// Shorthand for an input error with an optional hint.
    pub fn input(message: impl Into<String>) -> Self {
        Error::Input { message: message.into(), hint: None }
    }

    /// Input error with a hint line.
    pub fn input_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Input { message: message.into(), hint: Some(hint.into()) }
    }

    /// An internal error from a caught panic's payload.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with no message".to_owned());
        Error::Internal(text)
    }

    /// The CLI exit code of DESIGN §5: 2 input, 3 auth, 4 API or network.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input { .. } | Error::RateCard { .. } | Error::Store { .. } | Error::Io { .. } => 2,
            Error::Authentication(_) | Error::PermissionDenied(_) => 3,
            Error::RateLimit { .. }
            | Error::ApiStatus(_)
            | Error::ApiConnection { .. }
            | Error::ApiResponse { .. }
            | Error::Notify { .. } => 4,
            Error::Interrupted => 130,
            Error::Frame(_) | Error::Internal(_) => INTERNAL_EXIT,
        }
    }

    /// A hint for the user, when there is one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Authentication(f) | Error::PermissionDenied(f) | Error::ApiStatus(f) => f.hint.as_deref(),
            Error::RateLimit { failure, .. } => failure.hint.as_deref(),
            Error::Input { hint, .. } | Error::Store { hint, .. } => hint.as_deref(),
            Error::ApiConnection { .. } => Some("check the network and ANTHROPIC_BASE_URL / --base-url"),
            Error::Frame(_) | Error::Internal(_) => Some(BUG_HINT),
            _ => None,
        }
    }

    /// The same failure said of data the API sent: what is the caller's mistake in a frame they
    /// built (an `Input` error, exit 2) is a response counterfoil cannot represent when the API
    /// sent it (an amount with 13 decimals of USD, a day's tokens beyond Int64): exit 4,
    /// `APIResponseValidationError`. Other errors pass through unchanged.
    pub fn of_response(self, endpoint: &str) -> Error {
        match self {
            Error::Input { message, .. } => Error::ApiResponse { endpoint: endpoint.to_owned(), message },
            other => other,
        }
    }

    /// The API failure behind this error, if it came from an HTTP response.
    pub fn api_failure(&self) -> Option<&ApiFailure> {
        match self {
            Error::Authentication(f) | Error::PermissionDenied(f) | Error::ApiStatus(f) => Some(f),
            Error::RateLimit { failure, .. } => Some(failure),
            _ => None,
        }
    }
}

/// A Polars error from reading or writing a file: I/O failures name the path (exit 2), anything
/// else is internal.
pub(crate) fn polars_io(path: impl fmt::Display) -> impl FnOnce(polars::error::PolarsError) -> Error {
    move |e| match e {
        polars::error::PolarsError::IO { error, .. } => {
            let source =
                std::sync::Arc::try_unwrap(error).unwrap_or_else(|a| std::io::Error::new(a.kind(), a.to_string()));
            Error::Io { path: path.to_string(), source }
        }
        other => Error::Frame(other),
    }
}

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io_err(path: impl fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { path: path.to_string(), source }
}
