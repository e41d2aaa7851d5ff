//! The demo's world: every segment's state, every gate, the stream as it
//! is written, and the report of what each item did.

use std::collections::BTreeMap;
use std::path::Path;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::SegmentState;
use bulkhead_verifier::gate::{Effect, Gate, Refusal, StreamItem};

use crate::error::CliError;
use bulkhead_node::ledger::export_document;
use bulkhead_node::stream::{DirLog, StreamSource};
use bulkhead_prover::write_atomically;
use bulkhead_verifier::gate::Credit;

/// The stream's directory log, under the demo's `--out`.
pub const STREAM_DIR: &str = "stream";
/// Each position's label, one line each, under the demo's `--out`.
pub const LABELS_FILE: &str = "stream-labels.txt";

/// Refuses an `--out` whose stream already holds entries (an earlier
/// run's): appending would make a log no gate state matches. Checked
/// before any proving.
pub fn check_out_dir(dir: &Path) -> Result<(), CliError> {
    let log = DirLog::new(dir.join(STREAM_DIR));
    if log.entry(1)?.is_some() {
        return Err(CliError::Usage(format!(
            "{} already holds a stream (an earlier demo's?): give --out a new directory",
            log.dir().display()
        )));
    }
    Ok(())
}

/// One line of the report.
pub struct Outcome {
    /// What was tried.
    pub what: String,
    /// Whether it went as it should (honest accepted, attack stopped).
    pub ok: bool,
    /// What happened.
    pub detail: String,
}

/// Segments, gates, the stream and the report.
pub struct World {
    /// Seed of every key.
    pub seed: u64,
    /// Every segment's state, as its relayer knows it.
    pub states: BTreeMap<u64, SegmentState>,
    /// One gate per segment, all following the same stream.
    pub gates: BTreeMap<u64, Gate>,
    /// Every exit each gate credited, in order (what its ledger would
    /// hold).
    pub credits: BTreeMap<u64, Vec<Credit>>,
    /// Every item offered, in order, with its label.
    pub stream: Vec<(String, StreamItem)>,
    /// Refusals by label.
    pub refused: BTreeMap<String, u64>,
    /// Bundles accepted by every gate.
    pub accepted_bundles: u64,
    /// The report, line by line.
    pub report: Vec<Outcome>,
}

impl World {
    /// Offers `item` to every gate; returns the follow verdict (which all
    /// gates must share) and each gate's effect.
    pub fn submit(&mut self, label: &str, item: StreamItem) -> Result<Vec<(u64, Effect)>, Refusal> {
        let mut verdicts = Vec::new();
        for (id, gate) in &mut self.gates {
            let verdict = gate.process(&item);
            if verdict.is_ok() {
                self.credits
                    .entry(*id)
                    .or_default()
                    .extend(gate.changes().credited.iter().cloned());
            }
            verdicts.push((*id, verdict));
        }
        let is_bundle = matches!(item, StreamItem::Bundle(_));
        self.stream.push((label.to_owned(), item));
        let first = verdicts[0].1.clone().map(|_| ());
        if let Some((id, other)) = verdicts
            .iter()
            .find(|(_, v)| v.clone().map(|_| ()) != first)
        {
            // Follow rules read only the stream: a disagreement is a bug
            // in the gate, and the demo reports it as a failure.
            self.report.push(Outcome {
                what: format!("gates agree on {label}"),
                ok: false,
                detail: format!("gate {id} saw {other:?}, gate 1 saw {first:?}"),
            });
        }
        match first {
            Ok(()) => {
                if is_bundle {
                    self.accepted_bundles += 1;
                }
                Ok(verdicts
                    .into_iter()
                    .filter_map(|(id, v)| v.ok().map(|effect| (id, effect)))
                    .collect())
            }
            Err(refusal) => {
                *self.refused.entry(refusal.label().to_owned()).or_default() += 1;
                Err(refusal)
            }
        }
    }

    /// Offers an honest item, which every gate must accept.
    pub fn expect_accepted(&mut self, label: &str, item: StreamItem) {
        let result = self.submit(label, item);
        self.report.push(Outcome {
            what: format!("honest: {label}"),
            ok: result.is_ok(),
            detail: match result {
                Ok(_) => "accepted by every gate".into(),
                Err(r) => format!("REFUSED: {r}"),
            },
        });
    }

