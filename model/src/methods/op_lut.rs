//! Operator-level latency lookup tables (the One-Proxy-Device paper's
//! baseline): `latency_ms = bias + Σ_positions table[position, op]`, linear
//! in milliseconds because latencies of layers run one after another add up.
//!
//! * `op-lut`: the table fitted on the K target samples only (ridge on
//!   `onehot-v1`, λ by leave-one-out).
//! * `op-lut-transfer`: a table fitted on all the data of each training
//!   device; for the target, the one that ranks the samples best, adapted
//!   per operator type ([`OpLut::adapt`]).
//!
//! [`OpLut::fit_table_column`] and [`OpLut::adapt`] are the public API the
//! proxy-device analysis builds on.

use super::{check_samples, spearman_or};
use crate::adapt::{fit_line, latency_floor};
use crate::error::{Error, Result};
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use crate::ridge::{default_relative_lambdas, fit_ridge_loo, log_grid, LooCriterion, RidgePath};
use crate::structure::{onehot_matrix, ops_per_position};
use latscope_shared::dataset::LatencyTable;
use latscope_shared::metrics::pearson;
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

/// An operator-level lookup table.
#[derive(Clone, Debug, PartialEq)]
pub struct OpLut {
    /// Latency (ms) not attributed to any searchable choice.
    pub bias: f64,
    /// `positions × ops`: the cost (ms) of each choice at each position.
    /// After fitting, the cheapest choice of each position costs 0 (the
    /// one-hot columns of a position sum to 1, so only differences within a
    /// position are identifiable; this gauge makes entries "extra cost over
    /// the cheapest choice", which is what per-operator scaling should
    /// scale).
    pub table: Array2<f64>,
}

/// Settings of [`OpLut::adapt`].
#[derive(Clone, Debug, PartialEq)]
pub struct LutAdaptConfig {
    /// λ grid (relative to the design's scale) for the per-operator scales;
    /// a huge λ ("keep the global line only") is always added.
    pub relative_lambdas: Vec<f64>,
    /// How leave-one-out picks λ: [`LooCriterion::Mse`] (squared ms residuals) or
    /// [`LooCriterion::Spearman`] (ranking of the left-out samples).
    pub criterion: LooCriterion,
}

impl Default for LutAdaptConfig {
    /// λ from 1 to 1000 times the design's scale: with K ≤ 20 samples and 5
    /// to 9 operator scales, weaker penalties let the scales chase noise
    /// (leave-one-out on so few samples does not always catch it); on F0
    /// with K = 10 the grid from 1e-4 lost 0.05 of mean ρ to occasional
    /// collapses.
    fn default() -> Self {
        LutAdaptConfig {
            relative_lambdas: log_grid(1.0, 1e3, 7),
            criterion: LooCriterion::Mse,
        }
    }
}

impl OpLut {
    /// Searchable positions of the architecture: the table's rows.
    pub fn positions(&self) -> usize {
        self.table.nrows()
    }

    /// Operation choices per position: the table's columns.
    pub fn ops(&self) -> usize {
        self.table.ncols()
    }

    /// Fits `ms ≈ bias + onehot·table` by ridge, λ by leave-one-out among
    /// `relative_lambdas`; `onehot` has `positions × ops` columns.
    pub fn fit(
        onehot: ArrayView2<'_, f64>,
        ms: &[f64],
        ops: usize,
        relative_lambdas: &[f64],
        criterion: LooCriterion,
    ) -> Result<OpLut> {
        if ops == 0 || !onehot.ncols().is_multiple_of(ops) {
            return Err(Error::OneHotWidth {
                context: "op-lut",
                columns: onehot.ncols(),
                ops,
            });
        }
        let fit = fit_ridge_loo(onehot, ms, relative_lambdas, criterion)?.ridge;
        let table = Array2::from_shape_vec((onehot.ncols() / ops, ops), fit.weights.to_vec())
            .expect("divisible");
        Ok(OpLut {
            bias: fit.intercept,
            table,
        }
        .regauged())
    }

