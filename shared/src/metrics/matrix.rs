//! All-pairs rank correlation between many latency columns (devices), and an
//! ordering of the devices that puts similar ones next to each other, for
//! monotonicity heatmaps.

use super::rank::{average_ranks, average_ranks_in_order};
use super::validate::check_correlation;
use super::MetricError;

/// Spearman's ρ between every pair of `columns` (each one device's latencies
/// on the same architectures, in the same order): a row-major `n × n`
/// matrix with ones on the diagonal. Each column is ranked once, so this is
/// much cheaper than calling [`spearman`](super::spearman) per pair.
///
/// # Errors
///
/// As [`spearman`](super::spearman), for the first bad pair: columns of
/// different lengths, fewer than 2 values, NaN or infinity, a constant column.
pub fn spearman_matrix(columns: &[Vec<f64>]) -> Result<Vec<f64>, MetricError> {
    check_columns(columns)?;
    let ranks: Vec<Vec<f64>> = columns.iter().map(|c| average_ranks(c)).collect();
    Ok(pearson_matrix(&ranks))
}

/// [`spearman_matrix`] when each column's order is known already
/// (`orders[i]` sorts `columns[i]` ascending, e.g. a ranking of the
/// architectures per device): the same matrix without sorting again.
///
/// # Errors
///
/// As [`spearman_matrix`].
///
/// # Panics
///
/// If `orders` does not hold one permutation per column (a programming
/// error).
pub fn spearman_matrix_in_order(
    columns: &[Vec<f64>],
    orders: &[Vec<usize>],
) -> Result<Vec<f64>, MetricError> {
    assert_eq!(orders.len(), columns.len(), "one order per column");
    check_columns(columns)?;
    let ranks: Vec<Vec<f64>> = columns
        .iter()
        .zip(orders)
        .map(|(c, o)| average_ranks_in_order(c, o))
        .collect();
    Ok(pearson_matrix(&ranks))
}

fn check_columns(columns: &[Vec<f64>]) -> Result<(), MetricError> {
    for pair in columns.windows(2) {
        check_correlation("spearman_matrix", ("a", &pair[0]), ("b", &pair[1]))?;
    }
    if let [only] = columns {
        check_correlation("spearman_matrix", ("a", only), ("b", only))?;
    }
    Ok(())
}

/// Pearson's r of every pair of `ranks`, row-major, ones on the diagonal.
/// Each column is centred and scaled to unit length once, so a pair costs
/// one dot product (the explorer ranks 27 devices × 15625 cells this way).
fn pearson_matrix(ranks: &[Vec<f64>]) -> Vec<f64> {
    let n = ranks.len();
    let unit: Vec<Vec<f64>> = ranks
        .iter()
        .map(|r| {
            let mean = r.iter().sum::<f64>() / r.len() as f64;
            let centred: Vec<f64> = r.iter().map(|v| v - mean).collect();
            let norm = centred.iter().map(|v| v * v).sum::<f64>().sqrt();
            centred.into_iter().map(|v| v / norm).collect()
        })
        .collect();
    let mut rho = vec![1.0; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let r: f64 = unit[i].iter().zip(&unit[j]).map(|(a, b)| a * b).sum();
            // Rounding can step just outside [-1, 1].
            let r = r.clamp(-1.0, 1.0);
            rho[i * n + j] = r;
            rho[j * n + i] = r;
        }
    }
    rho
}

