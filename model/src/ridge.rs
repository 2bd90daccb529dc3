//! Ridge regression in closed form, with an unpenalised intercept and the
//! penalty λ chosen by leave-one-out error.
//!
//! Few-shot adaptation fits a handful of samples (K = 5..20) on up to a few
//! hundred features, so everything is done through the thin SVD of the
//! centred design `Xc = U·diag(s)·Vᵀ` (nalgebra's, a maintained pure-Rust
//! crate that builds for wasm32). For any λ:
//!
//! * `w = V·diag(s/(s²+λ))·Uᵀ·yc`, intercept `ȳ − x̄ᵀw`;
//! * hat matrix `H = 11ᵀ/n + U·diag(s²/(s²+λ))·Uᵀ`, so leave-one-out
//!   residuals are `e_i / (1 − H_ii)` exactly (the penalty is quadratic, the
//!   intercept unpenalised), and a grid of λ costs O(n·r) each.

use crate::error::{Error, Result};
use latscope_shared::metrics::spearman;
use nalgebra::{Cholesky, DMatrix, DVector, SVD};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

/// Singular values below this fraction of the largest are dropped: the
/// design's numerical null space (collinear or constant columns).
const RELATIVE_RANK_TOLERANCE: f64 = 1e-6;

/// An ndarray matrix as nalgebra's (a copy: nalgebra is column-major, and
/// the designs here are small).
fn to_nalgebra(a: ArrayView2<'_, f64>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

/// Solves `a·x = b` for symmetric positive definite `a` by Cholesky; `None`
/// when `a` is not positive definite.
fn cholesky_solve(a: &Array2<f64>, b: &Array1<f64>) -> Option<Array1<f64>> {
    let factor = Cholesky::new(to_nalgebra(a.view()))?;
    let x = factor.solve(&DVector::from_iterator(b.len(), b.iter().copied()));
    Some(Array1::from_iter(x.iter().copied()))
}

/// A fitted linear model `y = x·weights + intercept`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ridge {
    /// One coefficient per column of `x`, in the units of `y` per unit of that column.
    pub weights: Array1<f64>,
    /// The prediction at `x = 0`; fitted unpenalised (the data are centred before the ridge).
    pub intercept: f64,
}

impl Ridge {
    /// Predictions for the rows of `x`.
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        x.dot(&self.weights) + self.intercept
    }

    /// Prediction for one row.
    pub fn predict_row(&self, row: ArrayView1<'_, f64>) -> f64 {
        row.dot(&self.weights) + self.intercept
    }
}

fn check_xy(x: ArrayView2<'_, f64>, y: &[f64]) -> Result<()> {
    if x.nrows() != y.len() {
        return Err(Error::CountMismatch {
            context: "ridge".into(),
            got: x.nrows(),
            got_what: "rows of features",
            expected: y.len(),
            expected_what: "targets",
        });
    }
    if y.is_empty() {
        return Err(Error::Empty {
            context: "ridge".into(),
            what: "sample",
        });
    }
    let non_finite = |what, value| Error::NonFinite {
        context: "ridge".into(),
        what,
        value,
    };
    if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
        return Err(non_finite("feature", v));
    }
    if let Some(&v) = y.iter().find(|v| !v.is_finite()) {
        return Err(non_finite("target", v));
    }
    Ok(())
}

fn center(x: ArrayView2<'_, f64>, y: &[f64]) -> (Array2<f64>, Array1<f64>, Array1<f64>, f64) {
    let n = x.nrows() as f64;
    let xm = x.sum_axis(Axis(0)) / n;
    let xc = &x - &xm.view().insert_axis(Axis(0));
    let ym = y.iter().sum::<f64>() / n;
    let yc = Array1::from_iter(y.iter().map(|v| v - ym));
    (xc, yc, xm, ym)
}

