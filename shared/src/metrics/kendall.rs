//! Kendall's tau-b rank correlation, in O(n log n) by Knight's algorithm.

use std::cmp::Ordering;

use super::order::{cmp_no_nan, tied_pairs};
use super::validate::check_correlation;
use super::MetricError;

/// Kendall's tau-b of the pairs `(a[i], b[i])`, the statistic of
/// `scipy.stats.kendalltau(a, b)` (its default `variant="b"`):
///
/// ```text
/// tau_b = (C − D) / sqrt( (n0 − n1) · (n0 − n2) )
/// ```
///
/// over the `n0 = n(n−1)/2` pairs `i < j`, where `C` counts the concordant
/// pairs (`a` and `b` order them the same way), `D` the discordant ones
/// (opposite ways), `n1` the pairs tied in `a` and `n2` the pairs tied in `b`
/// (a pair tied in both counts in `n1` and in `n2`). Pairs tied in either
/// input are neither concordant nor discordant. Without ties this is
/// tau-a, `(C − D) / n0`. The result is clamped to `[-1, 1]`.
///
/// Runs in O(n log n) time and O(n) memory (Knight, 1966): sort by `a` then
/// `b`, count `D` as the inversions left in `b` with a merge sort, and read
/// `n1`, `n2` and the joint ties `n3` off runs of equal values; then
/// `C + D = n0 − n1 − n2 + n3`. `-0.0` and `0.0` tie.
///
/// # Errors
///
/// [`MetricError::LengthMismatch`] if the lengths differ,
/// [`MetricError::TooFewSamples`] below 2 samples,
/// [`MetricError::NonFinite`] for a NaN or infinity, and
/// [`MetricError::ConstantInput`] if all of `a` (or all of `b`) are equal,
/// which makes every pair tied and the denominator 0.
pub fn kendall_tau_b(a: &[f64], b: &[f64]) -> Result<f64, MetricError> {
    check_correlation("kendall_tau_b", ("a", a), ("b", b))?;
    Ok(kendall_unchecked(a, b))
}

/// [`kendall_tau_b`] without the checks: `a` and `b` have the same length
/// ≥ 2, are finite and neither is constant.
pub(super) fn kendall_unchecked(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as u64;
    let mut order: Vec<usize> = (0..a.len()).collect();
    order.sort_unstable_by(|&i, &j| cmp_no_nan(a[i], a[j]).then(cmp_no_nan(b[i], b[j])));

    let tied_a = tied_pairs(order.iter().map(|&i| a[i]));
    let tied_both = tied_pairs(order.iter().map(|&i| (a[i], b[i])));
    // Pairs tied in `a` are already in `b` order, so every inversion left in
    // `b` is a pair ordered strictly one way by `a` and the other way by `b`.
    let mut b_sorted: Vec<f64> = order.iter().map(|&i| b[i]).collect();
    let discordant = sort_counting_inversions(&mut b_sorted);
    let tied_b = tied_pairs(b_sorted.iter().copied());

    let total = n * (n - 1) / 2;
    // Inclusion-exclusion: the pairs tied in neither input.
    let untied = total + tied_both - tied_a - tied_b;
    let concordant = untied - discordant;
    // Both factors are > 0 as neither input is constant (scipy divides the
    // same way).
    let tau = (concordant as f64 - discordant as f64)
        / ((total - tied_a) as f64).sqrt()
        / ((total - tied_b) as f64).sqrt();
    tau.clamp(-1.0, 1.0)
}

/// Sorts `v` (NaN-free) ascending with a bottom-up merge sort and returns the
/// number of inversions it removed: pairs `i < j` with `v[i] > v[j]`, equal
/// values not counting.
fn sort_counting_inversions(v: &mut Vec<f64>) -> u64 {
    let n = v.len();
    let mut buffer = vec![0.0; n];
    let mut inversions = 0;
    let mut width = 1;
    while width < n {
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            inversions += merge(&v[start..mid], &v[mid..end], &mut buffer[start..end]);
        }
        std::mem::swap(v, &mut buffer);
        width *= 2;
    }
    inversions
}

