//! `ensemble`: the mean in log space (geometric mean in ms) of several
//! methods' predictions, each pretrained once. Predictors built on different
//! inputs (an MLP on one-hot and cost features, a GNN on the graph) make
//! partly independent errors, which averaging cancels.

use crate::error::{Error, Result};
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};

/// Several methods averaged in log space.
pub struct LogMeanEnsemble {
    /// The ensemble's name in the registry and reports.
    pub name: String,
    /// The methods averaged; each pretrains and adapts on its own.
    pub members: Vec<Box<dyn FewShotMethod>>,
}

impl LogMeanEnsemble {
    /// An ensemble named `name` of `members`, whose ln-ms predictions are averaged with equal
    /// weight.
    pub fn new(name: impl Into<String>, members: Vec<Box<dyn FewShotMethod>>) -> Self {
        LogMeanEnsemble {
            name: name.into(),
            members,
        }
    }
}

struct LogMeanModel {
    members: Vec<Box<dyn PretrainedModel>>,
}

impl FewShotMethod for LogMeanEnsemble {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        if self.members.is_empty() {
            return Err(Error::Empty {
                context: self.name.clone(),
                what: "member",
            });
        }
        let members = self
            .members
            .iter()
            .map(|m| m.pretrain(ctx))
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(LogMeanModel { members }))
    }
}

impl PretrainedModel for LogMeanModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        let mut sum = vec![0.0; query.len()];
        for m in &self.members {
            let p = m.adapt_and_predict(samples, query)?;
            sum.iter_mut().zip(&p).for_each(|(s, v)| *s += v.ln());
        }
        let k = self.members.len() as f64;
        Ok(sum.into_iter().map(|s| (s / k).exp()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model predicting a constant.
    struct Constant(f64);
    impl PretrainedModel for Constant {
        fn adapt_and_predict(&self, _: &[(usize, f64)], q: &[usize]) -> Result<Vec<f64>> {
            Ok(vec![self.0; q.len()])
        }
    }

    #[test]
    fn geometric_mean_of_members() {
        let m = LogMeanModel {
            members: vec![Box::new(Constant(2.0)), Box::new(Constant(8.0))],
        };
        let p = m.adapt_and_predict(&[(0, 1.0)], &[0, 1]).unwrap();
        assert!(p.iter().all(|v| (v - 4.0).abs() < 1e-12));
    }
}
