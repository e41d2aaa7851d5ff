//! What `bulkhead stream ls | tail | show` print of an entry: a one-line
//! summary, or the entry decoded in full. A bundle is summarised (its
//! header, its exits and its proof's length, not the proof), and an entry
//! that is no item is listed as garbage with why, never an error: it is
//! still a position of the stream, which every follower refuses alike.
//! JSON integers are decimal strings, as everywhere else.

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hex::{encode, fp_to_hex};
use bulkhead_verifier::gate::StreamItem;
use serde_json::{json, Value};

use super::binding::EntryDigest;
use super::raw::RawEntry;
use super::StreamEntry;

/// An entry in one line's worth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntrySummary {
    /// Its position.
    pub position: u64,
    /// `bundle`, `attestation`, `tick`, `guardian`, or `garbage`.
    pub kind: &'static str,
    /// Its size in bytes.
    pub size: usize,
    /// The digest of its bytes ([`EntryDigest`], the one a state
    /// directory records of its stream's first entry).
    pub digest: EntryDigest,
    /// The NATS subject (`None` in a directory log).
    pub subject: Option<String>,
    /// What identifies it among its kind: a bundle's segment, sequence
    /// range and epoch; a tick's epoch; an attestation's segment and
    /// height; a vote's breaker; why garbage is garbage.
    pub detail: Vec<(&'static str, String)>,
}

/// The entry `raw` holds: its item (a bundle decoded), or why it is none.
enum Decoded {
    Bundle(Box<Bundle>),
    Json(StreamItem),
    Garbage(String),
}

fn decode(raw: &RawEntry) -> Decoded {
    match raw.entry() {
        StreamEntry::Item(StreamItem::Bundle(bytes)) => match Bundle::from_bytes(&bytes) {
            Ok(bundle) => Decoded::Bundle(Box::new(bundle)),
            Err(e) => Decoded::Garbage(format!("not a bundle: {e}")),
        },
        StreamEntry::Item(item) => Decoded::Json(item),
        StreamEntry::Malformed(why) => Decoded::Garbage(why),
    }
}

fn kind_name(item: &StreamItem) -> &'static str {
    item.kind().name()
}

impl EntrySummary {
    /// The summary of `raw`.
    pub fn of(raw: &RawEntry) -> Self {
        let (kind, detail) = match decode(raw) {
            Decoded::Bundle(b) => {
                let i = &b.instance;
                let last = i.first_seq.saturating_add(i.exit_count).saturating_sub(1);
                (
                    "bundle",
                    vec![
                        ("segment", i.src.to_string()),
                        ("dst", i.dst.to_string()),
                        ("seq", format!("{}..{last}", i.first_seq)),
                        ("epoch", i.epoch.to_string()),
                    ],
                )
            }
            Decoded::Json(item) => {
                let detail = match &item {
                    StreamItem::Attestation(a) => vec![
                        ("segment", a.segment.to_string()),
                        ("height", a.height.to_string()),
                    ],
                    StreamItem::EpochTick(t) => vec![("epoch", t.epoch.to_string())],
                    StreamItem::Guardian(g) => vec![
                        ("target", g.target.to_string()),
                        ("trip", g.trip.to_string()),
                        ("round", g.round.to_string()),
                    ],
                    StreamItem::Import(i) => vec![
                        ("segment", i.segment.to_string()),
                        ("height", i.height.to_string()),
                        ("asset", i.asset.to_string()),
                        ("amount", i.amount.to_string()),
                    ],
                    StreamItem::Governance(g) => vec![
                        ("segment", g.segment.to_string()),
                        ("seq", g.seq.to_string()),
                        ("change", g.change.kind_byte().to_string()),
                    ],
                    StreamItem::Bundle(_) => Vec::new(),
                };
                (kind_name(&item), detail)
            }
            Decoded::Garbage(why) => ("garbage", vec![("why", why)]),
        };
        Self {
            position: raw.position,
            kind,
            size: raw.bytes.len(),
            digest: EntryDigest::of(raw),
            subject: raw.subject.clone(),
            detail,
        }
    }

    /// One line: position, kind, size, short digest, detail.
    pub fn line(&self) -> String {
        let detail: Vec<String> = self
            .detail
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!(
            "{:>8}  {:<11}  {:>8} B  {}  {}",
            self.position,
            self.kind,
            self.size,
            self.digest.short(),
            detail.join("  ")
        )
        .trim_end()
        .to_owned()
    }