/// Merges the sorted `left` and `right` into `out`, returning the number of
/// pairs (x in `left`, y in `right`) with x > y. On equal values `left` goes
/// first, so ties are not counted.
fn merge(left: &[f64], right: &[f64], out: &mut [f64]) -> u64 {
    let (mut i, mut j) = (0, 0);
    let mut inversions = 0;
    for slot in out.iter_mut() {
        let take_right =
            i == left.len() || (j < right.len() && cmp_no_nan(right[j], left[i]) == Ordering::Less);
        if take_right {
            *slot = right[j];
            // `right[j]` is smaller than everything still in `left`.
            inversions += (left.len() - i) as u64;
            j += 1;
        } else {
            *slot = left[i];
            i += 1;
        }
    }
    inversions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_close as close;

    #[test]
    fn hand_example_with_ties() {
        // a = [1, 2, 2, 3, 3], b = [1, 3, 2, 2, 2]; the n0 = 10 pairs (i, j):
        //   (0,1) (0,2) (0,3) (0,4): a and b both increase      -> 4 concordant
        //   (1,3) (1,4): a 2 < 3 but b 3 > 2                     -> 2 discordant
        //   (1,2): a tied (2, 2), b 3 vs 2                        -> tie in a only
        //   (2,3) (2,4): a 2 < 3, b tied (2, 2)                   -> ties in b only
        //   (3,4): a tied (3, 3) and b tied (2, 2)                -> joint tie
        // n1 = pairs tied in a = (1,2), (3,4) = 2;
        // n2 = pairs tied in b = (2,3), (2,4), (3,4) = 3.
        // tau_b = (4 − 2) / sqrt((10 − 2)(10 − 3)) = 2 / sqrt(56)
        //       = 0.2672612419124244 (scipy.stats.kendalltau: 0.26726124191242434,
        //       the same up to the last bit).
        let tau = kendall_tau_b(&[1.0, 2.0, 2.0, 3.0, 3.0], &[1.0, 3.0, 2.0, 2.0, 2.0]).unwrap();
        assert!(close(tau, 0.2672612419124244), "{tau}");
        assert!(close(tau, 2.0 / 56f64.sqrt()));
    }

    #[test]
    fn hand_example_without_ties() {
        // a = [1,2,3,4], b = [2,1,4,3]: of the 6 pairs only (0,1) and (2,3)
        // are discordant, so tau = (4 − 2) / 6 = 1/3.
        let tau = kendall_tau_b(&[1.0, 2.0, 3.0, 4.0], &[2.0, 1.0, 4.0, 3.0]).unwrap();
        assert!(close(tau, 1.0 / 3.0), "{tau}");
    }

    #[test]
    fn perfect_agreement_and_reversal() {
        let a = [3.0, -1.0, 7.5, 0.0, 2.0, 2.0];
        let b: Vec<f64> = a.iter().map(|v| 10.0 * v + 1.0).collect();
        let c: Vec<f64> = a.iter().map(|v| -v).collect();
        assert!(close(kendall_tau_b(&a, &b).unwrap(), 1.0));
        assert!(close(kendall_tau_b(&a, &c).unwrap(), -1.0));
    }

    #[test]
    fn merge_sort_counts_strict_inversions() {
        // [3, 1, 2, 1]: (3,1) (3,2) (3,1) (2,1) = 4; the two 1s do not count.
        let mut v = vec![3.0, 1.0, 2.0, 1.0];
        assert_eq!(sort_counting_inversions(&mut v), 4);
        assert_eq!(v, [1.0, 1.0, 2.0, 3.0]);
        // Reversed 0..7: every one of the 21 pairs is inverted (odd length).
        let mut v: Vec<f64> = (0..7).rev().map(f64::from).collect();
        assert_eq!(sort_counting_inversions(&mut v), 21);
        assert_eq!(v, (0..7).map(f64::from).collect::<Vec<_>>());
        let mut v = vec![];
        assert_eq!(sort_counting_inversions(&mut v), 0);
    }

    #[test]
    fn errors() {
        let e = kendall_tau_b(&[1.0, 2.0], &[1.0, 2.0, 3.0]).unwrap_err();
        assert!(
            e.to_string().contains("`a` has 2 values but `b` has 3"),
            "{e}"
        );
        let e = kendall_tau_b(&[1.0, 2.0], &[1.0, f64::INFINITY]).unwrap_err();
        assert_eq!(e.to_string(), "non-finite value inf at index 1 of `b`");
        let e = kendall_tau_b(&[1.0, 2.0], &[-0.0, 0.0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "kendall_tau_b is undefined: every value of `b` is the same (-0)"
        );
    }
}
