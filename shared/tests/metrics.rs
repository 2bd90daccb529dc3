//! Cross-checks of the public metrics API against slow, obviously correct
//! reference implementations on seeded pseudo-random inputs with many ties.

use latscope_shared::metrics::{
    accuracy_within, average_ranks, hypervolume_2d, kendall_tau_b, mape, pareto_front, pearson,
    rmse, spearman, MetricError, RegressionReport,
};

/// Knuth's MMIX linear congruential generator: deterministic, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32 // the high bits are the good ones
    }

    /// A value in `0..levels`, as f64: few levels force many ties.
    fn level(&mut self, levels: u32) -> f64 {
        f64::from(self.next_u32() % levels)
    }

    /// `n` values with `levels` distinct possibilities, never all equal.
    fn sample(&mut self, n: usize, levels: u32) -> Vec<f64> {
        loop {
            let v: Vec<f64> = (0..n).map(|_| self.level(levels)).collect();
            if v.iter().any(|&x| x != v[0]) {
                return v;
            }
        }
    }
}

fn close(x: f64, y: f64, tol: f64) -> bool {
    (x - y).abs() <= tol * y.abs().max(1.0)
}

/// Tau-b straight from its definition: classify all n(n−1)/2 pairs.
fn kendall_reference(a: &[f64], b: &[f64]) -> f64 {
    let (mut concordant, mut discordant, mut tied_a, mut tied_b) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            let s = (a[i] - a[j]).signum() * (b[i] - b[j]).signum();
            if a[i] == a[j] {
                tied_a += 1; // includes pairs tied in both
            }
            if b[i] == b[j] {
                tied_b += 1;
            }
            if a[i] != a[j] && b[i] != b[j] {
                if s > 0.0 {
                    concordant += 1;
                } else {
                    discordant += 1;
                }
            }
        }
    }
    let total = (a.len() * (a.len() - 1) / 2) as i64;
    (concordant - discordant) as f64 / (((total - tied_a) * (total - tied_b)) as f64).sqrt()
}

/// Ranks by counting: rank = 1 + #smaller + (#equal − 1)/2.
fn ranks_reference(x: &[f64]) -> Vec<f64> {
    x.iter()
        .map(|&v| {
            let smaller = x.iter().filter(|&&w| w < v).count() as f64;
            let equal = x.iter().filter(|&&w| w == v).count() as f64;
            1.0 + smaller + (equal - 1.0) / 2.0
        })
        .collect()
}

/// Pareto front by checking every point against every other.
fn pareto_reference(latency: &[f64], score: &[f64]) -> Vec<usize> {
    let n = latency.len();
    let dominates = |j: usize, i: usize| {
        latency[j] <= latency[i]
            && score[j] >= score[i]
            && (latency[j] < latency[i] || score[j] > score[i])
    };
    let duplicate_before =
        |i: usize| (0..i).any(|j| latency[j] == latency[i] && score[j] == score[i]);
    let mut front: Vec<usize> = (0..n)
        .filter(|&i| !(0..n).any(|j| dominates(j, i)) && !duplicate_before(i))
        .collect();
    front.sort_by(|&i, &j| latency[i].total_cmp(&latency[j]));
    front
}

/// Hypervolume on a grid, for integer points with latency ≥ 0 and score
/// < `score_max`: the dominated region is then a union of unit cells
/// `[x, x+1] × [y, y+1]`, and a cell is in it iff some point has latency ≤ x
/// and score ≥ y + 1. Count the cells inside the reference box.
fn hypervolume_reference(points: &[(f64, f64)], reference: (i32, i32), score_max: i32) -> f64 {
    let mut cells = 0;
    for x in 0..reference.0 {
        for y in reference.1..score_max {
            let (x, y) = (f64::from(x), f64::from(y));
            if points.iter().any(|&(l, s)| l <= x && s >= y + 1.0) {
                cells += 1;
            }
        }
    }
    f64::from(cells)
}

