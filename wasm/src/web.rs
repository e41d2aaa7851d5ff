//! The wasm-bindgen interface for browsers and Node:
//!
//! ```js
//! const verifier = Verifier.withKey(paramsBytes, keyBytes, shapeJson, vkDigestHex);
//! // or: new Verifier(paramsBytes, shapeJson, vkDigestHex)  (derives the key: slow)
//! const verdict = JSON.parse(verifier.verify(bundleBytes));
//! ```

use bulkhead_verifier::BundleVerifier;
use wasm_bindgen::prelude::*;

use crate::{parse_digest, setup, verdict};

/// A bundle verifier for one registered key.
#[wasm_bindgen]
pub struct Verifier {
    inner: BundleVerifier,
}

#[wasm_bindgen]
impl Verifier {
    /// A verifier that derives the verifying key of `shape_json` from the
    /// parameters and checks it against `vk_digest_hex`.
    #[wasm_bindgen(constructor)]
    pub fn new(params: &[u8], shape_json: &str, vk_digest_hex: &str) -> Result<Verifier, JsError> {
        Self::build(params, &[], shape_json, vk_digest_hex)
    }

    /// A verifier that reads the verifying key from `key` (as `bulkhead
    /// keys` writes it) and checks it against `vk_digest_hex`.
    #[wasm_bindgen(js_name = withKey)]
    pub fn with_key(
        params: &[u8],
        key: &[u8],
        shape_json: &str,
        vk_digest_hex: &str,
    ) -> Result<Verifier, JsError> {
        Self::build(params, key, shape_json, vk_digest_hex)
    }

    fn build(
        params: &[u8],
        key: &[u8],
        shape_json: &str,
        digest: &str,
    ) -> Result<Verifier, JsError> {
        let digest = parse_digest(digest).map_err(|e| JsError::new(&e.to_string()))?;
        setup(params, key, shape_json.as_bytes(), digest)
            .map(|inner| Verifier { inner })
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Every stateless check of one bundle; the verdict as JSON
    /// (`accepted`, `code`, `label`, `reason`, and what an accepted bundle
    /// carries).
    pub fn verify(&self, bundle: &[u8]) -> String {
        verdict::to_json(&self.inner.verify_bundle(bundle))
    }

    /// The registered verifying-key digest, as hex.
    #[wasm_bindgen(js_name = vkDigest)]
    pub fn vk_digest(&self) -> String {
        bulkhead_protocol::hex::encode(self.inner.keys().vk_digest())
    }
}
