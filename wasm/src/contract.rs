//! The contract-host interface: plain exported functions over linear
//! memory, integer status codes, no imports and no JS glue. A host:
//!
//! 1. calls `alloc(len)` for each input and writes the bytes at the
//!    returned offset;
//! 2. calls `init(params, params_len, key, key_len, shape, shape_len,
//!    digest)` once (`key_len` 0 derives the key; `digest` points at the
//!    32 raw bytes of the registered digest);
//! 3. calls `verify(bundle, bundle_len)` per bundle;
//! 4. calls `dealloc(ptr, len)` for what it allocated.
//!
//! `verify` returns 0 for an accepted bundle or the refusal's code
//! ([`bulkhead_verifier::BundleRefusal::code`], 1 to 6); negative codes
//! are the interface's own errors ([`NOT_INITIALISED`] and the setup
//! codes). A bad input is a code, never a trap. [`CODES`] is every code
//! in one table, the one docs/CONTRACT.md documents (a wasm-host test
//! holds the two to each other).
//!
//! **Trust.** `init` fixes the registered digest for the life of the
//! instance: it is the host's set-up call (the chain or the embedding
//! program passes the digest from its own registry), never something a
//! user of the contract can reach. The key bytes themselves need no trust:
//! a key whose digest is not the one given is refused.
//!
//! **Memory.** Buffers come only from `alloc` and are tracked: `verify`
//! and `init` read only inside a live buffer, and `dealloc` frees only a
//! live buffer whole, so a wrong pointer or length is a code (or ignored),
//! never a corrupted heap.
//!
//! The functions are exported under these short names only on wasm32,
//! where the module is the whole program; natively they are ordinary
//! functions (tests call them) and export nothing that could clash with
//! the C library's symbols.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use bulkhead_verifier::{BundleVerifier, SetupError};

use crate::Setup;

/// `init` set the verifier up; `verify` accepted the bundle.
pub const OK: i32 = 0;
/// The bundle's bytes are not one canonical bundle.
pub const MALFORMED: i32 = 1;
/// G1: the bundle is for another shape or verifying key.
pub const WRONG_KEY: i32 = 2;
/// G1: the proof is not exactly as long as every proof of its shape.
pub const PROOF_LENGTH: i32 = 3;
/// G4: the plaintext exits do not match the public inputs.
pub const EXITS_MISMATCH: i32 = 4;
/// G4: an exit signature does not verify.
pub const BAD_SIGNATURE: i32 = 5;
/// G1: the proof does not verify.
pub const INVALID_PROOF: i32 = 6;
/// `verify` before a successful `init`.
pub const NOT_INITIALISED: i32 = -1;
/// `init` a second time (the module verifies for one registered key).
pub const ALREADY_INITIALISED: i32 = -2;
/// The shape is not valid JSON of a shape.
pub const BAD_SHAPE: i32 = -3;
/// The parameters were refused (another `k`, another length, not points).
pub const BAD_PARAMS: i32 = -4;
/// The key bytes or the shape were refused by the verifier.
pub const BAD_KEY: i32 = -5;
/// The key is not the registered one.
pub const DIGEST_MISMATCH: i32 = -6;
/// A pointer and length that are not inside one buffer from `alloc`.
pub const BAD_BUFFER: i32 = -7;

/// One status code of the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusCode {
    /// The value the call returns.
    pub value: i32,
    /// Its name (the constant's in this module).
    pub name: &'static str,
    /// The exports that return it: `"init"`, `"verify"` or
    /// `"init, verify"`.
    pub returned_by: &'static str,
}

/// Every code `init` and `verify` return, in the order docs/CONTRACT.md
/// lists them: success, the refusal codes (which are
/// [`bulkhead_verifier::BundleRefusal::code`]'s), then the interface's own
/// negative codes.
pub const CODES: [StatusCode; 14] = [
    code(OK, "OK", "init, verify"),
    code(MALFORMED, "MALFORMED", "verify"),
    code(WRONG_KEY, "WRONG_KEY", "verify"),
    code(PROOF_LENGTH, "PROOF_LENGTH", "verify"),
    code(EXITS_MISMATCH, "EXITS_MISMATCH", "verify"),
    code(BAD_SIGNATURE, "BAD_SIGNATURE", "verify"),
    code(INVALID_PROOF, "INVALID_PROOF", "verify"),
    code(NOT_INITIALISED, "NOT_INITIALISED", "verify"),
    code(ALREADY_INITIALISED, "ALREADY_INITIALISED", "init"),
    code(BAD_SHAPE, "BAD_SHAPE", "init"),
    code(BAD_PARAMS, "BAD_PARAMS", "init"),
    code(BAD_KEY, "BAD_KEY", "init"),
    code(DIGEST_MISMATCH, "DIGEST_MISMATCH", "init"),
    code(BAD_BUFFER, "BAD_BUFFER", "init, verify"),
];

