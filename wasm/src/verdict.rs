//! A verdict as JSON, the same for every host: `accepted`, the numeric
//! `code` of the contract interface, a stable `label` and the `reason`;
//! for an accepted bundle, what it carries.

use bulkhead_protocol::hex;
use bulkhead_verifier::{BundleRefusal, Verified};
use serde_json::json;

/// The JSON verdict of one bundle. Integers that may pass 2^53 are
/// decimal strings, so JavaScript reads them exactly.
pub fn to_json(verdict: &Result<Verified, BundleRefusal>) -> String {
    let value = match verdict {
        Ok(verified) => {
            let bundle = verified.bundle();
            let public = &bundle.instance;
            json!({
                "accepted": true,
                "code": 0,
                "label": "accepted",
                "reason": "every check passed",
                "src": public.src.to_string(),
                "dst": public.dst.to_string(),
                "asset": public.asset.to_string(),
                "epoch": public.epoch.to_string(),
                "first_seq": public.first_seq.to_string(),
                "exits": bundle.exits.len().to_string(),
                "total": public.total.to_string(),
                "vk_digest": hex::encode(bundle.vk_digest),
            })
        }
        Err(refusal) => json!({
            "accepted": false,
            "code": refusal.code(),
            "label": refusal.label(),
            "reason": refusal.to_string(),
        }),
    };
    value.to_string()
}
