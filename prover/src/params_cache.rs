//! IPA parameters cached on disk, one checksummed file per `k`.
//!
//! IPA parameters need no trusted setup but `Params::new` takes tens of
//! seconds at k=15, so they are built once and read back (well under a
//! second). Verifiers get the same parameters as bytes or from this cache;
//! the verifier crate itself never touches a file system.

use std::fs;
use std::path::{Path, PathBuf};

use bulkhead_circuits::keys::IpaParams;

use crate::atomic_file::write_atomically;
use crate::ProverError as Error;

/// Environment variable that overrides the parameter cache directory.
pub const PARAMS_DIR_ENV: &str = "BULKHEAD_PARAMS_DIR";
/// Largest `k` the cache will build (2^24 rows is far beyond any shape).
pub const MAX_K: u32 = 24;

const MAGIC: &[u8; 8] = b"BHPARAMS";
const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 4 + 32;

/// Where parameters are cached: `$BULKHEAD_PARAMS_DIR`, else
/// `$XDG_CACHE_HOME/bulkhead/params`, else `$HOME/.cache/bulkhead/params`,
/// else `.bulkhead/params` in the working directory.
pub fn default_params_dir() -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = env(PARAMS_DIR_ENV) {
        return PathBuf::from(dir);
    }
    if let Some(cache) = env("XDG_CACHE_HOME") {
        return PathBuf::from(cache).join("bulkhead").join("params");
    }
    if let Some(home) = env("HOME") {
        return PathBuf::from(home)
            .join(".cache")
            .join("bulkhead")
            .join("params");
    }
    PathBuf::from(".bulkhead").join("params")
}

/// A directory of cached IPA parameters, one checksummed file per `k`.
#[derive(Clone, Debug)]
pub struct ParamsCache {
    dir: PathBuf,
}

/// How [`ParamsCache::load_or_create`] obtained the parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamsSource {
    /// Read from a valid cache file.
    Cache,
    /// Generated, because no file existed.
    Generated,
    /// Generated, because the file was corrupt; it was replaced.
    Regenerated,
}

impl ParamsCache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache at [`default_params_dir`].
    pub fn from_env() -> Self {
        Self::new(default_params_dir())
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds parameters for `k`.
    pub fn path(&self, k: u32) -> PathBuf {
        self.dir.join(format!("ipa-vesta-k{k}.params"))
    }

    /// Parameters for `shape` (validated first): those of its `k`, see
    /// [`Self::load_or_create`].
    pub fn load_for_shape(
        &self,
        shape: bulkhead_protocol::CircuitShape,
    ) -> Result<(IpaParams, ParamsSource), Error> {
        shape.validate()?;
        self.load_or_create(bulkhead_circuits::keys::k_for(shape)?)
    }

    /// Parameters for `k`: read back if a valid file exists, else generated
    /// and written atomically (temporary file, fsync, rename), so a crash
    /// mid-write leaves either the old state or a complete file. A file
    /// whose checksum or header does not match is never trusted.
    pub fn load_or_create(&self, k: u32) -> Result<(IpaParams, ParamsSource), Error> {
        if !(1..=MAX_K).contains(&k) {
            return Err(Error::InvalidK { k, max: MAX_K });
        }
        let path = self.path(k);
        let source = match fs::read(&path) {
            Ok(bytes) => match decode(&bytes, k) {
                Some(params) => return Ok((params, ParamsSource::Cache)),
                None => ParamsSource::Regenerated,
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ParamsSource::Generated,
            Err(e) => return Err(cache_error(&path, e)),
        };
        let params = IpaParams::new(k);
        self.store(&path, &params)?;
        Ok((params, source))
    }

    fn store(&self, path: &Path, params: &IpaParams) -> Result<(), Error> {
        fs::create_dir_all(&self.dir).map_err(|e| cache_error(&self.dir, e))?;
        let mut body = Vec::new();
        params.write(&mut body).map_err(|e| cache_error(path, e))?;
        let mut file_bytes = Vec::with_capacity(HEADER_LEN + body.len());
        file_bytes.extend_from_slice(MAGIC);
        file_bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        file_bytes.extend_from_slice(&params.k().to_le_bytes());
        file_bytes.extend_from_slice(checksum(&body).as_bytes());
        file_bytes.extend_from_slice(&body);

        write_atomically(path, &file_bytes).map_err(|e| cache_error(path, e))
    }
}

fn cache_error(path: &Path, source: std::io::Error) -> Error {
    Error::ParamsCache {
        path: path.to_path_buf(),
        source,
    }
}

fn checksum(body: &[u8]) -> blake2b_simd::Hash {
    blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"Bulkhead_Params_")
        .hash(body)
}

/// Parses a cache file; `None` for anything but a complete, matching file.
fn decode(bytes: &[u8], k: u32) -> Option<IpaParams> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return None;
    }
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    if word(8) != FORMAT_VERSION || word(12) != k {
        return None;
    }
    let body = &bytes[HEADER_LEN..];
    if checksum(body).as_bytes() != &bytes[16..HEADER_LEN] {
        return None;
    }
    let params = IpaParams::read(&mut &body[..]).ok()?;
    (params.k() == k).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_cached_checked_and_regenerated_when_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ParamsCache::new(dir.path().join("nested"));
        let (fresh, source) = cache.load_or_create(4).unwrap();
        assert_eq!(source, ParamsSource::Generated);
        let (cached, source) = cache.load_or_create(4).unwrap();
        assert_eq!(source, ParamsSource::Cache);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        fresh.write(&mut a).unwrap();
        cached.write(&mut b).unwrap();
        assert_eq!(a, b);

        // Flip one byte of the body: the checksum must catch it.
        let path = cache.path(4);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, &bytes).unwrap();
        assert!(decode(&bytes, 4).is_none());
        let (_, source) = cache.load_or_create(4).unwrap();
        assert_eq!(source, ParamsSource::Regenerated);

        // A truncated file (a crash mid-write without the rename) is refused.
        let bytes = fs::read(&path).unwrap();
        assert!(decode(&bytes[..bytes.len() / 2], 4).is_none());
        // A file for another k is refused.
        assert!(decode(&bytes, 5).is_none());
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(cache.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn out_of_range_k_is_refused() {
        let cache = ParamsCache::new(std::env::temp_dir().join("bulkhead-never-written"));
        assert!(matches!(
            cache.load_or_create(0),
            Err(Error::InvalidK { .. })
        ));
        assert!(matches!(
            cache.load_or_create(25),
            Err(Error::InvalidK { .. })
        ));
    }
}
