//! Average ranks (the ranking step of Spearman's rho).

use super::order::cmp_no_nan;

/// 1-based ranks of `x`, tied values sharing the mean of the ranks they span.
///
/// This is `scipy.stats.rankdata(x, method="average")`: `[10, 20, 10]` gives
/// `[1.5, 3.0, 1.5]`. Average ranks keep the sum of ranks at `n(n+1)/2`
/// whatever the ties, which is what makes Spearman's rho on them equal the
/// Pearson correlation of the ranks. `-0.0` and `0.0` tie. If any value is NaN,
/// every rank is NaN (scipy's default `nan_policy="propagate"`); infinities
/// rank normally.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    if x.iter().any(|v| v.is_nan()) {
        return vec![f64::NAN; x.len()];
    }
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_unstable_by(|&i, &j| cmp_no_nan(x[i], x[j]));
    average_ranks_in_order(x, &order)
}

/// [`average_ranks`] of NaN-free `x` when `order` already sorts it (indices
/// of `x` from smallest to largest value; ties in any order): no sort, so
/// callers that have sorted the values once (a ranking) rank them in
/// linear time.
///
/// # Panics
///
/// If `order` is not a permutation of `x`'s indices (a programming error).
pub fn average_ranks_in_order(x: &[f64], order: &[usize]) -> Vec<f64> {
    assert_eq!(order.len(), x.len(), "order must list every index once");
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let end = run_end(x, order, start);
        // Sorted positions start..end hold ranks start+1 ..= end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// End (exclusive) of the run of values equal to `x[order[start]]`.
fn run_end(x: &[f64], order: &[usize], start: usize) -> usize {
    let value = x[order[start]];
    order[start..]
        .iter()
        .position(|&i| x[i] != value)
        .map_or(order.len(), |offset| start + offset)
}

#[cfg(test)]
mod tests {
    use super::average_ranks;

    #[test]
    fn a_given_order_ranks_as_sorting_does() {
        let x = [10.0, 20.0, 10.0, 30.0, 20.0, 20.0];
        // Ties listed in another order than a sort would give them.
        let order = [2, 0, 5, 1, 4, 3];
        assert_eq!(super::average_ranks_in_order(&x, &order), average_ranks(&x));
    }

    #[test]
    fn ties_share_the_mean_rank() {
        // Sorted: 10,10 take ranks 1,2 -> 1.5; 20,20,20 take 3,4,5 -> 4; 30 takes 6.
        let x = [10.0, 20.0, 10.0, 30.0, 20.0, 20.0];
        assert_eq!(average_ranks(&x), vec![1.5, 4.0, 1.5, 6.0, 4.0, 4.0]);
    }

    #[test]
    fn spearman_doc_example_ranks() {
        // [5,6,7,8,7]: 5->1, 6->2, the two 7s share ranks 3,4 -> 3.5, 8->5.
        assert_eq!(
            average_ranks(&[5.0, 6.0, 7.0, 8.0, 7.0]),
            vec![1.0, 2.0, 3.5, 5.0, 3.5]
        );
    }

    #[test]
    fn edge_cases() {
        assert!(average_ranks(&[]).is_empty());
        assert_eq!(average_ranks(&[-0.0, 0.0, -1.0]), vec![2.5, 2.5, 1.0]);
        assert_eq!(
            average_ranks(&[f64::INFINITY, f64::NEG_INFINITY, 0.0]),
            vec![3.0, 1.0, 2.0]
        );
        assert!(average_ranks(&[1.0, f64::NAN]).iter().all(|r| r.is_nan()));
    }
}
