//! Subcommands and their arguments.

mod adapt;
mod adapt_check;
mod arch_args;
mod bench;
mod data;
mod distil;
mod evaluate;
mod export;
mod export_arch;
mod export_ir;
mod files;
mod heatmap_svg;
mod info;
mod measure;
mod monotonicity;
mod pareto;
mod predict;
mod proxy;
mod train;
mod user_path;

use clap::{Parser, Subcommand};

/// latscope: latency predictors for hardware-aware neural architecture search.
///
/// Measures candidate architectures on real devices, trains and adapts
/// latency predictors, and exports them as ONNX for the browser explorer.
#[derive(Debug, Parser)]
#[command(name = "profiler", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print an architecture's layer-level summary and cost features.
    Info(info::InfoArgs),
    /// Write an architecture as an ONNX model with seeded weights.
    ExportArch(export_arch::ExportArchArgs),
    /// Write architectures' layer-level IR as JSON lines (for other tools).
    ExportIr(export_ir::ExportIrArgs),
    /// Measure architectures' latency on this machine.
    Measure(measure::MeasureArgs),
    /// Inspect and convert latency datasets.
    Data(data::DataArgs),
    /// Train a multi-device latency predictor and write it as ONNX.
    Train(train::TrainArgs),
    /// Predict architectures' latency on every device of a predictor file.
    Predict(predict::PredictArgs),
    /// Predict a new device from a few measured architectures.
    Adapt(adapt::AdaptArgs),
    /// Add devices adapted from your measurements to a predictor file.
    Export(export::ExportArgs),
    /// Add a small scan network, distilled from the ensemble, to a predictor file.
    Distil(distil::DistilArgs),
    /// Time predictor loading, batch prediction, adaptation and training.
    Bench(bench::BenchArgs),
    /// Rank correlation between devices, clustered, as a table and a heatmap.
    Monotonicity(monotonicity::MonotonicityArgs),
    /// Which single proxy device best ranks architectures like a set of targets.
    Proxy(proxy::ProxyArgs),
    /// Reuse a proxy device's Pareto front on targets, before and after adaptation.
    Pareto(pareto::ParetoArgs),
    /// Score few-shot latency predictors on a transfer task.
    Evaluate(evaluate::EvaluateArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Info(args) => info::run(args),
        Command::ExportArch(args) => export_arch::run(args),
        Command::ExportIr(args) => export_ir::run(args),
        Command::Measure(args) => measure::run(args),
        Command::Data(args) => data::run(args),
        Command::Train(args) => train::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Adapt(args) => adapt::run(args),
        Command::Export(args) => export::run(args),
        Command::Distil(args) => distil::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Monotonicity(args) => monotonicity::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::Pareto(args) => pareto::run(args),
    }
}