    /// Fits the table of one device of `table` on all its measured
    /// architectures (`onehot` rows in the table's architecture order).
    pub fn fit_table_column(
        table: &LatencyTable,
        device: usize,
        onehot: ArrayView2<'_, f64>,
    ) -> Result<OpLut> {
        if onehot.nrows() != table.n_archs() {
            return Err(Error::CountMismatch {
                context: "op-lut".into(),
                got: onehot.nrows(),
                got_what: "one-hot rows",
                expected: table.n_archs(),
                expected_what: "architectures",
            });
        }
        if device >= table.n_devices() {
            return Err(Error::IndexOutOfRange {
                context: "op-lut".into(),
                what: "device",
                index: device,
                len: table.n_devices(),
            });
        }
        let (rows, ms): (Vec<usize>, Vec<f64>) = table.measured(device).unzip();
        if rows.len() < 2 {
            return Err(Error::TooFew {
                context: format!("op-lut: device {}", table.devices()[device]),
                what: "measurements",
                got: rows.len(),
                need: 2,
            });
        }
        // Thousands of samples: the fit is nearly unregularised, the small
        // grid only guards against collinear positions.
        Self::fit(
            onehot.select(Axis(0), &rows).view(),
            &ms,
            ops_per_position(table.space()),
            &log_grid(1e-8, 1e-2, 4),
            LooCriterion::Mse,
        )
    }

    /// Moves each position's cheapest entry into the bias (predictions are
    /// unchanged).
    fn regauged(mut self) -> OpLut {
        for mut row in self.table.rows_mut() {
            let min = row.iter().copied().fold(f64::INFINITY, f64::min);
            row.mapv_inplace(|v| v - min);
            self.bias += min;
        }
        self
    }

    /// Predicted ms of one `onehot-v1` row.
    pub fn predict_row(&self, onehot: ArrayView1<'_, f64>) -> f64 {
        self.bias
            + onehot
                .iter()
                .zip(self.table.iter())
                .map(|(x, t)| x * t)
                .sum::<f64>()
    }

    /// Predicted ms of each `onehot-v1` row.
    pub fn predict(&self, onehot: ArrayView2<'_, f64>) -> Vec<f64> {
        onehot
            .rows()
            .into_iter()
            .map(|r| self.predict_row(r))
            .collect()
    }

    /// Per row, the table's ms attributed to each op type (summed over
    /// positions): `rows × ops`.
    fn op_contributions(&self, onehot: ArrayView2<'_, f64>) -> Array2<f64> {
        let ops = self.ops();
        Array2::from_shape_fn((onehot.nrows(), ops), |(r, o)| {
            (0..self.positions())
                .map(|p| onehot[[r, p * ops + o]] * self.table[[p, o]])
                .sum()
        })
    }

    /// Adapts the table to a new device from measured `ms` of the `onehot`
    /// rows: first a line `a + b·lut` (device speed and fixed overhead),
    /// then one scale per operator type `b·(1 + δ_op)` with a ridge penalty
    /// `λ·Σδ²` pulling each toward the global scale, fitted in closed form
    /// on the line's residuals, λ by leave-one-out (a huge λ keeps the line
    /// alone). Returns the adapted table.
    pub fn adapt(
        &self,
        onehot: ArrayView2<'_, f64>,
        ms: &[f64],
        config: &LutAdaptConfig,
    ) -> Result<OpLut> {
        if onehot.nrows() != ms.len() {
            return Err(Error::CountMismatch {
                context: "op-lut adapt".into(),
                got: onehot.nrows(),
                got_what: "rows",
                expected: ms.len(),
                expected_what: "latencies",
            });
        }
        if ms.is_empty() {
            return Err(Error::Empty {
                context: "op-lut adapt".into(),
                what: "latency",
            });
        }
        let base = self.predict(onehot);
        let (mut a, mut b) = fit_line(&base, ms);
        if b <= 0.0 {
            // A table that does not even order the samples: keep its shape,
            // match the mean.
            let mean_base = base.iter().sum::<f64>() / base.len() as f64;
            let mean_y = ms.iter().sum::<f64>() / ms.len() as f64;
            b = if mean_base > 0.0 {
                mean_y / mean_base
            } else {
                1.0
            };
            a = 0.0;
        }
        let mut adapted = OpLut {
            bias: a + b * self.bias,
            table: self.table.mapv(|t| b * t),
        };
        if ms.len() < 3 {
            return Ok(adapted);
        }
        let z = adapted.op_contributions(onehot);
        let resid: Vec<f64> = ms.iter().zip(&base).map(|(y, p)| y - (a + b * p)).collect();
        let path = RidgePath::new(z.view(), &resid)?;
        let scale = path.lambda_scale();
        let mut lambdas: Vec<f64> = config.relative_lambdas.iter().map(|l| l * scale).collect();
        lambdas.push(1e8 * scale);
        let fit = path.select(&lambdas, config.criterion).ridge;
        for (o, delta) in fit.weights.iter().enumerate() {
            adapted
                .table
                .column_mut(o)
                .mapv_inplace(|t| t * (1.0 + delta));
        }
        adapted.bias += fit.intercept;
        Ok(adapted)
    }
}

