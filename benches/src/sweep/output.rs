//! The sweep's records as CSV, as a table for people, and as a plot.

use std::path::Path;

use super::Record;
use crate::BenchError;

/// Writes records as CSV.
pub fn to_csv(records: &[Record]) -> String {
    let mut out = String::from(
        "depth,batch,chips,threads,k,rows,advice_columns,proof_bytes,keygen_s,prove_s,prove_s_per_exit,exits_per_s,verify_ms,batch_verify_ms_per_proof,msm_s,committed_polys,prove_over_msm_floor,poseidon_floor_k,poseidon_floor_s,prove_over_poseidon_floor,peak_rss_mb,runs\n",
    );
    for r in records {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:.3},{:.3},{:.4},{:.2},{:.2},{:.3},{:.4},{},{:.2},{},{:.3},{:.2},{:.1},{}\n",
            r.depth,
            r.batch,
            r.chips,
            r.threads,
            r.k,
            r.rows,
            r.advice_columns,
            r.proof_bytes,
            r.keygen_s,
            r.prove_s,
            r.prove_s_per_exit,
            r.exits_per_s,
            r.verify_ms,
            r.batch_verify_ms_per_proof,
            r.msm_s,
            r.committed_polys,
            r.prove_over_msm_floor,
            r.poseidon_floor_k,
            r.poseidon_floor_s,
            r.prove_over_poseidon_floor,
            r.peak_rss_mb,
            r.runs
        ));
    }
    out
}

/// A table for people.
pub fn to_table(records: &[Record]) -> String {
    let mut out = String::from(
        "  D   N chips thr  k   rows proofB keygen_s prove_s s/exit exits/s verify_ms bverify_ms msm_s xMSM pos_s xPOS rss_MB\n",
    );
    for r in records {
        out.push_str(&format!(
            "{:>3} {:>3} {:>5} {:>3} {:>2} {:>6} {:>6} {:>8.2} {:>7.2} {:>6.3} {:>7.2} {:>9.1} {:>10.2} {:>5.3} {:>4.1} {:>5.2} {:>4.2} {:>6.0}\n",
            r.depth, r.batch, r.chips, r.threads, r.k, r.rows, r.proof_bytes, r.keygen_s, r.prove_s,
            r.prove_s_per_exit, r.exits_per_s, r.verify_ms, r.batch_verify_ms_per_proof, r.msm_s,
            r.prove_over_msm_floor, r.poseidon_floor_s, r.prove_over_poseidon_floor, r.peak_rss_mb
        ));
    }
    out
}

/// A value plotted per record.
type Metric = fn(&Record) -> f64;

/// Draws prove time per exit and throughput against batch size, one line
/// per (depth, chips, threads), as an SVG file.
pub fn plot(records: &[Record], path: &Path) -> Result<(), BenchError> {
    let drawing = |source| BenchError::Plot {
        path: path.to_path_buf(),
        source,
    };
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (1100, 450)).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let (left, right) = root.split_horizontally(550);
    let mut series: std::collections::BTreeMap<(u32, u32, usize), Vec<&Record>> =
        Default::default();
    for r in records {
        series
            .entry((r.depth, r.chips, r.threads))
            .or_default()
            .push(r);
    }
    let max_batch = records.iter().map(|r| r.batch).max().unwrap_or(1) as f64;
    let per_exit: Metric = |r| r.prove_s_per_exit;
    let throughput: Metric = |r| r.exits_per_s;
    for (area, title, value) in [
        (&left, "prove seconds per exit", per_exit),
        (&right, "exits per second (throughput mode)", throughput),
    ] {
        let top = records.iter().map(value).fold(0.0, f64::max) * 1.15 + 1e-9;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..max_batch * 1.1, 0.0..top)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .x_desc("batch size N")
            .draw()
            .map_err(drawing)?;
        for (i, ((depth, chips, threads), points)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let mut line: Vec<(f64, f64)> =
                points.iter().map(|r| (r.batch as f64, value(r))).collect();
            line.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                .map_err(drawing)?
                .label(format!("D={depth} chips={chips} threads={threads}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            chart
                .draw_series(line.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                .map_err(drawing)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(drawing)?;
    }
    root.present().map_err(drawing)
}
