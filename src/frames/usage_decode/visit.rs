//! The serde visitors of a usage page down to its results: the page, its buckets, their
//! results (each read by `row`). Keys are matched without allocating; required fields and
//! duplicates are checked as derived types check them, so this path never accepts a body the
//! wire types would refuse.
//!
//! Strings are read as raw bytes (`deserialize_bytes`), which spares serde_json's UTF-8 check of
//! every key and value (a tenth of the decoder's time). What that check would refuse is refused
//! here instead, where it can matter: a key that names no field and a dimension value not seen
//! before are checked by [`text`]; a key or value equal to a known name or an interned value is
//! that text already. A string with an escape arrives unescaped; the same check refuses what the
//! checked read would (a lone surrogate is not UTF-8, a raw control character stays one), and also
//! an escaped control character, which is then left to the wire types.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Columns;
use super::row::Row;

/// Reads a map key as its index in `names` (`None` for a key to skip), without allocating.
/// `guess` is tried first: the index the key had in the previous object of its kind, since the
/// API writes every result's fields in one order.
pub(super) struct Key {
    pub(super) names: &'static [&'static str],
    pub(super) guess: usize,
}

impl Key {
    pub(super) fn new(names: &'static [&'static str]) -> Key {
        Key { names, guess: 0 }
    }
}

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Option<usize>, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<Option<usize>, E> {
        if self.names.get(self.guess).is_some_and(|n| n.as_bytes() == v) {
            return Ok(Some(self.guess));
        }
        match self.names.iter().position(|n| n.as_bytes() == v) {
            Some(i) => Ok(Some(i)),
            None => text(v).map(|_| None),
        }
    }
}

/// The bytes of a JSON string as text: refused, as serde_json's checked read refuses it, when it
/// holds a control character or is not UTF-8.
pub(super) fn text<E: de::Error>(v: &[u8]) -> std::result::Result<&str, E> {
    if v.iter().any(|&b| b < 0x20) {
        return Err(E::custom("control character in a string"));
    }
    std::str::from_utf8(v).map_err(|_| E::custom("a string that is not UTF-8"))
}

/// Marks field `i` of `seen` present; a field given twice is an error, as with derived types.
pub(super) fn once<E: de::Error>(seen: &mut u32, i: usize, names: &[&'static str]) -> std::result::Result<(), E> {
    if *seen & (1 << i) != 0 {
        return Err(E::duplicate_field(names[i]));
    }
    *seen |= 1 << i;
    Ok(())
}

/// Fails unless every field whose bit is in `required` was seen.
pub(super) fn require<E: de::Error>(seen: u32, required: u32, names: &[&'static str]) -> std::result::Result<(), E> {
    match (0..names.len()).find(|&i| required & (1 << i) != 0 && seen & (1 << i) == 0) {
        Some(i) => Err(E::missing_field(names[i])),
        None => Ok(()),
    }
}

pub(super) fn count<E: de::Error>(v: u64) -> std::result::Result<i64, E> {
    // Beyond Int64: the wire path reports it with the bucket; this path only steps aside.
    i64::try_from(v).map_err(|_| E::custom("count beyond Int64"))
}

/// `{data, has_more, next_page}`.
pub(super) struct PageSeed(pub(super) Columns);
const PAGE: &[&str] = &["data", "has_more", "next_page"];

impl<'de> DeserializeSeed<'de> for PageSeed {
    type Value = Columns;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Columns, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed {
    type Value = Columns;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a usage report page")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> std::result::Result<Columns, A::Error> {
        let mut seen = 0;
        while let Some(key) = map.next_key_seed(Key::new(PAGE))? {
            let Some(i) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            once(&mut seen, i, PAGE)?;
            match i {
                0 => map.next_value_seed(Buckets(&mut self.0))?,
                1 => self.0.has_more = map.next_value()?,
                _ => self.0.next_page = map.next_value()?,
            }
        }
        require(seen, 0b011, PAGE)?;
        Ok(self.0)
    }
}

/// `data`: the buckets.
struct Buckets<'a>(&'a mut Columns);

impl<'de> DeserializeSeed<'de> for Buckets<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Buckets<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of buckets")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(BucketSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// `{starting_at, ending_at, results}`; the bounds may come after the results.
struct BucketSeed<'a>(&'a mut Columns);
const BUCKET: &[&str] = &["starting_at", "ending_at", "results"];

impl<'de> DeserializeSeed<'de> for BucketSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BucketSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a bucket")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let c = self.0;
        let before = c.counts[0].len();
        let (mut seen, mut start, mut end) = (0, None, None);
        while let Some(key) = map.next_key_seed(Key::new(BUCKET))? {
            let Some(i) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            once(&mut seen, i, BUCKET)?;
            match i {
                0 => start = Some(map.next_value::<DateTime<Utc>>()?),
                1 => end = Some(map.next_value::<DateTime<Utc>>()?),
                _ => map.next_value_seed(Results(&mut *c))?,
            }
        }
        require(seen, 0b111, BUCKET)?;
        let (start, end) = (start.expect("required"), end.expect("required"));
        let rows = c.counts[0].len() - before;
        c.start.extend(std::iter::repeat_n(start.timestamp_micros(), rows));
        c.end.extend(std::iter::repeat_n(end.timestamp_micros(), rows));
        c.bounds.push((start, end));
        Ok(())
    }
}

/// `results`: the rows of a bucket.
struct Results<'a>(&'a mut Columns);

impl<'de> DeserializeSeed<'de> for Results<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Results<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of results")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(Row(&mut *self.0))?.is_some() {}
        Ok(())
    }
}
