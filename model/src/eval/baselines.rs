//! Trivial, honest baselines that exercise the evaluation pipeline.
//!
//! [`FlopsBaseline`] (`flops`): latency = s × FLOPs, one scale `s` fitted on
//! the K samples and nothing learnt from the training devices. Its rank
//! correlation is exactly the FLOPs ranking's (s > 0), the row HELP's paper
//! prints as "FLOPs".

use crate::error::{Error, Result};
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use crate::sampler::arch_macs;

/// `flops`: scale × FLOPs (MACs on the space's default dataset).
#[derive(Clone, Copy, Debug, Default)]
pub struct FlopsBaseline;

impl FewShotMethod for FlopsBaseline {
    fn name(&self) -> String {
        "flops".into()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        Ok(Box::new(FlopsModel {
            macs: arch_macs(ctx.archs)?,
        }))
    }
}

/// FLOPs of every architecture of the task.
pub struct FlopsModel {
    macs: Vec<f64>,
}

impl FlopsModel {
    fn macs_of(&self, a: usize) -> Result<f64> {
        self.macs.get(a).copied().ok_or_else(|| {
            Error::Eval(format!(
                "architecture {a} outside the {} of the task",
                self.macs.len()
            ))
        })
    }
}

impl PretrainedModel for FlopsModel {
    /// The scale minimises the squared *relative* error on the samples,
    /// Σ ((s f_i − y_i) / y_i)², so s = Σ (f_i / y_i) / Σ (f_i / y_i)²; with
    /// no sample, s = 1 (predictions are then in MFLOPs-free units, but the
    /// ranking is the same).
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        let (mut num, mut den) = (0.0, 0.0);
        for &(a, y) in samples {
            let r = self.macs_of(a)? / y;
            num += r;
            den += r * r;
        }
        let scale = if den > 0.0 { num / den } else { 1.0 };
        query
            .iter()
            .map(|&a| Ok(scale * self.macs_of(a)?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_fits_exact_proportion() {
        let m = FlopsModel {
            macs: vec![1.0, 2.0, 4.0],
        };
        let p = m.adapt_and_predict(&[(0, 3.0), (1, 6.0)], &[2]).unwrap();
        assert!((p[0] - 12.0).abs() < 1e-12);
        assert!(m.adapt_and_predict(&[], &[3]).is_err());
    }
}
