//! Consumer names: what a name may be, and a follower's default one.
//!
//! The default is unique per state directory, not per segment: two gates
//! of one segment (a replica, a new machine beside an old one) must never
//! share a consumer, or each would get part of the stream. It is drawn at
//! random once and kept in the state directory, rather than derived from
//! the directory's path: the same path on two machines is the usual
//! layout, and a moved or restored directory keeps its name (and the
//! permissions granted to it).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::Path;

use super::ConsumerError;
use crate::error::NodeError;

/// The file in a follower's state directory that holds its default
/// consumer name (one line): what to grant in the server's permissions.
pub const NAME_FILE: &str = "nats-consumer";

/// The longest name accepted (JetStream allows more; a name is also a
/// token of every consumer subject and of the permissions that grant it).
pub(super) const MAX_NAME: usize = 64;

/// Refuses a name that cannot be one token of a subject: only ASCII
/// letters, digits, `-` and `_`, at most 64 characters.
pub fn check_name(name: &str) -> Result<(), ConsumerError> {
    let fine = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fine {
        Ok(())
    } else {
        Err(ConsumerError::BadName {
            name: name.to_owned(),
        })
    }
}

/// The default consumer name of the follower whose state directory is
/// `dir`: `PREFIX-SEGMENT-ID` with a random ID, made on first use and
/// read back from [`NAME_FILE`] ever after. The caller holds the
/// directory's lock, so no two processes make it at once.
pub fn default_name(dir: &Path, prefix: &str, segment: u64) -> Result<String, NodeError> {
    let path = dir.join(NAME_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let name = text.trim();
            check_name(name).map_err(|e| NodeError::BadItem {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Ok(name.to_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = format!("{prefix}-{segment}-{:016x}", random_id());
            check_name(&name)?;
            write_atomically(&path, &name)?;
            Ok(name)
        }
        Err(e) => Err(NodeError::io(path)(e)),
    }
}

/// 64 random bits. The standard library's `RandomState` is keyed from
/// the operating system's randomness; mixed with the time and the pid it
/// makes an identifier without another dependency. It is no secret: a
/// collision would only make the second follower refuse to start (the
/// lease), never share a consumer.
fn random_id() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(now);
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Writes `name` to `path` through a temporary file and a rename, so a
/// crash never leaves half a name behind.
fn write_atomically(path: &Path, name: &str) -> Result<(), NodeError> {
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary).map_err(NodeError::io(&temporary))?;
    file.write_all(format!("{name}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(NodeError::io(&temporary))?;
    std::fs::rename(&temporary, path).map_err(NodeError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_subject_token() {
        for good in ["gate-2", "relay-1", "gate_2-0123456789abcdef"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "gate.2",
            "gate-*",
            ">",
            "gate 2",
            "gate/2",
            &"g".repeat(65),
        ] {
            assert!(
                matches!(check_name(bad), Err(ConsumerError::BadName { name }) if name == bad),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn the_default_is_kept_per_directory_and_differs_between_directories() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = default_name(a.path(), "gate", 2).unwrap();
        assert!(first.starts_with("gate-2-"), "{first}");
        assert_eq!(default_name(a.path(), "gate", 2).unwrap(), first, "stable");
        assert_ne!(
            default_name(b.path(), "gate", 2).unwrap(),
            first,
            "per directory"
        );
        assert_eq!(
            std::fs::read_to_string(a.path().join(NAME_FILE)).unwrap(),
            format!("{first}\n")
        );
    }

    #[test]
    fn a_damaged_name_file_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NAME_FILE), "gate.2\n").unwrap();
        match default_name(dir.path(), "gate", 2) {
            Err(NodeError::BadItem { path, .. }) => assert_eq!(path, dir.path().join(NAME_FILE)),
            other => panic!("{other:?}"),
        }
    }
}
