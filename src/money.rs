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

/// A plain decimal as a user types it (`0.01`, `1.5`; spaces around it ignored), or an input
/// error naming `what` (a flag or a keyword). The one parser of typed-in decimals: tolerances,
/// scenario shares and discounts, on the CLI and in Python alike.
pub fn parse_decimal(text: &str, what: &str) -> Result<Decimal> {
    text.trim()
        .parse()
        .map_err(|_| Error::input_hint(format!("invalid {what} {text:?}"), "use a plain decimal such as 0.01"))
}

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
    norm.mantissa().checked_mul(factor).filter(|m| m.unsigned_abs() <= MAX_MANTISSA as u128).ok_or_else(|| {
        Error::input(format!(
            "amount {usd} USD is beyond the 26 integer digits of a Decimal(38, 12) column; refusing it"
        ))
    })
}

/// A mantissa at `scale` as a scale-12 mantissa, or `None` when that would lose digits (a scale
/// above 12 with non-zero extra digits) or overflow.
pub fn to_scale_12(m: i128, scale: usize) -> Option<i128> {
    let scale = u32::try_from(scale).ok()?;
    if scale <= MONEY_SCALE {
        m.checked_mul(10i128.checked_pow(MONEY_SCALE - scale)?)
    } else {
        let f = 10i128.checked_pow(scale - MONEY_SCALE)?;
        (m % f == 0).then(|| m / f)
    }
}

/// The largest scale-12 mantissa a `Decimal(38, 12)` column holds: 10³⁸ − 1 (about 10²⁶ USD).
pub const MAX_MANTISSA: i128 = 99_999_999_999_999_999_999_999_999_999_999_999_999;

/// `m` if it fits a `Decimal(38, 12)` column, else an error naming `what`.
pub fn check_mantissa(m: i128, what: &str) -> Result<i128> {
    if m.unsigned_abs() > MAX_MANTISSA as u128 {
        return Err(Error::input(format!(
            "{what} is {} USD, beyond the 26 integer digits of a Decimal(38, 12) column; refusing it",
            format_mantissa(m)
        )));
    }
    Ok(m)
}

/// `a + b` for money mantissas, or an error naming `what` (never a wrap).
pub fn add(a: i128, b: i128, what: &str) -> Result<i128> {
    a.checked_add(b)
        .ok_or_else(|| Error::input(format!("{what} overflows; refusing to wrap it")))
        .and_then(|m| check_mantissa(m, what))
}

/// A scale-12 mantissa back to a `Decimal` (normalised, so `1.5` not `1.500000000000`), if it fits
/// rust_decimal's 96-bit mantissa (about 7.9 × 10¹⁶ USD at scale 12).
pub fn from_mantissa(m: i128) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(m, MONEY_SCALE).ok().map(|d| d.normalize())
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

/// `1234567` → `1,234,567` (a string of digits; anything else is returned as it is).
pub fn group_thousands(int: &str) -> String {
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return int.to_owned();
    }
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// Exact USD for tables of lines and hover texts: `$1,234.5678` (every digit, at least cents).
pub fn exact_usd(m: i128) -> String {
    let s = format_mantissa(m.unsigned_abs().min(i128::MAX as u128) as i128);
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    format!("{}${}.{frac:0<2}", if m < 0 { "-" } else { "" }, group_thousands(int))
}

/// USD rounded to the cent for prose and summaries: `$1,234.57`; a non-zero amount under half a
/// cent shows as `<$0.01`, never as `$0.00`. Rounding is for display only.
pub fn cents_usd(m: i128) -> String {
    let unit = 10i128.pow(MONEY_SCALE - 2);
    let abs = m.unsigned_abs() as i128;
    let cents = (abs + unit / 2) / unit;
    let sign = if m < 0 { "-" } else { "" };
    if cents == 0 && abs > 0 {
        return format!("{sign}<$0.01");
    }
    format!("{sign}${}.{:02}", group_thousands(&(cents / 100).to_string()), cents % 100)
}

