//! `profiler pareto`: reusing a proxy device's Pareto front on targets.

use super::files::{check_new_file, data_or_shipped, default_accuracy, device_indices};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};
use latscope_model::proxy::{pareto_reuse, DeviceColumns, Draws};
use latscope_model::structure::{onehot_matrix, ops_per_position};
use latscope_shared::dataset::{
    format_latency, read_accuracy_path, AccuracyDataset, AccuracyTable,
};
use latscope_shared::features::cost_features_without_signatures;
use latscope_shared::metrics::pareto_front;
use latscope_shared::space::{Arch, SpaceId};
use std::io::Write;
use std::path::PathBuf;

/// The score a Pareto front trades latency against. Every score is
/// higher-is-better: the front minimises latency and maximises the score
/// (`latscope_shared::metrics::pareto_front`). For accuracy that is the
/// usual latency–accuracy front (fastest cell for its accuracy); for MFLOPs
/// and parameters, the stand-ins when no accuracy exists, it keeps the
/// cells with the most compute (capacity) for their latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Score {
    /// Multiply-accumulates in millions (the usual NAS "FLOPs").
    Mflops,
    /// Parameters in millions.
    Mparams,
    /// NAS-Bench-201 test accuracy on CIFAR-10, percent (nb201 only).
    #[value(name = "cifar10-acc")]
    Cifar10Acc,
    /// NAS-Bench-201 test accuracy on CIFAR-100, percent (nb201 only).
    #[value(name = "cifar100-acc")]
    Cifar100Acc,
    /// NAS-Bench-201 test accuracy on ImageNet16-120, percent (nb201 only).
    #[value(name = "imagenet16-120-acc")]
    ImageNet16_120Acc,
}

impl Score {
    /// The accuracy dataset of an accuracy score.
    fn accuracy_dataset(self) -> Option<AccuracyDataset> {
        match self {
            Score::Mflops | Score::Mparams => None,
            Score::Cifar10Acc => Some(AccuracyDataset::Cifar10),
            Score::Cifar100Acc => Some(AccuracyDataset::Cifar100),
            Score::ImageNet16_120Acc => Some(AccuracyDataset::ImageNet16_120),
        }
    }

    /// The name on the command line, e.g. `cifar10-acc`.
    fn name(self) -> String {
        self.to_possible_value()
            .expect("no score is skipped")
            .get_name()
            .to_string()
    }

    /// How the report's first line names the score (`Mflops`/`Mparams` as
    /// in the saved results under static/results/).
    fn label(self) -> String {
        match self.accuracy_dataset() {
            Some(d) => d.score_label(),
            None => format!("{self:?}"),
        }
    }
}

/// Pareto reuse (One Proxy Device Is Enough): the Pareto front of
/// (latency on the proxy, score) found on the proxy's measurements and
/// re-evaluated on each target's measurements: the share of the target's
/// true front's hypervolume it keeps and how many architectures the two
/// fronts share. Then the same for the front of the proxy's operator
/// lookup table adapted to the target from K random measurements (the
/// paper's per-operator scale and bias), mean over seeds. The score is
/// MFLOPs or parameters (the HELP data carries no accuracy) or, on nb201,
/// NAS-Bench-201's test accuracy on CIFAR-10, CIFAR-100 or ImageNet16-120
/// (`--score cifar10-acc` ..., read from --accuracy); FBNet has no accuracy
/// data. Every score is higher-is-better: the front is low latency, high
/// score.
///
/// Example: profiler pareto --space nb201 --proxy pixel3 --k 10 --score cifar10-acc
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

    /// What the front trades latency against (higher is better): MFLOPs,
    /// parameters, or NAS-Bench-201 test accuracy on a dataset (nb201 only).
    #[arg(long, value_enum, default_value_t = Score::Mflops)]
    score: Score,

    /// NAS-Bench-201 accuracy file for the `*-acc` scores (index, arch and
    /// one test-accuracy column per dataset) [default:
    /// static/data/nb201_accuracy.csv.gz].
    #[arg(long, value_name = "FILE")]
    accuracy: Option<PathBuf>,

    /// Also write the proxy's own front as CSV (arch, proxy latency in ms,
    /// score), by increasing latency.
    #[arg(long, value_name = "FILE")]
    front: Option<PathBuf>,

    /// Overwrite the --front file if it exists.
    #[arg(long)]
    force: bool,
}

/// The accuracy table and dataset of an accuracy score (`None` for MFLOPs
/// and parameters); an error for a space without accuracy data.
fn load_accuracy(
    args: &ParetoArgs,
    space: SpaceId,
) -> Result<Option<(AccuracyDataset, AccuracyTable)>> {
    let Some(dataset) = args.score.accuracy_dataset() else {
        return Ok(None);
    };
    if space != AccuracyTable::SPACE {
        bail!(
            "--score {}: no accuracy data exists for {space} (only {} has it, from NAS-Bench-201); use --score mflops or mparams",
            args.score.name(),
            AccuracyTable::SPACE
        );
    }
    let path = args.accuracy.clone().unwrap_or_else(default_accuracy);
    let accuracy = read_accuracy_path(&path)
        .with_context(|| format!("reading the accuracy file {}", path.display()))?;
    Ok(Some((dataset, accuracy)))
}

/// The score of every architecture: its accuracy, or its MFLOPs or
/// parameters from its lowered network.
fn scores(
    archs: &[Arch],
    score: Score,
    accuracy: Option<&(AccuracyDataset, AccuracyTable)>,
) -> Result<Vec<f64>> {
    archs
        .iter()
        .map(|a| -> Result<f64> {
            if let Some((dataset, accuracy)) = accuracy {
                return accuracy
                    .get(a, *dataset)
                    .ok_or_else(|| anyhow!("no {dataset} accuracy for {a}"));
            }
            let costs = cost_features_without_signatures(
                &a.lower_default().with_context(|| format!("lowering {a}"))?,
            );
            Ok(match score {
                Score::Mparams => costs.mparams(),
                _ => costs.mflops(),
            })
        })
        .collect()
}

pub fn run(args: ParetoArgs) -> Result<()> {
    let space: Option<SpaceId> = args.space.as_deref().map(str::parse).transpose()?;
    let (data, table) = data_or_shipped(args.data.as_deref(), space)?;
    let accuracy = load_accuracy(&args, table.space())?;
    if let Some(path) = &args.front {
        check_new_file(path, args.force)?;
    }
    let proxy = table.require_device(&args.proxy)?;
    let targets = device_indices(&table, &args.targets, |d| d != proxy)?;
    let (table, columns) = table.complete_columns()?;
    let archs: &[Arch] = table.archs();
    let score = scores(archs, args.score, accuracy.as_ref())?;
    let devices = table.devices();
    if let Some(path) = &args.front {
        let front = pareto_front(&columns[proxy], &score)?;
        let mut text = format!("arch,{}_ms,{}\n", devices[proxy], args.score.name());
        for &i in &front {
            let ms = format_latency(columns[proxy][i]);
            text.push_str(&format!("{},{ms},{}\n", archs[i], score[i]));
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
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
        "Pareto reuse from {} over {} architectures of {} (latency vs {}); after: op-lut adapted from K = {} ({} seeds)",
        args.proxy,
        table.n_archs(),
        data.display(),
        args.score.label(),
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
