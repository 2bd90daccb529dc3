//! `profiler adapt`: predict a new device's latencies from a handful of
//! measured architectures and a pretrained predictor file.

use super::adapt_check::{check_held_out, AdaptedDevice};
use super::files::check_new_file;
use anyhow::{bail, Context, Result};
use clap::Args;
use latscope_model::adapt::Adaptation;
use latscope_model::predictor_onnx::{folded_samples, without_folded, Predictor};
use latscope_shared::dataset::{format_latency, read_samples_path, write_long_path, LatencyRecord};
use latscope_shared::space::{Arch, SpaceId};
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
///
/// With `--suggest N` it also proposes the N architectures to measure next
/// (before any measurement, leave out `--samples`): those the adaptation is
/// least sure of, spread over what it cannot yet tell apart.
#[derive(Debug, Args)]
pub struct AdaptArgs {
    /// Predictor file (.onnx) from `profiler train`.
    #[arg(long)]
    predictor: PathBuf,

    /// Your measurements: CSV with `arch` and `latency_ms` columns (a long
    /// CSV from `profiler measure` will do).
    #[arg(long, required_unless_present = "suggest")]
    samples: Option<PathBuf>,

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

    /// Output long CSV (space,arch,device,latency_ms); needed with
    /// --samples.
    #[arg(long, short = 'o', requires = "samples")]
    out: Option<PathBuf>,

    /// Overwrite the output files if they exist.
    #[arg(long)]
    force: bool,

    /// Propose the N architectures (among --query, or the whole NB201 space)
    /// to measure next on the device.
    #[arg(long, value_name = "N")]
    suggest: Option<usize>,

    /// Let --suggest propose networks whose output cannot depend on their input (NB201 cells
    /// with no path from input to output): a runtime that folds them into a constant (tract
    /// does) times nothing, so they are left out by default.
    #[arg(long, requires = "suggest")]
    include_constant_output: bool,

    /// Write the suggested architectures to this file, one per line (the
    /// format `profiler measure --list` reads).
    #[arg(long, value_name = "FILE", requires = "suggest")]
    suggest_out: Option<PathBuf>,

    /// Measurements you did not adapt from (same format as --samples): prints how the adapted
    /// device ranks them (Spearman ρ) beside the zero-shot MACs ranking, and its typical error
    /// beside the stated one. Samples and networks whose output cannot depend on their input
    /// are left out of the check.
    #[arg(long, value_name = "FILE", requires = "samples")]
    check: Option<PathBuf>,

    /// How many of the fastest predicted architectures to print.
    #[arg(long, default_value_t = 10)]
    top: usize,
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
    if args.samples.is_some() && args.out.is_none() {
        bail!("--samples needs -o/--out: the file to write the new device's predictions to");
    }
    for path in [&args.out, &args.suggest_out].into_iter().flatten() {
        check_new_file(path, args.force)?;
    }
    if args.suggest == Some(0) {
        bail!("--suggest 0: ask for at least one architecture");
    }
    let bytes = std::fs::read(&args.predictor)
        .with_context(|| format!("reading {}", args.predictor.display()))?;
    let predictor = Predictor::from_bytes(&bytes)
        .with_context(|| format!("loading {}", args.predictor.display()))?;
    let space = predictor.meta().space;
    let adaptation: Option<Adaptation> = args.adaptation.as_deref().map(str::parse).transpose()?;
    let samples = match &args.samples {
        Some(path) => read_samples_path(path, space)?,
        None => Vec::new(),
    };
    let query = match &args.query {
        Some(path) => read_query(path, space)?,
        None => space
            .enumerate()
            .map_err(|e| anyhow::anyhow!("{e}: pass --query FILE"))?,
    };
    let mut out = std::io::stdout().lock();
    let predicted = match (&args.samples, &args.out) {
        (Some(_), Some(path)) => Some(adapt_and_write(
            &args, &predictor, &samples, &query, adaptation, path, &mut out,
        )?),
        _ => None,
    };
    if let Some(n) = args.suggest {
        suggest(
            &args,
            &predictor,
            &samples,
            &query,
            predicted.as_deref(),
            n,
            &mut out,
        )?;
    }
    Ok(())
}

