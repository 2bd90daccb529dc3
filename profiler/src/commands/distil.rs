//! `profiler distil`: add a scan network to a predictor file, so whole
//! spaces rank at a fraction of the ensemble's cost (the explorer page's
//! whole-space views), with its agreement with the ensemble recorded.

use super::files::{check_rewrite, load_table, read_predictor_spec};
use anyhow::{bail, Context, Result};
use clap::Args;
use latscope_model::distil::{distil_scan_network, ArchSet, DistilConfig};
use latscope_model::predictor_onnx::{export_predictor_bytes, ScanAgreement};
use latscope_shared::space::{Arch, SpaceId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;
use std::time::Instant;

/// Distil a predictor's ensemble into a small scan network and write the
/// file again with it (output `latency_ms_scan`; `latency_ms` and
/// `embedding` are unchanged). The scan network is fitted on a fixed set
/// of architectures: the whole space when it can be listed (NB201), else
/// a dataset's networks plus random ones; more random networks, never
/// fitted on, check that it generalises. The input file is never modified.
///
/// Example: profiler distil --predictor fbnet.onnx \
///     --data static/data/fbnet_latency.csv.gz --random 20000 -o fbnet_scan.onnx
#[derive(Debug, Args)]
pub struct DistilArgs {
    /// Predictor file (.onnx).
    #[arg(long)]
    predictor: PathBuf,

    /// Output predictor file.
    #[arg(long, short = 'o')]
    out: PathBuf,

    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,

    /// Fit on this dataset's architectures (wide or long CSV) [default:
    /// the whole space, when it can be listed].
    #[arg(long)]
    data: Option<PathBuf>,

    /// Random architectures of the space added to the fitted set.
    #[arg(long, default_value_t = 0)]
    random: usize,

    /// Random architectures held out to check the scan network on (spaces
    /// that cannot be listed).
    #[arg(long, default_value_t = 2000)]
    held_out: usize,

    /// Hidden layer widths of the scan network, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = DistilConfig::default().hidden)]
    hidden: Vec<usize>,

    /// Passes over the fitted architectures.
    #[arg(long, default_value_t = DistilConfig::default().epochs)]
    epochs: usize,

    /// Seed of the weights, batches and random architectures.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: DistilArgs) -> Result<()> {
    check_rewrite(&args.predictor, &args.out, args.force)?;
    let (_, mut spec) = read_predictor_spec(&args.predictor)?;
    let space = spec.space;
    let (fit_archs, fit_name) = fit_set(&args, space)?;
    let held_out = if space.enumerate().is_ok() {
        vec![]
    } else {
        random_archs(space, args.held_out, args.seed.wrapping_add(1))?
    };
    let config = DistilConfig {
        hidden: args.hidden.clone(),
        epochs: args.epochs,
        seed: args.seed,
    };
    println!(
        "distilling {} members into a scan network of hidden widths {:?} on {fit_name} ({} epochs)…",
        spec.members.len(),
        config.hidden,
        config.epochs
    );
    let started = Instant::now();
    let fit_x = spec.encode(&fit_archs)?;
    let held_out_x = spec.encode(&held_out)?;
    let held_out_name = format!("{} random {space} networks", held_out.len());
    let scan = distil_scan_network(
        &spec,
        ArchSet {
            x: &fit_x,
            name: &fit_name,
        },
        (!held_out.is_empty()).then_some(ArchSet {
            x: &held_out_x,
            name: &held_out_name,
        }),
        &config,
    )?;
    print_agreement(&spec.all_devices(), &scan.agreement);
    println!("distilled in {:.1} s", started.elapsed().as_secs_f64());
    spec.scan = Some(scan);
    let out = export_predictor_bytes(&spec)?;
    std::fs::write(&args.out, &out).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} ({:.1} MB)",
        args.out.display(),
        out.len() as f64 / 1e6
    );
    Ok(())
}

/// The architectures to fit on, and their description.
fn fit_set(args: &DistilArgs, space: SpaceId) -> Result<(Vec<Arch>, String)> {
    let (mut archs, mut name) = match &args.data {
        Some(path) => {
            let table = load_table(path, Some(space.name()))?;
            let n = table.archs().len();
            (
                table.archs().to_vec(),
                format!("{n} {space} networks of {}", path.display()),
            )
        }
        None => match space.enumerate() {
            Ok(all) => {
                let n = all.len();
                (all, format!("all {n} {space} architectures"))
            }
            Err(e) => {
                bail!("{e}: pass --data (and --random) to say what to fit the scan network on")
            }
        },
    };
    if args.random > 0 {
        archs.extend(random_archs(space, args.random, args.seed)?);
        name = format!("{name} and {} random ones", args.random);
    }
    Ok((archs, name))
}

/// `n` architectures with uniformly random choices, seeded.
fn random_archs(space: SpaceId, n: usize, seed: u64) -> Result<Vec<Arch>> {
    let layout = space.layout();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let choices: Vec<usize> = (0..layout.positions.len())
                .map(|_| rng.random_range(0..layout.choices.len()))
                .collect();
            Ok(space.compose(&choices)?)
        })
        .collect()
}

fn print_agreement(devices: &[String], agreement: &ScanAgreement) {
    println!("scan network vs ensemble on {}:", agreement.set);
    println!("{:<20} {:>8}", "device", "ρ");
    for (device, rho) in devices.iter().zip(&agreement.spearman) {
        println!("{device:<20} {rho:>8.4}");
    }
    println!(
        "ρ: min {:.4}, mean {:.4}; relative error: median {:.2} %, p90 {:.2} %, max {:.1} %",
        agreement.min_spearman(),
        agreement.mean_spearman(),
        100.0 * agreement.median_relative_error,
        100.0 * agreement.p90_relative_error,
        100.0 * agreement.max_relative_error
    );
    if let Some(h) = &agreement.held_out {
        println!(
            "held out ({}): min ρ {:.4}, median relative error {:.2} %",
            h.set,
            h.min_spearman,
            100.0 * h.median_relative_error
        );
    }
}