#[test]
fn kendall_matches_quadratic_reference() {
    let mut rng = Lcg(0x5eed_0001);
    for case in 0..500 {
        let n = 2 + (rng.next_u32() % 60) as usize;
        // Mostly heavy ties, sometimes none at all.
        let levels = [2, 3, 5, 10, 1_000_000][case % 5];
        let a = rng.sample(n, levels);
        let b = rng.sample(n, levels);
        let fast = kendall_tau_b(&a, &b).unwrap();
        let slow = kendall_reference(&a, &b);
        assert!(
            close(fast, slow, 1e-12),
            "case {case}: {fast} vs {slow}\na={a:?}\nb={b:?}"
        );
        // Symmetric in its arguments.
        assert!(close(kendall_tau_b(&b, &a).unwrap(), slow, 1e-12));
    }
}

#[test]
fn spearman_is_pearson_of_reference_ranks() {
    let mut rng = Lcg(0x5eed_0002);
    for case in 0..300 {
        let n = 2 + (rng.next_u32() % 40) as usize;
        let levels = [2, 4, 7, 1_000_000][case % 4];
        let a = rng.sample(n, levels);
        let b = rng.sample(n, levels);
        let ra = ranks_reference(&a);
        let rb = ranks_reference(&b);
        assert_eq!(average_ranks(&a), ra);
        let expected = pearson(&ra, &rb).unwrap();
        assert!(
            close(spearman(&a, &b).unwrap(), expected, 1e-12),
            "case {case}"
        );
    }
}

#[test]
fn spearman_without_ties_matches_textbook_formula() {
    // Distinct values: rho = 1 − 6 Σ d² / (n (n² − 1)), d the rank differences.
    let mut rng = Lcg(0x5eed_0003);
    for _ in 0..100 {
        let n = 2 + (rng.next_u32() % 30) as usize;
        // A random permutation of 0..n (Fisher–Yates) against 0..n.
        let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut b = a.clone();
        for i in (1..n).rev() {
            b.swap(i, rng.next_u32() as usize % (i + 1));
        }
        let d2: f64 = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum();
        let nf = n as f64;
        let expected = 1.0 - 6.0 * d2 / (nf * (nf * nf - 1.0));
        assert!(close(spearman(&a, &b).unwrap(), expected, 1e-12));
    }
}

#[test]
fn pearson_matches_textbook_formula() {
    // Small integers: the naive formula is exact enough to compare with.
    let mut rng = Lcg(0x5eed_0004);
    for _ in 0..200 {
        let n = 2 + (rng.next_u32() % 30) as usize;
        let a = rng.sample(n, 9);
        let b = rng.sample(n, 9);
        let nf = n as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / nf, b.iter().sum::<f64>() / nf);
        let sab: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let saa: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let sbb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        let expected = sab / (saa * sbb).sqrt();
        assert!(close(pearson(&a, &b).unwrap(), expected, 1e-12));
    }
}

#[test]
fn pareto_matches_quadratic_reference() {
    let mut rng = Lcg(0x5eed_0005);
    for case in 0..500 {
        let n = (rng.next_u32() % 40) as usize;
        // Coarse grids give latency ties, score ties and exact duplicates.
        let levels = [3, 6, 20, 1_000_000][case % 4];
        let latency: Vec<f64> = (0..n).map(|_| rng.level(levels)).collect();
        let score: Vec<f64> = (0..n).map(|_| rng.level(levels)).collect();
        let front = pareto_front(&latency, &score).unwrap();
        assert_eq!(front, pareto_reference(&latency, &score), "case {case}");
    }
}

#[test]
fn hypervolume_matches_cell_count_and_front() {
    let mut rng = Lcg(0x5eed_0006);
    for case in 0..300 {
        let n = (rng.next_u32() % 25) as usize;
        // Integer points in [0, 12)², reference (10, 2): some points lie
        // outside the reference box on either side.
        let points: Vec<(f64, f64)> = (0..n).map(|_| (rng.level(12), rng.level(12))).collect();
        let area = hypervolume_2d(&points, (10.0, 2.0)).unwrap();
        assert_eq!(
            area,
            hypervolume_reference(&points, (10, 2), 12),
            "case {case}"
        );
        // Only the Pareto front matters.
        let (latency, score): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
        let front: Vec<(f64, f64)> = pareto_front(&latency, &score)
            .unwrap()
            .into_iter()
            .map(|i| points[i])
            .collect();
        assert_eq!(
            hypervolume_2d(&front, (10.0, 2.0)).unwrap(),
            area,
            "case {case}"
        );
    }
}

