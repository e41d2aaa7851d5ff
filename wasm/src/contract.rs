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
//! codes). A bad input is a code, never a trap.
//!
//! The functions are exported under these short names only on wasm32,
//! where the module is the whole program; natively they are ordinary
//! functions (tests call them) and export nothing that could clash with
//! the C library's symbols.

use std::sync::Mutex;

use bulkhead_verifier::{BundleVerifier, SetupError};

use crate::Setup;

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
/// A pointer and length that do not lie inside memory, or a length
/// beyond what the module allocates.
pub const BAD_BUFFER: i32 = -7;

/// The one verifier of this module instance.
static VERIFIER: Mutex<Option<BundleVerifier>> = Mutex::new(None);

/// Largest single buffer the module hands out (parameters at k = 20 are
/// 64 MiB; nothing legitimate is larger).
const MAX_BUFFER: u32 = 1 << 28;

/// Allocates `len` bytes for the host to write into; 0 if `len` is 0 or
/// larger than the module hands out.
#[cfg_attr(target_arch = "wasm32", export_name = "alloc")]
pub extern "C" fn contract_alloc(len: u32) -> *mut u8 {
    if len == 0 || len > MAX_BUFFER {
        return std::ptr::null_mut();
    }
    let mut buffer = vec![0u8; len as usize].into_boxed_slice();
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Frees a buffer from `alloc`.
///
/// # Safety
/// `ptr` and `len` must be exactly those of one earlier `alloc` not yet
/// freed.
#[cfg_attr(target_arch = "wasm32", export_name = "dealloc")]
pub unsafe extern "C" fn contract_dealloc(ptr: *mut u8, len: u32) {
    if ptr.is_null() || len == 0 || len > MAX_BUFFER {
        return;
    }
    // SAFETY: the caller passes back one `alloc`'s boxed slice, whole.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len as usize)) });
}

/// Sets up the module's verifier; 0 on success, else a negative code.
///
/// # Safety
/// Each `(ptr, len)` must be a readable buffer (from `alloc`); `digest`
/// must point at 32 readable bytes.
#[cfg_attr(target_arch = "wasm32", export_name = "init")]
pub unsafe extern "C" fn contract_init(
    params: *const u8,
    params_len: u32,
    key: *const u8,
    key_len: u32,
    shape: *const u8,
    shape_len: u32,
    digest: *const u8,
) -> i32 {
    // SAFETY: the caller's contract, passed on.
    let inputs = unsafe {
        (
            bytes(params, params_len),
            bytes(key, key_len),
            bytes(shape, shape_len),
            bytes(digest, 32),
        )
    };
    let (Some(params), Some(key), Some(shape), Some(digest)) = inputs else {
        return BAD_BUFFER;
    };
    let mut slot = VERIFIER.lock().unwrap_or_else(|e| e.into_inner());
    if slot.is_some() {
        return ALREADY_INITIALISED;
    }
    let digest: [u8; 32] = digest.try_into().expect("32 bytes were read");
    match crate::setup(params, key, shape, digest) {
        Ok(verifier) => {
            *slot = Some(verifier);
            0
        }
        Err(e) => setup_code(&e),
    }
}

/// Verifies one bundle: 0 accepted, 1-6 the refusal's code, negative for
/// an interface error.
///
/// # Safety
/// `(bundle, len)` must be a readable buffer (from `alloc`).
#[cfg_attr(target_arch = "wasm32", export_name = "verify")]
pub unsafe extern "C" fn contract_verify(bundle: *const u8, len: u32) -> i32 {
    // SAFETY: the caller's contract, passed on.
    let Some(bundle) = (unsafe { bytes(bundle, len) }) else {
        return BAD_BUFFER;
    };
    let slot = VERIFIER.lock().unwrap_or_else(|e| e.into_inner());
    match slot.as_ref() {
        None => NOT_INITIALISED,
        Some(verifier) => match verifier.verify_bundle(bundle) {
            Ok(_) => 0,
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

/// The bytes at `(ptr, len)`; an empty slice for length 0 (whatever the
/// pointer), `None` for a null pointer with a length or an absurd length.
///
/// # Safety
/// A non-null `ptr` with `len > 0` must point at `len` readable bytes that
/// nothing writes while the slice lives.
unsafe fn bytes<'a>(ptr: *const u8, len: u32) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if ptr.is_null() || len > MAX_BUFFER {
        return None;
    }
    // SAFETY: guaranteed by the caller.
    Some(unsafe { std::slice::from_raw_parts(ptr, len as usize) })
}
