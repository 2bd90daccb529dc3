//! `features-v1`: cost features as a fixed-length vector.

use crate::error::Result;
use crate::features::{cost_features_without_signatures, CostFeatures};
use crate::space::Arch;

/// Operator kinds whose IR node counts are part of `features-v1`, in order.
const COUNTED_KINDS: [&str; 13] = [
    "conv",
    "group_conv",
    "batch_norm",
    "relu",
    "relu6",
    "hswish",
    "avg_pool",
    "max_pool",
    "global_avg_pool",
    "add",
    "linear",
    "channel_shuffle",
    "zero",
];

/// Names of the `features-v1` entries, in order. Magnitudes are log-scaled
/// (`ln(1 + x)`) because latency grows with them over orders of magnitude.
pub fn feature_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "ln1p_macs",
        "ln1p_params",
        "ln1p_weight_bytes",
        "ln1p_activation_bytes_read",
        "ln1p_activation_bytes_written",
        "ln1p_max_activation_bytes",
        "kernels",
    ]
    .map(String::from)
    .to_vec();
    names.extend(COUNTED_KINDS.iter().map(|k| format!("count_{k}")));
    names
}

/// The `features-v1` vector of an architecture, lowered on its space's
/// default dataset.
pub fn features_v1(arch: &Arch) -> Result<Vec<f32>> {
    Ok(features_v1_from_costs(&cost_features_without_signatures(
        &arch.lower_default()?,
    )))
}

/// The `features-v1` vector from already computed cost features of the
/// architecture lowered on its space's default dataset (for callers that
/// need the costs too and should not lower twice).
pub fn features_v1_from_costs(f: &CostFeatures) -> Vec<f32> {
    let log = |x: u64| (x as f64).ln_1p() as f32;
    let mut v = vec![
        log(f.macs),
        log(f.params),
        log(f.weight_bytes),
        log(f.activation_bytes_read),
        log(f.activation_bytes_written),
        log(f.max_activation_bytes),
        f.kernels as f32,
    ];
    v.extend(counted_kinds(f).map(|n| n as f32));
    v
}

/// The operator counts of `features-v1`, in order.
pub(super) fn counted_kinds(f: &CostFeatures) -> impl Iterator<Item = u64> + '_ {
    COUNTED_KINDS
        .iter()
        .map(|k| f.op_kinds.get(*k).copied().unwrap_or(0))
}