/// Ridge with penalty `lambda ≥ 0` on the weights (not the intercept), by
/// Cholesky on the primal (`(XcᵀXc + λI)·w = Xcᵀyc`, when p ≤ n) or dual
/// (`w = Xcᵀ·(XcXcᵀ + λI)⁻¹·yc`) normal equations. Errors when the system is
/// singular (λ = 0 with collinear or too few samples).
pub fn fit_ridge(x: ArrayView2<'_, f64>, y: &[f64], lambda: f64) -> Result<Ridge> {
    check_xy(x, y)?;
    let (xc, yc, xm, ym) = center(x, y);
    let (n, p) = xc.dim();
    let singular = || Error::SingularSystem { lambda };
    let weights = if p <= n {
        let mut a = xc.t().dot(&xc);
        a.diag_mut().mapv_inplace(|d| d + lambda);
        cholesky_solve(&a, &xc.t().dot(&yc)).ok_or_else(singular)?
    } else {
        let mut a = xc.dot(&xc.t());
        a.diag_mut().mapv_inplace(|d| d + lambda);
        xc.t().dot(&cholesky_solve(&a, &yc).ok_or_else(singular)?)
    };
    let intercept = ym - xm.dot(&weights);
    Ok(Ridge { weights, intercept })
}

/// How leave-one-out predictions score a λ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LooCriterion {
    /// Mean squared leave-one-out residual (lower is better).
    Mse,
    /// Spearman ρ between leave-one-out predictions and targets (higher is
    /// better), ties broken by the MSE.
    Spearman,
}

/// The thin SVD of a centred design, from which ridge fits and their
/// leave-one-out residuals follow for any λ.
#[derive(Clone, Debug)]
pub struct RidgePath {
    /// `n × r` left singular vectors.
    u: Array2<f64>,
    /// `r` singular values (> 0).
    s: Array1<f64>,
    /// `p × r` right singular vectors.
    v: Array2<f64>,
    /// `Uᵀ·yc`.
    uty: Array1<f64>,
    xm: Array1<f64>,
    ym: f64,
    y: Vec<f64>,
}

impl RidgePath {
    /// Centres `x` and `y` and takes the thin SVD of the centred design, after which any λ's
    /// fit and leave-one-out residuals are cheap; errors on mismatched lengths, no rows or
    /// non-finite values.
    pub fn new(x: ArrayView2<'_, f64>, y: &[f64]) -> Result<Self> {
        check_xy(x, y)?;
        let (xc, yc, xm, ym) = center(x, y);
        let svd = SVD::new(to_nalgebra(xc.view()), true, true);
        let (Some(u_all), Some(vt_all)) = (&svd.u, &svd.v_t) else {
            unreachable!("both singular-vector sets were asked for")
        };
        let top = svd.singular_values.iter().copied().fold(0.0, f64::max);
        let keep: Vec<usize> = (0..svd.singular_values.len())
            .filter(|&k| {
                let s = svd.singular_values[k];
                s > RELATIVE_RANK_TOLERANCE * top && s > 0.0
            })
            .collect();
        let r = keep.len();
        let s = Array1::from_iter(keep.iter().map(|&k| svd.singular_values[k]));
        let u = Array2::from_shape_fn((xc.nrows(), r), |(i, c)| u_all[(i, keep[c])]);
        let v = Array2::from_shape_fn((xc.ncols(), r), |(j, c)| vt_all[(keep[c], j)]);
        let uty = u.t().dot(&yc);
        Ok(RidgePath {
            u,
            s,
            v,
            uty,
            xm,
            ym,
            y: y.to_vec(),
        })
    }

    /// Number of samples.
    pub fn n(&self) -> usize {
        self.y.len()
    }

    /// Mean squared singular value per sample: the natural unit of λ
    /// (λ = scale means the penalty weighs as much as an average direction).
    pub fn lambda_scale(&self) -> f64 {
        let total: f64 = self.s.iter().map(|s| s * s).sum();
        (total / self.n() as f64).max(1e-12)
    }

    /// The ridge fit at `lambda`.
    pub fn fit(&self, lambda: f64) -> Ridge {
        let coef = Array1::from_iter(
            self.s
                .iter()
                .zip(&self.uty)
                .map(|(s, uy)| s / (s * s + lambda) * uy),
        );
        let weights = self.v.dot(&coef);
        let intercept = self.ym - self.xm.dot(&weights);
        Ridge { weights, intercept }
    }

