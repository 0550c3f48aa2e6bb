//! Whole columns of a bill, fast: the rows a reader keeps are gathered once per column and read
//! through their typed arrays, and the money of the rows it skips is summed from its exact digits
//! without building a string per row.
//!
//! A month of CUR is millions of rows of which a tenth may be Claude; DuckDB filters such a file in
//! a fraction of a second, so a reader that touched each cell through a dynamic value was twenty
//! times slower. The cell texts are the same as `cells::cell` gives (the tests say so).

use polars::prelude::*;

use super::cells;
use super::table::Table;
use crate::error::{Error, Result};
use crate::money::MONEY_SCALE;

/// The column `name` of `rows` (all rows when `None`) as text cells, or `None` if absent.
pub fn texts(table: &Table, name: &str, rows: Option<&[u32]>) -> Result<Option<Vec<Option<String>>>> {
    let Ok(col) = table.frame.column(name) else { return Ok(None) };
    let s = col.as_materialized_series();
    let s = match rows {
        Some(r) => gather(s, r)?,
        None => s.clone(),
    };
    Ok(Some(series_texts(&s.rechunk())?))
}

/// `rows` of `s` (increasing row numbers); the series itself when they are all of its rows, as
/// they are in a Parquet piece read for its kept rows (no copy of two map columns).
pub(super) fn gather(s: &Series, rows: &[u32]) -> Result<Series> {
    if rows.len() == s.len() && rows.iter().enumerate().all(|(i, &r)| r as usize == i) {
        return Ok(s.clone());
    }
    Ok(s.take(&IdxCa::from_vec("".into(), rows.to_vec()))?)
}

/// The first of `names` present, as text cells (`None` cells when none is).
pub fn texts_any(table: &Table, names: &[&str], rows: &[u32]) -> Result<Vec<Option<String>>> {
    for n in names {
        if let Some(v) = texts(table, n, Some(rows))? {
            return Ok(v);
        }
    }
    Ok(vec![None; rows.len()])
}

fn nonempty(s: &str) -> Option<String> {
    (!matches!(s.trim(), "" | "{}" | "[]")).then(|| s.to_string())
}

pub(super) fn series_texts(s: &Series) -> Result<Vec<Option<String>>> {
    if let Some(maps) = super::maps::cells(s)? {
        return Ok(maps);
    }
    Ok(match s.dtype() {
        DataType::String => s.str()?.iter().map(|v| v.and_then(nonempty)).collect(),
        DataType::Float64 => s.f64()?.iter().map(|v| v.map(|f| format!("{f}"))).collect(),
        DataType::Int64 | DataType::Int32 | DataType::UInt64 | DataType::UInt32 => {
            s.cast(&DataType::String)?.str()?.iter().map(|v| v.map(str::to_string)).collect()
        }
        _ => s.iter().map(cells::cell).collect(),
    })
}

/// The money column `name` of `rows` as exact scale-12 mantissas (`None` where empty, or for every
/// row when the column is absent); a cell that is not an amount counterfoil can hold exactly is
/// refused naming the row and column.
pub fn moneys(table: &Table, name: &str, rows: &[u32]) -> Result<Vec<Option<i128>>> {
    let Ok(col) = table.frame.column(name) else { return Ok(vec![None; rows.len()]) };
    let s = gather(col.as_materialized_series(), rows)?.rechunk();
    let bad = |i: usize, v: &str| {
        Error::input(format!(
            "{} row {} ({name}): {v:?} is not an amount counterfoil can hold exactly",
            table.file,
            table.row_number(rows[i] as usize)
        ))
    };
    let mut buf = ryu::Buffer::new();
    if let DataType::Float64 = s.dtype() {
        return s
            .f64()?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                None => Ok(None),
                Some(f) if !f.is_finite() => Err(bad(i, &f.to_string())),
                Some(f) => float_mantissa(f, &mut buf).map(Some).ok_or_else(|| bad(i, &f.to_string())),
            })
            .collect();
    }
    series_texts(&s)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(t) => mantissa(&t).map(Some).ok_or_else(|| bad(i, &t)),
        })
        .collect()
}

