//! Exact money: cents strings in, `Decimal(38, 12)` USD out, never a float.
//!
//! `cost_report` amounts are decimal strings in cents with fractional digits ("527.999760").
//! Dividing a `rust_decimal::Decimal` by 100 is exact (the scale grows by two), and frames store
//! the result as an `i128` mantissa at scale 12. A value that needs more than 12 decimals of a
//! dollar is refused rather than rounded: nothing is silently wrong.

use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// Precision and scale of every money column.
pub const MONEY_PRECISION: usize = 38;
pub const MONEY_SCALE: u32 = 12;

/// Cents (as the API reports them) to USD, exactly.
pub fn cents_to_usd(cents: Decimal) -> Decimal {
    let mut usd = cents;
    usd.set_scale(cents.scale() + 2).map_or_else(|_| cents / Decimal::ONE_HUNDRED, |_| usd)
}

/// The scale-12 mantissa of `usd`, or an error if that would lose digits.
pub fn to_mantissa(usd: Decimal) -> Result<i128> {
    let norm = usd.normalize();
    if norm.scale() > MONEY_SCALE {
        return Err(Error::input(format!(
            "amount {usd} USD has more than {MONEY_SCALE} decimal places; refusing to round it"
        )));
    }
    let factor = 10i128.pow(MONEY_SCALE - norm.scale());
    Ok(norm.mantissa() * factor)
}

/// A mantissa at `scale` as a scale-12 mantissa (Polars may widen a summed Decimal's scale).
pub fn to_scale_12(m: i128, scale: usize) -> i128 {
    let scale = scale as u32;
    if scale <= MONEY_SCALE { m * 10i128.pow(MONEY_SCALE - scale) } else { m / 10i128.pow(scale - MONEY_SCALE) }
}

/// A scale-12 mantissa back to a `Decimal` (normalised, so `1.5` not `1.500000000000`).
pub fn from_mantissa(m: i128) -> Decimal {
    // rust_decimal holds 96-bit mantissas: ~7.9e28, i.e. ~7.9e16 USD at scale 12. Larger sums
    // would be a bug upstream; keep them exact through i128 string formatting instead.
    Decimal::try_from_i128_with_scale(m, MONEY_SCALE)
        .map(|d| d.normalize())
        .unwrap_or_else(|_| format_mantissa(m).parse().unwrap_or(Decimal::MAX))
}

/// A scale-12 mantissa as a plain decimal string, trailing zeros trimmed ("0.54702", "12").
pub fn format_mantissa(m: i128) -> String {
    format_scaled(m, MONEY_SCALE as usize)
}

/// A mantissa at any scale as a plain decimal string, trailing zeros trimmed.
pub fn format_scaled(m: i128, scale: usize) -> String {
    let neg = m < 0;
    let abs = m.unsigned_abs();
    let div = 10u128.pow(scale as u32);
    let (int, frac) = (abs / div, abs % div);
    let mut s = format!("{}{}", if neg { "-" } else { "" }, int);
    if frac != 0 {
        let f = format!("{:0width$}", frac, width = scale);
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    #[test]
    fn cents_are_divided_by_one_hundred_exactly() {
        // The reference's E2: "54.702" cents is $0.54702, not $54.702 (field note: cents read as dollars).
        let usd = cents_to_usd(Decimal::from_str("54.702").unwrap());
        assert_eq!(usd.to_string(), "0.54702");
        assert_eq!(format_mantissa(to_mantissa(usd).unwrap()), "0.54702");
        assert_eq!(cents_to_usd(Decimal::from_str("527.999760").unwrap()).normalize().to_string(), "5.2799976");
        assert_eq!(format_mantissa(to_mantissa(cents_to_usd(Decimal::from(12))).unwrap()), "0.12");
    }

    #[test]
    fn too_many_digits_are_refused_not_rounded() {
        let d = Decimal::from_str("0.0000000000001").unwrap();
        assert!(to_mantissa(d).is_err());
    }

    #[test]
    fn negative_and_zero() {
        assert_eq!(format_mantissa(0), "0");
        assert_eq!(format_mantissa(-1_500_000_000_000), "-1.5");
        assert_eq!(format_mantissa(1), "0.000000000001");
    }

    proptest! {
        #[test]
        fn cents_round_trip(units in -10_000_000_000i64..10_000_000_000, scale in 0u32..=10) {
            let cents = Decimal::new(units, scale);
            let usd = cents_to_usd(cents);
            prop_assert_eq!(usd * Decimal::ONE_HUNDRED, cents);
            let m = to_mantissa(usd).unwrap();
            prop_assert_eq!(from_mantissa(m), usd.normalize());
            prop_assert_eq!(Decimal::from_str(&format_mantissa(m)).unwrap(), usd);
        }
    }
}