    /// Leave-one-out predictions at `lambda` (`None` when a sample's
    /// leverage is 1, as with λ = 0 and n ≤ p).
    pub fn loo_predictions(&self, lambda: f64) -> Option<Vec<f64>> {
        let n = self.n();
        let shrink: Vec<f64> = self.s.iter().map(|s| s * s / (s * s + lambda)).collect();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let mut fitted = self.ym;
            let mut h = 1.0 / n as f64;
            for (k, f) in shrink.iter().enumerate() {
                let uik = self.u[[i, k]];
                fitted += uik * f * self.uty[k];
                h += uik * uik * f;
            }
            let denom = 1.0 - h;
            if denom <= 1e-10 {
                return None;
            }
            let e = (self.y[i] - fitted) / denom;
            out.push(self.y[i] - e);
        }
        Some(out)
    }

    /// Mean squared leave-one-out residual at `lambda` (infinite when
    /// undefined).
    pub fn loo_mse(&self, lambda: f64) -> f64 {
        match self.loo_predictions(lambda) {
            Some(p) => {
                p.iter()
                    .zip(&self.y)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    / self.n() as f64
            }
            None => f64::INFINITY,
        }
    }

    /// Picks λ from `lambdas` by `criterion` and returns the fit.
    pub fn select(&self, lambdas: &[f64], criterion: LooCriterion) -> RidgeSelection {
        let mut scores = Vec::with_capacity(lambdas.len());
        let mut best: Option<(usize, (f64, f64))> = None;
        for (i, &lambda) in lambdas.iter().enumerate() {
            let preds = self.loo_predictions(lambda);
            let mse = preds.as_ref().map_or(f64::INFINITY, |p| {
                p.iter()
                    .zip(&self.y)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    / self.n() as f64
            });
            // Smaller key is better: (primary, tie-break).
            let key = match criterion {
                LooCriterion::Mse => (mse, 0.0),
                LooCriterion::Spearman => {
                    let rho = preds
                        .as_ref()
                        .and_then(|p| spearman(p, &self.y).ok())
                        .unwrap_or(-1.0);
                    // Round so that near-equal ρ fall to the MSE tie-break.
                    (-(rho * 1e6).round() / 1e6, mse)
                }
            };
            scores.push(key.0);
            let better = match best {
                None => true,
                Some((_, b)) => key.0 < b.0 || (key.0 == b.0 && key.1 < b.1),
            };
            if better && key.0.is_finite() {
                best = Some((i, key));
            }
        }
        let index = best.map_or(lambdas.len().saturating_sub(1), |(i, _)| i);
        let lambda = lambdas.get(index).copied().unwrap_or(1.0);
        RidgeSelection {
            ridge: self.fit(lambda),
            lambda,
            index,
            scores,
        }
    }
}

/// The outcome of choosing λ by leave-one-out.
#[derive(Clone, Debug)]
pub struct RidgeSelection {
    /// The fit at the chosen λ.
    pub ridge: Ridge,
    /// The chosen λ, in the design's absolute units (not relative to
    /// [`RidgePath::lambda_scale`]).
    pub lambda: f64,
    /// Position of `lambda` in the grid.
    pub index: usize,
    /// The criterion per grid λ (MSE, or −ρ), lower is better.
    pub scores: Vec<f64>,
}

/// `count` values spaced evenly in log from `lo` to `hi`.
pub fn log_grid(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if count <= 1 {
        return vec![lo];
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..count)
        .map(|i| (a + (b - a) * i as f64 / (count - 1) as f64).exp())
        .collect()
}

/// Ridge with λ chosen by leave-one-out among `relative_lambdas` ×
/// [`RidgePath::lambda_scale`].
pub fn fit_ridge_loo(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    relative_lambdas: &[f64],
    criterion: LooCriterion,
) -> Result<RidgeSelection> {
    let path = RidgePath::new(x, y)?;
    let scale = path.lambda_scale();
    let lambdas: Vec<f64> = relative_lambdas.iter().map(|l| l * scale).collect();
    Ok(path.select(&lambdas, criterion))
}

