//! The one hex codec of Bulkhead (the `hex` crate underneath): field
//! elements as 64 lower-case digits of their canonical little-endian
//! encoding, and fixed-size byte strings, plus serde helpers for JSON
//! (snapshots, gate state and configuration, stream items).

use ff::PrimeField;

use crate::hash::Fp;

/// Lower-case hex of `bytes`.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(bytes)
}

/// Parses exactly `N` bytes of hex; `None` for any other length or digit.
pub fn decode_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// Hex of a field element's canonical little-endian encoding.
pub fn fp_to_hex(value: &Fp) -> String {
    encode(value.to_repr())
}

/// Parses [`fp_to_hex`]'s output; `None` unless it is a canonical encoding.
pub fn fp_from_hex(text: &str) -> Option<Fp> {
    crate::hash::fp_from_bytes(decode_array::<32>(text)?)
}

/// `#[serde(with = "bulkhead_protocol::hex::fp")]`: a field element as hex.
pub mod fp {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    use crate::hash::Fp;

    /// Serializes a field element as 64 hex digits.
    pub fn serialize<S: Serializer>(value: &Fp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::fp_to_hex(value))
    }

    /// Reads a field element written by [`serialize`]; refuses
    /// non-canonical ones.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fp, D::Error> {
        let text = String::deserialize(d)?;
        super::fp_from_hex(&text)
            .ok_or_else(|| D::Error::custom(format!("not a field element: {text:?}")))
    }
}

/// `#[serde(with = "bulkhead_protocol::hex::bytes")]`: `[u8; N]` (keys,
/// digests, signatures) as `2N` hex digits.
pub mod bytes {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes `2N` hex digits.
    pub fn serialize<S: Serializer, const N: usize>(
        value: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode(value))
    }

    /// Reads exactly `2N` hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        super::decode_array::<N>(&text)
            .ok_or_else(|| D::Error::custom(format!("not {N} hex bytes: {text:?}")))
    }
}

/// Serde for a list of field elements as hex strings (a Merkle path's
/// siblings).
pub mod fp_list {
    use super::{fp_from_hex, fp_to_hex, Fp};
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes each element as 64 hex digits.
    pub fn serialize<S: Serializer>(values: &[Fp], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(values.iter().map(fp_to_hex))
    }

    /// Reads a list of canonical field elements, naming the first that is
    /// not one.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fp>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| {
                fp_from_hex(text)
                    .ok_or_else(|| D::Error::custom(format!("not a field element: {text:?}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_hex_round_trips_and_rejects_non_canonical() {
        let v = Fp::from(123456789);
        assert_eq!(fp_from_hex(&fp_to_hex(&v)), Some(v));
        assert_eq!(fp_from_hex(&"ff".repeat(32)), None);
        assert_eq!(fp_from_hex("00"), None);
        assert_eq!(fp_from_hex(&"zz".repeat(32)), None);
    }

    #[test]
    fn byte_hex_needs_the_exact_length() {
        assert_eq!(decode_array::<2>("0aff"), Some([0x0a, 0xff]));
        assert_eq!(decode_array::<2>("0AFF"), Some([0x0a, 0xff]));
        assert_eq!(decode_array::<2>("0aff00"), None);
        assert_eq!(decode_array::<2>("0af"), None);
        assert_eq!(encode([0x0a, 0xff]), "0aff");
    }
}