#[test]
fn regression_metrics_match_definitions() {
    let mut rng = Lcg(0x5eed_0007);
    for _ in 0..200 {
        let n = 1 + (rng.next_u32() % 30) as usize;
        let truth: Vec<f64> = (0..n).map(|_| 1.0 + rng.level(100)).collect();
        let pred: Vec<f64> = (0..n).map(|_| rng.level(120)).collect();
        let rel: Vec<f64> = pred
            .iter()
            .zip(&truth)
            .map(|(p, t)| (p - t).abs() / t)
            .collect();
        let nf = n as f64;
        let expected_mape = rel.iter().sum::<f64>() / nf;
        let mse = pred
            .iter()
            .zip(&truth)
            .map(|(p, t)| (p - t).powi(2))
            .sum::<f64>()
            / nf;
        assert!(close(mape(&pred, &truth).unwrap(), expected_mape, 1e-12));
        assert!(close(rmse(&pred, &truth).unwrap(), mse.sqrt(), 1e-12));
        for tol in [0.0, 0.05, 0.1, 0.5] {
            let expected = rel.iter().filter(|&&e| e <= tol).count() as f64 / nf;
            assert_eq!(accuracy_within(&pred, &truth, tol).unwrap(), expected);
        }
    }
}

#[test]
fn report_fields_equal_the_individual_metrics() {
    let truth = [12.0, 30.5, 7.25, 19.0, 30.5, 44.0];
    let pred = [11.0, 28.0, 8.0, 19.5, 33.0, 40.0];
    let r = RegressionReport::compute(&pred, &truth).unwrap();
    assert_eq!(r.n, 6);
    assert_eq!(r.spearman, spearman(&pred, &truth).unwrap());
    assert_eq!(r.kendall, kendall_tau_b(&pred, &truth).unwrap());
    assert_eq!(r.mape, mape(&pred, &truth).unwrap());
    assert_eq!(r.rmse, rmse(&pred, &truth).unwrap());
    assert_eq!(r.acc5, accuracy_within(&pred, &truth, 0.05).unwrap());
    assert_eq!(r.acc10, accuracy_within(&pred, &truth, 0.10).unwrap());
}

#[test]
fn report_round_trips_through_json() {
    let r = RegressionReport::compute(&[1.0, 2.0, 4.0], &[1.0, 2.5, 3.0]).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    for field in [
        "\"n\":3",
        "\"spearman\":",
        "\"kendall\":",
        "\"mape\":",
        "\"rmse\":",
        "\"acc5\":",
        "\"acc10\":",
    ] {
        assert!(json.contains(field), "{json}");
    }
    let back: RegressionReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn errors_are_reported_through_the_public_type() {
    let e: MetricError = spearman(&[1.0], &[1.0, 2.0]).unwrap_err();
    assert!(matches!(
        e,
        MetricError::LengthMismatch {
            left_len: 1,
            right_len: 2,
            ..
        }
    ));
    let e = kendall_tau_b(&[1.0, f64::NAN], &[1.0, 2.0]).unwrap_err();
    assert!(e.to_string().contains("NaN at index 1 of `a`"), "{e}");
    let e = pearson(&[5.0, 5.0], &[1.0, 2.0]).unwrap_err();
    assert!(
        e.to_string().contains("every value of `a` is the same (5)"),
        "{e}"
    );
    let e = RegressionReport::compute(&[1.0, 2.0], &[0.0, 1.0]).unwrap_err();
    assert!(e.to_string().contains("`truth`[0] is 0"), "{e}");
}
