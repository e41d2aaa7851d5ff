//! Shared by the node's tests: a server on a free loopback port, on its
//! own runtime, shut down gracefully when dropped; a relayer's engine over
//! the sample segment; the stream as it first sees it.

#![allow(dead_code)] // each test binary uses its own subset

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bulkhead_node::relay::engine::{BatchPolicy, Engine, StreamView};
use bulkhead_node::relay::store::RelayStore;
use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_testkit::chain::{EPOCH, SEED, SHAPE};
use bulkhead_testkit::gate::STREAM_ID;
use bulkhead_testkit::signed::segment;
use tokio::sync::oneshot;

/// Longest any one client waits for an answer: generous, never the point.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A server running on its own runtime until dropped.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    runtime: tokio::runtime::Runtime,
    served: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Binds a free loopback port and runs `serve(listener, shutdown)`.
    pub fn start<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(tokio::net::TcpListener, oneshot::Receiver<()>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel();
        let served = runtime.spawn(serve(listener, stopped));
        Self {
            addr,
            stop: Some(stop),
            runtime,
            served: Some(served),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        if let Some(served) = self.served.take() {
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(PATIENCE, served).await });
        }
    }
}

/// The shutdown future a test's server waits on.
pub async fn until(stopped: oneshot::Receiver<()>) {
    let _ = stopped.await;
}

/// The stream as a relayer's engine sees it at the start of the sample
/// epoch: nothing published yet, no quarantine.
pub fn view() -> StreamView {
    StreamView {
        position: 0,
        epoch: EPOCH,
        next_seq: 0,
        quarantined: false,
        boundary: Fp::zero(),
        height: 0,
        tip: None,
        governed_lanes: Default::default(),
        boundary_silos: Default::default(),
    }
}

/// A relayer's engine over the sample segment 1 (signed with the test
/// kit's seeded keys) in `dir`, its store made if `dir` holds none,
/// batching under `policy`, for the test kit's stream.
pub fn relay_engine(dir: &Path, policy: BatchPolicy) -> Engine {
    if !RelayStore::path(dir).exists() {
        std::fs::create_dir_all(dir).unwrap();
        let state = segment(SEED, 1, &SHAPE).unwrap();
        RelayStore::create(dir, &Snapshot::from_state(&state, SHAPE)).unwrap();
    }
    Engine::open(dir, policy, STREAM_ID).unwrap()
}

/// Records a bundle for every planned batch: its instance and exits, no
/// proof (the engine checks the file is the batch's, the gates the proof).
pub fn prove_all(engine: &mut Engine, dir: &Path) {
    let planned: Vec<_> = engine
        .live()
        .iter()
        .filter(|b| b.row.status.as_str() == "planned")
        .map(|b| (b.row.id, b.planned.clone()))
        .collect();
    for (id, planned) in planned {
        let bundle = Bundle {
            shape: SHAPE,
            vk_digest: [0; 32],
            instance: planned.outcome.instance,
            proof: Vec::new(),
            stream_id: planned.stream_id,
            exits: planned.exits.clone(),
        };
        let path = dir.join(format!("b{id}.bundle"));
        std::fs::write(&path, bundle.to_bytes()).unwrap();
        assert!(engine.finish_proof(id, &path).unwrap());
    }
}
