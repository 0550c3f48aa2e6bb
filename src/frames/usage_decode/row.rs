//! One result of a usage bucket, read into the page's columns.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::visit::{Key, count, once, require};
use super::{Columns, Dimension, NULL};
use crate::frames::columns::concat;
use crate::frames::usage::USAGE_DIMENSION_COLUMNS;

/// The fields of a result: the counts and their objects (required), then the dimensions, named
/// as their frame columns and in their order.
const ROW: [&str; 14] = concat(&[
    &["uncached_input_tokens", "cache_creation", "cache_read_input_tokens", "output_tokens", "server_tool_use"],
    &USAGE_DIMENSION_COLUMNS,
]);
const CACHE_CREATION: &[&str] = &["ephemeral_1h_input_tokens", "ephemeral_5m_input_tokens"];
const SERVER_TOOL_USE: &[&str] = &["web_search_requests"];

/// Appends one result to the columns (all of it, or an error and nothing usable).
pub(super) struct Row<'a>(pub(super) &'a mut Columns);

impl<'de> DeserializeSeed<'de> for Row<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Row<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a usage result")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let c = self.0;
        let mut counts = [0i64; 6];
        let mut codes = [NULL; 9];
        let (mut seen, mut k) = (0, 0);
        while let Some(key) = map.next_key_seed(Key { names: &ROW, guess: c.order.get(k).copied().unwrap_or(0) })? {
            k += 1;
            let Some(i) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if let Some(o) = c.order.get_mut(k - 1) {
                *o = i;
            }
            once(&mut seen, i, &ROW)?;
            match i {
                0 => counts[0] = count(map.next_value()?)?,
                1 => {
                    let [one_hour, five_minutes] = map.next_value_seed(Counts::<2>(CACHE_CREATION))?;
                    (counts[1], counts[2]) = (five_minutes, one_hour);
                }
                2 => counts[3] = count(map.next_value()?)?,
                3 => counts[4] = count(map.next_value()?)?,
                4 => counts[5] = map.next_value_seed(Counts::<1>(SERVER_TOOL_USE))?[0],
                d => codes[d - 5] = map.next_value_seed(Value(&mut c.dims[d - 5]))?,
            }
        }
        require(seen, 0b11111, &ROW)?;
        for (column, v) in c.counts.iter_mut().zip(counts) {
            column.push(v);
        }
        for (dim, code) in c.dims.iter_mut().zip(codes) {
            dim.codes.push(code);
        }
        Ok(())
    }
}

/// An object of `N` required counts (`cache_creation`, `server_tool_use`), other fields ignored.
struct Counts<const N: usize>(&'static [&'static str]);

impl<'de, const N: usize> DeserializeSeed<'de> for Counts<N> {
    type Value = [i64; N];
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<[i64; N], D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Counts<N> {
    type Value = [i64; N];
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object with {}", self.0.join(", "))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<[i64; N], A::Error> {
        let mut out = [0; N];
        let mut seen = 0;
        while let Some(key) = map.next_key_seed(Key::new(self.0))? {
            match key {
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
                Some(i) => {
                    once(&mut seen, i, self.0)?;
                    out[i] = count(map.next_value()?)?;
                }
            }
        }
        require(seen, (1 << N) - 1, self.0)?;
        Ok(out)
    }
}

/// A dimension's value: null, or a string interned as a code of its column.
struct Value<'a>(&'a mut Dimension);

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = u32;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<u32, E> {
        Ok(NULL)
    }
    fn visit_unit<E: de::Error>(self) -> Result<u32, E> {
        Ok(NULL)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_bytes(self)
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<u32, E> {
        self.0.code_of(v)
    }
}
