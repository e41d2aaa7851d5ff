//! The accept loop: a connection cap, hyper's header-read timeout, and
//! graceful shutdown, in the shape of mini-redis's `server::run`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{deadline, error, HttpLimits};

/// How long the loop rests after `accept` fails (out of descriptors,
/// mostly) before trying again, so it does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` under `limits` until `shutdown` completes,
/// then lets the requests in hand finish (idle connections are closed at
/// once) and returns.
///
/// At most `limits.max_connections` connections are held: the loop takes
/// a place before it accepts, so past the cap a connection waits in the
/// kernel's backlog, costing this process no descriptor, until a place
/// frees. Each connection must send a request head within
/// `limits.header_read_timeout` (hyper closes it otherwise), and every
/// request body is under `limits.body_deadline` ([`deadline`]). Every
/// error answer is in the one JSON shape ([`error`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    // The error shape outermost: it also shapes the deadline's 408.
    let app = error::layer(deadline::layer(app, limits.body_deadline));
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = http1::Builder::new();
    // The timeout needs a timer; without one hyper has no timeout at all.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = places.clone().acquire_owned() => place,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed.
        let Ok(place) = place else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match stream {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                tracing::warn!(%error, "cannot accept a connection; retrying");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Answers are small and written whole: no reason to wait for more.
        let _ = stream.set_nodelay(true);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
            // The connection's socket is closed by now: its place frees.
            drop(place);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
