//! `profiler export`: write a predictor file again with new devices added
//! from your measurements, so every ONNX runtime (and the explorer) predicts
//! them like the trained ones; without devices, the file in the current
//! format (an older file gains the raw `arch_ops` input).

use super::files::{check_rewrite, read_predictor_spec};
use anyhow::{bail, Context, Result};
use clap::Args;
use latscope_model::adapt::Adaptation;
use latscope_model::predictor_onnx::{export_predictor_bytes, Predictor};
use latscope_shared::dataset::read_samples_path;
use std::path::PathBuf;

/// Export a predictor with devices added by few-shot adaptation: each
/// `--add-device NAME=FILE` (FILE: CSV with `arch,latency_ms`) becomes one
/// more `latency_ms` column, computed inside the ONNX graph from the
/// embedding. Without `--add-device`, the file is written again in the
/// current format: a file from before format 2 gains the raw `arch_ops`
/// input. The input file is never modified.
///
/// Example: profiler export --predictor static/predictors/nb201.onnx \
///     --add-device my_phone=my_phone.csv -o nb201_plus_my_phone.onnx
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Predictor file (.onnx).
    #[arg(long)]
    predictor: PathBuf,

    /// NAME=FILE: a device to add from its measurements (repeatable; none:
    /// only rewrite the file in the current format).
    #[arg(long = "add-device")]
    add_device: Vec<String>,

    /// head, ridge or blend [default: the predictor file's].
    #[arg(long)]
    adaptation: Option<String>,

    /// Output predictor file.
    #[arg(long, short = 'o')]
    out: PathBuf,

    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(args: ExportArgs) -> Result<()> {
    check_rewrite(&args.predictor, &args.out, args.force)?;
    let (bytes, mut spec) = read_predictor_spec(&args.predictor)?;
    let predictor = Predictor::from_bytes(&bytes)
        .with_context(|| format!("loading {}", args.predictor.display()))?;
    let adaptation: Option<Adaptation> = args.adaptation.as_deref().map(str::parse).transpose()?;
    for item in &args.add_device {
        let Some((name, file)) = item.split_once('=') else {
            bail!("--add-device {item:?}: expected NAME=FILE");
        };
        let name = name.trim();
        if name.is_empty() || spec.all_devices().iter().any(|d| d == name) {
            bail!("--add-device {item:?}: the name is empty or already a device of the file");
        }
        let samples = read_samples_path(file, spec.space)?;
        let device = predictor.adapted_device(name, &samples, adaptation)?;
        println!(
            "added {name}: adapted from {} measured architectures",
            samples.len()
        );
        spec.adapted.push(device);
    }
    if !args.add_device.is_empty() && spec.scan.take().is_some() {
        println!(
            "dropped the file's scan network: it does not know the added devices \
             (`profiler distil` on the output adds one again)"
        );
    }
    let out = export_predictor_bytes(&spec)?;
    std::fs::write(&args.out, &out).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} ({} devices: {} trained, {} adapted)",
        args.out.display(),
        spec.all_devices().len(),
        spec.devices.len(),
        spec.adapted.len()
    );
    Ok(())
}