const fn code(value: i32, name: &'static str, returned_by: &'static str) -> StatusCode {
    StatusCode {
        value,
        name,
        returned_by,
    }
}

/// The one verifier of this module instance. A `OnceLock`, not a lock
/// held across calls: a call that traps (out of fuel, say) can leave no
/// lock behind that would make every later call trap too.
static VERIFIER: OnceLock<BundleVerifier> = OnceLock::new();

/// Live buffers from `alloc`: start address and length.
static BUFFERS: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

/// Largest single buffer the module hands out: parameters at k = 16 (the
/// largest accepted) are 4 MiB; key, shape and bundles far smaller.
pub const MAX_BUFFER: u32 = 8 << 20;

fn buffers() -> std::sync::MutexGuard<'static, BTreeMap<usize, usize>> {
    // Never held across a call that could trap: only map operations run
    // under it.
    BUFFERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Allocates `len` bytes for the host to write into; 0 if `len` is 0,
/// larger than [`MAX_BUFFER`], or more than memory can grow to.
#[cfg_attr(target_arch = "wasm32", export_name = "alloc")]
pub extern "C" fn contract_alloc(len: u32) -> *mut u8 {
    if len == 0 || len > MAX_BUFFER {
        return std::ptr::null_mut();
    }
    let mut buffer = Vec::new();
    if buffer.try_reserve_exact(len as usize).is_err() {
        return std::ptr::null_mut();
    }
    buffer.resize(len as usize, 0u8);
    let mut buffer = buffer.into_boxed_slice();
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    buffers().insert(ptr as usize, len as usize);
    ptr
}

/// Frees a buffer from `alloc`. Anything but a live buffer's exact start
/// and length is ignored.
#[cfg_attr(target_arch = "wasm32", export_name = "dealloc")]
pub extern "C" fn contract_dealloc(ptr: *mut u8, len: u32) {
    let mut live = buffers();
    if live.get(&(ptr as usize)) != Some(&(len as usize)) {
        return;
    }
    live.remove(&(ptr as usize));
    // SAFETY: `(ptr, len)` is a live buffer from `contract_alloc`, a
    // leaked boxed slice of exactly that length, now forgotten by the
    // table, so it is freed once.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len as usize)) });
}

/// Sets up the module's verifier; 0 on success, else a negative code.
/// Each `(ptr, len)` must lie inside one buffer from `alloc` (`len` 0 is
/// empty), and `digest` must start 32 bytes inside one.
#[cfg_attr(target_arch = "wasm32", export_name = "init")]
pub extern "C" fn contract_init(
    params: *const u8,
    params_len: u32,
    key: *const u8,
    key_len: u32,
    shape: *const u8,
    shape_len: u32,
    digest: *const u8,
) -> i32 {
    let inputs = (
        bytes(params, params_len),
        bytes(key, key_len),
        bytes(shape, shape_len),
        bytes(digest, 32),
    );
    let (Some(params), Some(key), Some(shape), Some(digest)) = inputs else {
        return BAD_BUFFER;
    };
    if VERIFIER.get().is_some() {
        return ALREADY_INITIALISED;
    }
    let digest: [u8; 32] = digest.try_into().expect("32 bytes were read");
    match crate::setup(params, key, shape, digest) {
        // Single-threaded: nothing can have set it since the check above.
        Ok(verifier) => match VERIFIER.set(verifier) {
            Ok(()) => OK,
            Err(_) => ALREADY_INITIALISED,
        },
        Err(e) => setup_code(&e),
    }
}

