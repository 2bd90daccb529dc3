//! `profiler info`: what an architecture is and what it costs.

use super::arch_args::ArchArgs;
use anyhow::Result;
use clap::Args;
use latscope_shared::features::{cost_features, CostFeatures};
use latscope_shared::ir::Network;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Print an architecture's IR summary and cost features.
///
/// Example: profiler info --space nb201
/// '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'
#[derive(Debug, Args)]
pub struct InfoArgs {
    #[command(flatten)]
    arch: ArchArgs,

    /// Print JSON (architecture, shapes, features, per-kernel counts) instead of text.
    #[arg(long)]
    json: bool,

    /// Also list every IR node with its operation and output shape.
    #[arg(long)]
    layers: bool,
}

/// Everything `info` reports, in the shape of its JSON output.
#[derive(Serialize)]
struct Report {
    space: String,
    arch: String,
    dataset: String,
    /// NB201 only: the benchmark's own index and latscope's canonical code.
    benchmark_index: Option<usize>,
    canonical_code: Option<usize>,
    input_shape: String,
    output_shape: String,
    ir_nodes: usize,
    mflops: f64,
    mparams: f64,
    features: CostFeatures,
    #[serde(skip_serializing_if = "Option::is_none")]
    layers: Option<Vec<BTreeMap<&'static str, String>>>,
}

pub fn run(args: InfoArgs) -> Result<()> {
    let (arch, net) = args.arch.network()?;
    let (benchmark_index, canonical_code) = (arch.benchmark_index(), arch.canonical_code());
    let features = cost_features(&net);
    let report = Report {
        space: arch.space().to_string(),
        arch: arch.to_string(),
        dataset: args.arch.dataset().to_string(),
        benchmark_index,
        canonical_code,
        input_shape: net.input_shape().to_string(),
        output_shape: net.output_shape().to_string(),
        ir_nodes: net.nodes.len(),
        mflops: features.mflops(),
        mparams: features.mparams(),
        features,
        layers: args.layers.then(|| layer_rows(&net)),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&mut std::io::stdout().lock(), &report, &net, args.layers)?;
    }
    Ok(())
}

fn layer_rows(net: &Network) -> Vec<BTreeMap<&'static str, String>> {
    net.nodes
        .iter()
        .map(|n| {
            BTreeMap::from([
                ("name", n.name.clone()),
                ("op", latscope_shared::ir::describe(&n.op)),
                ("inputs", format!("{:?}", n.inputs)),
                ("shape", n.shape.to_string()),
            ])
        })
        .collect()
}

fn print_text(out: &mut impl Write, r: &Report, net: &Network, layers: bool) -> io::Result<()> {
    let f = &r.features;
    writeln!(out, "space          {}", r.space)?;
    writeln!(out, "arch           {}", r.arch)?;
    writeln!(out, "dataset        {}", r.dataset)?;
    if let (Some(index), Some(code)) = (r.benchmark_index, r.canonical_code) {
        writeln!(out, "bench index    {index}   (canonical code {code})")?;
    }
    writeln!(
        out,
        "input/output   {} -> {}",
        r.input_shape, r.output_shape
    )?;
    writeln!(out, "IR nodes       {}", r.ir_nodes)?;
    writeln!(out)?;
    writeln!(
        out,
        "FLOPs (MACs)   {:.6} M   ({} conv + linear multiply-adds)",
        r.mflops, f.macs
    )?;
    writeln!(
        out,
        "params         {:.6} M   ({} trainable, as PyTorch counts)",
        r.mparams, f.params
    )?;
    writeln!(out, "weight bytes   {}", f.weight_bytes)?;
    writeln!(out, "act. read      {} bytes", f.activation_bytes_read)?;
    writeln!(out, "act. written   {} bytes", f.activation_bytes_written)?;
    writeln!(out, "max activation {} bytes", f.max_activation_bytes)?;
    writeln!(
        out,
        "kernels        {} (after conv+bn+activation fusion)",
        f.kernels
    )?;
    writeln!(out)?;
    writeln!(out, "operators:")?;
    for (kind, n) in &f.op_kinds {
        writeln!(out, "  {kind:<16} {n}")?;
    }
    writeln!(out)?;
    writeln!(out, "fused kernels ({} distinct):", f.kernel_counts.len())?;
    for (sig, n) in &f.kernel_counts {
        writeln!(out, "  {n:>3} × {sig}")?;
    }
    if layers {
        writeln!(out)?;
        write!(out, "{}", net.layer_table())?;
    }
    Ok(())
}
