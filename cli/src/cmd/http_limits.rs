//! The flags both services share for what one client may hold of them
//! (see `bulkhead_node::http`).

use std::time::Duration;

use bulkhead_node::http::{
    HttpLimits, DEFAULT_BODY_DEADLINE, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
};
use clap::Args;

/// Flags of a service's HTTP limits.
#[derive(Args, Clone, Copy, Debug)]
pub struct HttpLimitArgs {
    /// Connections held at once; past it, new ones wait to be accepted.
    /// Keep it well under the process's file-descriptor limit.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// A connection that has not sent a request head within this long
    /// (ms) is closed, idle ones included.
    #[arg(long, default_value_t = DEFAULT_HEADER_READ_TIMEOUT.as_millis() as u64)]
    header_timeout_ms: u64,
    /// A request whose body has not arrived within this long (ms) after
    /// its head gets 408.
    #[arg(long, default_value_t = DEFAULT_BODY_DEADLINE.as_millis() as u64)]
    body_timeout_ms: u64,
}

impl HttpLimitArgs {
    /// The limits the flags give.
    pub fn limits(&self) -> HttpLimits {
        HttpLimits {
            max_connections: self.max_connections,
            header_read_timeout: Duration::from_millis(self.header_timeout_ms),
            body_deadline: Duration::from_millis(self.body_timeout_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        http: HttpLimitArgs,
    }

    #[test]
    fn defaults_are_the_libraries_and_flags_override_them() {
        let defaults = Cli::parse_from(["x"]).http.limits();
        assert_eq!(defaults, HttpLimits::default());
        let set = Cli::parse_from([
            "x",
            "--max-connections",
            "16",
            "--header-timeout-ms",
            "250",
            "--body-timeout-ms",
            "750",
        ])
        .http
        .limits();
        assert_eq!(
            set,
            HttpLimits {
                max_connections: 16,
                header_read_timeout: Duration::from_millis(250),
                body_deadline: Duration::from_millis(750),
            }
        );
    }
}
