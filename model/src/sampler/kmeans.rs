//! A small seeded k-means (k-means++ start, Lloyd iterations) for the
//! encoding-diverse sampler.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

const MAX_ITERATIONS: usize = 25;

/// 1 − cosine similarity; 1 when either vector is zero.
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (*x as f64, *y as f64);
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 1.0;
    }
    1.0 - dot / (na.sqrt() * nb.sqrt())
}

/// Runs k-means with `k` clusters on `points` and returns, for each
/// centroid, the index of the nearest point not already returned for an
/// earlier centroid (so at most `min(k, points.len())` distinct indices).
pub fn nearest_to_centroids(points: &[&[f32]], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = points.len();
    let k = k.min(n);
    if k == 0 {
        return Vec::new();
    }
    let dim = points[0].len();
    // k-means++: first centre uniform, then proportional to squared distance.
    let mut centres: Vec<Vec<f64>> = Vec::with_capacity(k);
    let to_f64 = |p: &[f32]| p.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    centres.push(to_f64(points[rng.random_range(0..n)]));
    let mut d2: Vec<f64> = points.iter().map(|p| sq_dist_c(p, &centres[0])).collect();
    while centres.len() < k {
        let total: f64 = d2.iter().sum();
        let next = if total > 0.0 {
            let mut target = rng.random::<f64>() * total;
            let mut chosen = n - 1;
            for (i, &d) in d2.iter().enumerate() {
                if target < d {
                    chosen = i;
                    break;
                }
                target -= d;
            }
            chosen
        } else {
            rng.random_range(0..n)
        };
        let c = to_f64(points[next]);
        for (i, p) in points.iter().enumerate() {
            d2[i] = d2[i].min(sq_dist_c(p, &c));
        }
        centres.push(c);
    }
    // Lloyd iterations.
    let mut assignment = vec![usize::MAX; n];
    for _ in 0..MAX_ITERATIONS {
        let mut changed = false;
        for (i, p) in points.iter().enumerate() {
            let best = nearest_centre(p, &centres);
            if assignment[i] != best {
                assignment[i] = best;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let mut sums = vec![vec![0.0f64; dim]; k];
        let mut counts = vec![0usize; k];
        for (i, p) in points.iter().enumerate() {
            counts[assignment[i]] += 1;
            for (s, &x) in sums[assignment[i]].iter_mut().zip(p.iter()) {
                *s += x as f64;
            }
        }
        for c in 0..k {
            // An empty cluster keeps its centre.
            if counts[c] > 0 {
                centres[c] = sums[c].iter().map(|s| s / counts[c] as f64).collect();
            }
        }
    }
    let mut taken = vec![false; n];
    let mut out = Vec::with_capacity(k);
    for c in &centres {
        let best = (0..n)
            .filter(|&i| !taken[i])
            .min_by(|&a, &b| sq_dist_c(points[a], c).total_cmp(&sq_dist_c(points[b], c)));
        if let Some(i) = best {
            taken[i] = true;
            out.push(i);
        }
    }
    out
}

fn sq_dist_c(p: &[f32], c: &[f64]) -> f64 {
    p.iter()
        .zip(c)
        .map(|(&x, &y)| {
            let d = x as f64 - y;
            d * d
        })
        .sum()
}

fn nearest_centre(p: &[f32], centres: &[Vec<f64>]) -> usize {
    let mut best = 0;
    let mut best_d = f64::INFINITY;
    for (c, centre) in centres.iter().enumerate() {
        let d = sq_dist_c(p, centre);
        if d < best_d {
            best_d = d;
            best = c;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn finds_one_point_per_blob() {
        // Three well separated blobs of 4 points each.
        let blobs = [[0.0f32, 0.0], [10.0, 0.0], [0.0, 10.0]];
        let pts: Vec<[f32; 2]> = blobs
            .iter()
            .flat_map(|b| (0..4).map(move |i| [b[0] + 0.1 * i as f32, b[1]]))
            .collect();
        let refs: Vec<&[f32]> = pts.iter().map(|p| &p[..]).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut got: Vec<usize> = nearest_to_centroids(&refs, 3, &mut rng)
            .into_iter()
            .map(|i| i / 4)
            .collect();
        got.sort();
        assert_eq!(got, vec![0, 1, 2]);
    }

    #[test]
    fn cosine() {
        assert!(cosine_distance(&[1.0, 0.0], &[2.0, 0.0]).abs() < 1e-12);
        assert!((cosine_distance(&[1.0, 0.0], &[0.0, 3.0]) - 1.0).abs() < 1e-12);
        assert_eq!(cosine_distance(&[0.0, 0.0], &[1.0, 0.0]), 1.0);
    }
}
