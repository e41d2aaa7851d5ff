//! `inspect` and `bench`: circuit size and cost for researchers.

use bulkhead_circuits::cost::{self, CircuitReport};
use bulkhead_circuits::keys::ParamsCache;
use bulkhead_circuits::CircuitShape;

use crate::{BenchArgs, Failure, InspectArgs};

/// Runs `bulkhead <command> <args>` as a child process (one bench point per
/// process, so its peak memory is its own) and returns its stdout.
pub(crate) fn run_child(
    cache: &ParamsCache,
    command: &str,
    args: &[String],
) -> Result<Vec<u8>, Failure> {
    let exe = std::env::current_exe().map_err(|e| Failure::Usage(e.to_string()))?;
    let out = std::process::Command::new(exe)
        .arg("--params-dir")
        .arg(cache.dir())
        .arg(command)
        .args(args)
        .output()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    if !out.status.success() {
        return Err(Failure::Usage(format!(
            "{command} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(out.stdout)
}

pub(crate) fn bench(args: BenchArgs, cache: &ParamsCache) -> Result<(), Failure> {
    let (depths, batches, chips, threads, runs) = if args.quick {
        (vec![20], vec![16, 32], vec![2, 3], vec![1, 2], 2)
    } else {
        (
            args.depths,
            args.batches,
            args.chips,
            args.threads,
            args.runs,
        )
    };
    let mut records = Vec::new();
    for &depth in &depths {
        for &batch in &batches {
            for &chip_count in &chips {
                let shape = CircuitShape {
                    accounts_depth: depth,
                    batch_size: batch,
                    poseidon_chips: chip_count,
                    ..CircuitShape::DEFAULT
                };
                shape
                    .validate()
                    .map_err(|e| Failure::Usage(e.to_string()))?;
                let shape_args = [
                    "--depth".to_string(),
                    depth.to_string(),
                    "--batch".into(),
                    batch.to_string(),
                    "--chips".into(),
                    chip_count.to_string(),
                ];
                if let Some(run) = args.memory_run {
                    let mut child = shape_args.to_vec();
                    child.extend(["--batches".into(), run.to_string()]);
                    print!(
                        "{}",
                        String::from_utf8_lossy(&run_child(cache, "bench-memory", &child)?)
                    );
                    continue;
                }
                for &thread_count in &threads {
                    eprintln!("bench: {shape}, {thread_count} threads");
                    let mut child = shape_args.to_vec();
                    child.extend([
                        "--threads".into(),
                        thread_count.to_string(),
                        "--runs".into(),
                        runs.to_string(),
                    ]);
                    let stdout = run_child(cache, "bench-point", &child)?;
                    let record: bulkhead_cli::bench::Record = serde_json::from_slice(&stdout)
                        .map_err(|e| Failure::Usage(format!("bench point output: {e}")))?;
                    records.push(record);
                }
            }
        }
    }
    if args.memory_run.is_some() {
        return Ok(());
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).map_err(|e| Failure::Usage(e.to_string()))?
        );
    } else {
        print!("{}", bulkhead_cli::bench::to_table(&records));
    }
    if let Some(path) = &args.csv {
        std::fs::write(path, bulkhead_cli::bench::to_csv(&records))
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = &args.plot {
        bulkhead_cli::bench::plot(&records, path).map_err(Failure::Usage)?;
    }
    Ok(())
}

pub(crate) fn inspect(args: InspectArgs) -> Result<(), Failure> {
    let report = cost::measure(args.shape.shape()).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(path) = &args.layout {
        draw_layout(report.shape, report.k, path).map_err(Failure::Usage)?;
    }
    if args.json {
        println!("{}", report_json(&report));
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Renders halo2's picture of the circuit layout into an SVG.
pub(crate) fn draw_layout(
    shape: CircuitShape,
    k: u32,
    path: &std::path::Path,
) -> Result<(), String> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (1200, 1600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root
        .titled(
            &format!("Bulkhead exit batch, {shape}, k={k}"),
            ("sans-serif", 20),
        )
        .map_err(|e| e.to_string())?;
    let drawn: Result<(), bulkhead_circuits::Error> = bulkhead_circuits::with_chips!(shape.poseidon_chips, CHIPS => {
        bulkhead_circuits::circuit::ExitBatchCircuit::<CHIPS>::blank(shape).and_then(|circuit| {
            halo2_proofs::dev::CircuitLayout::default()
                .render(k, &circuit, &root)
                .map_err(|e| bulkhead_circuits::Error::Halo2(e.to_string()))
        })
    });
    drawn.map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

pub(crate) fn report_json(r: &CircuitReport) -> serde_json::Value {
    serde_json::json!({
        "depth": r.shape.accounts_depth,
        "silo_depth": r.shape.silo_depth,
        "lanes_depth": r.shape.lanes_depth,
        "batch": r.shape.batch_size,
        "chips": r.shape.poseidon_chips,
        "k": r.k,
        "rows": r.rows,
        "advice_rows": r.advice_rows,
        "advice_columns": r.advice_columns,
        "fixed_columns": r.fixed_columns,
        "instance_columns": r.instance_columns,
        "lookups": r.lookups,
        "max_degree": r.max_degree,
        "proof_bytes": r.proof_bytes,
        "rows_per_exit": r.rows as f64 / r.shape.batch_size as f64,
        "permutations": r.permutations,
        "rows_per_permutation": r.rows_per_permutation,
    })
}

pub(crate) fn print_report(r: &CircuitReport) {
    println!("shape            {}", r.shape);
    println!(
        "k                {} ({} rows available)",
        r.k,
        (1usize << r.k) - r.reserved_rows
    );
    println!(
        "rows used        {} ({} per exit)",
        r.rows,
        r.rows / r.shape.slots()
    );
    println!(
        "columns          {} advice, {} fixed, {} instance, {} lookup",
        r.advice_columns, r.fixed_columns, r.instance_columns, r.lookups
    );
    println!(
        "poseidon         {} permutations, {} rows each on its chip",
        r.permutations, r.rows_per_permutation
    );
    println!("max degree       {}", r.max_degree);
    println!("proof bytes      {}", r.proof_bytes);
}
