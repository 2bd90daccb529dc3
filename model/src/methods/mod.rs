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
pub use op_lut::{LutAdaptConfig, OpLut, OpLutMethod, OpLutTransfer, OpLutTransferModel};

use crate::adapt::{adapt_log_latency, AdaptConfig, FeatureLayout};
use crate::error::{Error, Result};
use crate::ridge::LooCriterion;
use ndarray::{Array2, Axis};

/// Log-space adaptation of a pretrained model whose feature rows are the
/// task's architectures: fitted on the sampled rows' ln ms, predicting the
/// `query` rows, in ms. `ridge` is the λ criterion and relative grid.
pub(crate) fn adapt_feature_rows(
    features: &Array2<f32>,
    layout: FeatureLayout,
    adaptation: Adaptation,
    (criterion, relative_lambdas): (LooCriterion, &[f64]),
    samples: &[(usize, f64)],
    query: &[usize],
) -> Result<Vec<f64>> {
    let config = AdaptConfig {
        adaptation,
        criterion,
        relative_lambdas: relative_lambdas.to_vec(),
        ..AdaptConfig::default()
    };
    let y = check_samples(samples, query, features.nrows())?;
    let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
    let xs = features.select(Axis(0), &rows);
    let xq = features.select(Axis(0), query);
    let log = adapt_log_latency(xs.view(), &y, xq.view(), layout, &config)?;
    Ok(log.into_iter().map(f64::exp).collect())
}

/// Checks samples and queries against `n_archs` and returns the samples'
/// natural-log latencies.
pub(crate) fn check_samples(
    samples: &[(usize, f64)],
    query: &[usize],
    n_archs: usize,
) -> Result<Vec<f64>> {
    const CONTEXT: &str = "few-shot adaptation";
    let out_of_range = |what, index| Error::IndexOutOfRange {
        context: CONTEXT.into(),
        what,
        index,
        len: n_archs,
    };
    if samples.is_empty() {
        return Err(Error::Empty {
            context: CONTEXT.into(),
            what: "sample",
        });
    }
    for (sample, &(a, ms)) in samples.iter().enumerate() {
        if a >= n_archs {
            return Err(out_of_range("sample arch", a));
        }
        if !(ms.is_finite() && ms > 0.0) {
            return Err(Error::NonPositiveLatency { sample, ms });
        }
    }
    if let Some(&q) = query.iter().find(|&&q| q >= n_archs) {
        return Err(out_of_range("query arch", q));
    }
    Ok(samples.iter().map(|(_, v)| v.ln()).collect())
}

/// Rejects pretraining `method` with no training device or an ensemble of
/// no member.
pub(crate) fn check_devices_and_members(
    method: &str,
    devices: usize,
    ensemble: usize,
) -> Result<()> {
    if devices == 0 {
        return Err(Error::Empty {
            context: method.into(),
            what: "training device",
        });
    }
    if ensemble == 0 {
        return Err(Error::InvalidConfig {
            context: method.into(),
            field: "ensemble",
            value: "0".into(),
            reason: "needs at least one member",
        });
    }
    Ok(())
}

/// Spearman ρ, or `fallback` where it is undefined (constant input, < 2
/// samples).
pub(crate) fn spearman_or(a: &[f64], b: &[f64], fallback: f64) -> f64 {
    latscope_shared::metrics::spearman(a, b).unwrap_or(fallback)
}
