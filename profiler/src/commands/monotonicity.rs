//! `profiler monotonicity`: how alike devices rank architectures.

use super::files::{check_new_file, data_or_shipped};
use super::heatmap_svg::heatmap_svg;
use anyhow::{Context, Result};
use clap::Args;
use latscope_model::predictor_onnx::Predictor;
use latscope_shared::monotonicity::Monotonicity;
use latscope_shared::space::SpaceId;
use std::io::Write;
use std::path::PathBuf;

/// Latency monotonicity between devices (One Proxy Device Is Enough): the
/// Spearman ρ of every pair of devices over the architectures all of them
/// were measured on, devices clustered so groups are visible, pairs below
/// --threshold flagged. With --predictor, the ρ of the predictor's outputs
/// on the dataset's architectures instead.
///
/// Example: profiler monotonicity --space nb201 --svg nb201_rho.svg
#[derive(Debug, Args)]
pub struct MonotonicityArgs {
    /// Dataset (wide or long CSV, plain or gzip) [default: the shipped
    /// dataset of --space, or of the predictor's space].
    #[arg(long)]
    data: Option<PathBuf>,

    /// Search space (nb201 or fbnet): picks the shipped dataset, or one
    /// space of a file that holds several.
    #[arg(long, short = 's')]
    space: Option<String>,

    /// Correlate a predictor file's outputs instead of the measurements.
    #[arg(long)]
    predictor: Option<PathBuf>,

    /// Only these devices (comma-separated) [default: all].
    #[arg(long, value_delimiter = ',')]
    devices: Vec<String>,

    /// Flag pairs below this ρ.
    #[arg(long, default_value_t = 0.9)]
    threshold: f64,

    /// Write the heatmap as an SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,

    /// Overwrite the SVG file if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(args: MonotonicityArgs) -> Result<()> {
    if let Some(svg) = &args.svg {
        check_new_file(svg, args.force)?;
    }
    let predictor = args
        .predictor
        .as_ref()
        .map(|path| -> Result<Predictor> {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Predictor::from_bytes(&bytes).with_context(|| format!("loading {}", path.display()))
        })
        .transpose()?;
    let space: Option<SpaceId> = match (&args.space, &predictor) {
        (Some(s), _) => Some(s.parse()?),
        (None, Some(p)) => Some(p.meta().space),
        (None, None) => None,
    };
    let (data, table) = data_or_shipped(args.data.as_deref(), space)?;
    let (what, m) = match &predictor {
        None => {
            let table = if args.devices.is_empty() {
                table
            } else {
                table.select_devices(&args.devices)?
            };
            (
                format!("measured latencies in {}", data.display()),
                Monotonicity::of_table(&table)?,
            )
        }
        Some(p) => {
            let prediction = p.predict_archs(table.archs())?;
            let devices = &p.meta().devices;
            let wanted: Vec<usize> = if args.devices.is_empty() {
                (0..devices.len()).collect()
            } else {
                args.devices
                    .iter()
                    .map(|d| {
                        devices.iter().position(|x| x == d).with_context(|| {
                            format!(
                                "the predictor has no device {d:?} (it has {})",
                                devices.join(", ")
                            )
                        })
                    })
                    .collect::<Result<_>>()?
            };
            let columns: Vec<Vec<f64>> = wanted
                .iter()
                .map(|&j| {
                    prediction
                        .latency_ms
                        .column(j)
                        .iter()
                        .map(|&v| v as f64)
                        .collect()
                })
                .collect();
            let names = wanted.iter().map(|&j| devices[j].clone()).collect();
            (
                format!(
                    "predictions of {} on the {} architectures of {}",
                    args.predictor.as_ref().expect("predictor given").display(),
                    table.n_archs(),
                    data.display()
                ),
                Monotonicity::of_columns(names, &columns)?,
            )
        }
    };
    print_report(&m, args.threshold, &what)?;
    if let Some(path) = &args.svg {
        let title = format!("Latency monotonicity: {what}");
        std::fs::write(path, heatmap_svg(&m, args.threshold, &title))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("heatmap written to {}", path.display());
    }
    Ok(())
}

fn print_report(m: &Monotonicity, threshold: f64, what: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Spearman ρ between {} devices over {} common architectures ({what})",
        m.devices.len(),
        m.archs
    )?;
    writeln!(
        out,
        "devices in clustered order; ρ × 100, * below {threshold}"
    )?;
    let width = m.devices.iter().map(String::len).max().unwrap_or(0);
    write!(out, "{:>w$}    ", "", w = width + 3)?;
    for c in 1..=m.order.len() {
        write!(out, "{c:>4}")?;
    }
    writeln!(out)?;
    for (r, &a) in m.order.iter().enumerate() {
        write!(out, "{:>2} {:<width$}    ", r + 1, m.devices[a])?;
        for &b in &m.order {
            let rho = m.rho(a, b);
            let flag = if rho < threshold { '*' } else { ' ' };
            write!(out, "{:>3.0}{flag}", rho * 100.0)?;
        }
        writeln!(out)?;
    }
    let low = m.pairs_below(threshold);
    writeln!(
        out,
        "{} of {} device pairs below {threshold}",
        low.len(),
        m.pairs()
    )?;
    for &(a, b, rho) in low.iter().take(10) {
        writeln!(out, "  {:.3}  {} vs {}", rho, m.devices[a], m.devices[b])?;
    }
    Ok(())
}