/// The timestamps of `rows` (a Parquet timestamp read directly; text parsed as `cells::instant`).
pub fn instants(table: &Table, name: &str, rows: &[u32]) -> Result<Vec<Option<chrono::DateTime<chrono::Utc>>>> {
    let Ok(col) = table.frame.column(name) else { return Ok(vec![None; rows.len()]) };
    let s = gather(col.as_materialized_series(), rows)?.rechunk();
    if let DataType::Datetime(unit, _) = s.dtype() {
        let per = match unit {
            TimeUnit::Nanoseconds => 1000,
            TimeUnit::Microseconds => 1,
            TimeUnit::Milliseconds => -1000,
        };
        let phys = s.to_physical_repr();
        return Ok(phys
            .i64()?
            .iter()
            .map(|v| {
                let micros = match per {
                    p if p > 0 => v?.div_euclid(p),
                    p => v? * -p,
                };
                chrono::DateTime::from_timestamp_micros(micros)
            })
            .collect());
    }
    Ok(series_texts(&s)?.into_iter().map(|t| t.as_deref().and_then(cells::instant)).collect())
}

/// Σ of the money column `name` over `rows`, exact, from each cell's digits (a float's shortest
/// round-trip text); a cell that is not a number, or has more than 12 decimals, is refused naming
/// the row.
pub fn money_sum(table: &Table, name: &str, rows: &[u32]) -> Result<i128> {
    let Ok(col) = table.frame.column(name) else { return Ok(0) };
    let s = gather(col.as_materialized_series(), rows)?.rechunk();
    let bad = |i: usize, v: &str| {
        Error::input(format!(
            "{} row {} ({name}): {v:?} is not an amount counterfoil can hold exactly",
            table.file,
            table.row_number(rows[i] as usize)
        ))
    };
    let mut total = 0i128;
    let mut buf = ryu::Buffer::new();
    match s.dtype() {
        DataType::Float64 => {
            for (i, v) in s.f64()?.iter().enumerate() {
                let Some(f) = v else { continue };
                if !f.is_finite() {
                    return Err(bad(i, &f.to_string()));
                }
                total += float_mantissa(f, &mut buf).ok_or_else(|| bad(i, &f.to_string()))?;
            }
        }
        _ => {
            for (i, v) in series_texts(&s)?.into_iter().enumerate() {
                let Some(text) = v else { continue };
                total += mantissa(&text).ok_or_else(|| bad(i, &text))?;
            }
        }
    }
    Ok(total)
}

/// A float's exact decimal as a scale-12 mantissa, fast: below 4096 two decimals of at most 12
/// places cannot name the same double (its spacing is under 10⁻¹²), so the one integer m whose
/// m / 10¹² is this double *is* its shortest decimal; a double that is not such a decimal, or is
/// larger, goes through its shortest text (ryu) instead.
pub fn float_mantissa(f: f64, buf: &mut ryu::Buffer) -> Option<i128> {
    if f.is_finite() && f.abs() < 4096.0 {
        let m = (f * 1e12).round();
        if m / 1e12 == f {
            return Some(m as i128);
        }
    }
    if !f.is_finite() {
        return None;
    }
    mantissa(buf.format_finite(f))
}

/// A decimal text (`12.34`, `-0.5`, `1.5e-5`, `3E2`) as a scale-12 mantissa, without rounding.
pub fn mantissa(text: &str) -> Option<i128> {
    let t = text.trim();
    let (num, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (neg, num) = match num.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, num.strip_prefix('+').unwrap_or(num)),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    let mut m: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        m = m.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let scale = frac.len() as i32 - exp;
    let shift = MONEY_SCALE as i32 - scale;
    if shift < 0 {
        // More than 12 decimals: exact only if those digits are zeros (they were trimmed).
        return None;
    }
    m = m.checked_mul(10i128.checked_pow(shift as u32)?)?;
    Some(if neg { -m } else { m })
}

/// What a row's product name says, without a string per row for the rows that are not Claude.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Product {
    /// The row names no product.
    Absent,
    /// A product that is not Claude on Bedrock.
    Other,
    /// `Claude … (Amazon Bedrock Edition)`.
    Claude(String),
}