/// [`cents_usd`] with an explicit `+` for positive amounts (deltas).
pub fn signed_cents_usd(m: i128) -> String {
    if m > 0 { format!("+{}", cents_usd(m)) } else { cents_usd(m) }
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
    fn overflow_is_an_error_not_a_wrap() {
        assert!(add(i128::MAX, 1, "total").is_err());
        assert!(add(MAX_MANTISSA, 1, "total").unwrap_err().to_string().contains("Decimal(38, 12)"));
        assert_eq!(add(2, 3, "t").unwrap(), 5);
        assert!(check_mantissa(-MAX_MANTISSA, "x").is_ok());
        assert!(from_mantissa(i128::MAX).is_none());
    }

    #[test]
    fn display_in_cents_and_exact() {
        let usd = |s: &str| to_mantissa(Decimal::from_str(s).unwrap()).unwrap();
        assert_eq!(cents_usd(usd("1217.776057275")), "$1,217.78");
        assert_eq!(cents_usd(usd("-0.944996")), "-$0.94");
        assert_eq!(cents_usd(usd("0.004")), "<$0.01");
        assert_eq!(cents_usd(0), "$0.00");
        assert_eq!(cents_usd(usd("0.005")), "$0.01");
        assert_eq!(signed_cents_usd(usd("1.234")), "+$1.23");
        assert_eq!(exact_usd(usd("1234.56789")), "$1,234.56789");
        assert_eq!(exact_usd(usd("-0.5")), "-$0.50");
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
            prop_assert_eq!(from_mantissa(m), Some(usd.normalize()));
            prop_assert_eq!(Decimal::from_str(&format_mantissa(m)).unwrap(), usd);
        }

        /// Any Decimal at all: the mantissa is exact or refused, never wrapped.
        #[test]
        fn to_mantissa_is_exact_or_an_error(lo in any::<u64>(), mid in any::<u32>(), hi in any::<u32>(),
                                            negative in any::<bool>(), scale in 0u32..=28) {
            let usd = Decimal::from_parts(lo as u32, (lo >> 32) as u32 ^ mid, hi, negative, scale);
            match to_mantissa(usd) {
                Ok(m) => {
                    prop_assert!(m.unsigned_abs() <= MAX_MANTISSA as u128);
                    prop_assert_eq!(Decimal::from_str(&format_mantissa(m)).unwrap(), usd);
                }
                Err(e) => {
                    let text = e.to_string();
                    prop_assert!(text.contains("decimal places") || text.contains("26 integer digits"), "{}", text);
                    let n = usd.normalize();
                    let wide = n.scale() > MONEY_SCALE
                        || n.mantissa()
                            .unsigned_abs()
                            .checked_mul(10u128.pow(MONEY_SCALE - n.scale()))
                            .is_none_or(|v| v > MAX_MANTISSA as u128);
                    prop_assert!(wide, "refused {} although it fits", usd);
                }
            }
        }
    }

    #[test]
    fn the_largest_decimal_is_refused_naming_it() {
        // 79228162514264337593543950335 (Decimal::MAX) as a budget once wrapped to a negative.
        let e = to_mantissa(Decimal::MAX).unwrap_err().to_string();
        assert_eq!(
            e,
            "amount 79228162514264337593543950335 USD is beyond the 26 integer digits of a Decimal(38, 12) column; refusing it"
        );
        assert!(to_mantissa(-Decimal::MAX).is_err());
        let over = Decimal::from_str("100000000000000000000000000").unwrap(); // 10²⁶: one digit too many
        assert!(to_mantissa(over).unwrap_err().to_string().contains("26 integer digits"));
        let fits = Decimal::from_str("9999999999999999.999999999999").unwrap();
        assert_eq!(to_mantissa(fits).unwrap(), 9_999_999_999_999_999_999_999_999_999);
    }
}