/// An order of the `n` items of a row-major `n × n` similarity matrix (e.g.
/// [`spearman_matrix`]) that keeps groups of similar items together:
/// average-linkage agglomerative clustering on `1 − similarity`, read off
/// the dendrogram's leaves. When two clusters merge, the one holding the
/// lower original index goes first, and each is flipped if that brings the
/// more similar ends together, so the result is deterministic.
///
/// # Panics
///
/// If `similarity.len() != n * n` (a programming error, not user input).
pub fn cluster_order(similarity: &[f64], n: usize) -> Vec<usize> {
    assert_eq!(similarity.len(), n * n, "similarity must be n × n");
    let distance = |a: usize, b: usize| 1.0 - similarity[a * n + b];
    let linkage = |a: &[usize], b: &[usize]| {
        let total: f64 = a
            .iter()
            .flat_map(|&i| b.iter().map(move |&j| (i, j)))
            .map(|(i, j)| distance(i, j))
            .sum();
        total / (a.len() * b.len()) as f64
    };
    let mut clusters: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    while clusters.len() > 1 {
        let mut best = (f64::INFINITY, 0, 1);
        for a in 0..clusters.len() {
            for b in a + 1..clusters.len() {
                let d = linkage(&clusters[a], &clusters[b]);
                if d < best.0 {
                    best = (d, a, b);
                }
            }
        }
        let (_, a, b) = best;
        let mut right = clusters.remove(b);
        let mut left = std::mem::take(&mut clusters[a]);
        // Orient both so that the two most similar ends meet.
        let ends = |l: &[usize], r: &[usize]| distance(l[l.len() - 1], r[0]);
        let options = [(false, false), (true, false), (false, true), (true, true)];
        let flip = |v: &[usize], f: bool| -> Vec<usize> {
            if f {
                v.iter().rev().copied().collect()
            } else {
                v.to_vec()
            }
        };
        let (fl, fr) = options
            .into_iter()
            .min_by(|x, y| {
                ends(&flip(&left, x.0), &flip(&right, x.1))
                    .total_cmp(&ends(&flip(&left, y.0), &flip(&right, y.1)))
            })
            .expect("four options");
        left = flip(&left, fl);
        right = flip(&right, fr);
        left.extend(right);
        clusters[a] = left;
    }
    clusters.pop().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::spearman;

    #[test]
    fn matrix_equals_pairwise_spearman() {
        let cols = vec![
            vec![1.0, 2.0, 3.0, 4.0, 5.0],
            vec![2.0, 1.0, 4.0, 3.0, 6.0],
            vec![5.0, 4.0, 3.0, 3.0, 1.0],
        ];
        let m = spearman_matrix(&cols).unwrap();
        for i in 0..3 {
            assert_eq!(m[i * 3 + i], 1.0);
            for j in 0..3 {
                if i != j {
                    let want = spearman(&cols[i], &cols[j]).unwrap();
                    assert!((m[i * 3 + j] - want).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn known_orders_give_the_same_matrix() {
        let cols = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![5.0, 4.0, 3.0, 3.0, 1.0]];
        let orders = vec![vec![0, 1, 2, 3, 4], vec![4, 3, 2, 1, 0]];
        assert_eq!(
            spearman_matrix_in_order(&cols, &orders).unwrap(),
            spearman_matrix(&cols).unwrap()
        );
        let err = spearman_matrix_in_order(&[vec![1.0, 1.0]], &[vec![0, 1]]).unwrap_err();
        assert!(matches!(err, MetricError::ConstantInput { .. }), "{err}");
    }

    #[test]
    fn matrix_rejects_bad_columns() {
        let err = spearman_matrix(&[vec![1.0, 2.0], vec![1.0, 2.0, 3.0]]).unwrap_err();
        assert!(matches!(err, MetricError::LengthMismatch { .. }), "{err}");
        let err = spearman_matrix(&[vec![1.0, 1.0, 1.0]]).unwrap_err();
        assert!(matches!(err, MetricError::ConstantInput { .. }), "{err}");
    }

    #[test]
    fn clusters_end_up_contiguous() {
        // Items 0, 2, 4 are one group and 1, 3 another.
        let group = [0, 1, 0, 1, 0];
        let n = 5;
        let sim: Vec<f64> = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                if i == j {
                    1.0
                } else if group[i] == group[j] {
                    0.95 - 0.01 * (i + j) as f64
                } else {
                    0.2
                }
            })
            .collect();
        let order = cluster_order(&sim, n);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2, 3, 4]);
        let groups: Vec<usize> = order.iter().map(|&i| group[i]).collect();
        let changes = groups.windows(2).filter(|w| w[0] != w[1]).count();
        assert_eq!(changes, 1, "{order:?}");
        assert!(cluster_order(&[], 0).is_empty());
    }
}
