//! How the bills spell values: money as the float whose shortest text is the exact decimal,
//! timestamps as each export writes them, CSV quoting, gzip, stable ids.
//!
//! A bill's cost is a double, so the reader gets its money back only from the double's shortest
//! round-trip text. [`bill_float`] refuses a decimal that text would not give back exactly (more
//! than ~15 significant digits), so a written bill never carries a rounding the truth lacks.

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result, io_err};

/// The double a bill writes for `d`, checked to print back as exactly `d`.
pub(crate) fn bill_float(d: Decimal, what: &str) -> Result<f64> {
    let f = f64::from_str(&d.to_string()).map_err(|e| Error::Internal(format!("{what}: {d}: {e}")))?;
    match Decimal::from_str(&float_text(f)) {
        Ok(back) if back == d => Ok(f),
        _ => Err(Error::Internal(format!("{what}: {d} is not the shortest text of any double"))),
    }
}

/// The shortest text that reads back as `f` (no exponent).
pub(crate) fn float_text(f: f64) -> String {
    format!("{f}")
}

/// A decimal as plain text without trailing zeros (`1.375`, `25`).
pub(crate) fn decimal_text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// CUR 2.0 and legacy CUR: `2026-11-03T04:00:00Z`.
pub(crate) fn iso_z(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// BigQuery extracts (CSV, JSON): `2026-11-03 04:00:00 UTC`.
pub(crate) fn bq_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Microseconds since the epoch, for timestamp[us, UTC] columns.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// One CSV field, quoted when it must be (RFC 4180).
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// One CSV line from optional fields (`None` = empty).
pub(crate) fn csv_line(fields: &[Option<String>]) -> String {
    let mut line = fields.iter().map(|f| f.as_deref().map(csv_field).unwrap_or_default()).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

/// `{"k":"v",…}` in the given order: how CUR 2.0 CSV writes a map column.
pub(crate) fn json_map(entries: &[(String, String)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> =
        entries.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
    serde_json::Value::Object(map).to_string()
}

/// Gzip with a zero mtime, so the same bytes give the same file.
pub(crate) fn gzip(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).map_err(io_err(path.display()))?;
    enc.finish().map_err(io_err(path.display()))
}

/// Writes `bytes` to `path`, creating its directories.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(io_err(path.display()))
}

/// A stable lower-case hex id of `len` characters from `parts`.
pub(crate) fn hex_id(parts: &[&str], len: usize) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let mut s = hex::encode(h.finalize());
    while s.len() < len {
        let again = hex::encode(Sha256::digest(s.as_bytes()));
        s.push_str(&again);
    }
    s.truncate(len);
    s
}

/// A Google-style id `XXXX-XXXX-XXXX` (service and SKU ids) from `parts`.
pub(crate) fn google_id(parts: &[&str]) -> String {
    let h = hex_id(parts, 12).to_uppercase();
    format!("{}-{}-{}", &h[0..4], &h[4..8], &h[8..12])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn bill_floats_print_back_exactly() {
        assert_eq!(float_text(bill_float(dec!(1.697529625), "t").unwrap()), "1.697529625");
        assert_eq!(float_text(bill_float(dec!(0.0000001), "t").unwrap()), "0.0000001");
        assert_eq!(float_text(bill_float(dec!(-25.00), "t").unwrap()), "-25");
        assert!(bill_float(dec!(0.12345678901234567891), "t").is_err());
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(google_id(&["x"]).len(), 14);
    }
}
