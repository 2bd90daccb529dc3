//! Two-dimensional hypervolume (dominated area) of (latency, score) points.

use super::order::cmp_no_nan;
use super::MetricError;

/// Area of the region dominated by `points` and bounded by `reference`, with
/// latency minimised and score maximised:
///
/// ```text
/// area of ⋃_i [latency_i, ref_latency] × [ref_score, score_i]
/// ```
///
/// `points` are `(latency, score)` pairs and `reference` is the
/// `(worst latency, worst score)` corner. A point contributes only if it
/// strictly dominates the reference (`latency < ref_latency` and
/// `score > ref_score`); others, dominated points and duplicates add nothing,
/// so the area of all points equals that of their
/// [`pareto_front`](super::pareto_front). No points give 0.
///
/// O(n log n): sort the contributing points by latency and sum, between each
/// latency and the next (the last up to `ref_latency`), a strip whose height
/// is the best score so far minus `ref_score`. The result is `+inf` only if
/// the area exceeds `f64::MAX`.
///
/// # Errors
///
/// [`MetricError::NonFinite`] for a NaN or infinity: in `points` (index is the
/// point's, latency checked before score) before `reference` (index 0 is the
/// latency, 1 the score).
pub fn hypervolume_2d(points: &[(f64, f64)], reference: (f64, f64)) -> Result<f64, MetricError> {
    let coordinates = points
        .iter()
        .enumerate()
        .flat_map(|(i, &(l, s))| [("points", i, l), ("points", i, s)]);
    let reference_coordinates = [("reference", 0, reference.0), ("reference", 1, reference.1)];
    if let Some((input, index, value)) = coordinates
        .chain(reference_coordinates)
        .find(|(_, _, v)| !v.is_finite())
    {
        return Err(MetricError::NonFinite {
            input,
            index,
            value,
        });
    }

    let (ref_latency, ref_score) = reference;
    let mut inside: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|&(l, s)| l < ref_latency && s > ref_score)
        .collect();
    inside.sort_unstable_by(|p, q| cmp_no_nan(p.0, q.0));
    let mut area = 0.0;
    let mut best = ref_score;
    for (k, &(latency, score)) in inside.iter().enumerate() {
        best = best.max(score);
        let next = inside.get(k + 1).map_or(ref_latency, |p| p.0);
        area += (next - latency) * (best - ref_score);
    }
    Ok(area)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_example() {
        // Reference (10, 0). Points:
        //   (2, 3), (4, 5), (8, 7)   the front
        //   (6, 4)                   dominated by (4, 5): adds nothing
        //   (4, 5)                   duplicate: adds nothing
        //   (12, 9)                  slower than the reference: adds nothing
        //   (3, -1)                  scores below the reference: adds nothing
        // Strips between consecutive front latencies, height = best score − 0:
        //   [2, 4)  × 3 =  6
        //   [4, 8)  × 5 = 20
        //   [8, 10) × 7 = 14
        // Total 40.
        let points = [
            (2.0, 3.0),
            (6.0, 4.0),
            (4.0, 5.0),
            (12.0, 9.0),
            (8.0, 7.0),
            (4.0, 5.0),
            (3.0, -1.0),
        ];
        assert_eq!(hypervolume_2d(&points, (10.0, 0.0)).unwrap(), 40.0);
        // Only the front: same area.
        let front = [(2.0, 3.0), (4.0, 5.0), (8.0, 7.0)];
        assert_eq!(hypervolume_2d(&front, (10.0, 0.0)).unwrap(), 40.0);
    }

    #[test]
    fn single_point_and_boundaries() {
        // One rectangle: (5 − 1) × (0.75 − 0.25) = 2.
        assert_eq!(hypervolume_2d(&[(1.0, 0.75)], (5.0, 0.25)).unwrap(), 2.0);
        // On the reference's edges: zero width or height.
        assert_eq!(
            hypervolume_2d(&[(5.0, 1.0), (1.0, 0.25)], (5.0, 0.25)).unwrap(),
            0.0
        );
        assert_eq!(hypervolume_2d(&[], (5.0, 0.25)).unwrap(), 0.0);
        // Same latency, different scores: the better one counts,
        // (4 − 0) × (2 − 0) = 8.
        assert_eq!(
            hypervolume_2d(&[(0.0, 1.0), (0.0, 2.0)], (4.0, 0.0)).unwrap(),
            8.0
        );
    }

    #[test]
    fn errors() {
        let e = hypervolume_2d(&[(1.0, 1.0), (2.0, f64::NAN)], (f64::NAN, 0.0)).unwrap_err();
        assert_eq!(e.to_string(), "non-finite value NaN at index 1 of `points`");
        let e = hypervolume_2d(&[(1.0, 1.0)], (3.0, f64::NEG_INFINITY)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "non-finite value -inf at index 1 of `reference`"
        );
    }
}
