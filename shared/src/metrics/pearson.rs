//! Pearson's linear correlation coefficient.

use super::validate::check_correlation;
use super::MetricError;

/// Pearson's correlation coefficient of the pairs `(a[i], b[i])`:
///
/// ```text
/// r = Σ (a_i − ā)(b_i − b̄) / sqrt( Σ (a_i − ā)² · Σ (b_i − b̄)² )
/// ```
///
/// the statistic of `scipy.stats.pearsonr(a, b)`, clamped to `[-1, 1]` to
/// absorb rounding. Any finite input is safe: deviations are rescaled before
/// they are squared, so nothing overflows or underflows to a zero variance.
///
/// # Errors
///
/// [`MetricError::LengthMismatch`] if the lengths differ,
/// [`MetricError::TooFewSamples`] below 2 samples,
/// [`MetricError::NonFinite`] for a NaN or infinity, and
/// [`MetricError::ConstantInput`] if all of `a` (or all of `b`) are equal.
pub fn pearson(a: &[f64], b: &[f64]) -> Result<f64, MetricError> {
    check_correlation("pearson", ("a", a), ("b", b))?;
    Ok(pearson_unchecked(a, b))
}

/// [`pearson`] without the checks: `a` and `b` have the same length ≥ 2, are
/// finite and neither is constant.
pub(super) fn pearson_unchecked(a: &[f64], b: &[f64]) -> f64 {
    let da = unit_deviations(a);
    let db = unit_deviations(b);
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    // Both sums of squares are in [1, n]: their product cannot overflow.
    let r = dot(&da, &db) / (dot(&da, &da) * dot(&db, &db)).sqrt();
    r.clamp(-1.0, 1.0)
}

/// Deviations of `x` from its mean, divided by the largest one in magnitude so
/// that they lie in `[-1, 1]` with at least one at ±1: the sum of their
/// squares is then in `[1, n]`, never 0 or infinite. `r` is unchanged by this
/// scaling, and an error in the mean only perturbs `r` to second order.
///
/// `x` must be finite and non-constant, so some deviation is non-zero.
fn unit_deviations(x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    // Σ x_i/n rather than (Σ x_i)/n: partial sums stay within max |x_i|.
    let mean: f64 = x.iter().map(|v| v / n).sum();
    let mut dev: Vec<f64> = x.iter().map(|v| v - mean).collect();
    if dev.iter().any(|d| d.is_infinite()) {
        // Values of both signs near f64::MAX: halve (exact at that size).
        dev = x.iter().map(|v| 0.5 * v - 0.5 * mean).collect();
    }
    let largest = dev.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
    dev.iter().map(|d| d / largest).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_close as close;

    #[test]
    fn hand_example() {
        // a = [1,2,3,4], mean 2.5, deviations [-1.5,-0.5,0.5,1.5], Σ da² = 5.
        // b = [2,1,4,3], mean 2.5, deviations [-0.5,-1.5,1.5,0.5], Σ db² = 5.
        // Σ da·db = 0.75 + 0.75 + 0.75 + 0.75 = 3, so r = 3 / sqrt(5·5) = 0.6.
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[2.0, 1.0, 4.0, 3.0]).unwrap();
        assert!(close(r, 0.6), "{r}");
    }

    #[test]
    fn linear_maps_give_plus_minus_one() {
        let a = [0.3, 1.7, -2.0, 8.5, 4.25];
        let up: Vec<f64> = a.iter().map(|v| 3.0 * v + 1.0).collect();
        let down: Vec<f64> = a.iter().map(|v| -0.5 * v + 7.0).collect();
        assert!(close(pearson(&a, &up).unwrap(), 1.0));
        assert!(close(pearson(&a, &down).unwrap(), -1.0));
        // Two distinct points always lie on a line.
        assert!(close(pearson(&[1.0, 2.0], &[5.0, -3.0]).unwrap(), -1.0));
    }

    #[test]
    fn extreme_magnitudes() {
        // Squares of 1e200 overflow and of 1e-200 underflow without rescaling;
        // both are just the hand example scaled.
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [2.0, 1.0, 4.0, 3.0];
        for scale in [1e200, 1e-200, 1e-320] {
            let sa: Vec<f64> = a.iter().map(|v| v * scale).collect();
            let r = pearson(&sa, &b).unwrap();
            assert!(close(r, 0.6), "scale {scale}: {r}");
        }
        // Deviations overflow here (MAX − (−MAX/3)); the halved path is exact.
        let m = f64::MAX;
        let r = pearson(&[m, -m, -m], &[1.0, 0.0, 0.0]).unwrap();
        assert!(close(r, 1.0), "{r}");
    }

    #[test]
    fn errors() {
        let e = pearson(&[1.0, 2.0], &[1.0]).unwrap_err();
        assert!(
            e.to_string().contains("`a` has 2 values but `b` has 1"),
            "{e}"
        );
        let e = pearson(&[1.0], &[1.0]).unwrap_err();
        assert!(
            e.to_string().contains("pearson needs at least 2, got 1"),
            "{e}"
        );
        let e = pearson(&[1.0, 2.0], &[1.0, f64::NAN]).unwrap_err();
        assert_eq!(e.to_string(), "non-finite value NaN at index 1 of `b`");
        let e = pearson(&[1.0, 2.0], &[4.0, 4.0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pearson is undefined: every value of `b` is the same (4)"
        );
    }
}