/// The default relative λ grid: 1e-4 … 1e3, 22 values.
pub fn default_relative_lambdas() -> Vec<f64> {
    log_grid(1e-4, 1e3, 22)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn two_variable_example_by_hand() {
        // x columns centred already: x1 = [1,-1,0,0], x2 = [0,0,1,-1] (means 0),
        // y = [3,1,4,0] (mean 2). XcᵀXc = 2I, Xcᵀyc = [2, 4].
        // w = [2,4]/(2+λ); λ = 2 → w = [0.5, 1.0], intercept 2.
        let x = array![[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]];
        let y = [3.0, 1.0, 4.0, 0.0];
        let r = fit_ridge(x.view(), &y, 2.0).unwrap();
        assert!((r.weights[0] - 0.5).abs() < 1e-12);
        assert!((r.weights[1] - 1.0).abs() < 1e-12);
        assert!((r.intercept - 2.0).abs() < 1e-12);
        // The SVD path gives the same fit.
        let p = RidgePath::new(x.view(), &y).unwrap().fit(2.0);
        assert!((&p.weights - &r.weights).iter().all(|d| d.abs() < 1e-12));
        assert!((p.intercept - 2.0).abs() < 1e-12);
        // Shifted columns: only the intercept changes (it is unpenalised).
        let shifted = &x + &array![[10.0, -5.0]];
        let r2 = fit_ridge(shifted.view(), &y, 2.0).unwrap();
        assert!((&r2.weights - &r.weights).iter().all(|d| d.abs() < 1e-10));
        assert!((r2.intercept - (2.0 - 10.0 * 0.5 + 5.0)).abs() < 1e-10);
    }

    #[test]
    fn primal_dual_and_path_agree() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for &(n, p) in &[(12usize, 4usize), (5, 30)] {
            let x = Array2::from_shape_fn((n, p), |_| rng.random_range(-1.0..1.0));
            let y: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let direct = fit_ridge(x.view(), &y, 0.3).unwrap();
            let path = RidgePath::new(x.view(), &y).unwrap().fit(0.3);
            for (a, b) in direct.weights.iter().zip(&path.weights) {
                assert!((a - b).abs() < 1e-9, "{n}x{p}: {a} vs {b}");
            }
            assert!((direct.intercept - path.intercept).abs() < 1e-9);
        }
    }

    #[test]
    fn loo_shortcut_matches_refitting() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (n, p) = (8, 3);
        let x = Array2::from_shape_fn((n, p), |_| rng.random_range(-1.0..1.0));
        let y: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let lambda = 0.7;
        let fast = RidgePath::new(x.view(), &y)
            .unwrap()
            .loo_predictions(lambda)
            .unwrap();
        for (i, &loo) in fast.iter().enumerate() {
            let rows: Vec<usize> = (0..n).filter(|&r| r != i).collect();
            let xi = x.select(Axis(0), &rows);
            let yi: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
            let r = fit_ridge(xi.view(), &yi, lambda).unwrap();
            let pred = r.predict_row(x.row(i));
            assert!((pred - loo).abs() < 1e-9, "{i}: {pred} vs {loo}");
        }
    }

    #[test]
    fn loo_picks_small_lambda_for_clean_data_and_large_for_noise() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (n, p) = (30, 5);
        let x = Array2::from_shape_fn((n, p), |_| rng.random_range(-1.0..1.0));
        let w = array![1.0, -2.0, 0.5, 3.0, 1.5];
        let clean: Vec<f64> = x
            .dot(&w)
            .iter()
            .map(|v| v + 0.01 * rng.random_range(-1.0..1.0))
            .collect();
        let noise: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let grid = default_relative_lambdas();
        let a = fit_ridge_loo(x.view(), &clean, &grid, LooCriterion::Mse).unwrap();
        let b = fit_ridge_loo(x.view(), &noise, &grid, LooCriterion::Mse).unwrap();
        assert!(a.index <= 4, "clean data chose grid[{}]", a.index);
        // Pure noise must be shrunk far harder: at least 8 grid steps
        // (more than two decades of λ) above the clean fit.
        assert!(
            b.index >= a.index + 8,
            "pure noise chose grid[{}], clean data grid[{}]",
            b.index,
            a.index
        );
        assert!(a.lambda < b.lambda);
        // Clean data: the chosen fit recovers the weights.
        for (g, t) in a.ridge.weights.iter().zip(&w) {
            assert!((g - t).abs() < 0.05, "{} vs {w}", a.ridge.weights);
        }
        let s = fit_ridge_loo(x.view(), &clean, &grid, LooCriterion::Spearman).unwrap();
        assert!(s.index <= 10, "spearman chose grid[{}]", s.index);
    }
}
