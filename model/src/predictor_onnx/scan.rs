//! The scan network: a small MLP distilled from a predictor's ensemble
//! ([`crate::distil`]) that a file may carry beside it, for predicting a
//! whole space of architectures at a fraction of the ensemble's cost (the
//! explorer's whole-space rankings). It gives every `latency_ms` column and
//! nothing else; single predictions and adaptation keep using the ensemble.

use crate::error::Result;
use crate::nn::Mlp;
use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

/// A predictor's scan network and how closely it follows the ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanNetwork {
    /// Maps the standardised input (the file's own input standardisation)
    /// to one standardised ln-ms value per `latency_ms` column.
    pub mlp: Mlp,
    /// `ln(ms) = z·output_std + output_mean`, one per `latency_ms` column.
    pub output_mean: Vec<f32>,
    /// Positive, one per `latency_ms` column.
    pub output_std: Vec<f32>,
    /// How it was checked against the ensemble when it was distilled.
    pub agreement: ScanAgreement,
}

/// How closely a scan network's latencies follow the ensemble's on a set
/// of architectures: recorded in the file (`latscope.scan.agreement`) so
/// a user of the fast path knows what it costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanAgreement {
    /// What the architectures were, e.g. `all 15625 nb201 cells`.
    pub set: String,
    /// Spearman ρ of scan vs ensemble latencies over the set, per
    /// `latency_ms` column.
    pub spearman: Vec<f64>,
    /// Median over all architectures and columns of |scan − ensemble| /
    /// ensemble.
    pub median_relative_error: f64,
    /// 90th percentile of the same.
    pub p90_relative_error: f64,
    /// Largest of the same.
    pub max_relative_error: f64,
    /// Architectures held out of the distillation and checked too (none
    /// when the set is the whole space the network was fitted on).
    pub held_out: Option<HeldOutAgreement>,
}

/// The agreement on architectures the scan network never saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldOutAgreement {
    /// What they were, e.g. `2000 random fbnet networks`.
    pub set: String,
    /// Lowest per-column Spearman ρ.
    pub min_spearman: f64,
    /// Median relative error over all of them and all columns.
    pub median_relative_error: f64,
}

impl ScanAgreement {
    /// The lowest per-column ρ.
    pub fn min_spearman(&self) -> f64 {
        self.spearman.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The mean per-column ρ.
    pub fn mean_spearman(&self) -> f64 {
        self.spearman.iter().sum::<f64>() / self.spearman.len().max(1) as f64
    }
}

impl ScanNetwork {
    /// Latencies (ms, one column per `latency_ms` column) of inputs already
    /// standardised with the file's input standardisation: the same
    /// computation as the graph's `latency_ms_scan` branch.
    pub fn forward_standardised(&self, h0: &Array2<f32>) -> Array2<f32> {
        let mut z = self.mlp.forward(h0.view());
        for (mut col, (m, s)) in z
            .axis_iter_mut(Axis(1))
            .zip(self.output_mean.iter().zip(&self.output_std))
        {
            col.mapv_inplace(|v| (v * s + m).exp());
        }
        z
    }

    /// Checks the widths against the file's input width and column count.
    pub(super) fn check(&self, input_dim: usize, columns: usize) -> Result<()> {
        let problem = if self.mlp.layers.len() < 2 {
            Some(format!(
                "the scan network has {} layer(s); it needs a hidden layer",
                self.mlp.layers.len()
            ))
        } else if self.mlp.inputs() != input_dim {
            Some(format!(
                "the scan network takes {} inputs, the file {input_dim}",
                self.mlp.inputs()
            ))
        } else if self.mlp.outputs() != columns
            || self.output_mean.len() != columns
            || self.output_std.len() != columns
        {
            Some(format!(
                "the scan network gives {} columns (mean/std {}/{}), the file has {columns} devices",
                self.mlp.outputs(),
                self.output_mean.len(),
                self.output_std.len()
            ))
        } else if self.output_std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            Some("the scan network's output_std has a value that is not positive".into())
        } else {
            None
        };
        match problem {
            Some(what) => Err(crate::error::Error::InvalidModel(format!(
                "inconsistent predictor: {what}"
            ))),
            None => Ok(()),
        }
    }
}
