//! JSON for people and other programs: every integer as a decimal string,
//! because a u64 above 2^53 does not survive a JavaScript reader (the
//! convention of [`bulkhead_protocol::decimal`]), and request bodies read
//! with refusals that name the field.

use serde::de::DeserializeOwned;
use serde_json::Value;
use thiserror::Error;

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

/// A JSON body refused, naming where: `account: "x" is not a decimal
/// integer`. The problem is serde_json's message, position included.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {problem}")]
pub struct JsonError {
    /// The field path (`account`, `exits[2].amount`), or `(top level)`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Reads one JSON document of type `T` from `body`.
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        JsonError {
            field: if field == "." {
                "(top level)".into()
            } else {
                field
            },
            problem: e.inner().to_string(),
        }
    })?;
    de.end().map_err(|e| JsonError {
        field: "(after the document)".into(),
        problem: e.to_string(),
    })?;
    Ok(value)
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

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(with = "bulkhead_protocol::decimal")]
        #[allow(dead_code)]
        account: u64,
    }

    #[test]
    fn a_refusal_names_its_field() {
        let e = from_slice::<Body>(br#"{"account":"x"}"#).unwrap_err();
        assert_eq!(e.field, "account");
        assert!(e.problem.contains(r#""x" is not a decimal integer"#), "{e}");
        let e = from_slice::<Body>(br#"{"account":1} 2"#).unwrap_err();
        assert_eq!(e.field, "(after the document)");
        let e = from_slice::<Body>(b"[]").unwrap_err();
        assert_eq!(e.field, "(top level)");
    }
}