    /// Offers a compromised segment's item that every gate must accept
    /// (its signatures and proofs are valid: no check can tell), and says
    /// `why` that is the expected outcome, from the gates' state after it.
    pub fn expect_compromise_accepted(
        &mut self,
        label: &str,
        item: StreamItem,
        why: impl FnOnce(&World) -> String,
    ) {
        let result = self.submit(label, item);
        self.report.push(Outcome {
            what: format!("compromised: {label}"),
            ok: result.is_ok(),
            detail: match result {
                Ok(_) => format!("accepted by every gate, as it must be: {}", why(self)),
                Err(r) => format!("REFUSED: {r}"),
            },
        });
    }

    /// Offers an attack, which must be refused with the `expected` label.
    pub fn expect_stopped(&mut self, what: &str, label: &str, item: StreamItem, expected: &str) {
        let result = self.submit(label, item);
        let (ok, detail) = match result {
            Ok(_) => (false, "ACCEPTED — the attack got through".to_owned()),
            Err(r) => (r.label() == expected, format!("stopped by {r}")),
        };
        self.report.push(Outcome {
            what: format!("attack: {what}"),
            ok,
            detail,
        });
    }

    /// An attestation of `root` after `parent`, one height above the
    /// chain's tip as the gates know it, by `signers` validators.
    pub fn next_attestation(
        &self,
        segment: u64,
        parent: Fp,
        root: Fp,
        signers: usize,
    ) -> StreamItem {
        let height = self.height(segment).saturating_add(1);
        bulkhead_testkit::gate::attestation(self.seed, segment, height, parent, root, signers)
    }

    /// The height of `segment`'s chain tip, as the gates follow it.
    pub fn height(&self, segment: u64) -> u64 {
        self.gates
            .values()
            .next()
            .and_then(|gate| gate.state().sources.get(&segment))
            .map_or(0, |source| source.height)
    }

    /// The stream's signed tick into `epoch`.
    pub fn tick(&self, epoch: u64) -> StreamItem {
        bulkhead_testkit::gate::tick(self.seed, epoch)
    }

    /// Leaves the stream as a directory log in `dir/stream` (every item
    /// the gates were offered, in order, refused ones too: a follower
    /// refuses them as the gates did, and reaches the same state), the
    /// label of each position in `dir/stream-labels.txt`, and, per gate,
    /// its configuration and the export its ledger gives at the log's end
    /// (`gate export --json`) in `dir/gates/<id>`.
    pub fn save(&self, dir: &Path) -> Result<(), CliError> {
        let log = DirLog::new(dir.join(STREAM_DIR));
        let mut labels = String::new();
        for (i, (label, item)) in self.stream.iter().enumerate() {
            let want = i as u64 + 1;
            let position = log.append(item, want)?;
            // A position taken by another writer would put the demo's
            // items out of order: the log is not the demo's any more.
            if position != want {
                return Err(CliError::Usage(format!(
                    "{}: position {want} was taken while the demo wrote it",
                    log.dir().display()
                )));
            }
            labels.push_str(&format!("{position:010} {label}\n"));
        }
        let path = dir.join(LABELS_FILE);
        write_atomically(&path, labels.as_bytes()).map_err(CliError::io(&path))?;
        for (id, gate) in &self.gates {
            let gate_dir = dir.join("gates").join(id.to_string());
            std::fs::create_dir_all(&gate_dir).map_err(CliError::io(&gate_dir))?;
            let credits = self.credits.get(id).map_or(&[][..], Vec::as_slice);
            let export = export_document(gate.state(), self.stream.len() as u64, credits);
            let files = [
                ("export.json", serde_json::to_vec_pretty(&export)),
                (
                    "config.json",
                    serde_json::to_vec_pretty(&gate.state().config),
                ),
            ];
            for (name, bytes) in files {
                let bytes = bytes.map_err(|e| CliError::Usage(e.to_string()))?;
                let path = gate_dir.join(name);
                write_atomically(&path, &bytes).map_err(CliError::io(&path))?;
            }
        }
        Ok(())
    }
}
