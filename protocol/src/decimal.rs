//! The one integer convention of Bulkhead's JSON: an unsigned integer is
//! read from a JSON number or a string of decimal digits, and written as
//! a decimal string, because a u64 above 2^53 does not survive a
//! JavaScript reader. Use it as
//! `#[serde(with = "bulkhead_protocol::decimal")]` on any unsigned field
//! (`u8` to `u128`, `usize`), [`option`] on an `Option` of one, [`seq`]
//! on a `Vec` or `BTreeSet` of them and [`values`] on a map to them.
//!
//! Only human-readable formats see strings: a binary format (one whose
//! serializer says it is not human readable) reads and writes the plain
//! integer, byte for byte what it would without this module.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An unsigned integer width this convention covers. Sealed: the widths
/// are `u8`, `u16`, `u32`, `u64`, `u128` and `usize`.
pub trait Unsigned: Copy + fmt::Display + sealed::Sealed {
    /// The type's name in refusals (`u64`).
    const NAME: &'static str;
    /// The value as a u128, for range checks.
    fn to_u128(self) -> u128;
    /// The value if `n` fits the type.
    fn from_u128(n: u128) -> Option<Self>;
    /// Writes the plain integer (binary formats).
    fn serialize_plain<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error>;
    /// Reads the plain integer (binary formats).
    fn deserialize_plain<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Unsigned for $t {
            const NAME: &'static str = stringify!($t);
            fn to_u128(self) -> u128 {
                self as u128
            }
            fn from_u128(n: u128) -> Option<Self> {
                <$t>::try_from(n).ok()
            }
            fn serialize_plain<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error> {
                self.serialize(s)
            }
            fn deserialize_plain<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$t>::deserialize(d)
            }
        }
    )*};
}

unsigned!(u8, u16, u32, u64, u128, usize);

/// Writes `value` as a decimal string (human-readable formats) or the
/// plain integer (binary formats).
pub fn serialize<T: Unsigned, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.collect_str(value)
    } else {
        value.serialize_plain(s)
    }
}

/// Reads a JSON number or a decimal string (human-readable formats), or
/// the plain integer (binary formats). Refusals are in plain words:
/// `"12a" is not a decimal integer`, `... is out of range for a u64`.
pub fn deserialize<'de, T: Unsigned, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    if d.is_human_readable() {
        d.deserialize_any(DecimalVisitor(PhantomData))
    } else {
        T::deserialize_plain(d)
    }
}

/// A value read or written by this convention, for places serde's `with`
/// does not reach (inside collections and options).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal<T>(pub T);

impl<T: Unsigned> Serialize for Decimal<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, s)
    }
}

impl<'de, T: Unsigned> Deserialize<'de> for Decimal<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize(d).map(Decimal)
    }
}

/// `#[serde(default, with = "bulkhead_protocol::decimal::option")]`: an
/// optional unsigned integer; `null` (or, with `default`, an absent
/// field) is `None`.
pub mod option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Decimal, Unsigned};

    /// Writes `null` or the value as [`super::serialize`] does.
    pub fn serialize<T: Unsigned, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.map(Decimal).serialize(s)
    }

    /// Reads `null` or a value as [`super::deserialize`] does.
    pub fn deserialize<'de, T: Unsigned, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Ok(Option::<Decimal<T>>::deserialize(d)?.map(|v| v.0))
    }
}

/// `#[serde(with = "bulkhead_protocol::decimal::seq")]`: a list or set of
/// unsigned integers, each as [`super::decimal`](self) says.
pub mod seq {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{Decimal, Unsigned};

