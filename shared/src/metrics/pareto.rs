//! Pareto front of (latency, score) points.

use super::order::cmp_no_nan;
use super::validate::check_pair;
use super::MetricError;

/// Indices of the non-dominated points `(latency[i], score[i])` when
/// minimising latency and maximising score, sorted by increasing latency.
///
/// Point `j` dominates point `i` if `latency[j] ≤ latency[i]` and
/// `score[j] ≥ score[i]` with at least one inequality strict. Exact duplicates
/// do not dominate each other; of a group of equal points only the **lowest
/// index** is returned, so every returned index is a distinct point. Along the
/// result both latency and score strictly increase. `-0.0` and `0.0` are
/// equal. An empty input gives an empty front.
///
/// O(n log n): sort by latency ascending, then score descending, then index;
/// sweep keeping the best score seen, and keep a point if it beats it
/// strictly (a point with the same latency comes after a better or equal
/// one, a point with the same score after a faster or identical one).
///
/// # Errors
///
/// [`MetricError::LengthMismatch`] if the lengths differ and
/// [`MetricError::NonFinite`] for a NaN or infinity.
pub fn pareto_front(latency: &[f64], score: &[f64]) -> Result<Vec<usize>, MetricError> {
    check_pair("pareto_front", ("latency", latency), ("score", score), 0)?;
    let mut order: Vec<usize> = (0..latency.len()).collect();
    order.sort_unstable_by(|&i, &j| {
        cmp_no_nan(latency[i], latency[j])
            .then(cmp_no_nan(score[j], score[i]))
            .then(i.cmp(&j))
    });
    let mut front = Vec::new();
    let mut best = f64::NEG_INFINITY; // below every (finite) score
    for i in order {
        if score[i] > best {
            best = score[i];
            front.push(i);
        }
    }
    Ok(front)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_example() {
        //  index  latency  score
        //    0      1.0     0.5   front
        //    1      2.0     0.7   front
        //    2      2.0     0.6   same latency as 1, lower score: dominated by 1
        //    3      1.0     0.5   exact duplicate of 0: dropped, 0 is the lower index
        //    4      3.0     0.65  dominated by 1 (faster and better)
        //    5      4.0     0.9   front
        //    6      0.5     0.2   front (fastest)
        //    7      3.0     0.7   same score as 1 but slower: dominated by 1
        // Front by increasing latency: 6 (0.5), 0 (1.0), 1 (2.0), 5 (4.0).
        let latency = [1.0, 2.0, 2.0, 1.0, 3.0, 4.0, 0.5, 3.0];
        let score = [0.5, 0.7, 0.6, 0.5, 0.65, 0.9, 0.2, 0.7];
        assert_eq!(pareto_front(&latency, &score).unwrap(), vec![6, 0, 1, 5]);
    }

    #[test]
    fn duplicates_keep_the_lowest_index() {
        // Three copies of the only front point, the lowest index not first.
        let latency = [2.0, 1.0, 1.0, 1.0];
        let score = [0.0, 5.0, 5.0, 5.0];
        assert_eq!(pareto_front(&latency, &score).unwrap(), vec![1]);
        let latency = [1.0, 1.0, 0.0];
        let score = [-0.0, 0.0, -1.0];
        assert_eq!(pareto_front(&latency, &score).unwrap(), vec![2, 0]);
    }

    #[test]
    fn trivial_inputs() {
        assert!(pareto_front(&[], &[]).unwrap().is_empty());
        assert_eq!(pareto_front(&[3.0], &[-1.0]).unwrap(), vec![0]);
        // A strict trade-off: every point is on the front.
        assert_eq!(
            pareto_front(&[3.0, 1.0, 2.0], &[30.0, 10.0, 20.0]).unwrap(),
            vec![1, 2, 0]
        );
    }

    #[test]
    fn errors() {
        let e = pareto_front(&[1.0], &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "length mismatch: `latency` has 1 values but `score` has 0"
        );
        let e = pareto_front(&[1.0, 2.0], &[0.0, f64::NAN]).unwrap_err();
        assert_eq!(e.to_string(), "non-finite value NaN at index 1 of `score`");
    }
}
