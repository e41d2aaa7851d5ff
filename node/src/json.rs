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
