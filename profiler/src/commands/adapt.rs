//! `profiler adapt`: predict a new device's latencies from a handful of
//! measured architectures and a pretrained predictor file.

use super::files::check_new_file;
use anyhow::{bail, Context, Result};
use clap::Args;
use latscope_model::adapt::Adaptation;
use latscope_model::predictor_onnx::Predictor;
use latscope_shared::dataset::{format_latency, write_long_path, LatencyRecord};
use latscope_shared::space::{nb201::Cell, Arch, SpaceId};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Adapt a predictor to a new device from your own measurements: a CSV with
/// columns `arch` and `latency_ms` (any others are ignored; 5–20 rows are
/// typical, the reference architectures in the file's metadata are a good
/// choice). Writes the predicted latency of every queried architecture on
/// the new device as a long CSV.
///
/// Example: profiler adapt --predictor static/predictors/nb201.onnx \
///     --samples my_device.csv --name my_device -o my_device_pred.csv
#[derive(Debug, Args)]
pub struct AdaptArgs {
    /// Predictor file (.onnx) from `profiler train`.
    #[arg(long)]
    predictor: PathBuf,

    /// Your measurements: CSV with `arch` and `latency_ms` columns.
    #[arg(long)]
    samples: PathBuf,

    /// Name of the new device in the output.
    #[arg(long, default_value = "my_device")]
    name: String,

    /// Architectures to predict: a file with one per line [default: the
    /// whole NB201 space; required for FBNet].
    #[arg(long)]
    query: Option<PathBuf>,

    /// auto, head, ridge or blend [default: the predictor file's; auto
    /// chooses per device between the head, a ridge in ms over the trained
    /// devices and operation counts, and their blend, by leave-one-out on
    /// your samples].
    #[arg(long)]
    adaptation: Option<String>,

    /// Output long CSV (space,arch,device,latency_ms).
    #[arg(long, short = 'o')]
    out: PathBuf,

    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,

    /// How many of the fastest predicted architectures to print.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Reads `(arch, ms)` rows; errors name the file, line and value.
pub fn read_samples(path: &Path, space: SpaceId) -> Result<Vec<(Arch, f64)>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: reading the header", path.display()))?
        .clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).with_context(|| {
            format!(
                "{}: no {name:?} column (the header is {:?}; expected arch,latency_ms)",
                path.display(),
                headers.iter().collect::<Vec<_>>()
            )
        })
    };
    let (arch_col, ms_col) = (column("arch")?, column("latency_ms")?);
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{}: line {line}", path.display()))?;
        let at = |what: &str| format!("{}: line {line}, {what}", path.display());
        let text = record.get(arch_col).unwrap_or("");
        let arch = space
            .parse_arch(text)
            .with_context(|| at(&format!("arch {text:?}")))?;
        let raw = record.get(ms_col).unwrap_or("");
        let ms: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .with_context(|| at(&format!("latency_ms {raw:?} is not a positive number")))?;
        if !seen.insert(arch.clone()) {
            bail!("{}", at(&format!("{arch} is measured twice")));
        }
        rows.push((arch, ms));
    }
    if rows.len() < 2 {
        bail!(
            "{}: {} measured architecture(s); adaptation needs at least 2 (5–20 is typical)",
            path.display(),
            rows.len()
        );
    }
    Ok(rows)
}

fn read_query(path: &Path, space: SpaceId) -> Result<Vec<Arch>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            space
                .parse_arch(l.trim())
                .with_context(|| format!("{}: line {}", path.display(), i + 1))
        })
        .collect()
}

pub fn run(args: AdaptArgs) -> Result<()> {
    check_new_file(&args.out, args.force)?;
    let bytes = std::fs::read(&args.predictor)
        .with_context(|| format!("reading {}", args.predictor.display()))?;
    let predictor = Predictor::from_bytes(&bytes)
        .with_context(|| format!("loading {}", args.predictor.display()))?;
    let space = predictor.meta().space;
    let adaptation: Option<Adaptation> = args.adaptation.as_deref().map(str::parse).transpose()?;
    let samples = read_samples(&args.samples, space)?;
    let query = match (&args.query, space) {
        (Some(path), _) => read_query(path, space)?,
        (None, SpaceId::Nb201) => Cell::all().map(Arch::Nb201).collect(),
        (None, other) => bail!("{other} has too many architectures to list: pass --query FILE"),
    };
    let predicted = predictor.adapt(&samples, &query, adaptation)?;
    let used = adaptation.unwrap_or(predictor.meta().adaptation);
    let fit = if used == Adaptation::Auto {
        let archs: Vec<Arch> = samples.iter().map(|(a, _)| a.clone()).collect();
        let ms: Vec<f64> = samples.iter().map(|(_, v)| *v).collect();
        Some(predictor.fit_device(&predictor.predict_archs(&archs)?.embedding, &ms)?)
    } else {
        None
    };

    let predictor_name = args
        .predictor
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let records: Vec<LatencyRecord> = query
        .iter()
        .zip(&predicted)
        .map(|(arch, &ms)| LatencyRecord {
            source: Some(format!("latscope-adapt({})", predictor_name)),
            ..LatencyRecord::new(arch, args.name.clone(), ms)
        })
        .collect();
    write_long_path(&records, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;

    let mut order: Vec<usize> = (0..query.len()).collect();
    order.sort_by(|&a, &b| predicted[a].total_cmp(&predicted[b]));
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "adapted {} ({} adaptation) to {} from {} measured architectures; \
         wrote {} predictions to {}",
        args.predictor.display(),
        used,
        args.name,
        samples.len(),
        records.len(),
        args.out.display()
    )?;
    if let Some(fit) = &fit {
        writeln!(out, "{}", confidence_line(fit))?;
    }
    writeln!(out, "fastest predicted on {}:", args.name)?;
    for &i in order.iter().take(args.top) {
        writeln!(
            out,
            "  {:>10} ms  {}",
            format_latency(predicted[i]),
            query[i]
        )?;
    }
    Ok(())
}

/// How far to trust an adapted device: the chosen fit and how well each
/// candidate predicted the samples when each was left out.
pub fn confidence_line(fit: &latscope_model::adapt::DeviceFit) -> String {
    let describe = |s: &latscope_model::adapt::LooSummary| {
        let rho = s
            .spearman
            .map_or_else(|| "–".to_string(), |r| format!("{r:.3}"));
        // exp(rmse of ln) − 1: the typical relative error.
        format!(
            "ρ {rho}, typical error {:.1} %",
            (s.log_rmse.exp() - 1.0) * 100.0
        )
    };
    let others: Vec<String> = fit
        .candidates
        .iter()
        .map(|(kind, s)| format!("{kind} {}", describe(s)))
        .collect();
    format!(
        "fit: {} (leave-one-out on the samples: {}; candidates: {})",
        fit.kind,
        describe(&fit.loo),
        others.join("; ")
    )
}
