//! `profiler measure`: time architectures on this machine.

use super::files::check_new_file;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use latscope_profiler::measure::campaign::{self, OnError};
use latscope_profiler::measure::cpu::CpuBackend;
use latscope_profiler::measure::cuda::verify::VerifyingCuda;
use latscope_profiler::measure::cuda::{CudaBackend, CudaSettings, Layout, Precision, TimingMode};
use latscope_profiler::measure::selection::{self, Shard};
use latscope_profiler::measure::{check, record, Backend};
use latscope_shared::space::{Arch, Dataset, SpaceId};
use std::path::PathBuf;

/// Measure the latency of architectures on this machine and append them to
/// a long dataset (space,arch,device,latency_ms,p10_ms,p90_ms,runs,batch,
/// precision,source).
///
/// Rows are appended and flushed one at a time; architectures already in
/// the output for this device are skipped, so rerunning an interrupted
/// campaign resumes it. `--shard i/n` splits a campaign over n processes or
/// nodes; join their files with `profiler data merge`. Each run also
/// appends a line describing the machine to `<out>.runs.jsonl`.
///
/// `--check K` measures the selection K times and prints the run-to-run
/// spread of each architecture's median instead of writing a dataset.
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
    /// Measure N architectures spread evenly over the cost (FLOPs) range:
    /// one drawn (seeded) from each of N equal strata.
    #[arg(long, value_name = "N", group = "which")]
    stratified: Option<usize>,
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

    /// Backend: cpu (the architecture's ONNX export run by tract) or cuda
    /// (cuDNN, cuBLAS and NVRTC kernels on an NVIDIA GPU).
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    backend: BackendKind,
    /// Batch size.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Precision (cuda): fp32 (no TF32) or fp16 (tensor cores).
    #[arg(long, value_enum, default_value_t = Precision::Fp32)]
    precision: Precision,
    /// Activation layout (cuda); auto = NHWC for fp16, NCHW for fp32.
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    layout: LayoutArg,
    /// How forward passes are issued (cuda): a captured CUDA graph replayed
    /// (mostly kernel time; the datasets' mode) or eager launches (includes
    /// launch overhead; the default device name then ends in `_eager`).
    /// Default: graph.
    #[arg(long, value_enum)]
    timing: Option<TimingMode>,
    /// GPU to use (cuda), numbered from 0.
    #[arg(long, default_value_t = 0)]
    gpu: usize,
    /// cuDNN workspace, allocated once for the campaign (cuda).
    #[arg(long, default_value_t = 256)]
    workspace_mib: usize,
    /// Compare every architecture's GPU output with the CPU backend's on the
    /// same weights and input before timing it (cuda); a mismatch fails it.
    #[arg(long)]
    verify: bool,
    /// CPU threads for matrix products (default: tract's single thread).
    #[arg(long)]
    threads: Option<usize>,
    /// Untimed runs before timing.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Timed runs per architecture (median, p10, p90 are recorded).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Keep timing until this much time is measured, even past --runs (up
    /// to 100 × --runs): fast networks get enough runs for a stable median.
    #[arg(long, default_value_t = 50.0)]
    min_time_ms: f64,
    /// Measure the selection K times and report the spread of each
    /// architecture's median (with -o, write the medians there as CSV).
    #[arg(long, value_name = "K")]
    check: Option<usize>,
    /// Overwrite --out in --check mode.
    #[arg(long)]
    force: bool,
    /// Dataset the networks are built for (default: the space's).
    #[arg(long, value_parser = parse_dataset)]
    dataset: Option<Dataset>,

    /// Device name written in the `device` column, e.g. `xeon8480_fp32_b1`.
    /// Default: cpu_fp32_b<batch>, or for cuda the GPU's name, e.g.
    /// h100_fp16_b32 (h100_fp16_b32_eager with --timing eager).
    #[arg(long)]
    device: Option<String>,
    /// Output long CSV (created, or appended to).
    #[arg(long, short = 'o', required_unless_present = "check")]
    out: Option<PathBuf>,
    /// When an architecture fails: skip it or stop.
    #[arg(long, value_enum, default_value_t = OnError::Skip)]
    on_error: OnError,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendKind {
    Cpu,
    Cuda,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LayoutArg {
    Auto,
    Nchw,
    Nhwc,
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
    check_backend_flags(&args)?;
    let archs = select(&args)?;
    let mut backend = open_backend(&args)?;
    let (device, source) = (device_name(&args, backend.as_ref()), backend.source());
    if let Some(rounds) = args.check {
        return run_check(&args, backend.as_mut(), &archs, rounds, &device, &source);
    }
    let out = args
        .out
        .clone()
        .expect("clap requires --out without --check");
    // Locked first: a run refused because another is writing `out` leaves
    // no machine record behind.
    let output = campaign::open(&out)?;
    let runs = record::append_run(&out, &device, &source, backend.description())?;
    let report = campaign::run(
        backend.as_mut(),
        &archs,
        &device,
        output,
        args.on_error,
        !args.quiet,
    )?;
    eprintln!(
        "{}: {} measured, {} already there, {} failed → {} (machine: {})",
        device,
        report.measured,
        report.already_there,
        report.failed,
        out.display(),
        runs.display()
    );
    if report.failed > 0 {
        bail!("{} architectures failed (see above)", report.failed);
    }
    Ok(())
}

/// Flags of one backend given to the other are an error, not ignored.
fn check_backend_flags(args: &MeasureArgs) -> Result<()> {
    let cuda_only = [
        (args.precision != Precision::Fp32, "--precision fp16"),
        (!matches!(args.layout, LayoutArg::Auto), "--layout"),
        (args.timing.is_some(), "--timing"),
        (args.gpu != 0, "--gpu"),
        (args.workspace_mib != 256, "--workspace-mib"),
        (args.verify, "--verify"),
    ];
    match args.backend {
        BackendKind::Cpu => {
            if let Some((_, flag)) = cuda_only.iter().find(|(given, _)| *given) {
                bail!("{flag} needs --backend cuda (the cpu backend runs fp32 in tract)");
            }
        }
        BackendKind::Cuda => {
            if args.threads.is_some() {
                bail!("--threads is for --backend cpu (tract's matrix-product threads)");
            }
        }
    }
    Ok(())
}

/// The architectures this process measures (its shard of the selection).
fn select(args: &MeasureArgs) -> Result<Vec<Arch>> {
    let sampled = args.random.is_some() || args.stratified.is_some();
    let pool = match &args.from_dataset {
        Some(path) => selection::from_dataset(args.space, path)?,
        None if sampled || args.all => selection::all(args.space)?,
        None => Vec::new(),
    };
    let archs = match (&args.list, args.random, args.stratified) {
        (Some(list), _, _) => selection::from_list(args.space, list)?,
        (None, Some(n), _) => selection::random(&pool, n, args.seed)?,
        (None, None, Some(n)) => selection::stratified(&pool, n, args.seed)?,
        (None, None, None) if args.all || args.from_dataset.is_some() => pool,
        (None, None, None) => bail!(
            "choose what to measure: --all, --random N, --stratified N, --list FILE or --from-dataset FILE"
        ),
    };
    Ok(match args.shard {
        Some(shard) => shard.take(&archs),
        None => archs,
    })
}

fn open_backend(args: &MeasureArgs) -> Result<Box<dyn Backend>> {
    Ok(match args.backend {
        BackendKind::Cpu => Box::new(CpuBackend {
            dataset: args.dataset,
            batch: args.batch,
            threads: args.threads,
            warmup: args.warmup,
            runs: args.runs,
            min_time_ms: args.min_time_ms,
        }),
        BackendKind::Cuda => {
            let layout = match args.layout {
                LayoutArg::Auto => Layout::auto(args.precision),
                LayoutArg::Nchw => Layout::Nchw,
                LayoutArg::Nhwc => Layout::Nhwc,
            };
            let inner = CudaBackend::open(CudaSettings {
                gpu: args.gpu,
                dataset: args.dataset,
                batch: args.batch,
                precision: args.precision,
                layout,
                mode: timing_mode(args),
                warmup: args.warmup,
                runs: args.runs,
                min_time_ms: args.min_time_ms,
                workspace_mib: args.workspace_mib,
            })
            .context("the cuda backend cannot start")?;
            Box::new(VerifyingCuda::new(inner, args.verify, args.dataset))
        }
    })
}

/// The CUDA timing mode: `--timing`, graph by default.
fn timing_mode(args: &MeasureArgs) -> TimingMode {
    args.timing.unwrap_or(TimingMode::Graph)
}

fn device_name(args: &MeasureArgs, backend: &dyn Backend) -> String {
    if let Some(d) = &args.device {
        return d.clone();
    }
    match backend.gpu_name() {
        // Eager and graph timings of one configuration are different
        // devices: one file can hold both without one resuming the other.
        Some(gpu) => {
            let name = record::gpu_device_name(gpu, args.precision.name(), args.batch);
            match timing_mode(args) {
                TimingMode::Graph => name,
                TimingMode::Eager => format!("{name}_eager"),
            }
        }
        None => format!("cpu_fp32_b{}", args.batch),
    }
}

fn run_check(
    args: &MeasureArgs,
    backend: &mut dyn Backend,
    archs: &[Arch],
    rounds: usize,
    device: &str,
    source: &str,
) -> Result<()> {
    if let Some(out) = &args.out {
        check_new_file(out, args.force)?;
    }
    let result = check::run(backend, archs, rounds, !args.quiet)?;
    print!("{}", check::report(device, source, &result.summary()));
    if let Some(out) = &args.out {
        result.write_csv(out)?;
        eprintln!("medians of every round → {}", out.display());
    }
    Ok(())
}
