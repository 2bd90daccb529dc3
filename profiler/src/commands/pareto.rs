//! `profiler pareto`: reusing a proxy device's Pareto front on targets.

use super::files::{data_or_shipped, device_indices};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use latscope_model::proxy::{pareto_reuse, DeviceColumns, Draws};
use latscope_model::structure::{onehot_matrix, ops_per_position};
use latscope_shared::features::cost_features_without_signatures;
use latscope_shared::space::{Arch, SpaceId};
use std::io::Write;
use std::path::PathBuf;

/// The score a Pareto front trades latency against (higher is better).
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Score {
    /// Multiply-accumulates in millions (the usual NAS "FLOPs").
    Mflops,
    /// Parameters in millions.
    Mparams,
}

/// Pareto reuse (One Proxy Device Is Enough): the Pareto front of
/// (latency on the proxy, score) found on the proxy's measurements and
/// re-evaluated on each target's measurements: the share of the target's
/// true front's hypervolume it keeps and how many architectures the two
/// fronts share. Then the same for the front of the proxy's operator
/// lookup table adapted to the target from K random measurements (the
/// paper's per-operator scale and bias), mean over seeds. The score is
/// MFLOPs or parameters: the HELP data carries no accuracy.
///
/// Example: profiler pareto --space nb201 --proxy pixel3 --k 10
#[derive(Debug, Args)]
pub struct ParetoArgs {
    /// Dataset [default: the shipped dataset of --space].
    #[arg(long)]
    data: Option<PathBuf>,

    /// Search space (nb201 or fbnet).
    #[arg(long, short = 's')]
    space: Option<String>,

    /// The proxy device.
    #[arg(long)]
    proxy: String,

    /// Target devices (comma-separated) [default: every other device].
    #[arg(long, value_delimiter = ',')]
    targets: Vec<String>,

    /// Measured architectures per target for the adaptation.
    #[arg(long, default_value_t = 10)]
    k: usize,

    /// Random draws of the K architectures.
    #[arg(long, default_value_t = 5)]
    seeds: usize,

    /// What the front trades latency against.
    #[arg(long, value_enum, default_value_t = Score::Mflops)]
    score: Score,
}

pub fn run(args: ParetoArgs) -> Result<()> {
    let space: Option<SpaceId> = args.space.as_deref().map(str::parse).transpose()?;
    let (data, table) = data_or_shipped(args.data.as_deref(), space)?;
    let proxy = table.require_device(&args.proxy)?;
    let targets = device_indices(&table, &args.targets, |d| d != proxy)?;
    let (table, columns) = table.complete_columns()?;
    let archs: &[Arch] = table.archs();
    let score: Vec<f64> = archs
        .iter()
        .map(|a| -> Result<f64> {
            let costs = cost_features_without_signatures(
                &a.lower_default().with_context(|| format!("lowering {a}"))?,
            );
            Ok(match args.score {
                Score::Mflops => costs.mflops(),
                Score::Mparams => costs.mparams(),
            })
        })
        .collect::<Result<_>>()?;
    let devices = table.devices();
    let onehot = onehot_matrix(archs)?;
    let rows = pareto_reuse(
        &DeviceColumns {
            devices,
            columns: &columns,
        },
        onehot.view(),
        &score,
        proxy,
        &targets,
        Draws {
            k: args.k,
            seeds: args.seeds,
        },
        ops_per_position(table.space()),
    )?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Pareto reuse from {} over {} architectures of {} (latency vs {:?}); after: op-lut adapted from K = {} ({} seeds)",
        args.proxy,
        table.n_archs(),
        data.display(),
        args.score,
        args.k,
        args.seeds
    )?;
    writeln!(
        out,
        "{:<16}{:>16}{:>22}{:>18}{:>22}",
        "target", "ρ before→after", "hypervolume kept", "overlap", "target front size"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{:<16}{:>16}{:>22}{:>18}{:>22}",
            devices[r.target],
            format!("{:.2} → {:.2}", r.rho_before, r.rho_after),
            format!(
                "{:.1}% → {:.1}%",
                100.0 * r.before.hypervolume_ratio,
                100.0 * r.hypervolume_after
            ),
            format!("{} → {:.1}", r.before.overlap, r.overlap_after),
            r.before.target_front.len()
        )?;
    }
    let mean = |f: &dyn Fn(&latscope_model::proxy::ParetoReuse) -> f64| {
        rows.iter().map(f).sum::<f64>() / rows.len() as f64
    };
    writeln!(
        out,
        "{:<16}{:>16}{:>22}",
        "mean",
        format!(
            "{:.2} → {:.2}",
            mean(&|r| r.rho_before),
            mean(&|r| r.rho_after)
        ),
        format!(
            "{:.1}% → {:.1}%",
            100.0 * mean(&|r| r.before.hypervolume_ratio),
            100.0 * mean(&|r| r.hypervolume_after)
        )
    )?;
    Ok(())
}
