//! [`MetricError`]: the one error type of the metrics module.

use thiserror::Error;

/// Why a metric could not be computed.
///
/// Every metric validates its input before computing anything and reports the
/// first problem it finds, checked in this order: length mismatch, too few
/// samples, non-finite value (first input before second, lowest index first),
/// then the metric-specific conditions (non-positive truth, constant input,
/// invalid tolerance). Inputs are named as in the function signatures (`a`/`b`
/// for correlations, `pred`/`truth` for regression errors, `points`/`reference`
/// for hypervolume), so a message always says which side is at fault.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MetricError {
    /// The two paired inputs have different lengths.
    #[error("length mismatch: `{left}` has {left_len} values but `{right}` has {right_len}")]
    LengthMismatch {
        /// Name of the first input.
        left: &'static str,
        /// Length of the first input.
        left_len: usize,
        /// Name of the second input.
        right: &'static str,
        /// Length of the second input.
        right_len: usize,
    },

    /// Fewer samples than the metric needs (2 for correlations, 1 for errors).
    #[error("too few samples: {metric} needs at least {min}, got {n}")]
    TooFewSamples {
        /// The metric that was asked for.
        metric: &'static str,
        /// The minimum number of samples it needs.
        min: usize,
        /// The number of samples given.
        n: usize,
    },

    /// A NaN or infinite value. For `points`, `index` is the point's index; for
    /// `reference`, 0 is the latency and 1 the score.
    #[error("non-finite value {value} at index {index} of `{input}`")]
    NonFinite {
        /// Name of the input holding the value.
        input: &'static str,
        /// Position of the value in that input.
        index: usize,
        /// The offending value (NaN or ±infinity).
        value: f64,
    },

    /// Every value of one input is the same, so its variance is zero and the
    /// correlation (a ratio over that variance) is undefined.
    #[error("{metric} is undefined: every value of `{input}` is the same ({value})")]
    ConstantInput {
        /// The metric that was asked for.
        metric: &'static str,
        /// Name of the constant input.
        input: &'static str,
        /// The value every element shares.
        value: f64,
    },

    /// A measured value ≤ 0 where errors are taken relative to the measurement.
    #[error(
        "{metric} needs positive truth values (errors are relative to them), \
         but `truth`[{index}] is {value}"
    )]
    NonPositiveTruth {
        /// The metric that was asked for.
        metric: &'static str,
        /// Position of the value in `truth`.
        index: usize,
        /// The offending value.
        value: f64,
    },

    /// A relative-error tolerance that is negative or not finite.
    #[error("tolerance must be finite and non-negative, got {tol}")]
    InvalidTolerance {
        /// The tolerance given.
        tol: f64,
    },
}

#[cfg(test)]
mod tests {
    use super::MetricError;

    #[test]
    fn messages_name_the_culprit() {
        let e = MetricError::LengthMismatch {
            left: "a",
            left_len: 3,
            right: "b",
            right_len: 4,
        };
        assert_eq!(
            e.to_string(),
            "length mismatch: `a` has 3 values but `b` has 4"
        );
        let e = MetricError::NonFinite {
            input: "truth",
            index: 7,
            value: f64::NAN,
        };
        assert_eq!(e.to_string(), "non-finite value NaN at index 7 of `truth`");
        let e = MetricError::NonPositiveTruth {
            metric: "mape",
            index: 2,
            value: -1.5,
        };
        assert!(e.to_string().contains("`truth`[2] is -1.5"), "{e}");
    }
}
