//! Input checks shared by the metrics, each returning the matching
//! [`MetricError`] so that every metric rejects bad input the same way.

use super::MetricError;

/// A named input: the name appears in error messages.
pub(super) type Input<'a> = (&'static str, &'a [f64]);

/// Checks a pair of inputs: equal lengths, at least `min` samples, all finite.
pub(super) fn check_pair(
    metric: &'static str,
    left: Input<'_>,
    right: Input<'_>,
    min: usize,
) -> Result<(), MetricError> {
    check_same_len(left, right)?;
    check_min_len(metric, left.1.len(), min)?;
    check_finite(left)?;
    check_finite(right)
}

fn check_same_len(left: Input<'_>, right: Input<'_>) -> Result<(), MetricError> {
    if left.1.len() == right.1.len() {
        return Ok(());
    }
    Err(MetricError::LengthMismatch {
        left: left.0,
        left_len: left.1.len(),
        right: right.0,
        right_len: right.1.len(),
    })
}

fn check_min_len(metric: &'static str, n: usize, min: usize) -> Result<(), MetricError> {
    if n >= min {
        return Ok(());
    }
    Err(MetricError::TooFewSamples { metric, min, n })
}

/// Rejects the first NaN or infinite value of `input`.
pub(super) fn check_finite(input: Input<'_>) -> Result<(), MetricError> {
    match input.1.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(MetricError::NonFinite {
            input: input.0,
            index,
            value: input.1[index],
        }),
    }
}

/// Rejects an input whose values are all equal (correlation undefined).
/// Callers have already checked that it is non-empty.
pub(super) fn check_not_constant(
    metric: &'static str,
    input: Input<'_>,
) -> Result<(), MetricError> {
    match input.1.split_first() {
        Some((&first, rest)) if rest.iter().all(|&v| v == first) => {
            Err(MetricError::ConstantInput {
                metric,
                input: input.0,
                value: first,
            })
        }
        _ => Ok(()),
    }
}

/// Checks the inputs of a correlation: equal lengths, at least 2 samples, all
/// finite, then neither input constant (first input first).
pub(super) fn check_correlation(
    metric: &'static str,
    left: Input<'_>,
    right: Input<'_>,
) -> Result<(), MetricError> {
    check_pair(metric, left, right, 2)?;
    check_not_constant(metric, left)?;
    check_not_constant(metric, right)
}

/// Checks the inputs of a relative error: equal lengths, at least 1 sample,
/// all finite, then every truth value > 0.
pub(super) fn check_relative(
    metric: &'static str,
    pred: &[f64],
    truth: &[f64],
) -> Result<(), MetricError> {
    check_pair(metric, ("pred", pred), ("truth", truth), 1)?;
    check_positive_truth(metric, truth)
}

/// Rejects the first truth value ≤ 0 (relative errors divide by it).
pub(super) fn check_positive_truth(metric: &'static str, truth: &[f64]) -> Result<(), MetricError> {
    match truth.iter().position(|&t| t <= 0.0) {
        None => Ok(()),
        Some(index) => Err(MetricError::NonPositiveTruth {
            metric,
            index,
            value: truth[index],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_run_in_documented_order() {
        // Length is checked before sample count and finiteness.
        let e = check_pair("m", ("a", &[f64::NAN]), ("b", &[]), 2).unwrap_err();
        assert!(matches!(
            e,
            MetricError::LengthMismatch {
                left_len: 1,
                right_len: 0,
                ..
            }
        ));
        // Sample count before finiteness.
        let e = check_pair("m", ("a", &[f64::NAN]), ("b", &[1.0]), 2).unwrap_err();
        assert_eq!(
            e,
            MetricError::TooFewSamples {
                metric: "m",
                min: 2,
                n: 1
            }
        );
        // First input before second.
        let e = check_pair(
            "m",
            ("a", &[1.0, f64::INFINITY]),
            ("b", &[f64::NAN, 1.0]),
            2,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            MetricError::NonFinite {
                input: "a",
                index: 1,
                ..
            }
        ));
    }

    #[test]
    fn constant_and_truth_checks() {
        // -0.0 == 0.0, so this input is constant.
        let e = check_not_constant("m", ("b", &[0.0, -0.0, 0.0])).unwrap_err();
        assert!(matches!(e, MetricError::ConstantInput { input: "b", .. }));
        assert!(check_not_constant("m", ("b", &[0.0, 1e-300])).is_ok());
        let e = check_positive_truth("m", &[1.0, 0.0, -1.0]).unwrap_err();
        assert_eq!(
            e,
            MetricError::NonPositiveTruth {
                metric: "m",
                index: 1,
                value: 0.0
            }
        );
    }
}
