//! Summaries as typed values: one tree that becomes the CLI's JSON and Python's dict alike.
//!
//! A summary (reconcile, sync, forecast) used to be built as JSON, and the bindings then guessed
//! Python types back from it: a string under a key ending `_usd` became a `Decimal`, a float became
//! `None`, a date stayed a string. Here each value says what it is (money, a decimal ratio, a date,
//! a float, a count), so the JSON keeps the contract of DESIGN §5 (money as decimal strings, dates
//! `YYYY-MM-DD`) and Python gets `Decimal`, `date`, `float` and `int` without guessing.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};

use crate::money::format_mantissa;

/// One value of a summary.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Null,
    Bool(bool),
    Int(i128),
    /// Not money: seconds, rates. JSON numbers (non-finite ones are null).
    Float(f64),
    /// USD as a scale-12 mantissa: a decimal string in JSON, `Decimal` in Python.
    Money(i128),
    /// An exact ratio or quantity that is not USD (a discount share, hours).
    Decimal(Decimal),
    Date(NaiveDate),
    Text(String),
    List(Vec<Typed>),
    /// Keys in output order.
    Map(Vec<(String, Typed)>),
}

impl Typed {
    /// The JSON of DESIGN §5: money and decimals as strings, dates `YYYY-MM-DD`.
    pub fn to_json(&self) -> Value {
        match self {
            Typed::Null => Value::Null,
            Typed::Bool(b) => Value::Bool(*b),
            Typed::Int(i) => match (i64::try_from(*i), u64::try_from(*i)) {
                (Ok(v), _) => Value::from(v),
                (_, Ok(v)) => Value::from(v),
                // Beyond 64 bits (no count is): a decimal string rather than a wrong number.
                _ => Value::String(i.to_string()),
            },
            Typed::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Typed::Money(m) => Value::String(format_mantissa(*m)),
            Typed::Decimal(d) => Value::String(d.normalize().to_string()),
            Typed::Date(d) => Value::String(d.to_string()),
            Typed::Text(s) => Value::String(s.clone()),
            Typed::List(v) => Value::Array(v.iter().map(Typed::to_json).collect()),
            Typed::Map(kv) => Value::Object(kv.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<Map<_, _>>()),
        }
    }

    /// `Money` of an optional mantissa (null when absent).
    pub fn money(m: Option<i128>) -> Typed {
        m.map_or(Typed::Null, Typed::Money)
    }

    /// Adds (or replaces) `key` in a map; anything else is left as it is.
    pub fn insert(&mut self, key: &str, value: impl Into<Typed>) {
        if let Typed::Map(kv) = self {
            let value = value.into();
            match kv.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => kv.push((key.to_owned(), value)),
            }
        }
    }

    /// The value under `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Typed> {
        match self {
            Typed::Map(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A map from `key => value` pairs, in that order: `typed! {"lines" => 3, "ok" => true}`.
#[macro_export]
macro_rules! typed {
    ($($k:expr => $v:expr),* $(,)?) => {
        $crate::typed::Typed::Map(vec![$(($k.to_string(), $crate::typed::Typed::from($v))),*])
    };
}

macro_rules! ints {
    ($($t:ty),*) => {$(
        impl From<$t> for Typed {
            fn from(v: $t) -> Typed {
                Typed::Int(v as i128)
            }
        }
    )*};
}
ints!(u8, u32, u64, usize, i32, i64);

impl From<bool> for Typed {
    fn from(v: bool) -> Typed {
        Typed::Bool(v)
    }
}
impl From<f64> for Typed {
    fn from(v: f64) -> Typed {
        Typed::Float(v)
    }
}
impl From<&str> for Typed {
    fn from(v: &str) -> Typed {
        Typed::Text(v.to_owned())
    }
}
impl From<String> for Typed {
    fn from(v: String) -> Typed {
        Typed::Text(v)
    }
}
impl From<NaiveDate> for Typed {
    fn from(v: NaiveDate) -> Typed {
        Typed::Date(v)
    }
}
impl From<Decimal> for Typed {
    fn from(v: Decimal) -> Typed {
        Typed::Decimal(v)
    }
}
impl<T: Into<Typed>> From<Option<T>> for Typed {
    fn from(v: Option<T>) -> Typed {
        v.map_or(Typed::Null, Into::into)
    }
}
impl<T: Into<Typed>> From<Vec<T>> for Typed {
    fn from(v: Vec<T>) -> Typed {
        Typed::List(v.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_the_contract_and_order() {
        let day: NaiveDate = "2026-11-01".parse().unwrap();
        let mut t = typed! {
            "lines" => 3usize,
            "expected_usd" => Typed::Money(1_500_000_000_000),
            "seconds" => 0.25,
            "date" => day,
            "discount" => Decimal::new(1200, 4),
            "missing" => Option::<i64>::None,
            "days" => vec![day],
        };
        t.insert("ok", true);
        assert_eq!(
            t.to_json().to_string(),
            r#"{"lines":3,"expected_usd":"1.5","seconds":0.25,"date":"2026-11-01","discount":"0.12","missing":null,"days":["2026-11-01"],"ok":true}"#
        );
        assert_eq!(Typed::Float(f64::NAN).to_json(), Value::Null);
        assert_eq!(Typed::Int(i128::MAX).to_json(), Value::String(i128::MAX.to_string()));
        assert_eq!(t.get("lines"), Some(&Typed::Int(3)));
    }
}
