//! Field elements and byte strings as hex in serialized state (gate
//! state, snapshots, stream items).

use crate::hash::{from_hex, to_hex, Fp};
use serde::{de::Error, Deserialize, Deserializer, Serializer};

/// Serializes a field element as 64 hex digits.
pub fn serialize<S: Serializer>(value: &Fp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_hex(value))
}

/// Reads a field element written by [`serialize`]; refuses non-canonical ones.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fp, D::Error> {
    let text = String::deserialize(d)?;
    from_hex(&text).ok_or_else(|| D::Error::custom(format!("not a field element: {text:?}")))
}

/// 32-byte keys and digests as hex.
pub mod bytes32 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes 64 hex digits.
    pub fn serialize<S: Serializer>(value: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(value))
    }

    /// Reads 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        super::unhex::<32>(&text)
            .ok_or_else(|| D::Error::custom(format!("not 32 hex bytes: {text:?}")))
    }
}

/// 64-byte signatures as hex.
pub mod bytes64 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes 128 hex digits.
    pub fn serialize<S: Serializer>(value: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(value))
    }

    /// Reads 128 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let text = String::deserialize(d)?;
        super::unhex::<64>(&text)
            .ok_or_else(|| D::Error::custom(format!("not 64 hex bytes: {text:?}")))
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses exactly `N` bytes of hex.
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}
