//! JSON for people and other programs: every integer as a decimal string,
//! because a u64 above 2^53 does not survive a JavaScript reader.

use serde_json::Value;

/// `value` with every integer replaced by its decimal string.
pub fn integers_as_strings(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_u64() || n.is_i64() => Value::String(n.to_string()),
        Value::Array(items) => Value::Array(items.into_iter().map(integers_as_strings).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, integers_as_strings(v)))
                .collect(),
        ),
        other => other,
    }
}

/// An unsigned integer in request JSON: a number or a decimal string (a
/// JavaScript client cannot write every u64 as a number). Kept as u128 so
/// that a value just past a range can be named in the refusal.
pub mod lenient_uint {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u128),
        Text(String),
    }

    /// Reads a number or a string of decimal digits (at most 39 digits).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        match Either::deserialize(d)? {
            Either::Number(n) => Ok(n),
            Either::Text(t) => {
                if t.is_empty() || t.len() > 39 || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(serde::de::Error::custom(format!(
                        "{t:?} is not a decimal integer"
                    )));
                }
                t.parse()
                    .map_err(|_| serde::de::Error::custom(format!("{t} is out of range")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_integers_keep_every_digit() {
        let value = serde_json::json!({"a": u64::MAX, "b": [1, "x", {"c": 2}], "d": null});
        assert_eq!(
            integers_as_strings(value),
            serde_json::json!({"a": "18446744073709551615", "b": ["1", "x", {"c": "2"}], "d": null})
        );
    }
}
