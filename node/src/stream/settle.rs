//! The settle rule, once for every follower (the gate service and the
//! relayer's watcher): an entry that does not decode may be a file still
//! being copied in, so it is taken as final (refused, and the stream moves
//! past it) only once it has stayed the same for [`SETTLE`].

use std::time::{Duration, Instant};

use super::StreamEntry;

/// How long an entry that does not decode must stay unchanged before a
/// follower takes it as final.
pub const SETTLE: Duration = Duration::from_secs(1);

/// What a follower remembers of the entry it is waiting on: its position,
/// its content and when it was first seen so.
#[derive(Debug, Default)]
pub struct Settling {
    unsettled: Option<(u64, StreamEntry, Instant)>,
}

impl Settling {
    /// Whether `entry`, read at `position` at time `now` and not well
    /// formed, is final: the same entry was seen at the same position at
    /// least [`SETTLE`] before. A first sight, or a changed entry, starts
    /// the wait again.
    pub fn is_final(&mut self, position: u64, entry: &StreamEntry, now: Instant) -> bool {
        match &self.unsettled {
            Some((p, seen, since)) if *p == position && seen == entry => {
                now.duration_since(*since) >= SETTLE
            }
            _ => {
                self.unsettled = Some((position, entry.clone(), now));
                false
            }
        }
    }

    /// Forgets the entry waited on, once the follower has moved past it.
    pub fn clear(&mut self) {
        self.unsettled = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn garbage(text: &str) -> StreamEntry {
        StreamEntry::Malformed(text.to_owned())
    }

    #[test]
    fn an_entry_is_final_only_once_unchanged_for_settle() {
        let start = Instant::now();
        let mut settling = Settling::default();
        assert!(!settling.is_final(3, &garbage("half"), start));
        assert!(!settling.is_final(3, &garbage("half"), start + SETTLE / 2));
        assert!(settling.is_final(3, &garbage("half"), start + SETTLE));
    }

    #[test]
    fn a_changed_entry_or_position_starts_the_wait_again() {
        let start = Instant::now();
        let mut settling = Settling::default();
        assert!(!settling.is_final(3, &garbage("half"), start));
        assert!(!settling.is_final(3, &garbage("more"), start + SETTLE));
        assert!(!settling.is_final(4, &garbage("more"), start + SETTLE * 2));
        assert!(settling.is_final(4, &garbage("more"), start + SETTLE * 3));
        settling.clear();
        assert!(!settling.is_final(4, &garbage("more"), start + SETTLE * 4));
    }
}
