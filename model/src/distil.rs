//! Distilling a predictor's ensemble into its scan network
//! ([`ScanNetwork`]): a small MLP trained to reproduce the ensemble's
//! ln-latencies on a fixed set of architectures (for NB201 the whole
//! space), then checked against the ensemble on that set and on held-out
//! architectures. The ensemble stays the reference; the scan network only
//! makes whole-space rankings cheap (about 1/25 of the arithmetic).

use crate::error::{Error, Result};
use crate::nn::{train_mlp, Mlp, TrainConfig};
use crate::predictor_onnx::{HeldOutAgreement, PredictorSpec, ScanAgreement, ScanNetwork};
use latscope_shared::metrics::{quantile, spearman};
use ndarray::{Array2, Axis};

/// How to distil.
#[derive(Clone, Debug, PartialEq)]
pub struct DistilConfig {
    /// Hidden layer widths of the scan network.
    pub hidden: Vec<usize>,
    /// Passes over the architectures.
    pub epochs: usize,
    /// Seed of the initial weights and the batch order.
    pub seed: u64,
}

impl Default for DistilConfig {
    /// Chosen on the shipped NB201 predictor's whole space, the set the
    /// scan network serves (the ensemble is the teacher; no measurement is
    /// involved): worst-device ρ .9886 / .9942 / .9954 / .9961 for hidden
    /// 32 / 32×32 / 64×64 / 128×128 at 400 epochs (150: a little lower);
    /// 64×64 costs a third of 128×128's arithmetic.
    fn default() -> Self {
        DistilConfig {
            hidden: vec![64, 64],
            epochs: 400,
            seed: 0,
        }
    }
}

/// Architectures (encoded, `[N, input_dim]`) and what they are, for
/// distillation and its checks.
#[derive(Clone, Copy, Debug)]
pub struct ArchSet<'a> {
    /// The encoded architectures.
    pub x: &'a Array2<f32>,
    /// What they are, e.g. `all 15625 nb201 cells`.
    pub name: &'a str,
}

/// Trains `spec`'s scan network on `fit` and checks it against the
/// ensemble on `fit` and, when given, `held_out`.
pub fn distil_scan_network(
    spec: &PredictorSpec,
    fit: ArchSet<'_>,
    held_out: Option<ArchSet<'_>>,
    config: &DistilConfig,
) -> Result<ScanNetwork> {
    if fit.x.nrows() < 2 {
        return Err(Error::TooFew {
            context: "distilling a scan network".into(),
            what: "architectures",
            got: fit.x.nrows(),
            need: 2,
        });
    }
    let teacher_log = spec.forward(fit.x).0.mapv(f32::ln);
    let (output_mean, output_std) = column_mean_std(&teacher_log);
    let mut z = teacher_log;
    for (mut col, (m, s)) in z
        .axis_iter_mut(Axis(1))
        .zip(output_mean.iter().zip(&output_std))
    {
        col.mapv_inplace(|v| (v - m) / s);
    }
    let h0 = spec.standardise(fit.x);
    let mut widths = vec![h0.ncols()];
    widths.extend(&config.hidden);
    widths.push(z.ncols());
    let mut mlp = Mlp::new(&widths, config.seed);
    let train = TrainConfig {
        epochs: config.epochs,
        batch_size: 256,
        learning_rate: 3e-3,
        seed: config.seed,
        ..TrainConfig::default()
    };
    train_mlp(&mut mlp, h0.view(), z.view(), &train)?;
    let mut scan = ScanNetwork {
        mlp,
        output_mean,
        output_std,
        agreement: ScanAgreement {
            set: String::new(),
            spearman: vec![],
            median_relative_error: 0.0,
            p90_relative_error: 0.0,
            max_relative_error: 0.0,
            held_out: None,
        },
    };
    scan.agreement = agreement(spec, &scan, fit, held_out)?;
    Ok(scan)
}

/// Per-column mean and standard deviation (never below 1e-6, so a
/// constant column standardises to zeros).
fn column_mean_std(y: &Array2<f32>) -> (Vec<f32>, Vec<f32>) {
    y.axis_iter(Axis(1))
        .map(|col| {
            let mean = col.mean().unwrap_or(0.0);
            let var = col.mapv(|v| (v - mean).powi(2)).mean().unwrap_or(0.0);
            (mean, var.sqrt().max(1e-6))
        })
        .unzip()
}

/// Scan vs ensemble on `set`: per-column ρ and the relative errors.
struct Comparison {
    spearman: Vec<f64>,
    sorted_relative_errors: Vec<f64>,
}

fn compare(spec: &PredictorSpec, scan: &ScanNetwork, set: ArchSet<'_>) -> Result<Comparison> {
    let ensemble = spec.forward(set.x).0;
    let fast = scan.forward_standardised(&spec.standardise(set.x));
    let column = |a: &Array2<f32>, j: usize| -> Vec<f64> {
        a.column(j).iter().map(|&v| f64::from(v)).collect()
    };
    let spearman = (0..ensemble.ncols())
        .map(|j| {
            spearman(&column(&ensemble, j), &column(&fast, j)).map_err(|error| Error::Metric {
                context: format!("scan network vs ensemble on {}, column {j}", set.name),
                error,
            })
        })
        .collect::<Result<Vec<f64>>>()?;
    let mut sorted_relative_errors: Vec<f64> = ensemble
        .iter()
        .zip(fast.iter())
        .map(|(&e, &f)| (f64::from(f) - f64::from(e)).abs() / f64::from(e))
        .collect();
    sorted_relative_errors.sort_by(f64::total_cmp);
    Ok(Comparison {
        spearman,
        sorted_relative_errors,
    })
}

fn agreement(
    spec: &PredictorSpec,
    scan: &ScanNetwork,
    fit: ArchSet<'_>,
    held_out: Option<ArchSet<'_>>,
) -> Result<ScanAgreement> {
    let on_fit = compare(spec, scan, fit)?;
    let held_out = match held_out.filter(|h| h.x.nrows() >= 2) {
        Some(set) => {
            let c = compare(spec, scan, set)?;
            Some(HeldOutAgreement {
                set: set.name.to_string(),
                min_spearman: c.spearman.iter().copied().fold(f64::INFINITY, f64::min),
                median_relative_error: quantile(&c.sorted_relative_errors, 0.5),
            })
        }
        None => None,
    };
    let errors = &on_fit.sorted_relative_errors;
    Ok(ScanAgreement {
        set: fit.name.to_string(),
        spearman: on_fit.spearman,
        median_relative_error: quantile(errors, 0.5),
        p90_relative_error: quantile(errors, 0.9),
        max_relative_error: *errors.last().expect("at least two architectures"),
        held_out,
    })
}