    /// Writes each value as [`super::serialize`] does.
    pub fn serialize<'a, T, C, S>(values: &'a C, s: S) -> Result<S::Ok, S::Error>
    where
        T: Unsigned + 'a,
        &'a C: IntoIterator<Item = &'a T>,
        S: Serializer,
    {
        s.collect_seq(values.into_iter().map(|v| Decimal(*v)))
    }

    /// Reads each value as [`super::deserialize`] does.
    pub fn deserialize<'de, T, C, D>(d: D) -> Result<C, D::Error>
    where
        T: Unsigned,
        C: FromIterator<T>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<Decimal<T>>::deserialize(d)?
            .into_iter()
            .map(|v| v.0)
            .collect())
    }
}

/// `#[serde(with = "bulkhead_protocol::decimal::values")]`: a map whose
/// values are unsigned integers, each as [`super::decimal`](self) says
/// (JSON writes the keys as strings already).
pub mod values {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Decimal, Unsigned};

    /// Writes each value as [`super::serialize`] does.
    pub fn serialize<'a, K, T, C, S>(map: &'a C, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize + 'a,
        T: Unsigned + 'a,
        &'a C: IntoIterator<Item = (&'a K, &'a T)>,
        S: Serializer,
    {
        s.collect_map(map.into_iter().map(|(k, v)| (k, Decimal(*v))))
    }

    /// Reads each value as [`super::deserialize`] does.
    pub fn deserialize<'de, K, T, C, D>(d: D) -> Result<C, D::Error>
    where
        K: Deserialize<'de> + Ord,
        T: Unsigned,
        C: FromIterator<(K, T)>,
        D: Deserializer<'de>,
    {
        Ok(std::collections::BTreeMap::<K, Decimal<T>>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect())
    }
}

/// What a refusal says was expected.
const EXPECTED: &str = "an unsigned integer (a number or a decimal string)";

struct DecimalVisitor<T>(PhantomData<T>);

impl<T: Unsigned> DecimalVisitor<T> {
    fn fit<E: de::Error>(n: u128) -> Result<T, E> {
        T::from_u128(n)
            .ok_or_else(|| E::custom(format_args!("{n} is out of range for a {}", T::NAME)))
    }
}

impl<'de, T: Unsigned> Visitor<'de> for DecimalVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        Self::fit(u128::from(n))
    }

    fn visit_u128<E: de::Error>(self, n: u128) -> Result<T, E> {
        Self::fit(n)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        match u64::try_from(n) {
            Ok(n) => self.visit_u64(n),
            Err(_) => Err(found(n)),
        }
    }

    fn visit_i128<E: de::Error>(self, n: i128) -> Result<T, E> {
        match u128::try_from(n) {
            Ok(n) => Self::fit(n),
            Err(_) => Err(found(n)),
        }
    }

    // JSON readers hand over a number with a fraction or an exponent, and
    // an integer too long for 64 bits, as a float: the digits written are
    // gone by then, so a whole number past the range is named as such.
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<T, E> {
        let whole = n.is_finite() && n >= 0.0 && n.fract() == 0.0;
        if whole && n >= 18_446_744_073_709_551_616.0 {
            Err(E::custom(format_args!(
                "{n} is out of range for a {} (write a large integer as a decimal string)",
                T::NAME
            )))
        } else {
            // Debug keeps the fraction visible: `1.0`, not `1`.
            Err(found(format_args!("{n:?}")))
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        // Digits only: no sign, no spaces, no `0x`, no fraction, so one
        // value has one spelling (up to leading zeros).
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(format_args!("{text:?} is not a decimal integer")));
        }
        match text.parse::<u128>() {
            Ok(n) => Self::fit(n),
            Err(_) => Err(E::custom(format_args!(
                "{text} is out of range for a {}",
                T::NAME
            ))),
        }
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<T, E> {
        Err(found(b))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Err(E::custom(format_args!("expected {EXPECTED}, found null")))
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        self.visit_unit()
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(found("a list"))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(found("an object"))
    }
}

fn found<E: de::Error>(n: impl fmt::Display) -> E {
    E::custom(format_args!("expected {EXPECTED}, found {n}"))
}

#[cfg(test)]
mod tests;