fn product(name: Option<&str>) -> Product {
    match name {
        None | Some("") => Product::Absent,
        Some(n) if n.starts_with("Claude ") && n.contains("(Amazon Bedrock Edition)") => Product::Claude(n.to_string()),
        Some(_) => Product::Other,
    }
}

/// The product of each row: CUR 2.0's `product` map (`List(Struct{key, value})` read from the
/// Parquet arrays directly, or JSON text in a CSV export) or the legacy `product_product_name`.
pub fn products(table: &Table) -> Result<Vec<Product>> {
    use polars_arrow::array::Array;
    if let Ok(c) = table.frame.column("product_product_name") {
        let s = c.as_materialized_series().cast(&DataType::String)?;
        return Ok(s.str()?.iter().map(product).collect());
    }
    let Ok(col) = table.frame.column("product") else { return Ok(vec![Product::Absent; table.height()]) };
    let s = col.as_materialized_series();
    if let DataType::List(inner) = s.dtype()
        && matches!(inner.as_ref(), DataType::Struct(f) if f.len() == 2)
    {
        let mut out = Vec::with_capacity(s.len());
        for arr in s.list()?.downcast_iter() {
            let Some((_, keys, values)) = super::maps::entries(arr) else {
                return Err(Error::input(format!("{}: the product column is not a map of strings", table.file)));
            };
            let offsets = arr.offsets();
            for i in 0..arr.len() {
                if !arr.is_valid(i) {
                    out.push(Product::Absent);
                    continue;
                }
                let (a, b) = offsets.start_end(i);
                let name =
                    (a..b).find(|&j| keys.is_valid(j) && keys.value(j) == "product_name").and_then(|j| values.get(j));
                out.push(product(name));
            }
        }
        return Ok(out);
    }
    let maps = texts(table, "product", None)?.unwrap_or_default();
    Ok(maps
        .iter()
        .map(|m| match m.as_deref() {
            Some(m) if m.contains("Bedrock Edition") => product(cells::map_get(Some(m), "product_name").as_deref()),
            Some(m) if m.contains("product_name") => Product::Other,
            _ => Product::Absent,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn decimal_texts_as_exact_mantissas() {
        let u = 1_000_000_000_000i128;
        assert_eq!(mantissa("12.34"), Some(12_340_000_000_000));
        assert_eq!(mantissa("-0.5"), Some(-u / 2));
        assert_eq!(mantissa("1.5e-5"), Some(15_000_000));
        assert_eq!(mantissa("3E2"), Some(300 * u));
        assert_eq!(mantissa("0.000000000001"), Some(1));
        assert_eq!(mantissa("0.0000000000001"), None, "13 decimals are not rounded");
        assert_eq!(mantissa("1.2300000000000000"), Some(1_230_000_000_000));
        for bad in ["", ".", "abc", "1.2.3", "--1", "1e", "NaN"] {
            assert_eq!(mantissa(bad), None, "{bad}");
        }
    }

    proptest! {
        /// The fast path and the shortest text agree on every double, decimal or not.
        #[test]
        fn float_fast_path_agrees_with_ryu(f in -5000.0f64..5000.0, places in 0u32..13) {
            let d = (f * 10f64.powi(places as i32)).round() / 10f64.powi(places as i32);
            let mut buf = ryu::Buffer::new();
            let slow = mantissa(ryu::Buffer::new().format_finite(d));
            prop_assert_eq!(float_mantissa(d, &mut buf), slow);
            prop_assert_eq!(float_mantissa(f, &mut buf), mantissa(ryu::Buffer::new().format_finite(f)));
        }

        /// A float's shortest text gives the mantissa of the same decimal as exact Decimal parsing.
        #[test]
        fn ryu_text_agrees_with_decimal(cents in -10_000_000_000i64..10_000_000_000, places in 0u32..10) {
            let d = rust_decimal::Decimal::new(cents, places);
            let f: f64 = d.to_string().parse().unwrap();
            let mut buf = ryu::Buffer::new();
            prop_assert_eq!(mantissa(buf.format_finite(f)), Some(crate::money::to_mantissa(d).unwrap()));
        }
    }
}
