//! `profiler bench`: how fast the shipped predictors are, as a table.

use super::files::load_table;
use anyhow::{Context, Result};
use clap::Args;
use latscope_model::fewshot::PretrainContext;
use latscope_model::methods::{MlpRidge, MlpRidgeConfig};
use latscope_model::predictor_onnx::Predictor;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Time the predictors: encoding and batch prediction of every NB201
/// architecture on every device of a predictor file (median of --repeat
/// runs), adaptation to a new device, and optionally (--train DATA) the
/// training of a predictor with the shipped settings.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Predictor file to time.
    #[arg(long, default_value = "static/predictors/nb201.onnx")]
    predictor: PathBuf,

    /// Timed repetitions (the median is printed).
    #[arg(long, default_value_t = 5)]
    repeat: usize,

    /// Also time training on this dataset with the shipped settings.
    #[arg(long)]
    train: Option<PathBuf>,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(repeat: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut times = Vec::with_capacity(repeat);
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        last = Some(f()?);
        times.push(start.elapsed());
    }
    Ok((median(times), last.expect("ran at least once")))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub fn run(args: BenchArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    writeln!(
        out,
        "machine: {threads} hardware thread(s); median of {} runs",
        args.repeat
    )?;
    writeln!(out, "{:<58} {:>12}", "what", "time")?;

    let bytes = std::fs::read(&args.predictor)
        .with_context(|| format!("reading {}", args.predictor.display()))?;
    let (load, predictor) = time(args.repeat, || Ok(Predictor::from_bytes(&bytes)?))?;
    let name = args.predictor.display();
    let d = predictor.meta().devices.len();
    writeln!(
        out,
        "{:<58} {:>12}",
        format!("load {name} (tract plan)"),
        ms(load)
    )?;

    // Spaces too large to list (FBNet) time the load only.
    let space = predictor.meta().space;
    if let Ok(archs) = space.enumerate() {
        let n = archs.len();
        let (encode, x) = time(args.repeat, || Ok(predictor.encode(&archs)?))?;
        writeln!(
            out,
            "{:<58} {:>12}",
            format!("encode all {n} {space} architectures"),
            ms(encode)
        )?;
        let (predict, prediction) = time(args.repeat, || Ok(predictor.predict_encoded(&x)?))?;
        writeln!(
            out,
            "{:<58} {:>12}",
            format!("predict {n} architectures × {d} devices (one batch)"),
            ms(predict)
        )?;
        if predictor.has_scan_network() {
            // The first call builds the scan plan; time the calls after it.
            predictor.predict_scan_encoded(&x)?;
            let (scan, _) = time(args.repeat, || Ok(predictor.predict_scan_encoded(&x)?))?;
            writeln!(
                out,
                "{:<58} {:>12}",
                "the same with the file's scan network",
                ms(scan)
            )?;
        }
        let samples: Vec<usize> = (0..10).map(|i| i * 1499 + 3).collect();
        let sample_x = prediction.embedding.select(ndarray::Axis(0), &samples);
        let measured: Vec<f64> = samples
            .iter()
            .map(|&a| f64::from(prediction.latency_ms[[a, 0]]) * 1.3)
            .collect();
        let (adapt, _) = time(args.repeat, || {
            Ok(predictor.adapt_features(&sample_x, &measured, &prediction.embedding, None)?)
        })?;
        writeln!(
            out,
            "{:<58} {:>12}",
            format!("adapt to a new device from 10 samples, predict all {n}"),
            ms(adapt)
        )?;
    }

    if let Some(data) = &args.train {
        let table = load_table(data, None)?;
        let start = Instant::now();
        MlpRidge::new(MlpRidgeConfig::default()).pretrain_model(&PretrainContext {
            space: table.space(),
            archs: table.archs(),
            train: &table,
            seed: 0,
        })?;
        writeln!(
            out,
            "{:<58} {:>12}",
            format!(
                "train shipped settings: {} archs × {} devices",
                table.n_archs(),
                table.n_devices()
            ),
            format!("{:.1} s", start.elapsed().as_secs_f64())
        )?;
    }
    Ok(())
}
