//! `profiler adapt --check FILE`: how the adapted device ranks architectures
//! the user measured but did not adapt from, beside the zero-shot MACs
//! ranking that needs no measurement at all, so a user sees whether the
//! few-shot fit earned its samples.

use anyhow::{bail, Result};
use latscope_model::adapt::{Adaptation, DeviceFit};
use latscope_model::predictor_onnx::Predictor;
use latscope_model::sampler::arch_macs;
use latscope_shared::dataset::{format_latency, read_samples_path};
use latscope_shared::metrics::spearman;
use latscope_shared::space::Arch;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

/// Fewer held-out architectures than this rank nothing worth stating.
const MIN_CHECKED: usize = 3;

/// The held-out architectures and how the adapted device and MACs rank them.
struct CheckScores {
    checked: usize,
    left_out_sampled: usize,
    left_out_constant: usize,
    adapted_rho: f64,
    macs_rho: f64,
    /// exp(rmse of ln ms) − 1 over the held-out architectures.
    typical_error: f64,
    smallest_measured: f64,
}

/// A device as `profiler adapt` adapted it: its samples, the adaptation asked for, the fit
/// chosen (with `auto`) and its predictions of the query.
pub struct AdaptedDevice<'a> {
    pub samples: &'a [(Arch, f64)],
    pub adaptation: Option<Adaptation>,
    pub fit: Option<&'a DeviceFit>,
    pub query: &'a [Arch],
    pub predictions: &'a [f64],
}

/// Scores the adapted device on the measurements in `path` that are neither samples nor
/// networks whose output cannot depend on their input (a runtime may time those as a
/// constant), and prints the scores with the fit's stated confidence and the smallest
/// prediction over the query.
pub fn check_held_out(
    predictor: &Predictor,
    device: &AdaptedDevice<'_>,
    path: &Path,
    out: &mut impl Write,
) -> Result<()> {
    let AdaptedDevice {
        samples,
        adaptation,
        fit,
        query,
        predictions,
    } = *device;
    let held = read_samples_path(path, predictor.meta().space)?;
    let scores = score(predictor, samples, adaptation, &held, path)?;
    writeln!(
        out,
        "check on {} held-out architectures of {} ({} left out: {} among the samples, {} \
         computing a constant): ρ {:.3} adapted, ρ {:.3} zero-shot MACs; typical error {:.1} %{}",
        scores.checked,
        path.display(),
        scores.left_out_sampled + scores.left_out_constant,
        scores.left_out_sampled,
        scores.left_out_constant,
        scores.adapted_rho,
        scores.macs_rho,
        scores.typical_error * 100.0,
        fit.map_or_else(String::new, |f| format!(
            " (stated from the samples: {:.1} %)",
            (f.loo.log_rmse.exp() - 1.0) * 100.0
        ))
    )?;
    let smallest = |input_dependent_only: bool| {
        query
            .iter()
            .zip(predictions)
            .filter(|(a, _)| !input_dependent_only || a.output_depends_on_input())
            .map(|(_, ms)| *ms)
            .fold(f64::INFINITY, f64::min)
    };
    let smallest_measured = samples
        .iter()
        .filter(|(a, _)| a.output_depends_on_input())
        .map(|(_, ms)| *ms)
        .fold(scores.smallest_measured, f64::min);
    let (predicted, predicted_all) = (smallest(true), smallest(false));
    writeln!(
        out,
        "smallest prediction {} ms over input-dependent networks ({} ms over all, those computing \
         a constant included); smallest measured input-dependent network {} ms (ratios {:.2}, \
         {:.2})",
        format_latency(predicted),
        format_latency(predicted_all),
        format_latency(smallest_measured),
        predicted / smallest_measured,
        predicted_all / smallest_measured
    )?;
    Ok(())
}

fn score(
    predictor: &Predictor,
    samples: &[(Arch, f64)],
    adaptation: Option<Adaptation>,
    held: &[(Arch, f64)],
    path: &Path,
) -> Result<CheckScores> {
    let sampled: HashSet<&Arch> = samples.iter().map(|(a, _)| a).collect();
    let left_out_sampled = held.iter().filter(|(a, _)| sampled.contains(a)).count();
    let left_out_constant = held
        .iter()
        .filter(|(a, _)| !sampled.contains(a) && !a.output_depends_on_input())
        .count();
    let (archs, measured): (Vec<Arch>, Vec<f64>) = held
        .iter()
        .filter(|(a, _)| !sampled.contains(a) && a.output_depends_on_input())
        .cloned()
        .unzip();
    if archs.len() < MIN_CHECKED {
        bail!(
            "--check {}: {} held-out architectures left ({left_out_sampled} are among the \
             samples, {left_out_constant} compute a constant); at least {MIN_CHECKED} needed",
            path.display(),
            archs.len()
        );
    }
    let predicted = predictor.adapt(samples, &archs, adaptation)?;
    let macs = arch_macs(&archs)?;
    let rho = |x: &[f64]| spearman(x, &measured).map_err(anyhow::Error::from);
    let log_mse = predicted
        .iter()
        .zip(&measured)
        .map(|(p, m)| (p.ln() - m.ln()).powi(2))
        .sum::<f64>()
        / measured.len() as f64;
    Ok(CheckScores {
        checked: archs.len(),
        left_out_sampled,
        left_out_constant,
        adapted_rho: rho(&predicted)?,
        macs_rho: rho(&macs)?,
        typical_error: log_mse.sqrt().exp() - 1.0,
        smallest_measured: measured.iter().copied().fold(f64::INFINITY, f64::min),
    })
}
