//! Where in a rate card file a problem is: a line number for every message about a card.

use crate::error::Error;

pub(super) fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

/// An error located at the first line containing `needle` (or line 1).
pub(super) fn at(origin: &str, text: &str, needle: Option<&str>, message: String) -> Error {
    let line = needle.and_then(|n| text.find(n)).map(|b| line_of(text, b)).unwrap_or(1);
    Error::RateCard { location: format!("{origin}:{line}"), message }
}

pub(super) fn toml_error(origin: &str, text: &str, e: toml::de::Error) -> Error {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
    Error::RateCard { location: format!("{origin}:{line}"), message: e.message().trim().to_owned() }
}
