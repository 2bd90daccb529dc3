//! `profiler export-arch`: an architecture as a runnable ONNX model.

use super::arch_args::ArchArgs;
use super::files::check_new_file;
use anyhow::{bail, Context, Result};
use clap::Args;
use latscope_profiler::network::{self, parameter_count};
use latscope_profiler::network::{export_network, ArchRunner, ExportOptions};
use prost::Message;
use std::path::PathBuf;

/// Write an architecture itself (not a predictor) as an ONNX model with
/// seeded random weights, runnable by tract, onnxruntime or TensorRT.
///
/// Input `input` float32 [N, 3, H, W]; output `output` float32 [N, classes];
/// opset 17. The file is loaded back in tract and run once before the
/// command reports success (skip with --no-check).
#[derive(Debug, Args)]
pub struct ExportArchArgs {
    #[command(flatten)]
    arch: ArchArgs,

    /// Output ONNX file.
    #[arg(long, short = 'o')]
    out: PathBuf,

    /// Seed of the random weights (same seed, same bytes).
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// Fix the batch size in the file (default: a symbolic batch `N`).
    #[arg(long)]
    batch: Option<usize>,

    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,

    /// Do not load and run the written file in tract.
    #[arg(long)]
    no_check: bool,
}

pub fn run(args: ExportArchArgs) -> Result<()> {
    check_new_file(&args.out, args.force)?;
    if args.batch == Some(0) {
        bail!("--batch must be at least 1");
    }
    let (arch, net) = args.arch.network()?;
    let mut opts = ExportOptions::new(args.seed);
    if let Some(b) = args.batch {
        opts = opts.with_batch(b);
    }
    let model = export_network(&net, &opts).with_context(|| format!("exporting {arch}"))?;
    let bytes = model.encode_to_vec();
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    let params = parameter_count(&model);
    println!(
        "wrote {} ({} bytes): {} for {}, {} IR nodes, {} trainable parameters, opset {}",
        args.out.display(),
        bytes.len(),
        arch,
        args.arch.dataset(),
        net.nodes.len(),
        params.trainable,
        network::OPSET_VERSION,
    );
    if !args.no_check {
        let batch = args.batch.unwrap_or(1);
        let mut runner = ArchRunner::new(&bytes, batch)
            .with_context(|| format!("loading {} back in tract", args.out.display()))?;
        let out = runner.run_random(args.seed)?;
        if out.values.iter().any(|v| !v.is_finite()) {
            bail!(
                "tract produced non-finite outputs for {}",
                args.out.display()
            );
        }
        println!("checked: tract runs it, output shape {:?}", out.shape);
    }
    Ok(())
}
