//! `bulkhead inspect`: the exact size of a circuit shape, for researchers.

mod raster;

use std::path::PathBuf;

use bulkhead_benches::size::{self as cost, CircuitReport};
use bulkhead_protocol::CircuitShape;
use clap::Args;

use crate::error::CliError;
use crate::shape_args::ShapeArgs;

/// Print the exact size of a circuit shape (rows, columns, k, proof bytes).
#[derive(Args)]
pub struct InspectArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also draw the circuit's layout (regions per column, rows top to
    /// bottom) as a PNG image of 1200x1600 pixels, whatever the shape.
    #[arg(long)]
    layout: Option<PathBuf>,
}

pub fn execute(args: InspectArgs) -> Result<(), CliError> {
    let report = cost::measure(args.shape.shape())?;
    if let Some(path) = &args.layout {
        draw_layout(report.shape, report.k, path)?;
    }
    if args.json {
        println!("{}", report_json(&report));
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Layout picture size in pixels: bounded, whatever the shape.
const LAYOUT_SIZE: (u32, u32) = (1200, 1600);

/// Renders halo2's picture of the circuit layout (regions, assigned cells,
/// the used and usable rows) into a PNG at `path`: columns left to right
/// (instance, advice red, fixed blue), rows top to bottom, several rows a
/// pixel at large `k`.
fn draw_layout(shape: CircuitShape, k: u32, path: &std::path::Path) -> Result<(), CliError> {
    use plotters::prelude::*;
    let mut image = raster::Raster::new(LAYOUT_SIZE.0, LAYOUT_SIZE.1);
    {
        let root = (&mut image).into_drawing_area();
        bulkhead_circuits::with_chips!(shape.poseidon_chips, CHIPS => {
            let circuit = bulkhead_circuits::circuit::ExitBatchCircuit::<CHIPS>::blank(shape)?;
            halo2_proofs::dev::CircuitLayout::default()
                .show_labels(false)
                .render(k, &circuit, &root)
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
        })?;
    }
    let png = image.png(&format!("Bulkhead exit batch, {shape}, k={k}"));
    bulkhead_prover::write_atomically(path, &png).map_err(CliError::io(path))
}

/// `inspect --json`: every unsigned integer a decimal string
/// (`bulkhead_protocol::decimal`), the one float a number.
#[derive(serde::Serialize)]
struct ReportJson {
    #[serde(with = "bulkhead_protocol::decimal")]
    depth: u32,
    #[serde(with = "bulkhead_protocol::decimal")]
    silo_depth: u32,
    #[serde(with = "bulkhead_protocol::decimal")]
    lanes_depth: u32,
    #[serde(with = "bulkhead_protocol::decimal")]
    batch: u32,
    #[serde(with = "bulkhead_protocol::decimal")]
    chips: u32,
    #[serde(with = "bulkhead_protocol::decimal")]
    k: u32,
    #[serde(with = "bulkhead_protocol::decimal")]
    rows: usize,
    #[serde(with = "bulkhead_protocol::decimal")]
    advice_rows: usize,
    #[serde(with = "bulkhead_protocol::decimal")]
    advice_columns: usize,
    #[serde(with = "bulkhead_protocol::decimal")]
    fixed_columns: usize,
    #[serde(with = "bulkhead_protocol::decimal")]
    instance_columns: usize,
    #[serde(with = "bulkhead_protocol::decimal")]
    lookups: usize,
    #[serde(with = "bulkhead_protocol::decimal")]
    max_degree: usize,
    #[serde(with = "bulkhead_protocol::decimal")]
    proof_bytes: usize,
    rows_per_exit: f64,
    #[serde(with = "bulkhead_protocol::decimal")]
    permutations: usize,
    #[serde(with = "bulkhead_protocol::decimal")]
    rows_per_permutation: usize,
}

fn report_json(r: &CircuitReport) -> serde_json::Value {
    serde_json::json!(ReportJson {
        depth: r.shape.accounts_depth,
        silo_depth: r.shape.silo_depth,
        lanes_depth: r.shape.lanes_depth,
        batch: r.shape.batch_size,
        chips: r.shape.poseidon_chips,
        k: r.k,
        rows: r.rows,
        advice_rows: r.advice_rows,
        advice_columns: r.advice_columns,
        fixed_columns: r.fixed_columns,
        instance_columns: r.instance_columns,
        lookups: r.lookups,
        max_degree: r.max_degree,
        proof_bytes: r.proof_bytes,
        rows_per_exit: r.rows as f64 / r.shape.batch_size as f64,
        permutations: r.permutations,
        rows_per_permutation: r.rows_per_permutation,
    })
}

fn print_report(r: &CircuitReport) {
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
