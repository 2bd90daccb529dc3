//! Few-shot latency predictors implementing [`FewShotMethod`](crate::fewshot::FewShotMethod):
//!
//! * [`Flops`] (`flops`): latency ∝ MACs, one scale fitted on the samples;
//! * [`FeaturesRidge`] (`features-ridge`): ridge on `features-v1` (optionally
//!   with `onehot-v1`), fitted on the samples only;
//! * [`NearestDevice`] (`nearest-device`): the training device whose measured
//!   latencies rank the samples best, mapped linearly in log space;
//! * [`MlpRidge`] (`mlp-ridge`, the default predictor): a multi-output MLP
//!   pretrained on the training devices, adapted by ridge over its outputs
//!   and last hidden layer, or (`mlp-head`) from the head of the best
//!   matching training device plus a ridge correction;
//! * [`GnnRidge`] (`gnn-ridge`, `gnn-head`): the same with a graph
//!   convolutional network over `graph-v1` ([`crate::gnn`]);
//! * [`OpLutMethod`] (`op-lut`) and [`OpLutTransfer`] (`op-lut-transfer`):
//!   operator-level lookup tables in linear ms, fitted on the samples or
//!   transferred from the best training device ([`OpLut`]);
//! * [`OpCount`] (`op-count`): least squares in ms on the operation counts,
//!   fitted on the samples only (the structural baseline);
//! * `mlp-auto` (the default) and its variants `mlp-struct`,
//!   `mlp-struct-blend`: [`MlpRidge`] with [`Adaptation::Auto`], the head, a
//!   ridge in ms over the training devices' predicted ms and the operation
//!   counts, or their blend, chosen per device from the samples
//!   ([`crate::adapt::fit_device`]);
//! * [`LogMeanEnsemble`] (`ensemble`): methods averaged in log space;
//! * [`MlpDirect`] (`mlp-direct`): an MLP ensemble trained on the target's
//!   samples only (the plenty-of-data protocol);
//! * [`HwEmbedding`] (`mlp-hw`): one MLP for all devices whose input is the
//!   architecture plus a hardware embedding, the device's latencies on the
//!   reference architectures (HELP style).
//!
//! [`crate::eval::registry`] lists them by name.

mod arch_inputs;
mod configured;
mod ensemble;
mod features_ridge;
mod flops;
mod gnn_ridge;
mod hw_embedding;
mod mlp_direct;
mod mlp_ridge;
mod nearest_device;
mod op_count;
mod op_lut;

pub use arch_inputs::ArchInputs;
pub use configured::{Configured, MethodConfig};
pub use ensemble::LogMeanEnsemble;
pub use features_ridge::FeaturesRidge;
pub use flops::Flops;
pub use gnn_ridge::{GnnRidge, GnnRidgeConfig, GnnRidgeModel};
pub use hw_embedding::{
    reference_archs, HwEmbedding, HwEmbeddingConfig, HwEmbeddingModel, Imputation,
};
pub use mlp_direct::MlpDirect;
pub use mlp_ridge::{Adaptation, MlpRidge, MlpRidgeConfig, MlpRidgeModel};
pub use nearest_device::NearestDevice;
pub use op_count::OpCount;
pub use op_lut::{
    onehot_matrix, ops_per_position, LutAdaptConfig, OpLut, OpLutMethod, OpLutTransfer,
    OpLutTransferModel,
};

use crate::error::{Error, Result};

/// Checks samples and queries against `n_archs` and returns the samples'
/// natural-log latencies.
pub(crate) fn check_samples(
    samples: &[(usize, f64)],
    query: &[usize],
    n_archs: usize,
) -> Result<Vec<f64>> {
    if samples.is_empty() {
        return Err(Error::InvalidInput(
            "few-shot adaptation needs at least one sample".into(),
        ));
    }
    if let Some(&(a, v)) = samples
        .iter()
        .find(|(a, v)| *a >= n_archs || !(v.is_finite() && *v > 0.0))
    {
        return Err(Error::InvalidInput(format!(
            "sample (arch {a}, {v} ms): arch out of range (< {n_archs}) or latency not positive"
        )));
    }
    if let Some(&q) = query.iter().find(|&&q| q >= n_archs) {
        return Err(Error::InvalidInput(format!(
            "query arch {q} out of range (< {n_archs})"
        )));
    }
    Ok(samples.iter().map(|(_, v)| v.ln()).collect())
}

/// Spearman ρ, or `fallback` where it is undefined (constant input, < 2
/// samples).
pub(crate) fn spearman_or(a: &[f64], b: &[f64], fallback: f64) -> f64 {
    latscope_shared::metrics::spearman(a, b).unwrap_or(fallback)
}
