//! `profiler train`: pretrain a multi-device latency predictor on a dataset
//! and write it as an ONNX predictor file.

use super::files::{check_new_file, load_table, reference_archs_for};
use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use latscope_model::adapt::Adaptation;
use latscope_model::fewshot::PretrainContext;
use latscope_model::methods::{MlpRidge, MlpRidgeConfig};
use latscope_model::predictor_onnx::export_predictor_bytes;
use latscope_shared::metrics::{mape, spearman};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Train a multi-device latency predictor (an MLP ensemble on
/// onehot-v1 + features-v1, log-latency targets, MSE + pairwise ranking
/// loss) and write it as an ONNX predictor file with everything needed to
/// use and adapt it in its metadata.
///
/// Example: profiler train --data static/data/nb201_latency.csv.gz \
///     --out static/predictors/nb201.onnx
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Latency dataset (wide or long, .csv or .csv.gz).
    #[arg(long)]
    data: PathBuf,

    /// Search space, when the dataset holds more than one.
    #[arg(long)]
    space: Option<String>,

    /// Devices to train on, comma-separated [default: all in the dataset].
    #[arg(long, value_delimiter = ',')]
    devices: Vec<String>,

    /// Reference architectures recorded in the file for adapting to a new
    /// device [default: static/data/<space>_reference_archs.txt if present].
    #[arg(long)]
    reference: Option<PathBuf>,

    /// Output predictor file (.onnx).
    #[arg(long, short = 'o')]
    out: PathBuf,

    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,

    /// Seed of the weights, batches and any subsampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// Ensemble members.
    #[arg(long, default_value_t = 3)]
    ensemble: usize,

    /// Hidden layer widths, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [256, 256])]
    hidden: Vec<usize>,

    /// Training epochs per member.
    #[arg(long, default_value_t = 40)]
    epochs: usize,

    /// Default few-shot adaptation recorded in the file: auto (per device,
    /// chosen by leave-one-out on the samples), head, ridge, blend.
    #[arg(long, default_value = "auto")]
    adaptation: String,
}

pub fn run(args: TrainArgs) -> Result<()> {
    check_new_file(&args.out, args.force)?;
    let adaptation: Adaptation = args.adaptation.parse()?;
    if args.ensemble == 0 || args.hidden.is_empty() || args.hidden.contains(&0) {
        bail!("--ensemble must be ≥ 1 and --hidden a list of positive widths");
    }
    let table = load_table(&args.data, args.space.as_deref())?;
    let space = table.space();
    let table = if args.devices.is_empty() {
        table
    } else {
        table.select_devices(&args.devices)?
    };
    let reference = reference_archs_for(space, args.reference.as_deref())?;

    let mut config = MlpRidgeConfig {
        hidden: args.hidden.clone(),
        ensemble: args.ensemble,
        adaptation,
        ..MlpRidgeConfig::default()
    };
    config.train.epochs = args.epochs;
    let method = MlpRidge::new(config);
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
    );
    spinner.set_message(format!(
        "training {} member(s) × {} epochs on {} {space} architectures × {} devices",
        args.ensemble,
        args.epochs,
        table.n_archs(),
        table.n_devices()
    ));
    spinner.enable_steady_tick(Duration::from_millis(200));
    let start = Instant::now();
    let model = method.pretrain_model(&PretrainContext {
        space,
        archs: table.archs(),
        train: &table,
        seed: args.seed,
    })?;
    let train_seconds = start.elapsed().as_secs_f64();
    spinner.finish_and_clear();

    let command: Vec<String> = std::env::args().collect();
    let file_name = args.data.file_name().map_or_else(
        || args.data.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let extra = BTreeMap::from([
        ("data".to_string(), file_name),
        ("train_archs".to_string(), table.n_archs().to_string()),
        ("seed".to_string(), args.seed.to_string()),
        ("train_seconds".to_string(), format!("{train_seconds:.1}")),
        ("command".to_string(), command.join(" ")),
    ]);
    let spec = model.to_spec(
        space,
        reference.iter().map(|a| a.to_string()).collect(),
        extra,
    )?;
    let bytes = export_predictor_bytes(&spec)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;

    // In-sample fit: how well the model reproduces its own training data
    // (held-out accuracy is what `profiler evaluate` measures).
    let predicted = model.predict_archs(table.archs())?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "trained on {} {space} architectures × {} devices in {train_seconds:.1} s; wrote {} ({:.1} MB)",
        table.n_archs(),
        table.n_devices(),
        args.out.display(),
        bytes.len() as f64 / 1e6
    )?;
    writeln!(out, "fit on the training data (in-sample):")?;
    writeln!(out, "{:<18} {:>7} {:>7}", "device", "ρ", "MAPE")?;
    for (d, name) in table.devices().iter().enumerate() {
        let (truth, pred): (Vec<f64>, Vec<f64>) = table
            .measured(d)
            .map(|(a, ms)| (ms, predicted[[a, d]]))
            .unzip();
        let rho = spearman(&truth, &pred).unwrap_or(f64::NAN);
        let err = mape(&pred, &truth).unwrap_or(f64::NAN);
        writeln!(out, "{name:<18} {rho:>7.3} {:>6.1}%", 100.0 * err)?;
    }
    Ok(())
}
