//! `profiler proxy`: which one device to measure on for many targets.

use super::files::{data_or_shipped, device_indices};
use anyhow::Result;
use clap::Args;
use latscope_model::proxy::{choose_with_k, score_proxies, DeviceColumns};
use latscope_shared::space::SpaceId;
use std::io::Write;
use std::path::PathBuf;

/// Proxy choice (One Proxy Device Is Enough): for a set of target devices,
/// rank every candidate proxy by the worst-case (then mean) Spearman ρ
/// between its latencies and each target's over the architectures all of
/// them were measured on; then show how often the choice is still right,
/// and how good it really is, when each target has only K measured
/// architectures (random, the same K on every target) to judge by.
///
/// Example: profiler proxy --space nb201 --targets pixel2,raspi4,eyeriss
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Dataset [default: the shipped dataset of --space].
    #[arg(long)]
    data: Option<PathBuf>,

    /// Search space (nb201 or fbnet).
    #[arg(long, short = 's')]
    space: Option<String>,

    /// Target devices (comma-separated).
    #[arg(long, value_delimiter = ',', required = true)]
    targets: Vec<String>,

    /// Candidate proxies [default: every device that is not a target].
    #[arg(long, value_delimiter = ',')]
    candidates: Vec<String>,

    /// Measured architectures per target for the few-shot choice.
    #[arg(long, value_delimiter = ',', default_value = "5,10,20")]
    k: Vec<usize>,

    /// Random draws of the K architectures.
    #[arg(long, default_value_t = 20)]
    seeds: usize,

    /// How many of the best candidates to print.
    #[arg(long, default_value_t = 5)]
    top: usize,
}

pub fn run(args: ProxyArgs) -> Result<()> {
    let space: Option<SpaceId> = args.space.as_deref().map(str::parse).transpose()?;
    let (data, table) = data_or_shipped(args.data.as_deref(), space)?;
    let targets: Vec<usize> = args
        .targets
        .iter()
        .map(|t| table.require_device(t))
        .collect::<Result<_, _>>()?;
    let candidates = device_indices(&table, &args.candidates, |d| !targets.contains(&d))?;
    let (complete, columns) = table.complete_columns()?;
    let devices = table.devices();
    let data_columns = DeviceColumns {
        devices,
        columns: &columns,
    };
    let scores = score_proxies(&data_columns, &targets, &candidates)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "proxy for {} over {} common architectures of {} ({} candidates)",
        args.targets.join(", "),
        complete.n_archs(),
        data.display(),
        candidates.len()
    )?;
    writeln!(
        out,
        "{:<5}{:<18}{:>24}{:>10}",
        "rank", "proxy", "worst ρ (target)", "mean ρ"
    )?;
    for (rank, s) in scores.iter().take(args.top).enumerate() {
        writeln!(
            out,
            "{:<5}{:<18}{:>24}{:>10.3}",
            rank + 1,
            devices[s.proxy],
            format!("{:.3} ({})", s.worst, devices[s.worst_target]),
            s.mean
        )?;
    }
    writeln!(
        out,
        "\nchoosing from K measured architectures per target ({} seeds):",
        args.seeds
    )?;
    writeln!(
        out,
        "{:<6}{:>22}{:>24}{:>22}",
        "K", "same as all data", "worst ρ of the choice", "mean ρ of the choice"
    )?;
    for &k in &args.k {
        let c = choose_with_k(&data_columns, &targets, &candidates, k, args.seeds)?;
        writeln!(
            out,
            "{:<6}{:>22}{:>24.3}{:>22.3}",
            k,
            format!("{}/{}", c.agrees_with_full_data, c.seeds),
            c.worst,
            c.mean
        )?;
    }
    writeln!(
        out,
        "{:<6}{:>22}{:>24.3}{:>22.3}",
        "all", "-", scores[0].worst, scores[0].mean
    )?;
    Ok(())
}
