//! `profiler predict`: a predictor file's latencies for given architectures,
//! on every device it knows.

use anyhow::{Context, Result};
use clap::Args;
use latscope_model::predictor_onnx::Predictor;
use latscope_shared::space::Arch;
use std::io::Write;
use std::path::PathBuf;

/// Predict the latency of architectures on every device of a predictor file.
/// Prints a long CSV (arch,device,latency_ms) with every float digit, the
/// numbers the explorer page shows for the same file.
///
/// Example: profiler predict --predictor static/predictors/nb201.onnx \
///     '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|'
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Predictor file (.onnx) from `profiler train`.
    #[arg(long)]
    predictor: PathBuf,

    /// Architecture strings of the predictor's search space.
    #[arg(allow_hyphen_values = true, required = true)]
    archs: Vec<String>,
}

pub fn run(args: PredictArgs) -> Result<()> {
    let bytes = std::fs::read(&args.predictor)
        .with_context(|| format!("reading {}", args.predictor.display()))?;
    let predictor = Predictor::from_bytes(&bytes)
        .with_context(|| format!("loading {}", args.predictor.display()))?;
    let space = predictor.meta().space;
    let archs: Vec<Arch> = args
        .archs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            space
                .parse_arch(s)
                .with_context(|| format!("architecture {} of the command line", i + 1))
        })
        .collect::<Result<_>>()?;
    let prediction = predictor.predict_archs(&archs)?;
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(["arch", "device", "latency_ms"])?;
    for (arch, row) in archs.iter().zip(prediction.latency_ms.rows()) {
        for (device, ms) in predictor.meta().devices.iter().zip(row) {
            out.write_record([arch.to_string(), device.clone(), ms.to_string()])?;
        }
    }
    out.flush()?;
    std::io::stdout().flush()?;
    Ok(())
}
