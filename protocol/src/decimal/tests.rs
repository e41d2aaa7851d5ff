use std::collections::BTreeSet;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct One {
    #[serde(with = "crate::decimal")]
    n: u64,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Narrow {
    #[serde(with = "crate::decimal")]
    n: u8,
}

/// The same fields with and without the convention.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Plain {
    a: u64,
    b: Option<u64>,
    c: Vec<u32>,
    d: BTreeSet<usize>,
    e: u128,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Marked {
    #[serde(with = "crate::decimal")]
    a: u64,
    #[serde(default, with = "crate::decimal::option")]
    b: Option<u64>,
    #[serde(with = "crate::decimal::seq")]
    c: Vec<u32>,
    #[serde(with = "crate::decimal::seq")]
    d: BTreeSet<usize>,
    #[serde(with = "crate::decimal")]
    e: u128,
}

fn read(json: &str) -> Result<u64, serde_json::Error> {
    serde_json::from_str::<One>(json).map(|one| one.n)
}

fn refusal(json: &str) -> String {
    let message = read(json).expect_err(json).to_string();
    assert!(
        !message.contains("untagged") && !message.contains("variant"),
        "{message}"
    );
    message
}

#[test]
fn numbers_and_strings_read_alike() {
    assert_eq!(read(r#"{"n":0}"#).ok(), Some(0));
    assert_eq!(read(r#"{"n":"0"}"#).ok(), Some(0));
    assert_eq!(read(r#"{"n":300}"#).ok(), Some(300));
    assert_eq!(read(r#"{"n":"300"}"#).ok(), Some(300));
    assert_eq!(read(r#"{"n":"007"}"#).ok(), Some(7));
    assert_eq!(read(r#"{"n":18446744073709551615}"#).ok(), Some(u64::MAX));
    assert_eq!(read(r#"{"n":"18446744073709551615"}"#).ok(), Some(u64::MAX));
}

#[test]
fn output_is_a_decimal_string() {
    let text = serde_json::to_string(&One { n: u64::MAX }).unwrap();
    assert_eq!(text, r#"{"n":"18446744073709551615"}"#);
    let value = serde_json::to_value(Marked {
        a: 1,
        b: Some(2),
        c: vec![3, 4],
        d: [5].into(),
        e: u128::MAX,
    })
    .unwrap();
    assert_eq!(
        value,
        serde_json::json!({"a": "1", "b": "2", "c": ["3", "4"], "d": ["5"],
            "e": "340282366920938463463374607431768211455"})
    );
}

#[test]
fn past_the_range_is_named_both_ways() {
    let string = refusal(r#"{"n":"18446744073709551616"}"#);
    assert!(
        string.contains("18446744073709551616 is out of range for a u64"),
        "{string}"
    );
    let number = refusal(r#"{"n":18446744073709551616}"#);
    assert!(number.contains("out of range for a u64"), "{number}");
    let narrow = serde_json::from_str::<Narrow>(r#"{"n":256}"#)
        .unwrap_err()
        .to_string();
    assert!(narrow.contains("256 is out of range for a u8"), "{narrow}");
    let narrow = serde_json::from_str::<Narrow>(r#"{"n":"256"}"#)
        .unwrap_err()
        .to_string();
    assert!(narrow.contains("256 is out of range for a u8"), "{narrow}");
    let huge = refusal(&format!(r#"{{"n":"{}"}}"#, "9".repeat(60)));
    assert!(huge.contains("is out of range for a u64"), "{huge}");
}

#[test]
fn everything_else_is_refused_in_plain_words() {
    let cases = [
        (
            r#"{"n":-1}"#,
            "expected an unsigned integer (a number or a decimal string), found -1",
        ),
        (
            r#"{"n":1.5}"#,
            "expected an unsigned integer (a number or a decimal string), found 1.5",
        ),
        (r#"{"n":1.0}"#, "found 1.0"),
        (r#"{"n":null}"#, "found null"),
        (r#"{"n":true}"#, "found true"),
        (r#"{"n":[1]}"#, "found a list"),
        (r#"{"n":{}}"#, "found an object"),
        (r#"{"n":""}"#, r#""" is not a decimal integer"#),
        (r#"{"n":" 1"}"#, r#"" 1" is not a decimal integer"#),
        (r#"{"n":"1 "}"#, r#""1 " is not a decimal integer"#),
        (r#"{"n":"+1"}"#, r#""+1" is not a decimal integer"#),
        (r#"{"n":"-1"}"#, r#""-1" is not a decimal integer"#),
        (r#"{"n":"0x10"}"#, r#""0x10" is not a decimal integer"#),
        (r#"{"n":"1.0"}"#, r#""1.0" is not a decimal integer"#),
        (r#"{"n":"12a"}"#, r#""12a" is not a decimal integer"#),
        (r#"{"n":"1e3"}"#, r#""1e3" is not a decimal integer"#),
    ];
    for (json, words) in cases {
        let message = refusal(json);
        assert!(message.contains(words), "{json}: {message}");
    }
}

#[test]
fn options_and_lists_take_both_forms() {
    let read: Marked = serde_json::from_str(
        r#"{"a":"1","b":2,"c":[3,"4"],"d":["5",6],"e":"340282366920938463463374607431768211455"}"#,
    )
    .unwrap();
    assert_eq!(
        read,
        Marked {
            a: 1,
            b: Some(2),
            c: vec![3, 4],
            d: [5, 6].into(),
            e: u128::MAX
        }
    );
    let absent: Marked = serde_json::from_str(r#"{"a":1,"c":[],"d":[],"e":0}"#).unwrap();
    assert_eq!(absent.b, None);
    let null: Marked = serde_json::from_str(r#"{"a":1,"b":null,"c":[],"d":[],"e":0}"#).unwrap();
    assert_eq!(null.b, None);
    let bad = serde_json::from_str::<Marked>(r#"{"a":1,"c":[1,"x"],"d":[],"e":0}"#)
        .unwrap_err()
        .to_string();
    assert!(bad.contains(r#""x" is not a decimal integer"#), "{bad}");
}

#[test]
fn map_values_take_both_forms_and_write_strings() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Totals {
        #[serde(with = "crate::decimal::values")]
        by_asset: std::collections::BTreeMap<u64, u64>,
    }
    let read: Totals =
        serde_json::from_str(r#"{"by_asset":{"1":5,"2":"18446744073709551615"}}"#).unwrap();
    assert_eq!(read.by_asset, [(1, 5), (2, u64::MAX)].into());
    assert_eq!(
        serde_json::to_value(&read).unwrap(),
        serde_json::json!({"by_asset": {"1": "5", "2": "18446744073709551615"}})
    );
    let bad = serde_json::from_str::<Totals>(r#"{"by_asset":{"1":-5}}"#)
        .unwrap_err()
        .to_string();
    assert!(bad.contains("found -5"), "{bad}");
}

#[test]
fn binary_encodings_are_the_plain_integers() {
    let plain = Plain {
        a: u64::MAX,
        b: Some(7),
        c: vec![0, u32::MAX],
        d: [1, 300].into(),
        e: u128::from(u64::MAX) + 1,
    };
    let marked = Marked {
        a: plain.a,
        b: plain.b,
        c: plain.c.clone(),
        d: plain.d.clone(),
        e: plain.e,
    };
    let (mut plain_bytes, mut marked_bytes) = (Vec::new(), Vec::new());
    ciborium::into_writer(&plain, &mut plain_bytes).unwrap();
    ciborium::into_writer(&marked, &mut marked_bytes).unwrap();
    assert_eq!(plain_bytes, marked_bytes);
    let back: Marked = ciborium::from_reader(plain_bytes.as_slice()).unwrap();
    assert_eq!(back, marked);
    // A string is not an integer in a binary format: no leniency there.
    let mut text = Vec::new();
    ciborium::into_writer(&serde_json::json!({"n": "5"}), &mut text).unwrap();
    assert!(ciborium::from_reader::<One, _>(text.as_slice()).is_err());
}

proptest! {
    #[test]
    fn every_u64_round_trips(n in any::<u64>()) {
        let text = serde_json::to_string(&One { n }).unwrap();
        prop_assert_eq!(&text, &format!(r#"{{"n":"{n}"}}"#));
        prop_assert_eq!(serde_json::from_str::<One>(&text).unwrap().n, n);
        prop_assert_eq!(read(&format!(r#"{{"n":{n}}}"#)).ok(), Some(n));
        prop_assert_eq!(
            serde_json::from_value::<One>(serde_json::json!({ "n": n })).unwrap().n,
            n
        );
    }
}
