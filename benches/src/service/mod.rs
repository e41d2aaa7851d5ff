//! Benches of the services: batch verification on bundles already proven
//! ([`batch`]), the gate's ledger and HTTP service beside a large history
//! ([`gate`]), and the relayer end to end against the proving engine
//! alone ([`relay`]). The services run as child processes of the
//! `bulkhead` binary whose path the caller hands in, so each has its own
//! threads and keys, as in production.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use crate::BenchError;

pub mod batch;
pub mod gate;
pub mod relay;

/// A service child process, killed and reaped when dropped.
struct Service {
    child: Child,
    addr: SocketAddr,
}

impl Service {
    /// Starts `command` (whose stdout's first line is `listening on
    /// ADDR`), waits for that line, and keeps draining the rest so the
    /// child never blocks on a full pipe.
    fn spawn(mut command: Command, name: &'static str) -> Result<Self, BenchError> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(BenchError::io(name))?;
        let mut lines = child.stdout.take().map(|out| BufReader::new(out).lines());
        let line = lines
            .as_mut()
            .and_then(Iterator::next)
            .and_then(Result::ok)
            .unwrap_or_default();
        if let Some(rest) = lines {
            std::thread::spawn(move || rest.for_each(drop));
        }
        // Killed on drop from here on, whatever happens next.
        let mut service = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        service.addr = line
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .ok_or(BenchError::DidNotStart {
                command: name,
                said: line.clone(),
            })?;
        Ok(service)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
