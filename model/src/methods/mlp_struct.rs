//! Structured few-shot adaptation of the multi-device MLP ensemble.
//!
//! The ensemble's log-space adaptation ([`crate::adapt`]) carries what the
//! training devices teach but is not additive over operators; the
//! `op-count` fit is additive but knows nothing beyond the K samples. Here
//! both meet in one ridge in **milliseconds**:
//!
//! `ms ≈ c + Σ_d w_d·ms_d(arch) + Σ_o v_o·count_o(arch)`
//!
//! where `ms_d` is the pretrained ensemble's prediction for training device
//! `d` and `count_o` how often operation `o` occurs ([`crate::structure`]),
//! every column standardised over all architectures, λ by exact
//! leave-one-out on the K samples (`mlp-struct`). A new device is then a
//! mixture of the training devices plus per-operator costs of its own:
//! accelerators and large-batch GPUs get their additive costs, phones the
//! training devices they resemble.
//!
//! `mlp-auto` chooses, per device and from the K samples alone, between
//! `mlp-struct` and `mlp-head` by their leave-one-out error in log space;
//! `mlp-struct-blend` averages the two in log space.

use super::check_samples;
use crate::adapt::Adaptation;
use crate::error::Result;
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use crate::methods::{MlpRidgeConfig, MlpRidgeModel};
use crate::ridge::{default_relative_lambdas, LooCriterion, RidgePath};
use crate::structure::{op_counts, StandardizedDesign};
use ndarray::{Array2, Axis};

/// How the structured fit is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructMode {
    /// The ms ridge alone (`mlp-struct`).
    Structured,
    /// Per device, `mlp-struct` or `mlp-head`, whichever has the smaller
    /// leave-one-out error in log space on the K samples (`mlp-auto`).
    Pick,
    /// The mean of the two in log space (`mlp-struct-blend`).
    Blend,
}

/// The structured MLP methods.
#[derive(Clone, Debug)]
pub struct MlpStructured {
    pub base: MlpRidgeConfig,
    pub mode: StructMode,
}

impl MlpStructured {
    pub fn new(mode: StructMode) -> Self {
        MlpStructured {
            base: MlpRidgeConfig {
                adaptation: Adaptation::Head,
                ..MlpRidgeConfig::default()
            },
            mode,
        }
    }
}

impl FewShotMethod for MlpStructured {
    fn name(&self) -> String {
        match self.mode {
            StructMode::Structured => "mlp-struct",
            StructMode::Pick => "mlp-auto",
            StructMode::Blend => "mlp-struct-blend",
        }
        .into()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        let mlp = crate::methods::MlpRidge::new(self.base.clone()).pretrain_model(ctx)?;
        let devices_ms = mlp.predict_archs(ctx.archs)?;
        let counts = op_counts(ctx.archs)?;
        let design = StandardizedDesign::new(&[devices_ms.view(), counts.view()])?.values;
        Ok(Box::new(MlpStructuredModel {
            mlp,
            design,
            mode: self.mode,
        }))
    }
}

struct MlpStructuredModel {
    mlp: MlpRidgeModel,
    /// `[training devices' predicted ms | op counts]`, standardised.
    design: Array2<f64>,
    mode: StructMode,
}

/// Predictions below this fraction of the smallest sample are raised to it:
/// a linear model can go negative, a latency cannot.
const FLOOR_FRACTION: f64 = 0.01;

fn floor_of(samples: &[(usize, f64)]) -> f64 {
    FLOOR_FRACTION * samples.iter().map(|s| s.1).fold(f64::INFINITY, f64::min)
}

/// Predictions for the queries and leave-one-out predictions for the
/// samples, in ms.
struct Fit {
    query: Vec<f64>,
    loo: Vec<f64>,
}

impl MlpStructuredModel {
    fn structured(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Fit> {
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let ms: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let path = RidgePath::new(self.design.select(Axis(0), &rows).view(), &ms)?;
        let scale = path.lambda_scale();
        let lambdas: Vec<f64> = default_relative_lambdas()
            .iter()
            .map(|l| l * scale)
            .collect();
        let selection = path.select(&lambdas, LooCriterion::Mse);
        let floor = floor_of(samples);
        let query = selection
            .ridge
            .predict(self.design.select(Axis(0), query).view())
            .iter()
            .map(|p| p.max(floor))
            .collect();
        // With λ > 0 no leverage reaches 1; should it, the sample is
        // predicted by the mean of the others.
        let loo = path
            .loo_predictions(selection.lambda)
            .unwrap_or_else(|| leave_one_out_means(&ms))
            .into_iter()
            .map(|p| p.max(floor))
            .collect();
        Ok(Fit { query, loo })
    }

    fn head(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Fit> {
        let query = self.mlp.adapt_with(Adaptation::Head, samples, query)?;
        let mut loo = Vec::with_capacity(samples.len());
        for i in 0..samples.len() {
            let others: Vec<(usize, f64)> = samples
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, s)| *s)
                .collect();
            loo.push(self.mlp.adapt_with(Adaptation::Head, &others, &[samples[i].0])?[0]);
        }
        Ok(Fit { query, loo })
    }
}

fn leave_one_out_means(y: &[f64]) -> Vec<f64> {
    let total: f64 = y.iter().sum();
    let n = y.len() as f64;
    y.iter()
        .map(|v| if n > 1.0 { (total - v) / (n - 1.0) } else { *v })
        .collect()
}

/// Mean squared error in log space of leave-one-out predictions.
fn loo_log_mse(loo: &[f64], samples: &[(usize, f64)]) -> f64 {
    loo.iter()
        .zip(samples)
        .map(|(p, s)| (p.ln() - s.1.ln()).powi(2))
        .sum::<f64>()
        / samples.len().max(1) as f64
}

impl PretrainedModel for MlpStructuredModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        check_samples(samples, query, self.design.nrows())?;
        if self.mode == StructMode::Structured {
            return Ok(self.structured(samples, query)?.query);
        }
        // Leave-one-out needs at least two samples; with one, the ensemble's
        // head is all there is.
        if samples.len() < 3 {
            return self.mlp.adapt_with(Adaptation::Head, samples, query);
        }
        let s = self.structured(samples, query)?;
        let h = self.head(samples, query)?;
        Ok(match self.mode {
            StructMode::Pick => {
                if loo_log_mse(&s.loo, samples) < loo_log_mse(&h.loo, samples) {
                    s.query
                } else {
                    h.query
                }
            }
            _ => s
                .query
                .iter()
                .zip(&h.query)
                .map(|(a, b)| (a * b).sqrt())
                .collect(),
        })
    }
}
