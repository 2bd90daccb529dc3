//! Ordering helpers for NaN-free floats, shared by ranking, Kendall's tau and
//! the Pareto sweep.

use std::cmp::Ordering;

/// Compares two floats that are known not to be NaN.
///
/// Unlike [`f64::total_cmp`], this treats `-0.0` and `0.0` as equal (a tie),
/// matching numpy/scipy. Callers must filter NaN first: with NaN present the
/// fallback `Equal` would not be a consistent order.
pub(super) fn cmp_no_nan(x: f64, y: f64) -> Ordering {
    x.partial_cmp(&y).unwrap_or(Ordering::Equal)
}

/// Number of pairs `(i, j)`, `i < j`, that are equal in a sorted sequence:
/// the sum of `t·(t−1)/2` over its runs of `t` equal items.
pub(super) fn tied_pairs<T: PartialEq>(sorted: impl IntoIterator<Item = T>) -> u64 {
    let mut total = 0u64;
    let mut run = 0u64;
    let mut previous: Option<T> = None;
    for item in sorted {
        if previous.as_ref() == Some(&item) {
            total += run; // the new item ties with each of the `run` before it
            run += 1;
        } else {
            run = 1;
        }
        previous = Some(item);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_zeros_tie() {
        assert_eq!(cmp_no_nan(-0.0, 0.0), Ordering::Equal);
        assert_eq!(cmp_no_nan(1.0, f64::INFINITY), Ordering::Less);
    }

    #[test]
    fn tied_pairs_counts_runs() {
        // Runs of 1, 3, 2: 0 + 3 + 1 = 4 tied pairs.
        assert_eq!(tied_pairs([1, 2, 2, 2, 3, 3]), 4);
        assert_eq!(tied_pairs(Vec::<u8>::new()), 0);
    }
}
