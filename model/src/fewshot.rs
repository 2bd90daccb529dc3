//! The contract between few-shot latency predictors and the evaluation that
//! scores them.
//!
//! A method is pretrained on the *training* devices of a task and then, for
//! each *test* device, adapted from K measured samples and asked to predict
//! every remaining architecture. Test-device latencies can reach a method
//! only through [`PretrainedModel::adapt_and_predict`]'s `samples`: the
//! [`PretrainContext`] holds a table from which the test devices have been
//! removed (the evaluation builds it with `select_devices`), so a method has
//! no way to look at them while pretraining.

use crate::adapt::{DesignColumns, LooSummary};
use crate::error::Result;
use latscope_shared::dataset::LatencyTable;
use latscope_shared::space::{Arch, SpaceId};

/// What a method may see while pretraining.
pub struct PretrainContext<'a> {
    /// The search space of the task's architectures.
    pub space: SpaceId,
    /// Every architecture of the task's table, in table order. Architecture
    /// indices in samples and queries index this slice. Architectures are
    /// public knowledge (encodings and cost features may be computed for all
    /// of them); their latencies on test devices are not.
    pub archs: &'a [Arch],
    /// Latencies of the training devices only, rows in `archs` order.
    pub train: &'a LatencyTable,
    /// Seed for everything random in the method.
    pub seed: u64,
}

/// A pretrained method, ready to adapt to test devices one at a time.
pub trait PretrainedModel {
    /// Adapts to one target device from `samples` — (architecture index,
    /// measured latency in ms) pairs, K of them — and predicts the latency in
    /// ms of each architecture in `query`. Adapting to one device must not
    /// change the model for the next one (`&self`).
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>>;

    /// [`adapt_and_predict`](Self::adapt_and_predict), with the confidence the
    /// method states from the samples alone (None for methods that state
    /// none). The evaluation checks the statement against the measured score.
    fn adapt_with_confidence(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Adapted> {
        Ok(Adapted {
            predictions: self.adapt_and_predict(samples, query)?,
            stated: None,
        })
    }

    /// Suggests `n` of `candidates` to measure next on a new device, given
    /// the architectures already `measured` there, by the spread of
    /// `columns` ([`crate::adapt::suggest_rows`]). None: the method cannot
    /// say.
    fn suggest(
        &self,
        _measured: &[usize],
        _candidates: &[usize],
        _n: usize,
        _columns: DesignColumns,
    ) -> Option<Result<Vec<usize>>> {
        None
    }
}

/// Predictions for a target device and how far the method says to trust
/// them.
#[derive(Clone, Debug, PartialEq)]
pub struct Adapted {
    /// Latency (ms) of each queried architecture.
    pub predictions: Vec<f64>,
    /// The confidence the method states from its samples alone (leave-one-out), when it states
    /// one.
    pub stated: Option<StatedConfidence>,
}

/// The confidence an adapted device comes with: the fit chosen and its
/// leave-one-out quality on the samples.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StatedConfidence {
    /// Name of the chosen fit, e.g. `blend`.
    pub fit: String,
    /// Leave-one-out error and ρ of the chosen fit on the samples.
    pub loo: LooSummary,
}

/// A few-shot latency prediction method.
pub trait FewShotMethod {
    /// Short name for tables, e.g. `mlp-ridge`.
    fn name(&self) -> String;
    /// Pretrains on the training devices of a task.
    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>>;
}
