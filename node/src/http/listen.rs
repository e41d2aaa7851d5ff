//! Where a service listens and when it stops: the same for the gate and
//! the relayer.

use std::net::SocketAddr;

use crate::error::NodeError;

/// Binds `addr` and says where it listens (port 0 picks a free one).
pub async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), NodeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(NodeError::io(addr.to_string()))?;
    let local = listener
        .local_addr()
        .map_err(NodeError::io(addr.to_string()))?;
    Ok((listener, local))
}

/// SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing the item in hand");
}
