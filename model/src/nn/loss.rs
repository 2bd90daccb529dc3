//! Losses on multi-output predictions with missing targets (NaN cells).
//!
//! Each returns the loss and its gradient with respect to the predictions.

use ndarray::{Array2, ArrayView2, Axis};

/// Mean squared error over the cells whose target is not NaN.
pub fn masked_mse(pred: ArrayView2<'_, f32>, target: ArrayView2<'_, f32>) -> (f32, Array2<f32>) {
    assert_eq!(pred.dim(), target.dim(), "prediction and target shapes");
    let mut grad = Array2::<f32>::zeros(pred.raw_dim());
    let mut count = 0usize;
    let mut sum = 0.0f64;
    for ((g, &p), &t) in grad.iter_mut().zip(pred.iter()).zip(target.iter()) {
        if !t.is_nan() {
            let d = p - t;
            sum += (d as f64) * (d as f64);
            *g = d;
            count += 1;
        }
    }
    if count == 0 {
        return (0.0, grad);
    }
    let scale = 2.0 / count as f32;
    grad.mapv_inplace(|g| g * scale);
    ((sum / count as f64) as f32, grad)
}

/// Pairwise logistic ranking loss, per output column: over all pairs (i, j)
/// of rows with both targets present and `t_i > t_j + margin`, the mean of
/// `ln(1 + exp(−scale·(p_i − p_j)))`. Pairs whose targets are within
/// `margin` (ties, noise) are skipped.
pub fn pairwise_logistic(
    pred: ArrayView2<'_, f32>,
    target: ArrayView2<'_, f32>,
    scale: f32,
    margin: f32,
) -> (f32, Array2<f32>) {
    assert_eq!(pred.dim(), target.dim(), "prediction and target shapes");
    let mut grad = Array2::<f32>::zeros(pred.raw_dim());
    let mut pairs = 0usize;
    let mut sum = 0.0f64;
    for (d, (pc, tc)) in pred
        .axis_iter(Axis(1))
        .zip(target.axis_iter(Axis(1)))
        .enumerate()
    {
        let rows: Vec<usize> = (0..tc.len()).filter(|&i| !tc[i].is_nan()).collect();
        for (a, &i) in rows.iter().enumerate() {
            for &j in &rows[a + 1..] {
                let dt = tc[i] - tc[j];
                if dt.abs() <= margin {
                    continue;
                }
                let (hi, lo) = if dt > 0.0 { (i, j) } else { (j, i) };
                let z = scale * (pc[hi] - pc[lo]);
                // ln(1 + e^{−z}), stable; its derivative in z is −σ(−z).
                let loss = if z > 0.0 {
                    (-z).exp().ln_1p()
                } else {
                    -z + z.exp().ln_1p()
                };
                sum += loss as f64;
                let sig = 1.0 / (1.0 + z.exp());
                grad[[hi, d]] -= scale * sig;
                grad[[lo, d]] += scale * sig;
                pairs += 1;
            }
        }
    }
    if pairs == 0 {
        return (0.0, grad);
    }
    let inv = 1.0 / pairs as f32;
    grad.mapv_inplace(|g| g * inv);
    ((sum / pairs as f64) as f32, grad)
}
