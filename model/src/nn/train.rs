//! Mini-batch training of an [`Mlp`]: AdamW, masked MSE on (standardised)
//! targets, optionally mixed with a pairwise logistic ranking loss, cosine
//! learning-rate decay, early stopping on a held-out split. Seeded and
//! reproducible.

use super::backprop::{backward, MlpGrads};
use super::dense::Mlp;
use super::loss::{masked_mse, pairwise_logistic};
use super::train_config::{TrainConfig, TrainReport};
use super::training_loop::{run_training, shuffled_batches, TrainingJob};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The training objective on one batch and its gradients:
/// `mse + rank_weight · ranking`.
pub fn loss_and_grads(
    mlp: &Mlp,
    x: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
    cfg: &TrainConfig,
) -> (f32, MlpGrads) {
    let acts = mlp.forward_all(x);
    let pred = acts.last().expect("forward_all is never empty");
    let (mut loss, mut grad) = masked_mse(pred.view(), y);
    if cfg.rank_weight > 0.0 {
        let (rl, rg) = pairwise_logistic(pred.view(), y, cfg.rank_scale, cfg.rank_margin);
        loss += cfg.rank_weight * rl;
        grad.scaled_add(cfg.rank_weight, &rg);
    }
    (loss, backward(mlp, &acts, grad))
}

/// Masked MSE of `mlp` on `(x, y)`, evaluated in chunks.
pub fn evaluate_mse(mlp: &Mlp, x: ArrayView2<'_, f32>, y: ArrayView2<'_, f32>) -> f32 {
    let mut sum = 0.0f64;
    let mut count = 0usize;
    let chunk = 2048;
    let mut start = 0;
    while start < x.nrows() {
        let end = (start + chunk).min(x.nrows());
        let pred = mlp.forward(x.slice(ndarray::s![start..end, ..]));
        for (&p, &t) in pred.iter().zip(y.slice(ndarray::s![start..end, ..]).iter()) {
            if !t.is_nan() {
                sum += ((p - t) as f64).powi(2);
                count += 1;
            }
        }
        start = end;
    }
    if count == 0 {
        0.0
    } else {
        (sum / count as f64) as f32
    }
}

/// Rejects a NaN or infinite input (`x`) and an infinite target (`y`,
/// where NaN marks a missing target), naming the first such value.
pub(crate) fn check_finite(
    context: &str,
    x: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
) -> Result<()> {
    let bad = |what, value: f32| {
        Err(Error::NonFinite {
            context: context.into(),
            what,
            value: value.into(),
        })
    };
    if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
        return bad("input", v);
    }
    if let Some(&v) = y.iter().find(|v| v.is_infinite()) {
        return bad("target", v);
    }
    Ok(())
}

/// Rejects a batch size of 0.
pub(crate) fn check_batch_size(context: &str, batch_size: usize) -> Result<()> {
    if batch_size == 0 {
        return Err(Error::InvalidConfig {
            context: context.into(),
            field: "batch_size",
            value: "0".into(),
            reason: "must be at least 1",
        });
    }
    Ok(())
}

/// Trains `mlp` in place on inputs `x` (rows) and targets `y` (one column
/// per output, NaN where missing).
pub fn train_mlp(
    mlp: &mut Mlp,
    x: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
    cfg: &TrainConfig,
) -> Result<TrainReport> {
    let mismatch = |got, got_what, expected, expected_what| Error::CountMismatch {
        context: "train_mlp".into(),
        got,
        got_what,
        expected,
        expected_what,
    };
    if y.nrows() != x.nrows() {
        return Err(mismatch(y.nrows(), "target rows", x.nrows(), "input rows"));
    }
    if x.ncols() != mlp.inputs() {
        return Err(mismatch(
            x.ncols(),
            "input columns",
            mlp.inputs(),
            "MLP inputs",
        ));
    }
    if y.ncols() != mlp.outputs() {
        return Err(mismatch(
            y.ncols(),
            "target columns",
            mlp.outputs(),
            "MLP outputs",
        ));
    }
    check_finite("train_mlp", x, y)?;
    if x.nrows() == 0 {
        return Err(Error::Empty {
            context: "train_mlp".into(),
            what: "row",
        });
    }
    check_batch_size("train_mlp", cfg.batch_size)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut rows: Vec<usize> = (0..x.nrows()).collect();
    rows.shuffle(&mut rng);
    let n_val = ((x.nrows() as f32) * cfg.validation_fraction.clamp(0.0, 0.9)) as usize;
    let (val_rows, train_rows) = rows.split_at(n_val);
    let mut job = RowsJob {
        x,
        y,
        train_rows: train_rows.to_vec(),
        validation: (n_val > 0).then(|| (x.select(Axis(0), val_rows), y.select(Axis(0), val_rows))),
        cfg,
    };
    Ok(run_training(mlp, &mut job, &mut rng, cfg))
}

/// Plain supervised rows: batches of shuffled training rows, and the
/// held-out rows (if any) for early stopping.
struct RowsJob<'a> {
    x: ArrayView2<'a, f32>,
    y: ArrayView2<'a, f32>,
    train_rows: Vec<usize>,
    validation: Option<(Array2<f32>, Array2<f32>)>,
    cfg: &'a TrainConfig,
}

