//! How to train a network (the schedule and its regularisation) and what
//! training did: the settings every training job of [`super::run_training`]
//! reads, kept apart from the jobs so the loop and the jobs both depend on
//! them and not on each other.

use super::adam::AdamConfig;
use super::backprop::MlpGrads;

/// How to train.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Passes over the training rows (an upper bound when early stopping is on).
    pub epochs: usize,
    /// Rows per Adam step; the last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// Peak Adam step size, before any cosine decay.
    pub learning_rate: f32,
    /// Adam's moment decay rates, ε and weight decay.
    pub adam: AdamConfig,
    /// Weight of the pairwise ranking loss added to the MSE (0: MSE only).
    pub rank_weight: f32,
    /// Slope of the logistic ranking loss on prediction differences.
    pub rank_scale: f32,
    /// Pairs whose targets differ by no more than this are not ranked.
    pub rank_margin: f32,
    /// Fraction of rows held out for early stopping (0: train on all rows
    /// for `epochs`).
    pub validation_fraction: f32,
    /// Epochs without a better validation MSE before stopping.
    pub patience: usize,
    /// Cosine decay of the learning rate to 0 over `epochs`.
    pub cosine_decay: bool,
    /// Clip the global gradient norm to this (None: no clipping).
    pub clip_norm: Option<f32>,
    /// Seed of the validation hold-out and the batch shuffling: the same seed, starting
    /// network and data give the same trained network.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 60,
            batch_size: 128,
            learning_rate: 1e-3,
            adam: AdamConfig::default(),
            rank_weight: 0.0,
            rank_scale: 4.0,
            rank_margin: 1e-3,
            validation_fraction: 0.0,
            patience: 10,
            cosine_decay: true,
            clip_norm: Some(5.0),
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// The pretraining schedule of the few-shot methods (MLP, GCN,
    /// hardware-embedding MLP) for `epochs` epochs: batches of 128,
    /// learning rate 2e-3, rank loss at weight 0.5, the rest default.
    pub fn pretraining(epochs: usize) -> Self {
        TrainConfig {
            epochs,
            batch_size: 128,
            learning_rate: 2e-3,
            rank_weight: 0.5,
            ..TrainConfig::default()
        }
    }

    /// The learning rate at `step` of `total_steps`: cosine decay to 0 when
    /// `cosine_decay`, else constant.
    pub fn learning_rate_at(&self, step: usize, total_steps: usize) -> f32 {
        if self.cosine_decay {
            let t = step as f32 / total_steps as f32;
            self.learning_rate * 0.5 * (1.0 + (std::f32::consts::PI * t).cos())
        } else {
            self.learning_rate
        }
    }

    /// Scales `grads` down to `clip_norm` (global L2 norm), if set.
    pub fn clip(&self, grads: &mut MlpGrads) {
        if let Some(clip) = self.clip_norm {
            let norm = grads.norm();
            if norm > clip {
                grads.scale(clip / norm);
            }
        }
    }
}

/// What training did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainReport {
    /// Epochs actually trained (fewer than configured when early stopping fired).
    pub epochs_run: usize,
    /// Epoch (1-based) whose weights were kept (the last without validation).
    pub best_epoch: usize,
    /// Mean training objective per epoch.
    pub train_loss: Vec<f32>,
    /// Validation MSE per epoch (empty without validation).
    pub val_mse: Vec<f32>,
}
