//! `op-count`: ordinary least squares of latency in **milliseconds** on how
//! often each operation occurs in the architecture (plus an intercept),
//! fitted on the K target samples alone. On NB201 that is 4 free counts and
//! an intercept; on devices that run every operator (accelerators,
//! large-batch GPUs) it is nearly exact from 10 samples, so every structured
//! method has to beat it there. With fewer samples than coefficients it is
//! the minimum-norm solution.

use super::check_samples;
use crate::error::Result;
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use crate::ridge::RidgePath;
use crate::structure::op_counts;
use ndarray::{Array2, Axis};

/// A penalty this small (relative to the design's scale) is ordinary least
/// squares where the counts determine the fit, and the minimum-norm
/// solution where they do not.
const OLS_RELATIVE_LAMBDA: f64 = 1e-9;

/// The op-count baseline.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpCount;

struct OpCountModel {
    counts: Array2<f64>,
}

impl FewShotMethod for OpCount {
    fn name(&self) -> String {
        "op-count".into()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        Ok(Box::new(OpCountModel {
            counts: op_counts(ctx.archs)?,
        }))
    }
}

impl PretrainedModel for OpCountModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        check_samples(samples, query, self.counts.nrows())?;
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let ms: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let path = RidgePath::new(self.counts.select(Axis(0), &rows).view(), &ms)?;
        let fit = path.fit(OLS_RELATIVE_LAMBDA * path.lambda_scale());
        Ok(fit
            .predict(self.counts.select(Axis(0), query).view())
            .to_vec())
    }
}
