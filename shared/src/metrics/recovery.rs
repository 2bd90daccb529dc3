//! Pareto reuse: how much of a target device's true latency/score front a
//! front found elsewhere (on a proxy device, or on predicted latencies)
//! recovers once its architectures are measured on the target.

use super::hypervolume::hypervolume_2d;
use super::pareto::pareto_front;
use super::MetricError;

/// A found front judged on the target.
#[derive(Clone, Debug, PartialEq)]
pub struct FrontRecovery {
    /// Indices of the front found on `found_on`, by increasing latency there.
    pub found_front: Vec<usize>,
    /// Indices of the target's true front.
    pub target_front: Vec<usize>,
    /// Architectures on both fronts.
    pub overlap: usize,
    /// Hypervolume of the found front's points on the target over that of
    /// the target's own front (1 = nothing lost). The reference corner is
    /// the slowest target latency and the lowest score of all points.
    pub hypervolume_ratio: f64,
}

/// Finds the Pareto front of (`found_on`, `score`), minimising latency and
/// maximising score, and judges it on the `target` latencies of the same
/// architectures.
///
/// # Errors
///
/// As [`pareto_front`] and [`hypervolume_2d`]: lengths that differ, NaN or
/// infinite values.
pub fn front_recovery(
    found_on: &[f64],
    target: &[f64],
    score: &[f64],
) -> Result<FrontRecovery, MetricError> {
    let found_front = pareto_front(found_on, score)?;
    let target_front = pareto_front(target, score)?;
    let slowest = target.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lowest = score.iter().copied().fold(f64::INFINITY, f64::min);
    let area = |rows: &[usize]| {
        let points: Vec<(f64, f64)> = rows.iter().map(|&r| (target[r], score[r])).collect();
        hypervolume_2d(&points, (slowest, lowest))
    };
    let best = area(&target_front)?;
    let found = area(&found_front)?;
    let overlap = found_front
        .iter()
        .filter(|r| target_front.contains(r))
        .count();
    Ok(FrontRecovery {
        hypervolume_ratio: if best > 0.0 { found / best } else { 1.0 },
        found_front,
        target_front,
        overlap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_targets_own_front_recovers_everything() {
        let target = [1.0, 2.0, 3.0, 4.0];
        let score = [1.0, 3.0, 2.0, 4.0];
        let r = front_recovery(&target, &target, &score).unwrap();
        assert_eq!(r.found_front, [0, 1, 3]);
        assert_eq!(r.overlap, 3);
        assert_eq!(r.hypervolume_ratio, 1.0);
    }

    #[test]
    fn a_reversed_proxy_finds_a_worse_front() {
        let target = [1.0, 2.0, 3.0, 4.0];
        let proxy = [4.0, 3.0, 2.0, 1.0];
        let score = [1.0, 2.0, 3.0, 4.0];
        // On the proxy, architecture 3 is fastest and best: the front is {3}.
        let r = front_recovery(&proxy, &target, &score).unwrap();
        assert_eq!(r.found_front, [3]);
        assert_eq!(r.target_front, [0, 1, 2, 3]);
        assert_eq!(r.overlap, 1);
        // Target area: reference (4, 1); points (1,1) (2,2) (3,3) (4,4) give
        // strips [1,2]×0 + [2,3]×1 + [3,4]×2 = 3; {3} alone gives 0.
        assert_eq!(r.hypervolume_ratio, 0.0);
        assert!(front_recovery(&proxy, &target[..2], &score).is_err());
    }
}