/// Verifies one bundle: 0 accepted, 1-6 the refusal's code, negative for
/// an interface error. `(bundle, len)` must lie inside one buffer from
/// `alloc`.
#[cfg_attr(target_arch = "wasm32", export_name = "verify")]
pub extern "C" fn contract_verify(bundle: *const u8, len: u32) -> i32 {
    let Some(bundle) = bytes(bundle, len) else {
        return BAD_BUFFER;
    };
    match VERIFIER.get() {
        None => NOT_INITIALISED,
        Some(verifier) => match verifier.verify_bundle(bundle) {
            Ok(_) => OK,
            Err(refusal) => refusal.code(),
        },
    }
}

/// The code of a setup failure.
pub fn setup_code(error: &Setup) -> i32 {
    match error {
        Setup::Shape(_) => BAD_SHAPE,
        Setup::Digest => DIGEST_MISMATCH,
        Setup::Verifier(SetupError::Params(_)) => BAD_PARAMS,
        Setup::Verifier(SetupError::DigestMismatch { .. }) => DIGEST_MISMATCH,
        Setup::Verifier(_) => BAD_KEY,
    }
}

/// The bytes at `(ptr, len)` if they lie inside one live buffer from
/// `alloc`; an empty slice for length 0 (whatever the pointer).
fn bytes<'a>(ptr: *const u8, len: u32) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    let start = ptr as usize;
    let end = start.checked_add(len as usize)?;
    let live = buffers();
    let (&buffer, &buffer_len) = live.range(..=start).next_back()?;
    if end > buffer + buffer_len {
        return None;
    }
    // SAFETY: `[start, end)` lies inside a live buffer this module
    // allocated, which only `dealloc` frees; the module is single-threaded
    // and no call frees or writes it while this slice lives (the host
    // writes between calls).
    Some(unsafe { std::slice::from_raw_parts(ptr, len as usize) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_protocol::bundle::BundleError;
    use bulkhead_verifier::BundleRefusal;

    #[test]
    fn the_table_holds_each_code_once_and_the_verifiers_refusal_codes() {
        let mut values: Vec<i32> = CODES.iter().map(|c| c.value).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), CODES.len(), "a value named twice");
        let refusals = [
            (BundleRefusal::Malformed(BundleError::BadMagic), "MALFORMED"),
            (
                BundleRefusal::WrongKey {
                    shape: bulkhead_protocol::CircuitShape::TINY,
                    digest: [0; 32],
                },
                "WRONG_KEY",
            ),
            (
                BundleRefusal::ProofLength {
                    expected: 1,
                    got: 2,
                },
                "PROOF_LENGTH",
            ),
            (BundleRefusal::ExitsMismatch, "EXITS_MISMATCH"),
            (BundleRefusal::BadSignature(0), "BAD_SIGNATURE"),
            (BundleRefusal::InvalidProof, "INVALID_PROOF"),
        ];
        for (refusal, name) in refusals {
            let entry = CODES.iter().find(|c| c.value == refusal.code());
            assert_eq!(entry.map(|c| c.name), Some(name), "{refusal}");
            assert_eq!(entry.map(|c| c.returned_by), Some("verify"));
        }
        let positive = CODES.iter().filter(|c| c.value > 0).count();
        assert_eq!(positive, 6, "every refusal code, and no other");
    }

    #[test]
    fn only_bytes_inside_a_live_buffer_are_read() {
        let ptr = contract_alloc(16);
        assert!(!ptr.is_null());
        assert!(bytes(ptr, 16).is_some());
        assert!(bytes(ptr.wrapping_add(8), 8).is_some());
        assert!(
            bytes(ptr.wrapping_add(8), 9).is_none(),
            "runs past the buffer"
        );
        assert!(bytes(ptr.wrapping_sub(1), 1).is_none(), "before any buffer");
        assert!(bytes(std::ptr::null(), 1).is_none());
        assert_eq!(bytes(std::ptr::null(), 0), Some(&[][..]));
        assert_eq!(contract_verify(ptr.wrapping_add(8), 9), BAD_BUFFER);
        assert_eq!(contract_verify(ptr, 16), NOT_INITIALISED);

        // A wrong length or pointer is ignored; the buffer stays live.
        contract_dealloc(ptr, 15);
        contract_dealloc(ptr.wrapping_add(1), 15);
        assert!(bytes(ptr, 16).is_some());
        contract_dealloc(ptr, 16);
        assert!(bytes(ptr, 16).is_none(), "freed");
        contract_dealloc(ptr, 16); // a second free is ignored

        assert!(contract_alloc(0).is_null());
        assert!(contract_alloc(MAX_BUFFER + 1).is_null());
    }
}
