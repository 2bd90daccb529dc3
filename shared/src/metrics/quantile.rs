//! Quantiles of sorted values.

/// Linear-interpolated quantile `q` ∈ [0, 1] of `sorted` (ascending,
/// non-empty), as numpy's default method computes it:
///
/// ```text
/// pos = q · (n − 1);  quantile = sorted[⌊pos⌋] + (sorted[⌈pos⌉] − sorted[⌊pos⌋]) · (pos − ⌊pos⌋)
/// ```
///
/// # Panics
///
/// On an empty slice or `q` outside [0, 1]: callers summarise values they
/// have just collected, so either is a bug in the caller.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of no values");
    assert!((0.0..=1.0).contains(&q), "quantile {q} outside [0, 1]");
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_by_hand() {
        // numpy.quantile([1, 2, 4, 8], [0, .1, .5, 1]) = 1, 1.3, 3, 8.
        let v = [1.0, 2.0, 4.0, 8.0];
        let q: Vec<f64> = [0.0, 0.1, 0.5, 1.0].map(|q| quantile(&v, q)).to_vec();
        assert_eq!(q[0], 1.0);
        assert!((q[1] - 1.3).abs() < 1e-12);
        assert_eq!(q[2], 3.0);
        assert_eq!(q[3], 8.0);
        assert_eq!(quantile(&[5.0], 0.9), 5.0);
    }
}
