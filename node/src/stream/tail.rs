//! Following a stream for a person watching it (`bulkhead stream tail
//! -f`): each new entry as it arrives, until SIGINT or SIGTERM. Unlike a
//! gate, it holds no consumer and acknowledges nothing: it only reads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::raw::{RawEntry, StreamReader};
use crate::error::NodeError;

/// How long to wait before looking for a new entry again.
const POLL: Duration = Duration::from_millis(200);

/// What the caller does with each entry: go on, or stop (its reader went
/// away, say).
pub enum Next {
    /// Keep following.
    More,
    /// Stop now.
    Stop,
}

/// Calls `each` with every entry from `next` on, in order, waiting for
/// new ones, until SIGINT or SIGTERM (then returns `Ok`) or `each` says
/// stop. A read that fails is returned: the watcher sees it at once.
pub fn follow(
    reader: &dyn StreamReader,
    mut next: u64,
    mut each: impl FnMut(RawEntry) -> Next,
) -> Result<(), NodeError> {
    let stop = stop_on_signal()?;
    while !stop.load(Ordering::SeqCst) {
        match reader.raw(next)? {
            Some(entry) => {
                next = next.saturating_add(1);
                if let Next::Stop = each(entry) {
                    return Ok(());
                }
            }
            None => std::thread::sleep(POLL),
        }
    }
    Ok(())
}

/// A flag set when SIGINT or SIGTERM arrives, by a thread waiting on a
/// small runtime of its own (the signals are handled, so the caller ends
/// cleanly rather than being killed mid-line).
fn stop_on_signal() -> Result<Arc<AtomicBool>, NodeError> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(NodeError::io("signal runtime"))?;
    // The handlers are installed before this returns, so no signal sent
    // after it is lost.
    let signals = runtime.block_on(async { Signals::install() })?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(signals.wait());
            set.store(true, Ordering::SeqCst);
        })
        .map_err(NodeError::io("signal thread"))?;
    Ok(flag)
}

/// SIGINT and SIGTERM, listened for.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Result<Self, NodeError> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).map_err(NodeError::io("SIGINT"))?,
            terminate: signal(SignalKind::terminate()).map_err(NodeError::io("SIGTERM"))?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> Result<Self, NodeError> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
