//! Small dense linear algebra on `f64`, written by hand (no BLAS, builds for
//! wasm32): Cholesky factorisation and solve, and the symmetric eigen
//! decomposition by cyclic Jacobi rotations. Meant for the few-dozen-sized
//! systems of few-shot ridge regression, not for large problems.

use ndarray::{Array1, Array2};

/// Lower-triangular `L` with `L·Lᵀ = a`, or `None` when `a` is not
/// (numerically) symmetric positive definite. Only the lower triangle of `a`
/// is read.
pub fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "cholesky of a non-square matrix");
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        if !(d > 0.0 && d.is_finite()) {
            return None;
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }
    Some(l)
}

/// Solves `a·x = b` for symmetric positive definite `a` by Cholesky; `None`
/// when `a` is not positive definite.
pub fn cholesky_solve(a: &Array2<f64>, b: &Array1<f64>) -> Option<Array1<f64>> {
    let l = cholesky(a)?;
    let n = l.nrows();
    assert_eq!(b.len(), n, "right-hand side length");
    // Forward: L·z = b.
    let mut z = Array1::<f64>::zeros(n);
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[[i, k]] * z[k];
        }
        z[i] = s / l[[i, i]];
    }
    // Backward: Lᵀ·x = z.
    let mut x = Array1::<f64>::zeros(n);
    for i in (0..n).rev() {
        let mut s = z[i];
        for k in i + 1..n {
            s -= l[[k, i]] * x[k];
        }
        x[i] = s / l[[i, i]];
    }
    Some(x)
}

/// Eigen decomposition of a symmetric matrix: `(values, vectors)` with
/// `a = V·diag(values)·Vᵀ`, eigenvectors in the columns of `V`, values in
/// decreasing order. Cyclic Jacobi: accurate, O(n³) per sweep, fine for
/// n up to a few hundred.
pub fn sym_eigen(a: &Array2<f64>) -> (Array1<f64>, Array2<f64>) {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "eigen decomposition of a non-square matrix");
    let mut m = a.clone();
    // Symmetrise (callers pass Gram matrices that are symmetric up to rounding).
    for i in 0..n {
        for j in 0..i {
            let s = 0.5 * (m[[i, j]] + m[[j, i]]);
            m[[i, j]] = s;
            m[[j, i]] = s;
        }
    }
    let mut v = Array2::<f64>::eye(n);
    let scale: f64 = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[[i, j]] * m[[i, j]])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[[p, q]];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let (app, aqq) = (m[[p, p]], m[[q, q]]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[[k, p]], m[[k, q]]);
                    m[[k, p]] = c * mkp - s * mkq;
                    m[[k, q]] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[[p, k]], m[[q, k]]);
                    m[[p, k]] = c * mpk - s * mqk;
                    m[[q, k]] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[[j, j]].total_cmp(&m[[i, i]]));
    let values = Array1::from_iter(order.iter().map(|&i| m[[i, i]]));
    let vectors = Array2::from_shape_fn((n, n), |(r, c)| v[[r, order[c]]]);
    (values, vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cholesky_solves_a_known_system() {
        let a = array![[4.0, 2.0, 0.4], [2.0, 5.0, 1.0], [0.4, 1.0, 3.0]];
        let x = array![1.0, -2.0, 0.5];
        let b = a.dot(&x);
        let got = cholesky_solve(&a, &b).unwrap();
        for (g, w) in got.iter().zip(&x) {
            assert!((g - w).abs() < 1e-12, "{got} vs {x}");
        }
        assert!(cholesky(&array![[1.0, 2.0], [2.0, 1.0]]).is_none());
    }

    #[test]
    fn jacobi_eigen_reconstructs() {
        let a = array![
            [4.0, 1.0, -2.0, 0.5],
            [1.0, 3.0, 0.0, 1.0],
            [-2.0, 0.0, 5.0, 0.3],
            [0.5, 1.0, 0.3, 1.0]
        ];
        let (w, v) = sym_eigen(&a);
        assert!(w.windows(2).into_iter().all(|p| p[0] >= p[1]));
        let back = v.dot(&Array2::from_diag(&w)).dot(&v.t());
        for (x, y) in back.iter().zip(a.iter()) {
            assert!((x - y).abs() < 1e-10);
        }
        let vtv = v.t().dot(&v);
        for ((i, j), x) in vtv.indexed_iter() {
            assert!((x - if i == j { 1.0 } else { 0.0 }).abs() < 1e-10);
        }
    }
}