    /// One JSON object (integers as decimal strings).
    pub fn to_json(&self) -> Value {
        let mut object = json!({
            "position": self.position.to_string(),
            "kind": self.kind,
            "size": self.size.to_string(),
            "digest": self.digest.to_hex(),
        });
        if let Some(subject) = &self.subject {
            object["subject"] = json!(subject);
        }
        for (k, v) in &self.detail {
            object[*k] = json!(v);
        }
        object
    }
}

/// The entry decoded in full, as JSON: a JSON item as it reads, a bundle
/// as its header, exits and proof length, garbage as its bytes (as text
/// if they are UTF-8, else hex) and why.
pub fn describe(raw: &RawEntry) -> Value {
    let summary = EntrySummary::of(raw);
    let item = match decode(raw) {
        Decoded::Bundle(b) => bundle_json(&b),
        Decoded::Json(item) => item
            .to_json()
            .and_then(|j| serde_json::to_value(j).ok())
            .unwrap_or(Value::Null),
        Decoded::Garbage(why) => json!({
            "why": why,
            "bytes": match std::str::from_utf8(&raw.bytes) {
                Ok(text) => json!({ "text": text }),
                Err(_) => json!({ "hex": encode(&raw.bytes) }),
            },
        }),
    };
    let mut out = json!({
        "position": raw.position.to_string(),
        "kind": summary.kind,
        "size": summary.size.to_string(),
        "digest": summary.digest.to_hex(),
        "item": item,
    });
    if let Some(subject) = &raw.subject {
        out["subject"] = json!(subject);
    }
    out
}

fn bundle_json(b: &Bundle) -> Value {
    let i = &b.instance;
    let exits: Vec<Value> = b
        .exits
        .iter()
        .map(|e| {
            json!({
                "account": e.account.to_string(),
                "nonce": e.nonce.to_string(),
                "recipient": fp_to_hex(&e.recipient),
                "amount": e.amount.to_string(),
                "public_key": encode(e.public_key),
                "signature": encode(e.signature),
            })
        })
        .collect();
    json!({
        "shape": serde_json::to_value(b.shape).unwrap_or(Value::Null),
        "vk_digest": encode(b.vk_digest),
        "stream_id": b.stream_id.to_string(),
        "instance": {
            "src": i.src.to_string(),
            "dst": i.dst.to_string(),
            "asset": i.asset.to_string(),
            "epoch": i.epoch.to_string(),
            "accounts_before": fp_to_hex(&i.accounts_before),
            "accounts_after": fp_to_hex(&i.accounts_after),
            "boundary_before": fp_to_hex(&i.boundary_before),
            "boundary_after": fp_to_hex(&i.boundary_after),
            "first_seq": i.first_seq.to_string(),
            "exit_count": i.exit_count.to_string(),
            "total": i.total.to_string(),
            "exits_root": fp_to_hex(&i.exits_root),
        },
        "exits": exits,
        "proof_length": b.proof.len().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_protocol::bundle::MAGIC;

    fn raw(position: u64, subject: Option<&str>, bytes: &[u8]) -> RawEntry {
        RawEntry {
            position,
            subject: subject.map(str::to_owned),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_tick_is_listed_by_epoch() {
        let tick = br#"{"type":"tick","epoch":"5","time":"100","signatures":[]}"#;
        let s = EntrySummary::of(&raw(3, None, tick));
        assert_eq!((s.kind, s.position, s.size), ("tick", 3, tick.len()));
        assert_eq!(s.detail, vec![("epoch", "5".to_owned())]);
        assert!(s.line().ends_with("epoch 5"), "{}", s.line());
        assert_eq!(s.to_json()["epoch"], "5");
        assert_eq!(describe(&raw(3, None, tick))["item"]["epoch"], "5");
    }

    #[test]
    fn garbage_is_listed_as_garbage_with_why() {
        for entry in [
            raw(1, None, b"not json"),
            raw(2, None, &[&MAGIC[..], &[1, 2, 3]].concat()),
            raw(3, Some("bulkhead.stream.bundle"), b"{}"),
        ] {
            let s = EntrySummary::of(&entry);
            assert_eq!(s.kind, "garbage", "{entry:?}");
            assert_eq!(s.detail[0].0, "why");
            assert_eq!(describe(&entry)["kind"], "garbage");
        }
        assert_eq!(
            describe(&raw(1, None, b"not json"))["item"]["bytes"]["text"],
            "not json"
        );
    }
}
