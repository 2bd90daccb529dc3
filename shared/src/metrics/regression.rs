//! Regression errors of predictions against measurements: MAPE, RMSE and
//! the fraction within a relative tolerance.

use super::validate::{check_pair, check_relative};
use super::MetricError;

/// Mean absolute percentage error, as a fraction (`0.05` means 5 %):
///
/// ```text
/// mape = (1/n) Σ |pred_i − truth_i| / truth_i
/// ```
///
/// Errors are relative to `truth`, which must be positive (a measured
/// latency); `pred` may be any finite value.
///
/// # Errors
///
/// [`MetricError::LengthMismatch`] if the lengths differ,
/// [`MetricError::TooFewSamples`] if they are empty,
/// [`MetricError::NonFinite`] for a NaN or infinity, and
/// [`MetricError::NonPositiveTruth`] for a `truth` value ≤ 0.
pub fn mape(pred: &[f64], truth: &[f64]) -> Result<f64, MetricError> {
    check_relative("mape", pred, truth)?;
    Ok(mape_unchecked(pred, truth))
}

/// [`mape`] without the checks: same non-zero length, finite, `truth` > 0.
pub(super) fn mape_unchecked(pred: &[f64], truth: &[f64]) -> f64 {
    let sum: f64 = relative_errors(pred, truth).sum();
    sum / pred.len() as f64
}

/// Root mean squared error, in the unit of the inputs:
///
/// ```text
/// rmse = sqrt( (1/n) Σ (pred_i − truth_i)² )
/// ```
///
/// Any finite input is safe: the differences are rescaled before they are
/// squared, so the result is `+inf` only if the RMSE itself exceeds
/// `f64::MAX`. `truth` may be zero or negative here.
///
/// # Errors
///
/// [`MetricError::LengthMismatch`] if the lengths differ,
/// [`MetricError::TooFewSamples`] if they are empty, and
/// [`MetricError::NonFinite`] for a NaN or infinity.
pub fn rmse(pred: &[f64], truth: &[f64]) -> Result<f64, MetricError> {
    check_pair("rmse", ("pred", pred), ("truth", truth), 1)?;
    Ok(rmse_unchecked(pred, truth))
}

/// [`rmse`] without the checks: same non-zero length, finite.
pub(super) fn rmse_unchecked(pred: &[f64], truth: &[f64]) -> f64 {
    // Half-differences: exact (barring subnormals) and never overflowing.
    let half: Vec<f64> = pred
        .iter()
        .zip(truth)
        .map(|(p, t)| 0.5 * p - 0.5 * t)
        .collect();
    let largest = half.iter().fold(0.0_f64, |m, h| m.max(h.abs()));
    if largest == 0.0 {
        return 0.0;
    }
    let mean_square = half.iter().map(|h| (h / largest).powi(2)).sum::<f64>() / half.len() as f64;
    2.0 * largest * mean_square.sqrt()
}

/// Fraction of samples, in `[0, 1]`, whose relative error is within `tol`:
///
/// ```text
/// accuracy_within = #{ i : |pred_i − truth_i| / truth_i ≤ tol } / n
/// ```
///
/// `tol = 0.05` and `tol = 0.10` give the usual ±5 % and ±10 % accuracies.
/// The bound is inclusive and evaluated in floating point, exactly as written
/// above, so a sample on the boundary can fall either way after rounding
/// (pred 105, truth 100 is within 0.05; pred 1.05, truth 1.0 is not, as
/// `1.05 − 1.0 > 0.05` in binary).
///
/// # Errors
///
/// [`MetricError::LengthMismatch`] if the lengths differ,
/// [`MetricError::TooFewSamples`] if they are empty,
/// [`MetricError::NonFinite`] for a NaN or infinity,
/// [`MetricError::NonPositiveTruth`] for a `truth` value ≤ 0, and
/// [`MetricError::InvalidTolerance`] if `tol` is negative, NaN or infinite.
pub fn accuracy_within(pred: &[f64], truth: &[f64], tol: f64) -> Result<f64, MetricError> {
    check_relative("accuracy_within", pred, truth)?;
    if !(tol.is_finite() && tol >= 0.0) {
        return Err(MetricError::InvalidTolerance { tol });
    }
    Ok(accuracy_unchecked(pred, truth, tol))
}

/// [`accuracy_within`] without the checks: same non-zero length, finite,
/// `truth` > 0, `tol` finite and ≥ 0.
pub(super) fn accuracy_unchecked(pred: &[f64], truth: &[f64], tol: f64) -> f64 {
    let within = relative_errors(pred, truth).filter(|&e| e <= tol).count();
    within as f64 / pred.len() as f64
}

