//! The sweep's points, each run as `bulkhead bench-point` (or
//! `bench-memory`) in a process of its own, so each point's peak memory
//! is its own.

use std::path::Path;
use std::process::Command;

use bulkhead_protocol::CircuitShape;
use bulkhead_prover::ParamsCache;

use super::Record;
use crate::BenchError;

/// The points of a sweep: every shape at every thread count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sweep {
    /// `(depth, batch, chips)` of each shape, the other depths the
    /// default's.
    pub shapes: Vec<(u32, u32, u32)>,
    /// Thread counts.
    pub threads: Vec<usize>,
    /// Timed runs per point (medians).
    pub runs: usize,
}

/// `(depth, batch, chips)` of `bench --quick`: the shapes that fill
/// `k = 13` (the default, and half and twice its exits on half and twice
/// its chips), so the sweep compares latency and cost per exit of narrower
/// and wider circuits at the same domain. Beyond four chips the main
/// columns, not hashing, set the rows (eight chips at N = 128 need
/// k = 14).
pub const QUICK_SHAPES: [(u32, u32, u32); 3] = [(20, 16, 1), (20, 32, 2), (20, 64, 4)];

impl Sweep {
    /// The sweep that finishes within minutes: [`QUICK_SHAPES`] at 1 and
    /// 2 threads, 2 runs each.
    pub fn quick() -> Self {
        Self {
            shapes: QUICK_SHAPES.to_vec(),
            threads: vec![1, 2],
            runs: 2,
        }
    }

    /// Every combination of `depths`, `batches` and `chips`, at each of
    /// `threads`.
    pub fn grid(
        depths: &[u32],
        batches: &[u32],
        chips: &[u32],
        threads: Vec<usize>,
        runs: usize,
    ) -> Self {
        let mut shapes = Vec::new();
        for &depth in depths {
            for &batch in batches {
                for &chip_count in chips {
                    shapes.push((depth, batch, chip_count));
                }
            }
        }
        Self {
            shapes,
            threads,
            runs,
        }
    }

    /// The shapes, each checked.
    pub fn circuit_shapes(&self) -> Result<Vec<CircuitShape>, BenchError> {
        self.shapes
            .iter()
            .map(|&(depth, batch, chips)| {
                let shape = CircuitShape {
                    accounts_depth: depth,
                    batch_size: batch,
                    poseidon_chips: chips,
                    ..CircuitShape::DEFAULT
                };
                shape.validate()?;
                Ok(shape)
            })
            .collect()
    }
}

/// The flags that name `shape` to a `bulkhead` child process.
fn shape_flags(shape: &CircuitShape) -> Vec<String> {
    vec![
        "--depth".into(),
        shape.accounts_depth.to_string(),
        "--batch".into(),
        shape.batch_size.to_string(),
        "--chips".into(),
        shape.poseidon_chips.to_string(),
    ]
}

/// Runs `EXE --params-dir DIR <command> <args>` (the `bulkhead` binary at
/// `exe`) and returns its stdout: one measurement per process, so its
/// peak memory is its own.
pub fn run_child(
    exe: &Path,
    cache: &ParamsCache,
    command: &str,
    args: &[String],
) -> Result<Vec<u8>, BenchError> {
    let out = Command::new(exe)
        .arg("--params-dir")
        .arg(cache.dir())
        .arg(command)
        .args(args)
        .output()
        .map_err(BenchError::io(exe))?;
    if !out.status.success() {
        return Err(BenchError::ChildFailed {
            command: format!("{command} {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(out.stdout)
}

/// Measures every point of `sweep`, each as `EXE bench-point` in its own
/// process; `on_point` hears of each before it starts.
pub fn run_points(
    exe: &Path,
    cache: &ParamsCache,
    sweep: &Sweep,
    mut on_point: impl FnMut(&CircuitShape, usize),
) -> Result<Vec<Record>, BenchError> {
    let mut records = Vec::new();
    for shape in sweep.circuit_shapes()? {
        for &threads in &sweep.threads {
            on_point(&shape, threads);
            let mut args = shape_flags(&shape);
            args.extend([
                "--threads".into(),
                threads.to_string(),
                "--runs".into(),
                sweep.runs.to_string(),
            ]);
            let stdout = run_child(exe, cache, "bench-point", &args)?;
            records.push(
                serde_json::from_slice(&stdout).map_err(BenchError::json("bench point output"))?,
            );
        }
    }
    Ok(records)
}

/// Runs `EXE bench-memory` for each shape of `sweep` with `batches`
/// batches, each in its own process, and hands `on_output` each child's
/// output (one JSON [`MemoryRecord`] line) as it printed it, as soon as
/// the child is done.
pub fn run_memory(
    exe: &Path,
    cache: &ParamsCache,
    sweep: &Sweep,
    batches: usize,
    mut on_output: impl FnMut(&[u8]),
) -> Result<(), BenchError> {
    for shape in sweep.circuit_shapes()? {
        let mut args = shape_flags(&shape);
        args.extend(["--batches".into(), batches.to_string()]);
        on_output(&run_child(exe, cache, "bench-memory", &args)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_is_every_combination_and_quick_is_its_three_shapes() {
        let grid = Sweep::grid(&[16, 20], &[8, 16], &[1, 2, 3], vec![1, 2], 3);
        assert_eq!(grid.shapes.len(), 12);
        assert_eq!(grid.shapes[0], (16, 8, 1));
        assert_eq!(grid.shapes[11], (20, 16, 3));
        let quick = Sweep::quick();
        assert_eq!(quick.circuit_shapes().unwrap().len(), 3);
        assert_eq!((quick.threads.as_slice(), quick.runs), (&[1, 2][..], 2));
        let bad = Sweep::grid(&[20], &[3], &[1], vec![1], 1);
        assert!(matches!(bad.circuit_shapes(), Err(BenchError::Protocol(_))));
    }
}
