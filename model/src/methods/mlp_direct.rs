//! `mlp-direct`: an MLP ensemble trained on the target device's own samples
//! only, nothing learnt from other devices. The method for the
//! "plenty of data" protocol (e.g. 1000 measured architectures of one device
//! → all the others), where absolute accuracy (MAPE, ±10 %) matters more
//! than transfer; with a handful of samples it is a weak baseline.

use super::{check_samples, ArchInputs};
use crate::error::Result;
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use crate::nn::{train_mlp, Mlp, Standardizer, TrainConfig};
use ndarray::{Array2, Axis};

/// Settings of [`MlpDirect`].
#[derive(Clone, Debug, PartialEq)]
pub struct MlpDirect {
    /// Widths of the hidden layers, input side first.
    pub hidden: Vec<usize>,
    /// Ensemble members (different seeds) whose ln-ms predictions are averaged.
    pub ensemble: usize,
    /// Training of each member on the target's samples (its seed is offset per member).
    pub train: TrainConfig,
}

impl Default for MlpDirect {
    fn default() -> Self {
        MlpDirect {
            hidden: vec![128, 128],
            ensemble: 3,
            train: TrainConfig {
                epochs: 300,
                batch_size: 64,
                learning_rate: 2e-3,
                rank_weight: 0.2,
                ..TrainConfig::default()
            },
        }
    }
}

struct MlpDirectModel {
    config: MlpDirect,
    /// Standardised `[onehot-v1 | features-v1]` of every architecture.
    x: Array2<f32>,
    seed: u64,
}

impl FewShotMethod for MlpDirect {
    fn name(&self) -> String {
        "mlp-direct".into()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        let raw = ArchInputs::compute(ctx.archs)?.onehot_and_features();
        let x = Standardizer::fit(raw.view()).transform(raw.view());
        Ok(Box::new(MlpDirectModel {
            config: self.clone(),
            x,
            seed: ctx.seed,
        }))
    }
}

impl PretrainedModel for MlpDirectModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        let logs = check_samples(samples, query, self.x.nrows())?;
        let n = logs.len() as f64;
        let mean = logs.iter().sum::<f64>() / n;
        let sd = (logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n)
            .sqrt()
            .max(1e-6);
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let xs = self.x.select(Axis(0), &rows);
        let ys = Array2::from_shape_fn((rows.len(), 1), |(i, _)| ((logs[i] - mean) / sd) as f32);
        let xq = self.x.select(Axis(0), query);
        let mut sum = vec![0.0; query.len()];
        let mut widths = vec![self.x.ncols()];
        widths.extend(&self.config.hidden);
        widths.push(1);
        for m in 0..self.config.ensemble as u64 {
            let seed = self.seed.wrapping_mul(7_919).wrapping_add(m);
            let mut mlp = Mlp::new(&widths, seed);
            let cfg = TrainConfig {
                seed: seed ^ 0x6469_7263,
                batch_size: self.config.train.batch_size.min(rows.len()),
                ..self.config.train.clone()
            };
            train_mlp(&mut mlp, xs.view(), ys.view(), &cfg)?;
            let pred = mlp.forward(xq.view());
            sum.iter_mut()
                .zip(pred.column(0))
                .for_each(|(s, &z)| *s += f64::from(z));
        }
        let k = self.config.ensemble as f64;
        Ok(sum.into_iter().map(|z| (z / k * sd + mean).exp()).collect())
    }
}
