//! `profiler export-ir`: architectures' layer-level IR as JSON lines, for
//! tools outside latscope (the PyTorch reference timing in
//! `tests/reference/torch_latency.py` builds its networks from it).

use super::files::check_new_file;
use anyhow::{bail, Context, Result};
use clap::Args;
use latscope_profiler::measure::selection;
use latscope_shared::space::{Dataset, SpaceId};
use std::io::Write;
use std::path::PathBuf;

/// Write the Network IR of many architectures, one JSON object per line:
/// `{"arch": "...", "network": {"name", "nodes": [{"name", "op", "inputs",
/// "shape"}], "output"}}`. Node 0 is the input; nodes are in topological
/// order; shapes are per sample (channels, height, width).
#[derive(Debug, Args)]
pub struct ExportIrArgs {
    /// Search space: nb201 or fbnet.
    #[arg(long, short = 's', value_parser = |s: &str| s.parse::<SpaceId>().map_err(|e| e.to_string()))]
    space: SpaceId,
    /// The architectures listed in FILE, one per line.
    #[arg(long, value_name = "FILE", group = "which")]
    list: Option<PathBuf>,
    /// The architectures of a dataset file (e.g. a measured campaign).
    #[arg(long, value_name = "FILE", group = "which")]
    from_dataset: Option<PathBuf>,
    /// Dataset the networks are built for (default: the space's).
    #[arg(long, value_parser = |s: &str| s.parse::<Dataset>().map_err(|e| e.to_string()))]
    dataset: Option<Dataset>,
    /// Output JSON-lines file.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(args: ExportIrArgs) -> Result<()> {
    check_new_file(&args.out, args.force)?;
    let archs = match (&args.list, &args.from_dataset) {
        (Some(list), _) => selection::from_list(args.space, list)?,
        (None, Some(data)) => selection::from_dataset(args.space, data)?,
        (None, None) => bail!("choose the architectures: --list FILE or --from-dataset FILE"),
    };
    let dataset = args.dataset.unwrap_or(args.space.default_dataset());
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for arch in &archs {
        let net = arch
            .lower(dataset)
            .with_context(|| format!("lowering {arch} for {dataset}"))?;
        let line = serde_json::json!({ "arch": arch.to_string(), "network": net });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    println!(
        "wrote {} networks ({}, {}) to {}",
        archs.len(),
        args.space,
        dataset,
        args.out.display()
    );
    Ok(())
}