/// `|pred_i − truth_i| / truth_i` for each sample.
fn relative_errors<'a>(pred: &'a [f64], truth: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
    pred.iter().zip(truth).map(|(p, t)| (p - t).abs() / t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_close as close;

    // truth [100, 200, 50, 400], pred [105, 180, 50, 480]:
    //   differences  5, −20,   0,  80
    //   relative     0.05, 0.10, 0, 0.20
    const PRED: [f64; 4] = [105.0, 180.0, 50.0, 480.0];
    const TRUTH: [f64; 4] = [100.0, 200.0, 50.0, 400.0];

    #[test]
    fn mape_hand_example() {
        // (0.05 + 0.10 + 0 + 0.20) / 4 = 0.35 / 4 = 0.0875.
        assert!(close(mape(&PRED, &TRUTH).unwrap(), 0.0875));
        assert_eq!(mape(&TRUTH, &TRUTH).unwrap(), 0.0);
        // Relative to truth, not symmetric: |0 − 2| / 2 = 1 but |2 − 0|/0 is rejected.
        assert_eq!(mape(&[0.0], &[2.0]).unwrap(), 1.0);
    }

    #[test]
    fn rmse_hand_example() {
        // Squares 25, 400, 0, 6400 sum to 6825; mean 1706.25;
        // sqrt(1706.25) = 41.306779104... (= sqrt(6825) / 2).
        let r = rmse(&PRED, &TRUTH).unwrap();
        assert!(close(r, 6825f64.sqrt() / 2.0), "{r}");
        assert!(close(r, 41.30677910464576), "{r}");
        // One sample: the RMSE is |3 − (−4)| = 7.
        assert_eq!(rmse(&[3.0], &[-4.0]).unwrap(), 7.0);
        assert_eq!(rmse(&TRUTH, &TRUTH).unwrap(), 0.0);
        // Squares of 1e200 would overflow; the scaled sum does not:
        // differences [3e200, 4e200] -> sqrt((9 + 16) / 2) · 1e200.
        let r = rmse(&[3e200, 0.0], &[0.0, -4e200]).unwrap();
        assert!(close(r / 1e200, 12.5f64.sqrt()), "{r}");
        // |MAX − (−MAX)| = 2·MAX is not representable, and neither is the RMSE.
        assert_eq!(rmse(&[f64::MAX], &[-f64::MAX]).unwrap(), f64::INFINITY);
    }

    #[test]
    fn accuracy_hand_example() {
        // Relative errors 0.05, 0.10, 0, 0.20 (each exact at these values:
        // 5/100 and 20/200 round to the same doubles as 0.05 and 0.10).
        //   tol 0.05: 0.05 and 0    -> 2/4 = 0.5 (the bound is inclusive)
        //   tol 0.10: 0.05, 0.10, 0 -> 3/4 = 0.75
        //   tol 0:    only the exact prediction -> 1/4
        //   tol 0.25: all -> 1
        assert_eq!(accuracy_within(&PRED, &TRUTH, 0.05).unwrap(), 0.5);
        assert_eq!(accuracy_within(&PRED, &TRUTH, 0.10).unwrap(), 0.75);
        assert_eq!(accuracy_within(&PRED, &TRUTH, 0.0).unwrap(), 0.25);
        assert_eq!(accuracy_within(&PRED, &TRUTH, 0.25).unwrap(), 1.0);
        // The documented rounding case: 1.05 − 1.0 = 0.05000000000000004.
        assert_eq!(accuracy_within(&[1.05], &[1.0], 0.05).unwrap(), 0.0);
    }

    #[test]
    fn errors() {
        let e = mape(&[1.0, 2.0], &[1.0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "length mismatch: `pred` has 2 values but `truth` has 1"
        );
        let e = rmse(&[], &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "too few samples: rmse needs at least 1, got 0"
        );
        let e = mape(&[1.0, 2.0], &[1.0, f64::NAN]).unwrap_err();
        assert_eq!(e.to_string(), "non-finite value NaN at index 1 of `truth`");
        let e = rmse(&[f64::NEG_INFINITY], &[1.0]).unwrap_err();
        assert_eq!(e.to_string(), "non-finite value -inf at index 0 of `pred`");
        let e = mape(&[1.0, 1.0, 1.0], &[1.0, 0.0, -2.0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "mape needs positive truth values (errors are relative to them), \
             but `truth`[1] is 0"
        );
        let e = accuracy_within(&[1.0], &[-3.0], 0.1).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("accuracy_within needs positive truth"),
            "{e}"
        );
        assert!(e.to_string().ends_with("`truth`[0] is -3"), "{e}");
        for tol in [-0.01, f64::NAN, f64::INFINITY] {
            let e = accuracy_within(&[1.0], &[1.0], tol).unwrap_err();
            assert!(matches!(e, MetricError::InvalidTolerance { .. }), "{e}");
            assert!(e
                .to_string()
                .starts_with("tolerance must be finite and non-negative"));
        }
        // Truth is checked before the tolerance.
        let e = accuracy_within(&[1.0], &[0.0], -1.0).unwrap_err();
        assert!(matches!(e, MetricError::NonPositiveTruth { .. }), "{e}");
        // rmse does not need positive truth.
        assert_eq!(rmse(&[1.0], &[0.0]).unwrap(), 1.0);
    }
}