/// Adapts, writes the predictions and reports; returns the predictions.
fn adapt_and_write(
    args: &AdaptArgs,
    predictor: &Predictor,
    samples: &[(Arch, f64)],
    query: &[Arch],
    adaptation: Option<Adaptation>,
    path: &Path,
    out: &mut impl Write,
) -> Result<Vec<f64>> {
    let predicted = predictor.adapt(samples, query, adaptation)?;
    let folded = folded_samples(samples);
    for (i, (arch, ms)) in samples.iter().enumerate() {
        if !arch.output_depends_on_input() {
            let what = if folded.contains(&i) {
                "left out of the fit: below a tenth of the fastest other sample, the runtime \
                 folded it into a constant"
            } else {
                "kept: its time is in line with the other samples"
            };
            writeln!(
                out,
                "note: sample {} ({arch}, {} ms) computes a constant (its output cannot \
                 depend on its input); {what}",
                i + 1,
                format_latency(*ms)
            )?;
        }
    }
    let used = adaptation.unwrap_or(predictor.meta().adaptation);
    let fit = if used == Adaptation::Auto {
        let kept = without_folded(samples)?;
        let archs: Vec<Arch> = kept.iter().map(|(a, _)| a.clone()).collect();
        let ms: Vec<f64> = kept.iter().map(|(_, v)| *v).collect();
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
    write_long_path(&records, path).with_context(|| format!("writing {}", path.display()))?;

    let mut order: Vec<usize> = (0..query.len()).collect();
    order.sort_by(|&a, &b| predicted[a].total_cmp(&predicted[b]));
    writeln!(
        out,
        "adapted {} ({} adaptation) to {} from {} measured architectures; \
         wrote {} predictions to {}",
        args.predictor.display(),
        used,
        args.name,
        samples.len() - folded.len(),
        records.len(),
        path.display()
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
    if let Some(check) = &args.check {
        let device = AdaptedDevice {
            samples,
            adaptation,
            fit: fit.as_ref(),
            query,
            predictions: &predicted,
        };
        check_held_out(predictor, &device, check, out)?;
    }
    Ok(predicted)
}

/// Prints (and writes, with --suggest-out) the `n` architectures of the
/// query to measure next, with their predicted latency when adapted.
fn suggest(
    args: &AdaptArgs,
    predictor: &Predictor,
    samples: &[(Arch, f64)],
    query: &[Arch],
    predicted: Option<&[f64]>,
    n: usize,
    out: &mut impl Write,
) -> Result<()> {
    let measured: HashSet<&Arch> = samples.iter().map(|(a, _)| a).collect();
    let open: Vec<usize> = (0..query.len())
        .filter(|&i| !measured.contains(&query[i]))
        .collect();
    if open.is_empty() {
        bail!("--suggest: every queried architecture is measured already");
    }
    let sample_archs: Vec<Arch> = samples.iter().map(|(a, _)| a.clone()).collect();
    let query_rows = predictor.predict_archs(query)?.embedding;
    let picked = predictor.suggest_among(
        &sample_archs,
        query,
        &query_rows,
        n,
        args.include_constant_output,
    )?;
    writeln!(
        out,
        "measure next on {} ({} of {} architectures, most informative first{}):",
        args.name,
        picked.len(),
        open.len(),
        if samples.is_empty() {
            String::new()
        } else {
            format!("; {} measured already", samples.len())
        }
    )?;
    for &i in &picked {
        match predicted {
            Some(p) => writeln!(
                out,
                "  {}  (predicted {} ms)",
                query[i],
                format_latency(p[i])
            )?,
            None => writeln!(out, "  {}", query[i])?,
        }
    }
    if let Some(path) = &args.suggest_out {
        let mut text: String = picked.iter().map(|&i| format!("{}\n", query[i])).collect();
        if text.is_empty() {
            text.push('\n');
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        writeln!(
            out,
            "wrote them to {} (profiler measure --list {} measures them)",
            path.display(),
            path.display()
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
