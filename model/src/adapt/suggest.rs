//! What to measure next on a new device: the architectures whose
//! measurement would teach the adaptation most.
//!
//! The adaptation is a ridge regression over an architecture's adaptation
//! features, so the uncertainty of its prediction for an architecture `x`,
//! before the latency is known, is proportional to `xᵀ (λI + XᵀX)⁻¹ x`, where
//! `X` holds the rows already measured (Bayesian linear regression with a
//! Gaussian prior; the measured latencies do not enter). Measuring the
//! architecture with the largest variance and repeating is the greedy
//! D-optimal design: it spreads the measurements over the directions the
//! adaptation cannot yet tell apart. No latency of the target device is
//! needed, so suggestions can be made before the first measurement.

use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};

/// Ridge of the prior, relative to the unit variance of each standardised
/// feature column: small, so that an unexplored direction always wins over
/// refining an explored one.
const PRIOR_RIDGE: f64 = 1e-2;

/// Which feature columns the design spreads the measurements over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesignColumns {
    /// The structure columns: the training devices' predicted ms and the
    /// operation counts (what the structured fit regresses on).
    Structure,
    /// The first member's outputs: the training devices' predicted ln ms
    /// (what the head fit starts from).
    LogOutputs,
}

/// The design `profiler adapt --suggest` and the page use, chosen on the
/// validation tasks (README, "Choices and where they were made").
pub const SUGGESTED_DESIGN: DesignColumns = DesignColumns::Structure;

/// Picks `n` of `candidates` (row indices of `design`) greedily by largest
/// predictive variance given the rows already `measured` (which are never
/// picked again). Ties go to the earlier candidate. Returns fewer than `n`
/// only when the candidates run out.
pub fn suggest_rows(
    design: ArrayView2<'_, f32>,
    measured: &[usize],
    candidates: &[usize],
    n: usize,
) -> Result<Vec<usize>> {
    let rows = design.nrows();
    if let Some(r) = measured.iter().chain(candidates).find(|&&r| r >= rows) {
        return Err(Error::IndexOutOfRange {
            context: "suggest".into(),
            what: "architecture row",
            index: *r,
            len: rows,
        });
    }
    // Column 0 is an intercept.
    let p = design.ncols() + 1;
    let row = |r: usize| -> Vec<f64> {
        std::iter::once(1.0)
            .chain(design.row(r).iter().map(|&v| f64::from(v)))
            .collect()
    };
    let mut inverse = Array2::<f64>::eye(p) / PRIOR_RIDGE;
    let mut taken = vec![false; rows];
    for &r in measured {
        taken[r] = true;
        add_row(&mut inverse, &row(r));
    }
    let mut picked = Vec::with_capacity(n);
    while picked.len() < n {
        let best = candidates
            .iter()
            .copied()
            .filter(|&c| !taken[c])
            .map(|c| (c, variance(&inverse, &row(c))))
            .fold(None::<(usize, f64)>, |best, (c, v)| match best {
                Some((_, bv)) if bv >= v => best,
                _ => Some((c, v)),
            });
        let Some((next, _)) = best else { break };
        taken[next] = true;
        add_row(&mut inverse, &row(next));
        picked.push(next);
    }
    Ok(picked)
}

/// `xᵀ M x`.
fn variance(inverse: &Array2<f64>, x: &[f64]) -> f64 {
    let mut total = 0.0;
    for (i, xi) in x.iter().enumerate() {
        let mut dot = 0.0;
        for (j, xj) in x.iter().enumerate() {
            dot += inverse[[i, j]] * xj;
        }
        total += xi * dot;
    }
    total
}

/// Sherman–Morrison: `M ← M − (M x)(M x)ᵀ / (1 + xᵀ M x)`, the inverse after
/// adding `x xᵀ` (M stays symmetric). Written out because it is four lines
/// and needs no factorisation.
fn add_row(inverse: &mut Array2<f64>, x: &[f64]) {
    let p = x.len();
    let mx: Vec<f64> = (0..p)
        .map(|i| (0..p).map(|j| inverse[[i, j]] * x[j]).sum())
        .collect();
    let denom = 1.0 + x.iter().zip(&mx).map(|(a, b)| a * b).sum::<f64>();
    for i in 0..p {
        for j in 0..p {
            inverse[[i, j]] -= mx[i] * mx[j] / denom;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn spreads_over_unexplored_directions() {
        // Rows: two near-duplicates along x, one along y, the origin.
        let design = array![[1.0f32, 0.0], [0.9, 0.0], [0.0, 1.0], [0.0, 0.0]];
        let all = [0, 1, 2, 3];
        // First: the largest norm (row 0, tie with row 2 goes to row 0);
        // then the unexplored y direction, not the duplicate of row 0.
        let picked = suggest_rows(design.view(), &[], &all, 2).unwrap();
        assert_eq!(picked, [0, 2]);
        // With row 0 measured, the next is row 2 as well.
        assert_eq!(suggest_rows(design.view(), &[0], &all, 1).unwrap(), [2]);
        // Never a measured row, and no more than there are.
        let rest = suggest_rows(design.view(), &[0, 2], &all, 5).unwrap();
        assert_eq!(rest.len(), 2);
        assert!(!rest.contains(&0) && !rest.contains(&2));
    }

    #[test]
    fn sherman_morrison_matches_a_direct_inverse() {
        // λI + x xᵀ with λ = 2, x = (1, 2): [[3, 2], [2, 6]], inverse
        // [[6, −2], [−2, 3]] / 14.
        let mut m = Array2::<f64>::eye(2) / 2.0;
        add_row(&mut m, &[1.0, 2.0]);
        let expected = array![[6.0, -2.0], [-2.0, 3.0]] / 14.0;
        assert!((m - expected).iter().all(|d| d.abs() < 1e-12));
    }

    #[test]
    fn rows_out_of_range_are_errors() {
        let design = array![[1.0f32], [2.0]];
        let e = suggest_rows(design.view(), &[5], &[0, 1], 1).unwrap_err();
        assert!(e.to_string().contains("row 5"), "{e}");
    }
}