impl TrainingJob<Mlp> for RowsJob<'_> {
    type Batch = Vec<usize>;

    fn epoch_batches(&mut self, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
        shuffled_batches(&mut self.train_rows, self.cfg.batch_size, rng)
    }

    fn batches_per_epoch(&self) -> usize {
        self.train_rows.len().div_ceil(self.cfg.batch_size)
    }

    fn batch_rows(batch: &Vec<usize>) -> usize {
        batch.len()
    }

    fn loss_and_grads(&self, mlp: &Mlp, batch: &Vec<usize>) -> (f32, MlpGrads) {
        let xb = self.x.select(Axis(0), batch);
        let yb = self.y.select(Axis(0), batch);
        loss_and_grads(mlp, xb.view(), yb.view(), self.cfg)
    }

    fn validation_mse(&self, mlp: &Mlp) -> Option<f32> {
        let (xv, yv) = self.validation.as_ref()?;
        Some(evaluate_mse(mlp, xv.view(), yv.view()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::Rng;

    fn matrix(n: usize, d: usize, f: impl FnMut((usize, usize)) -> f32) -> Array2<f32> {
        Array2::from_shape_fn((n, d), f)
    }

    fn max_rel_err(mlp: &Mlp, x: &Array2<f32>, y: &Array2<f32>, cfg: &TrainConfig) -> f64 {
        // Finite differences in f64 via a widened copy would need an f64 MLP;
        // central differences in f32 with a moderate step are accurate enough
        // to catch a wrong formula (errors of 1e-2 relative and up).
        let (_, grads) = loss_and_grads(mlp, x.view(), y.view(), cfg);
        let h = 1e-2f32;
        let mut worst = 0.0f64;
        for li in 0..mlp.layers.len() {
            let (rows, cols) = mlp.layers[li].weight.dim();
            let mut check = |get: &dyn Fn(&mut Mlp) -> &mut f32, analytic: f32| {
                let mut plus = mlp.clone();
                *get(&mut plus) += h;
                let mut minus = mlp.clone();
                *get(&mut minus) -= h;
                let lp = loss_and_grads(&plus, x.view(), y.view(), cfg).0 as f64;
                let lm = loss_and_grads(&minus, x.view(), y.view(), cfg).0 as f64;
                let numeric = (lp - lm) / (2.0 * h as f64);
                let err = (numeric - analytic as f64).abs()
                    / (numeric.abs() + analytic.abs() as f64).max(1e-2);
                worst = worst.max(err);
            };
            for r in 0..rows {
                for c in 0..cols {
                    check(
                        &|m: &mut Mlp| &mut m.layers[li].weight[[r, c]],
                        grads.layers[li].0[[r, c]],
                    );
                }
            }
            for c in 0..cols {
                check(
                    &|m: &mut Mlp| &mut m.layers[li].bias[c],
                    grads.layers[li].1[c],
                );
            }
        }
        worst
    }

    fn toy(n: usize, d_in: usize, d_out: usize, seed: u64) -> (Array2<f32>, Array2<f32>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = matrix(n, d_in, |_| rng.random_range(-1.0..1.0));
        let mut y = matrix(n, d_out, |(i, j)| {
            (x[[i, 0]] * (j as f32 + 1.0)).sin() + x[[i, 1 % d_in]] * x[[i, 0]]
        });
        y[[1, 0]] = f32::NAN;
        y[[3, d_out - 1]] = f32::NAN;
        (x, y)
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (x, y) = toy(7, 3, 2, 1);
        let mut mlp = Mlp::new(&[3, 5, 4, 2], 9);
        // Non-zero biases so every parameter matters; keep ReLU kinks away.
        for l in &mut mlp.layers {
            l.bias
                .iter_mut()
                .enumerate()
                .for_each(|(i, b)| *b = 0.1 * i as f32 - 0.05);
        }
        let mse = TrainConfig::default();
        assert!(max_rel_err(&mlp, &x, &y, &mse) < 2e-2);
        let ranked = TrainConfig {
            rank_weight: 0.7,
            rank_scale: 2.0,
            ..TrainConfig::default()
        };
        assert!(max_rel_err(&mlp, &x, &y, &ranked) < 2e-2);
    }

    #[test]
    fn training_fits_a_smooth_function_and_is_seeded() {
        let (x, y) = toy(200, 3, 2, 2);
        let cfg = TrainConfig {
            epochs: 80,
            batch_size: 32,
            learning_rate: 3e-3,
            rank_weight: 0.2,
            seed: 5,
            ..TrainConfig::default()
        };
        let mut a = Mlp::new(&[3, 32, 2], 1);
        let before = evaluate_mse(&a, x.view(), y.view());
        let report = train_mlp(&mut a, x.view(), y.view(), &cfg).unwrap();
        let after = evaluate_mse(&a, x.view(), y.view());
        assert!(after < 0.1 * before, "{before} → {after}");
        assert_eq!(report.epochs_run, 80);
        let mut b = Mlp::new(&[3, 32, 2], 1);
        train_mlp(&mut b, x.view(), y.view(), &cfg).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn early_stopping_keeps_the_best_epoch() {
        let (x, y) = toy(100, 3, 2, 3);
        let cfg = TrainConfig {
            epochs: 300,
            batch_size: 16,
            learning_rate: 1e-2,
            validation_fraction: 0.3,
            patience: 5,
            cosine_decay: false,
            ..TrainConfig::default()
        };
        let mut m = Mlp::new(&[3, 16, 2], 1);
        let r = train_mlp(&mut m, x.view(), y.view(), &cfg).unwrap();
        assert!(r.epochs_run < 300);
        let best = r.val_mse[r.best_epoch - 1];
        assert!(r.val_mse.iter().all(|&v| v >= best));
    }
}
