//! `features-ridge`: ridge regression of log-latency on standardised
//! `features-v1` (and optionally `onehot-v1`), fitted on the K samples only,
//! λ by leave-one-out.

use super::{check_samples, ArchInputs};
use crate::error::Result;
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use crate::nn::Standardizer;
use crate::ridge::{default_relative_lambdas, fit_ridge_loo, LooCriterion};
use ndarray::{Array2, Axis};

/// Ridge on cost features.
#[derive(Clone, Copy, Debug)]
pub struct FeaturesRidge {
    /// Append the one-hot encoding to the features.
    pub onehot: bool,
    /// How leave-one-out picks the ridge's λ on the samples.
    pub criterion: LooCriterion,
}

impl Default for FeaturesRidge {
    fn default() -> Self {
        FeaturesRidge {
            onehot: false,
            criterion: LooCriterion::Mse,
        }
    }
}

struct FeaturesRidgeModel {
    x: Array2<f64>,
    criterion: LooCriterion,
}

impl FewShotMethod for FeaturesRidge {
    fn name(&self) -> String {
        if self.onehot {
            "features-onehot-ridge".into()
        } else {
            "features-ridge".into()
        }
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        let inputs = ArchInputs::compute(ctx.archs)?;
        let raw = if self.onehot {
            inputs.onehot_and_features()
        } else {
            inputs.features
        };
        let z = Standardizer::fit(raw.view()).transform(raw.view());
        Ok(Box::new(FeaturesRidgeModel {
            x: z.mapv(f64::from),
            criterion: self.criterion,
        }))
    }
}

impl PretrainedModel for FeaturesRidgeModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        let y = check_samples(samples, query, self.x.nrows())?;
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let xs = self.x.select(Axis(0), &rows);
        let fit = fit_ridge_loo(xs.view(), &y, &default_relative_lambdas(), self.criterion)?;
        let xq = self.x.select(Axis(0), query);
        Ok(fit
            .ridge
            .predict(xq.view())
            .iter()
            .map(|v| v.exp())
            .collect())
    }
}
