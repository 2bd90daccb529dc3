//! The one mini-batch training loop of every network latscope trains (the
//! multi-device MLP, the GCN, the per-device hardware-embedding MLP): per
//! epoch, the job's batches in the job's order; per batch, the objective
//! and its gradients, clipping, the cosine learning rate and one AdamW
//! step; after each epoch, optional early stopping on a held-out split.
//! What differs between networks (how batches are drawn, what a batch
//! computes, whether there is a validation split) is the [`TrainingJob`].

use super::adam::Adam;
use super::backprop::MlpGrads;
use super::dense::{Dense, Mlp};
use super::train_config::{TrainConfig, TrainReport};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// A network whose parameters are a list of dense layers, in the fixed
/// order of its gradients' `layers`.
pub trait DenseLayers: Clone {
    /// The layers, in gradient order.
    fn dense_layers(&self) -> Vec<&Dense>;
    /// The layers, mutably, in gradient order.
    fn dense_layers_mut(&mut self) -> Vec<&mut Dense>;
}

impl DenseLayers for Mlp {
    fn dense_layers(&self) -> Vec<&Dense> {
        self.layers.iter().collect()
    }
    fn dense_layers_mut(&mut self) -> Vec<&mut Dense> {
        self.layers.iter_mut().collect()
    }
}

/// What one training run feeds the loop.
pub trait TrainingJob<M> {
    /// One mini-batch (row indices, maybe with what they belong to).
    type Batch;
    /// The batches of one epoch, in training order, shuffled with `rng`.
    fn epoch_batches(&mut self, rng: &mut ChaCha8Rng) -> Vec<Self::Batch>;
    /// How many batches every epoch has (fixes the learning-rate schedule).
    fn batches_per_epoch(&self) -> usize;
    /// Rows in `batch` (weights its loss in the epoch mean).
    fn batch_rows(batch: &Self::Batch) -> usize;
    /// The objective on `batch` and its gradients.
    fn loss_and_grads(&self, model: &M, batch: &Self::Batch) -> (f32, MlpGrads);
    /// The held-out MSE for early stopping; `None` when the job has no
    /// held-out split (training then runs every epoch and keeps the last).
    fn validation_mse(&self, _model: &M) -> Option<f32> {
        None
    }
}

/// Trains `model` in place for up to `cfg.epochs` epochs. With a held-out
/// split, stops after `cfg.patience` epochs without improvement and keeps
/// the best epoch's weights.
pub fn run_training<M: DenseLayers, J: TrainingJob<M>>(
    model: &mut M,
    job: &mut J,
    rng: &mut ChaCha8Rng,
    cfg: &TrainConfig,
) -> TrainReport {
    let mut adam = Adam::for_layers(model.dense_layers(), cfg.adam);
    let mut report = TrainReport::default();
    let mut best: Option<(f32, M)> = None;
    let mut since_best = 0;
    let total_steps = (job.batches_per_epoch() * cfg.epochs).max(1);
    let mut step = 0usize;
    for epoch in 1..=cfg.epochs {
        let mut epoch_loss = 0.0f64;
        let mut epoch_rows = 0usize;
        for batch in job.epoch_batches(rng) {
            let rows = J::batch_rows(&batch);
            let (loss, mut grads) = job.loss_and_grads(model, &batch);
            epoch_loss += loss as f64 * rows as f64;
            epoch_rows += rows;
            cfg.clip(&mut grads);
            let lr = cfg.learning_rate_at(step, total_steps);
            adam.update_layers(model.dense_layers_mut(), &grads, lr);
            step += 1;
        }
        report
            .train_loss
            .push((epoch_loss / epoch_rows.max(1) as f64) as f32);
        report.epochs_run = epoch;
        let Some(v) = job.validation_mse(model) else {
            report.best_epoch = epoch;
            continue;
        };
        report.val_mse.push(v);
        if best.as_ref().is_none_or(|(b, _)| v < *b) {
            best = Some((v, model.clone()));
            report.best_epoch = epoch;
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= cfg.patience {
                break;
            }
        }
    }
    if let Some((_, m)) = best {
        *model = m;
    }
    report
}

/// The batches of one epoch over plain rows: `rows` shuffled in place with
/// `rng`, then cut into batches of `batch_size` (the last may be shorter).
pub fn shuffled_batches(
    rows: &mut [usize],
    batch_size: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<usize>> {
    rows.shuffle(rng);
    rows.chunks(batch_size).map(<[usize]>::to_vec).collect()
}
