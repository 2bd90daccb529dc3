//! [`RegressionReport`]: every predictor metric of one evaluation at once.

use serde::{Deserialize, Serialize};

use super::kendall::kendall_unchecked;
use super::regression::{accuracy_unchecked, mape_unchecked, rmse_unchecked};
use super::spearman::spearman_unchecked;
use super::validate::{check_not_constant, check_pair, check_positive_truth};
use super::MetricError;

/// Name of [`RegressionReport::compute`] in its error messages.
const METRIC: &str = "regression report";

/// How well predicted latencies match measured ones.
///
/// Each field is the metric of the same name on `(pred, truth)`; all are
/// computed from one validation of the inputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionReport {
    /// Number of samples.
    pub n: usize,
    /// Spearman's rho, see [`spearman`](super::spearman).
    pub spearman: f64,
    /// Kendall's tau-b, see [`kendall_tau_b`](super::kendall_tau_b).
    pub kendall: f64,
    /// Mean absolute percentage error as a fraction (0.05 = 5 %), see
    /// [`mape`](super::mape).
    pub mape: f64,
    /// Root mean squared error in the unit of the inputs, see
    /// [`rmse`](super::rmse).
    pub rmse: f64,
    /// Fraction of samples with relative error ≤ 5 %:
    /// [`accuracy_within`](super::accuracy_within)`(pred, truth, 0.05)`.
    pub acc5: f64,
    /// Fraction of samples with relative error ≤ 10 %:
    /// [`accuracy_within`](super::accuracy_within)`(pred, truth, 0.10)`.
    pub acc10: f64,
}

impl RegressionReport {
    /// Computes every field from predictions `pred` and measurements `truth`.
    ///
    /// # Errors
    ///
    /// The union of the metrics' conditions, named `regression report` in the
    /// messages and checked in this order:
    /// [`MetricError::LengthMismatch`] if the lengths differ,
    /// [`MetricError::TooFewSamples`] below 2 samples (the correlations need 2),
    /// [`MetricError::NonFinite`] for a NaN or infinity,
    /// [`MetricError::NonPositiveTruth`] for a `truth` value ≤ 0, and
    /// [`MetricError::ConstantInput`] if all of `pred` (or all of `truth`) are
    /// equal — so a predictor that outputs a single value has no report.
    pub fn compute(pred: &[f64], truth: &[f64]) -> Result<Self, MetricError> {
        check_pair(METRIC, ("pred", pred), ("truth", truth), 2)?;
        check_positive_truth(METRIC, truth)?;
        check_not_constant(METRIC, ("pred", pred))?;
        check_not_constant(METRIC, ("truth", truth))?;
        Ok(Self {
            n: pred.len(),
            spearman: spearman_unchecked(pred, truth),
            kendall: kendall_unchecked(pred, truth),
            mape: mape_unchecked(pred, truth),
            rmse: rmse_unchecked(pred, truth),
            acc5: accuracy_unchecked(pred, truth, 0.05),
            acc10: accuracy_unchecked(pred, truth, 0.10),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_close as close;

    #[test]
    fn hand_example() {
        // truth [100, 200, 50, 400], pred [105, 180, 50, 480].
        // Order: truth ranks [2,3,1,4], pred ranks [2,3,1,4] -> identical,
        //   spearman = kendall = 1.
        // Relative errors 0.05, 0.10, 0, 0.20 -> mape 0.0875, acc5 2/4,
        //   acc10 3/4; squared errors 25, 400, 0, 6400 -> rmse sqrt(6825)/2.
        let r =
            RegressionReport::compute(&[105.0, 180.0, 50.0, 480.0], &[100.0, 200.0, 50.0, 400.0])
                .unwrap();
        assert_eq!(r.n, 4);
        assert!(close(r.spearman, 1.0));
        assert!(close(r.kendall, 1.0));
        assert!(close(r.mape, 0.0875));
        assert!(close(r.rmse, 6825f64.sqrt() / 2.0));
        assert_eq!((r.acc5, r.acc10), (0.5, 0.75));
    }

    #[test]
    fn errors() {
        let e = RegressionReport::compute(&[1.0], &[1.0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "too few samples: regression report needs at least 2, got 1"
        );
        let e = RegressionReport::compute(&[1.0, 2.0], &[1.0, 2.0, 3.0]).unwrap_err();
        assert!(matches!(e, MetricError::LengthMismatch { .. }), "{e}");
        let e = RegressionReport::compute(&[1.0, f64::NAN], &[1.0, 2.0]).unwrap_err();
        assert_eq!(e.to_string(), "non-finite value NaN at index 1 of `pred`");
        // Non-positive truth is reported before a constant `pred`.
        let e = RegressionReport::compute(&[2.0, 2.0], &[1.0, -1.0]).unwrap_err();
        assert!(e.to_string().ends_with("`truth`[1] is -1"), "{e}");
        let e = RegressionReport::compute(&[2.0, 2.0], &[1.0, 3.0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "regression report is undefined: every value of `pred` is the same (2)"
        );
    }
}
