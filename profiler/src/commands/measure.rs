//! `profiler measure`: time architectures on this machine.

use crate::measure::campaign::{self, OnError};
use crate::measure::cpu::CpuBackend;
use crate::measure::selection::{self, Shard};
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use latscope_shared::space::{Dataset, SpaceId};
use std::path::PathBuf;

/// Measure the latency of architectures on this machine and append them to
/// a long dataset (space,arch,device,latency_ms,p10_ms,p90_ms,runs,batch,
/// precision,source).
///
/// Rows are appended and flushed one at a time; architectures already in
/// the output for this device are skipped, so rerunning an interrupted
/// campaign resumes it. `--shard i/n` splits a campaign over n processes or
/// nodes; join their files with `profiler data merge`.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// Search space: nb201 or fbnet.
    #[arg(long, short = 's', value_parser = parse_space)]
    space: SpaceId,

    /// Measure every architecture (NB201: all 15625).
    #[arg(long, group = "which")]
    all: bool,
    /// Measure N architectures drawn at random (seeded) from the space
    /// (NB201) or from --from-dataset.
    #[arg(long, value_name = "N", group = "which")]
    random: Option<usize>,
    /// Measure the architectures listed in FILE, one per line.
    #[arg(long, value_name = "FILE", group = "which")]
    list: Option<PathBuf>,
    /// Measure the architectures of a dataset file (e.g. the FBNet sample in
    /// static/data/fbnet_latency.csv.gz); with --random, draw from them.
    #[arg(long, value_name = "FILE")]
    from_dataset: Option<PathBuf>,
    /// Seed of --random.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Measure only shard i of n (positions i, i+n, ... of the selection).
    #[arg(long, value_name = "i/n")]
    shard: Option<Shard>,

    /// Backend: cpu (tract on this CPU). The CUDA backend comes with the GPU issue.
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    backend: BackendKind,
    /// Batch size.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// CPU threads for matrix products (default: tract's single thread).
    #[arg(long)]
    threads: Option<usize>,
    /// Untimed runs before timing.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Timed runs per architecture (median, p10, p90 are recorded).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Dataset the networks are built for (default: the space's).
    #[arg(long, value_parser = parse_dataset)]
    dataset: Option<Dataset>,

    /// Device name written in the `device` column, e.g. `xeon8480_fp32_b1`.
    /// Default: cpu_fp32_b<batch>.
    #[arg(long)]
    device: Option<String>,
    /// Output long CSV (created, or appended to).
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// When an architecture fails: skip it or stop.
    #[arg(long, value_enum, default_value_t = OnError::Skip)]
    on_error: OnError,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BackendKind {
    Cpu,
}

fn parse_space(s: &str) -> Result<SpaceId, String> {
    s.parse::<SpaceId>().map_err(|e| e.to_string())
}

fn parse_dataset(s: &str) -> Result<Dataset, String> {
    s.parse::<Dataset>().map_err(|e| e.to_string())
}

pub fn run(args: MeasureArgs) -> Result<()> {
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let pool = match &args.from_dataset {
        Some(path) => selection::from_dataset(args.space, path)?,
        None if args.random.is_some() || args.all => selection::all(args.space)?,
        None => Vec::new(),
    };
    let mut archs = match (&args.list, args.random) {
        (Some(list), _) => selection::from_list(args.space, list)?,
        (None, Some(n)) => selection::random(&pool, n, args.seed)?,
        (None, None) if args.all || args.from_dataset.is_some() => pool,
        (None, None) => {
            bail!("choose what to measure: --all, --random N, --list FILE or --from-dataset FILE")
        }
    };
    if let Some(shard) = args.shard {
        archs = shard.take(&archs);
    }
    let device = args
        .device
        .clone()
        .unwrap_or_else(|| format!("cpu_fp32_b{}", args.batch));
    let mut backend = match args.backend {
        BackendKind::Cpu => CpuBackend {
            dataset: args.dataset,
            batch: args.batch,
            threads: args.threads,
            warmup: args.warmup,
            runs: args.runs,
        },
    };
    let report = campaign::run(
        &mut backend,
        &archs,
        &device,
        &args.out,
        args.on_error,
        !args.quiet,
    )?;
    eprintln!(
        "{}: {} measured, {} already there, {} failed → {}",
        device,
        report.measured,
        report.already_there,
        report.failed,
        args.out.display()
    );
    if report.failed > 0 {
        bail!("{} architectures failed (see above)", report.failed);
    }
    Ok(())
}
