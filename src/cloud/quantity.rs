//! Token counts from a bill's amounts, exactly.
//!
//! AWS states Claude usage in millions of tokens (`1.234567` = 1,234,567 tokens) as a double;
//! Google in tokens. The amount's text (a float's shortest round-trip digits) is parsed as a
//! decimal and multiplied by the unit exactly; a result that is not a whole number of tokens is
//! refused naming the row, because a bill whose quantity we cannot state cannot be checked.

use rust_decimal::Decimal;

use super::cells::decimal;
use crate::error::{Error, Result};

/// `amount` × `per_unit` as a whole token count.
pub fn tokens(amount: &str, per_unit: i64, what: &dyn Fn() -> String) -> Result<i64> {
    let a = decimal(amount, what)?;
    let t = a
        .checked_mul(Decimal::from(per_unit))
        .ok_or_else(|| Error::input(format!("{}: {amount} is too large", what())))?;
    if t.fract() != Decimal::ZERO {
        let unit = if per_unit == 1 { "tokens".to_string() } else { format!("× {per_unit} tokens") };
        return Err(Error::input_hint(
            format!("{}: {amount} {unit} is not a whole number of tokens", what()),
            "counterfoil prices whole tokens; a rounded or averaged amount cannot be reconciled",
        ));
    }
    i64::try_from(t.trunc().mantissa() / 10i128.pow(t.trunc().scale()))
        .map_err(|_| Error::input(format!("{}: {amount} is beyond a 64-bit token count", what())))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn w() -> String {
        "bill.csv row 7 (line_item_usage_amount)".into()
    }

    #[test]
    fn millions_of_tokens_become_whole_tokens() {
        assert_eq!(tokens("1.234567", 1_000_000, &w).unwrap(), 1_234_567);
        assert_eq!(tokens("0.000001", 1_000_000, &w).unwrap(), 1);
        assert_eq!(tokens("1.5E-5", 1_000_000, &w).unwrap(), 15);
        assert_eq!(tokens("42", 1, &w).unwrap(), 42);
        assert_eq!(tokens("42.0", 1, &w).unwrap(), 42);
    }

    #[test]
    fn a_fraction_of_a_token_is_refused_naming_the_row() {
        let e = tokens("1.2345675", 1_000_000, &w).unwrap_err().to_string();
        assert!(e.contains("row 7") && e.contains("not a whole number"), "{e}");
        assert!(tokens("12.5", 1, &w).is_err());
        assert!(tokens("NaN", 1, &w).is_err());
        assert!(tokens("99999999999999999999", 1, &w).is_err());
    }

    proptest! {
        /// Any token count AWS could state as MTok in a double's shortest text comes back exactly.
        #[test]
        fn mtok_text_round_trips(t in 0i64..10_000_000_000_000) {
            let text = format!("{}", t as f64 / 1e6);
            prop_assert_eq!(tokens(&text, 1_000_000, &w).unwrap(), t);
        }
    }
}
