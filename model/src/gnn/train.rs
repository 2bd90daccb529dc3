//! Mini-batch training of a [`Gcn`] with the MLP's objective and optimiser:
//! masked MSE on standardised multi-device targets plus a pairwise ranking
//! loss, AdamW, cosine learning-rate decay, gradient clipping. Seeded and
//! reproducible.

use super::gcn::Gcn;
use super::graphs::GraphInputs;
use crate::error::{Error, Result};
use crate::nn::{
    check_batch_size, check_finite, masked_mse, pairwise_logistic, run_training, shuffled_batches,
    MlpGrads, TrainConfig, TrainReport, TrainingJob,
};
use ndarray::{s, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The training objective on the graphs `rows` and its gradients.
pub fn gcn_loss_and_grads(
    gcn: &Gcn,
    graphs: &GraphInputs,
    global: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
    rows: &[usize],
    cfg: &TrainConfig,
) -> (f32, MlpGrads) {
    let batch = graphs.batch(rows);
    let g = global.select(Axis(0), rows);
    let t = y.select(Axis(0), rows);
    let acts = gcn.forward(&batch, g.view());
    let (mut loss, mut grad) = masked_mse(acts.output().view(), t.view());
    if cfg.rank_weight > 0.0 {
        let (rl, rg) = pairwise_logistic(
            acts.output().view(),
            t.view(),
            cfg.rank_scale,
            cfg.rank_margin,
        );
        loss += cfg.rank_weight * rl;
        grad.scaled_add(cfg.rank_weight, &rg);
    }
    (loss, gcn.backward(&batch, &acts, grad))
}

/// Trains `gcn` in place on `graphs` with per-graph `global` features and
/// targets `y` (one column per output, NaN where missing), on the graphs
/// `rows`. `cfg.validation_fraction` and `patience` are not used: the GNN
/// trains for `cfg.epochs`.
pub fn train_gcn(
    gcn: &mut Gcn,
    graphs: &GraphInputs,
    global: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
    rows: &[usize],
    cfg: &TrainConfig,
) -> Result<TrainReport> {
    let n = graphs.graphs();
    let mismatch = |got, got_what, expected, expected_what| {
        Err(Error::CountMismatch {
            context: "train_gcn".into(),
            got,
            got_what,
            expected,
            expected_what,
        })
    };
    if global.nrows() != n {
        return mismatch(global.nrows(), "global feature rows", n, "graphs");
    }
    if y.nrows() != n {
        return mismatch(y.nrows(), "target rows", n, "graphs");
    }
    if global.ncols() != gcn.global_features() {
        return mismatch(
            global.ncols(),
            "global features",
            gcn.global_features(),
            "GCN global inputs",
        );
    }
    if y.ncols() != gcn.outputs() {
        return mismatch(y.ncols(), "target columns", gcn.outputs(), "GCN outputs");
    }
    if graphs.node_dim() != gcn.layers[0].inputs() / 2 {
        return mismatch(
            graphs.node_dim(),
            "node features",
            gcn.layers[0].inputs() / 2,
            "GCN node inputs",
        );
    }
    if rows.is_empty() {
        return Err(Error::Empty {
            context: "train_gcn".into(),
            what: "row",
        });
    }
    if let Some(&r) = rows.iter().find(|&&r| r >= n) {
        return Err(Error::IndexOutOfRange {
            context: "train_gcn".into(),
            what: "row",
            index: r,
            len: n,
        });
    }
    check_batch_size("train_gcn", cfg.batch_size)?;
    check_finite("train_gcn", global, y)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut job = GraphJob {
        graphs,
        global,
        y,
        order: rows.to_vec(),
        cfg,
    };
    Ok(run_training(gcn, &mut job, &mut rng, cfg))
}

/// Batches of shuffled graphs, every epoch run (no held-out split).
struct GraphJob<'a> {
    graphs: &'a GraphInputs,
    global: ArrayView2<'a, f32>,
    y: ArrayView2<'a, f32>,
    order: Vec<usize>,
    cfg: &'a TrainConfig,
}

impl TrainingJob<Gcn> for GraphJob<'_> {
    type Batch = Vec<usize>;

    fn epoch_batches(&mut self, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
        shuffled_batches(&mut self.order, self.cfg.batch_size, rng)
    }

    fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.cfg.batch_size)
    }

    fn batch_rows(batch: &Vec<usize>) -> usize {
        batch.len()
    }

    fn loss_and_grads(&self, gcn: &Gcn, batch: &Vec<usize>) -> (f32, MlpGrads) {
        gcn_loss_and_grads(gcn, self.graphs, self.global, self.y, batch, self.cfg)
    }
}

