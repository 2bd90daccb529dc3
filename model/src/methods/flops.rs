//! `flops`: latency ∝ MACs, the scale fitted on the samples (geometric mean
//! of latency / MACs). Its ranking is that of MACs whatever the samples.

use super::{check_samples, ArchInputs};
use crate::error::Result;
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};

/// The FLOPs baseline.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flops;

struct FlopsModel {
    macs: Vec<f64>,
}

impl FewShotMethod for Flops {
    fn name(&self) -> String {
        "flops".into()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        let macs = ArchInputs::compute(ctx.archs)?.macs;
        Ok(Box::new(FlopsModel {
            macs: macs.into_iter().map(|m| m.max(1.0)).collect(),
        }))
    }
}

impl PretrainedModel for FlopsModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        let logs = check_samples(samples, query, self.macs.len())?;
        let log_scale = samples
            .iter()
            .zip(&logs)
            .map(|((a, _), l)| l - self.macs[*a].ln())
            .sum::<f64>()
            / samples.len() as f64;
        let scale = log_scale.exp();
        Ok(query.iter().map(|&q| scale * self.macs[q]).collect())
    }
}
