//! Spearman's rank correlation coefficient.

use super::pearson::pearson_unchecked;
use super::rank::average_ranks;
use super::validate::check_correlation;
use super::MetricError;

/// Spearman's rho of the pairs `(a[i], b[i])`: the Pearson correlation (see
/// [`pearson`](super::pearson)) of [`average_ranks`]`(a)` and
/// [`average_ranks`]`(b)`, tied values sharing the mean of their ranks.
///
/// This equals the statistic of `scipy.stats.spearmanr(a, b)`, ties included.
/// Only without ties does it reduce to the textbook
/// `1 − 6 Σ d_i² / (n (n² − 1))`, `d_i` the rank differences.
///
/// # Errors
///
/// [`MetricError::LengthMismatch`] if the lengths differ,
/// [`MetricError::TooFewSamples`] below 2 samples,
/// [`MetricError::NonFinite`] for a NaN or infinity, and
/// [`MetricError::ConstantInput`] if all of `a` (or all of `b`) are equal,
/// which makes every rank the same and the correlation undefined.
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64, MetricError> {
    check_correlation("spearman", ("a", a), ("b", b))?;
    Ok(spearman_unchecked(a, b))
}

/// [`spearman`] without the checks: `a` and `b` have the same length ≥ 2, are
/// finite and neither is constant (so neither are their ranks).
pub(super) fn spearman_unchecked(a: &[f64], b: &[f64]) -> f64 {
    pearson_unchecked(&average_ranks(a), &average_ranks(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_close as close;

    #[test]
    fn hand_example_with_ties() {
        // ranks(a) = [1,2,3,4,5]; ranks(b) of [5,6,7,8,7] = [1,2,3.5,5,3.5]
        // (the two 7s share ranks 3 and 4). Both rank vectors have mean 3.
        // Deviations: ra [-2,-1,0,1,2], rb [-2,-1,0.5,2,0.5].
        // Σ ra·rb = 4 + 1 + 0 + 2 + 1 = 8; Σ ra² = 10; Σ rb² = 4+1+0.25+4+0.25 = 9.5.
        // rho = 8 / sqrt(10 · 9.5) = 8 / sqrt(95) = 0.8207826816681233
        // (scipy.stats.spearmanr gives the same).
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 6.0, 7.0, 8.0, 7.0]).unwrap();
        assert!(close(rho, 0.8207826816681233), "{rho}");
        assert!(close(rho, 8.0 / 95f64.sqrt()));
    }

    #[test]
    fn monotone_maps_give_plus_minus_one() {
        // Ranks only see order: any strictly increasing map gives rho = 1.
        let a = [0.5, 3.0, -1.0, 10.0, 2.0];
        let cubed: Vec<f64> = a.iter().map(|v| v * v * v).collect();
        let negated: Vec<f64> = a.iter().map(|v| -v).collect();
        assert!(close(spearman(&a, &cubed).unwrap(), 1.0));
        assert!(close(spearman(&a, &negated).unwrap(), -1.0));
    }

    #[test]
    fn errors() {
        let e = spearman(&[1.0, 2.0, 3.0], &[1.0, 2.0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "length mismatch: `a` has 3 values but `b` has 2"
        );
        let e = spearman(&[f64::NAN, 1.0], &[1.0, 2.0]).unwrap_err();
        assert_eq!(e.to_string(), "non-finite value NaN at index 0 of `a`");
        let e = spearman(&[3.0, 3.0, 3.0], &[1.0, 2.0, 3.0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "spearman is undefined: every value of `a` is the same (3)"
        );
        let e = spearman(&[], &[]).unwrap_err();
        assert_eq!(
            e,
            MetricError::TooFewSamples {
                metric: "spearman",
                min: 2,
                n: 0
            }
        );
    }
}
