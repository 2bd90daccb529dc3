//! One trial of an evaluation: a method adapted to one device from K
//! samples under one seed, and how it scored. The runner makes them; the
//! report and the confidence check read them.

use super::split::Score;
use crate::fewshot::StatedConfidence;
use serde::Serialize;

/// One (method, seed, K, device) adaptation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrialRecord {
    /// Label of the method, with `@sampler` appended when several samplers were run.
    pub method: String,
    /// Seed of the pretraining and, mixed with K and the device, of the sample drawn.
    pub seed: u64,
    /// K: how many measured architectures of the device the method was given.
    pub k: usize,
    /// The test device adapted to.
    pub device: String,
    /// The architectures measured (indices into the task's table).
    pub sampled: Vec<usize>,
    /// Scores of the adapted predictions on the device's architectures not sampled.
    pub score: Score,
    /// The confidence the method stated from the samples, if it states one.
    pub stated: Option<StatedConfidence>,
}
