//! Per-column standardisation (z-scores) that ignores missing (NaN) cells.

use ndarray::{Array2, ArrayView2, Axis};

/// Column means and standard deviations; `transform` maps a column to mean 0,
/// standard deviation 1. Constant (or empty) columns get std 1, so they map
/// to 0 instead of dividing by zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    /// Per-column mean of the data the standardiser was fitted on.
    pub mean: Vec<f64>,
    /// Per-column standard deviation, always positive (1 for constant columns).
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Fits on the rows of `x`, skipping NaN cells.
    pub fn fit(x: ArrayView2<'_, f32>) -> Self {
        let mut mean = Vec::with_capacity(x.ncols());
        let mut std = Vec::with_capacity(x.ncols());
        for col in x.axis_iter(Axis(1)) {
            let vals: Vec<f64> = col
                .iter()
                .filter(|v| !v.is_nan())
                .map(|&v| v as f64)
                .collect();
            let n = vals.len().max(1) as f64;
            let m = vals.iter().sum::<f64>() / n;
            let var = vals.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
            let s = var.sqrt();
            mean.push(m);
            std.push(if s > 1e-12 { s } else { 1.0 });
        }
        Standardizer { mean, std }
    }

    /// The identity on `n` columns.
    pub fn identity(n: usize) -> Self {
        Standardizer {
            mean: vec![0.0; n],
            std: vec![1.0; n],
        }
    }

    /// Number of columns standardised.
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// True when it standardises no columns.
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// `(x − mean) / std`, column-wise; NaN stays NaN.
    pub fn transform(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        assert_eq!(x.ncols(), self.len(), "standardizer width");
        let mut out = x.to_owned();
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            let (m, s) = (self.mean[j], self.std[j]);
            col.mapv_inplace(|v| ((v as f64 - m) / s) as f32);
        }
        out
    }

    /// `z · std + mean` for one value of column `j`.
    pub fn inverse_one(&self, j: usize, z: f64) -> f64 {
        z * self.std[j] + self.mean[j]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standardises_and_skips_nan() {
        let x = array![[1.0f32, 5.0, f32::NAN], [3.0, 5.0, 2.0], [5.0, 5.0, 4.0]];
        let s = Standardizer::fit(x.view());
        assert_eq!(s.mean, vec![3.0, 5.0, 3.0]);
        assert!((s.std[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.std[1], 1.0);
        assert_eq!(s.std[2], 1.0);
        let z = s.transform(x.view());
        assert!(z[[0, 2]].is_nan());
        assert_eq!(z[[1, 1]], 0.0);
        assert!((s.inverse_one(0, z[[2, 0]] as f64) - 5.0).abs() < 1e-6);
    }
}