/// Predictions raised to [`latency_floor`]: a linear model can go negative,
/// a latency cannot.
fn floored(pred: Vec<f64>, samples: &[(usize, f64)]) -> Vec<f64> {
    let floor = latency_floor(samples.iter().map(|s| s.1));
    pred.into_iter().map(|p| p.max(floor)).collect()
}

/// `op-lut`: the lookup table fitted on the K target samples only.
#[derive(Clone, Copy, Debug)]
pub struct OpLutMethod {
    /// How leave-one-out picks the ridge's λ on the K samples (the `-rho` variant of the name
    /// ranks by Spearman ρ).
    pub criterion: LooCriterion,
}

impl Default for OpLutMethod {
    fn default() -> Self {
        OpLutMethod {
            criterion: LooCriterion::Mse,
        }
    }
}

struct OpLutModel {
    onehot: Array2<f64>,
    ops: usize,
    criterion: LooCriterion,
}

impl FewShotMethod for OpLutMethod {
    fn name(&self) -> String {
        "op-lut".into()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        Ok(Box::new(OpLutModel {
            onehot: onehot_matrix(ctx.archs)?,
            ops: ops_per_position(ctx.space),
            criterion: self.criterion,
        }))
    }
}

impl PretrainedModel for OpLutModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        check_samples(samples, query, self.onehot.nrows())?;
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let ms: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let lut = OpLut::fit(
            self.onehot.select(Axis(0), &rows).view(),
            &ms,
            self.ops,
            &default_relative_lambdas(),
            self.criterion,
        )?;
        let pred = lut.predict(self.onehot.select(Axis(0), query).view());
        Ok(floored(pred, samples))
    }
}

/// `op-lut-transfer`: the best-ranking training device's lookup table,
/// adapted per operator type.
#[derive(Clone, Debug, Default)]
pub struct OpLutTransfer {
    /// How the chosen training device's table is adapted to the target.
    pub adapt: LutAdaptConfig,
}

/// Lookup tables of every training device, ready to transfer.
#[derive(Clone, Debug)]
pub struct OpLutTransferModel {
    /// Names of the training devices, one per table in [`Self::luts`].
    pub devices: Vec<String>,
    /// Each training device's table, fitted on all of its architectures.
    pub luts: Vec<OpLut>,
    /// `onehot-v1` of the task's architectures.
    pub onehot: Array2<f64>,
    /// How the best-ranking table is adapted to the target's samples.
    pub adapt: LutAdaptConfig,
}

impl OpLutTransfer {
    /// Fits one lookup table per training device on all its architectures; errors when there is
    /// no training device or the table's architectures are not the context's.
    pub fn pretrain_model(&self, ctx: &PretrainContext<'_>) -> Result<OpLutTransferModel> {
        if ctx.train.n_devices() == 0 {
            return Err(Error::Empty {
                context: "op-lut-transfer".into(),
                what: "training device",
            });
        }
        if ctx.train.n_archs() != ctx.archs.len() {
            return Err(Error::TableArchsDiffer {
                method: "op-lut-transfer",
            });
        }
        let onehot = onehot_matrix(ctx.archs)?;
        let luts = (0..ctx.train.n_devices())
            .map(|d| OpLut::fit_table_column(ctx.train, d, onehot.view()))
            .collect::<Result<Vec<_>>>()?;
        Ok(OpLutTransferModel {
            devices: ctx.train.devices().to_vec(),
            luts,
            onehot,
            adapt: self.adapt.clone(),
        })
    }
}