/// Outputs and head's last hidden layer (the readout when the head has no
/// hidden layer) of every graph, in chunks.
pub fn gcn_embed(
    gcn: &Gcn,
    graphs: &GraphInputs,
    global: ArrayView2<'_, f32>,
) -> (Array2<f32>, Array2<f32>) {
    let n = graphs.graphs();
    let hidden = gcn.head.layers.last().map_or(0, |l| l.inputs());
    let mut out = Array2::<f32>::zeros((n, gcn.outputs()));
    let mut hid = Array2::<f32>::zeros((n, hidden));
    let rows: Vec<usize> = (0..n).collect();
    for (c, chunk) in rows.chunks(2048).enumerate() {
        let start = c * 2048;
        let batch = graphs.batch(chunk);
        let acts = gcn.forward(&batch, global.slice(s![start..start + chunk.len(), ..]));
        out.slice_mut(s![start..start + chunk.len(), ..])
            .assign(acts.output());
        hid.slice_mut(s![start..start + chunk.len(), ..])
            .assign(acts.last_hidden());
    }
    (out, hid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Random DAGs on 4 nodes (edges only forward) with random node types,
    /// random global features and targets depending on both; a few missing.
    fn toy(graphs: usize, seed: u64) -> (GraphInputs, Array2<f32>, Array2<f32>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let nodes = 4;
        let adjacency: Vec<Array2<f32>> = (0..graphs)
            .map(|_| {
                Array2::from_shape_fn((nodes, nodes), |(i, j)| {
                    f32::from(j == i + 1 || (j > i + 1 && rng.random_bool(0.5)))
                })
            })
            .collect();
        let feats = Array2::from_shape_fn((graphs * nodes, 3), |_| f32::from(rng.random_bool(0.4)));
        let global = Array2::from_shape_fn((graphs, 2), |_| rng.random_range(-1.0..1.0));
        let mut y = Array2::from_shape_fn((graphs, 2), |(g, d)| {
            let edges: f32 = adjacency[g].sum();
            let ops: f32 = feats.slice(s![g * nodes..(g + 1) * nodes, d]).sum();
            0.3 * edges + ops * (d as f32 + 1.0) - global[[g, 0]]
        });
        y[[1, 0]] = f32::NAN;
        let g = GraphInputs::new(nodes, feats, &adjacency).unwrap();
        (g, global, y)
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (graphs, global, y) = toy(6, 1);
        let mut gcn = Gcn::new(3, &[5, 4], 2, &[6], 2, 3);
        // Non-zero biases so that every parameter matters.
        for l in gcn.all_layers_mut() {
            l.bias
                .iter_mut()
                .enumerate()
                .for_each(|(i, b)| *b = 0.1 * i as f32 + 0.05);
        }
        let rows: Vec<usize> = (0..6).collect();
        let cfg = TrainConfig {
            rank_weight: 0.5,
            rank_scale: 2.0,
            ..TrainConfig::default()
        };
        let loss =
            |g: &Gcn| gcn_loss_and_grads(g, &graphs, global.view(), y.view(), &rows, &cfg).0 as f64;
        let (_, grads) = gcn_loss_and_grads(&gcn, &graphs, global.view(), y.view(), &rows, &cfg);
        let n_layers = gcn.all_layers().count();
        assert_eq!(grads.layers.len(), n_layers);
        let h = 1e-2f32;
        let mut worst = 0.0f64;
        let mut checked = 0;
        for li in 0..n_layers {
            let (w_rows, w_cols) = grads.layers[li].0.dim();
            for idx in 0..w_rows * w_cols + w_cols {
                let analytic = if idx < w_rows * w_cols {
                    grads.layers[li].0[[idx / w_cols, idx % w_cols]]
                } else {
                    grads.layers[li].1[idx - w_rows * w_cols]
                } as f64;
                let shifted = |delta: f32| {
                    let mut g = gcn.clone();
                    let layer = g.all_layers_mut().nth(li).unwrap();
                    if idx < w_rows * w_cols {
                        layer.weight[[idx / w_cols, idx % w_cols]] += delta;
                    } else {
                        layer.bias[idx - w_rows * w_cols] += delta;
                    }
                    loss(&g)
                };
                let numeric = (shifted(h) - shifted(-h)) / (2.0 * h as f64);
                let err = (numeric - analytic).abs() / (numeric.abs() + analytic.abs()).max(1e-2);
                worst = worst.max(err);
                checked += 1;
            }
        }
        assert!(checked > 100);
        assert!(worst < 2e-2, "worst relative error {worst}");
    }

    #[test]
    fn training_reduces_the_loss_and_is_seeded() {
        let (graphs, global, y) = toy(120, 2);
        let rows: Vec<usize> = (0..120).collect();
        let cfg = TrainConfig {
            epochs: 30,
            batch_size: 16,
            learning_rate: 3e-3,
            rank_weight: 0.2,
            seed: 4,
            ..TrainConfig::default()
        };
        let make = || Gcn::new(3, &[16, 16], 2, &[16], 2, 7);
        let mut a = make();
        let mse = |g: &Gcn| {
            let (out, _) = gcn_embed(g, &graphs, global.view());
            masked_mse(out.view(), y.view()).0
        };
        let before = mse(&a);
        let report = train_gcn(&mut a, &graphs, global.view(), y.view(), &rows, &cfg).unwrap();
        let after = mse(&a);
        assert!(after < 0.2 * before, "{before} → {after}");
        assert_eq!(report.epochs_run, 30);
        let mut b = make();
        train_gcn(&mut b, &graphs, global.view(), y.view(), &rows, &cfg).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, make());
    }
}
