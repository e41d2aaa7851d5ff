//! What a gate is told when it is created: the sources it follows (shape,
//! key digest, validators, genesis roots, declared silos), the stream's
//! guardians, and its own breaker and inbound limit.

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::CircuitShape;
use serde::{Deserialize, Serialize};

/// A silo a source segment declared at registration (public genesis data),
/// used to report the blast-radius bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredSilo {
    /// Asset.
    pub asset: u64,
    /// Collateral at genesis: the most that can ever leave in this asset.
    pub collateral: u64,
    /// Cap per epoch.
    pub cap: u64,
}

/// What every gate knows about one source segment from the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceConfig {
    /// Segment id.
    pub segment: u64,
    /// The only circuit shape its bundles may use.
    pub shape: CircuitShape,
    /// The verifying-key digest for that shape.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub vk_digest: [u8; 32],
    /// Validator public keys.
    pub validators: Vec<Hex32>,
    /// Distinct validator signatures an attestation needs.
    pub threshold: usize,
    /// Accounts root at genesis (the first attested tip).
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub accounts_root: Fp,
    /// Boundary root at genesis.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub boundary_root: Fp,
    /// Silos declared at genesis.
    pub silos: Vec<DeclaredSilo>,
}

/// A 32-byte key, hex in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hex32(#[serde(with = "bulkhead_protocol::hex::bytes")] pub [u8; 32]);

/// A gate's configuration: the sources it follows, the stream's guardians,
/// and its own breaker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateConfig {
    /// This gate's segment id: exits with this DST are credited here.
    pub segment: u64,
    /// Sources, as every gate registers them.
    pub sources: Vec<SourceConfig>,
    /// Guardians whose actions quarantine or release a source for all gates.
    pub stream_guardians: Vec<Hex32>,
    /// Guardian actions needed to quarantine or release.
    pub stream_threshold: usize,
    /// This gate's own guardians (local breaker).
    pub local_guardians: Vec<Hex32>,
    /// Local guardian actions needed to trip or release.
    pub local_threshold: usize,
    /// Most this gate credits from one source in one epoch.
    pub inbound_limit: u64,
}

impl GateConfig {
    /// The registration of source `segment`, if it is one.
    pub fn source(&self, segment: u64) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.segment == segment)
    }
}