impl FewShotMethod for OpLutTransfer {
    fn name(&self) -> String {
        match self.adapt.criterion {
            LooCriterion::Mse => "op-lut-transfer".into(),
            LooCriterion::Spearman => "op-lut-transfer-rho".into(),
        }
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        Ok(Box::new(self.pretrain_model(ctx)?))
    }
}

impl OpLutTransferModel {
    /// Index of the training table whose predictions rank the samples best
    /// (Spearman, ties broken by Pearson).
    pub fn best_lut(&self, onehot: ArrayView2<'_, f64>, ms: &[f64]) -> usize {
        let mut best = (f64::NEG_INFINITY, f64::NEG_INFINITY, 0);
        for (d, lut) in self.luts.iter().enumerate() {
            let p = lut.predict(onehot);
            let rho = spearman_or(&p, ms, -1.0);
            let r = pearson(&p, ms).unwrap_or(-1.0);
            if rho > best.0 || (rho == best.0 && r > best.1) {
                best = (rho, r, d);
            }
        }
        best.2
    }
}

impl PretrainedModel for OpLutTransferModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        check_samples(samples, query, self.onehot.nrows())?;
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let ms: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let xs = self.onehot.select(Axis(0), &rows);
        let lut = &self.luts[self.best_lut(xs.view(), &ms)];
        let adapted = lut.adapt(xs.view(), &ms, &self.adapt)?;
        let pred = adapted.predict(self.onehot.select(Axis(0), query).view());
        Ok(floored(pred, samples))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Random one-hot rows: `positions` positions of `ops` choices.
    fn onehot(n: usize, positions: usize, ops: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Array2::zeros((n, positions * ops));
        for r in 0..n {
            for p in 0..positions {
                x[[r, p * ops + rng.random_range(0..ops)]] = 1.0;
            }
        }
        x
    }

    fn true_lut(positions: usize, ops: usize) -> OpLut {
        OpLut {
            bias: 2.0,
            table: Array2::from_shape_fn((positions, ops), |(p, o)| {
                if o == 0 {
                    0.0
                } else {
                    (p + 1) as f64 * 0.1 * o as f64
                }
            }),
        }
    }

    #[test]
    fn fit_recovers_an_additive_table_in_its_gauge() {
        let x = onehot(400, 4, 3, 1);
        let truth = true_lut(4, 3);
        let ms = truth.predict(x.view());
        let lut = OpLut::fit(
            x.view(),
            &ms,
            3,
            &log_grid(1e-8, 1e-4, 3),
            LooCriterion::Mse,
        )
        .unwrap();
        assert!((lut.bias - truth.bias).abs() < 1e-3, "{}", lut.bias);
        for (a, b) in lut.table.iter().zip(truth.table.iter()) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        assert!(OpLut::fit(x.view(), &ms, 5, &[1.0], LooCriterion::Mse).is_err());
    }

    #[test]
    fn adapt_recovers_a_device_with_one_slower_operator() {
        let x = onehot(300, 4, 3, 2);
        let proxy = true_lut(4, 3);
        // Target: 3× slower overall, op 2 another 2× slower, more overhead.
        let mut target = proxy.clone();
        target.bias = 10.0;
        target.table.mapv_inplace(|t| 3.0 * t);
        target.table.column_mut(2).mapv_inplace(|t| 2.0 * t);
        let rows: Vec<usize> = (0..20).collect();
        let xs = x.select(Axis(0), &rows);
        let ms = target.predict(xs.view());
        // Noise-free: a weak penalty must be on the grid to recover it exactly.
        let config = LutAdaptConfig {
            relative_lambdas: log_grid(1e-6, 1e3, 19),
            ..LutAdaptConfig::default()
        };
        let adapted = proxy.adapt(xs.view(), &ms, &config).unwrap();
        let want = target.predict(x.view());
        let got = adapted.predict(x.view());
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 0.02 * w, "{g} vs {w}");
        }
        // A line alone cannot do it.
        let (a, b) = fit_line(&proxy.predict(xs.view()), &ms);
        let line_err = proxy
            .predict(x.view())
            .iter()
            .zip(&want)
            .map(|(p, w)| (a + b * p - w).abs() / w)
            .fold(0.0, f64::max);
        assert!(line_err > 0.05, "{line_err}");
    }
}
