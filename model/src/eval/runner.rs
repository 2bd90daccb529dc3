//! The evaluation loop: pretrain once per (method, seed), adapt to every
//! test device from K sampled architectures, score on all the others.
//!
//! No clock, thread or file here: progress goes to a callback, so the same
//! loop runs in the browser.

use super::confidence::check_confidence;
use super::report::{aggregate, EvalReport, TrialRecord};
use super::split::TaskSplit;
use crate::error::{Error, Result};
use crate::fewshot::FewShotMethod;
use crate::sampler::Sampler;

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalConfig {
    /// Numbers of target samples.
    pub ks: Vec<usize>,
    /// Seeds: each pretrains every method once and draws fresh samples.
    pub seeds: Vec<u64>,
}

impl Default for EvalConfig {
    /// K = 5, 10, 20; seeds 0..5.
    fn default() -> Self {
        EvalConfig {
            ks: vec![5, 10, 20],
            seeds: (0..5).collect(),
        }
    }
}

/// A step of the evaluation, for progress bars.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Steps finished (pretrainings plus adaptations).
    pub done: usize,
    pub total: usize,
    /// What was just finished, e.g. `flops seed 0: pretrained`.
    pub message: String,
}

fn mix(mut x: u64) -> u64 {
    // splitmix64's finaliser.
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Seed of the sample drawn for (seed, K, test device): the same for every
/// method, so methods are compared on the same measurements.
pub fn sample_seed(seed: u64, k: usize, device: usize) -> u64 {
    mix(mix(mix(seed) ^ k as u64) ^ device as u64)
}

/// Runs `methods` on `split` with the architectures each of `samplers`
/// draws (each built for the split's architectures,
/// `split.train_table().archs()`). With several samplers every method is
/// pretrained once per seed and reported once per sampler, as `method
/// @sampler`.
pub fn evaluate(
    split: &TaskSplit,
    methods: &[&dyn FewShotMethod],
    samplers: &[&Sampler],
    config: &EvalConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<EvalReport> {
    if methods.is_empty() || samplers.is_empty() || config.ks.is_empty() || config.seeds.is_empty()
    {
        return Err(Error::Eval(
            "nothing to evaluate: give at least one method, one sampler, one K and one seed".into(),
        ));
    }
    if let Some(k) = config.ks.iter().find(|&&k| k == 0) {
        return Err(Error::Eval(format!(
            "K = {k}: a method needs at least one sample"
        )));
    }
    let tests = split.test_devices();
    let candidates: Vec<Vec<usize>> = tests.iter().map(|t| t.candidates()).collect();
    for (t, c) in tests.iter().zip(&candidates) {
        let kmax = *config.ks.iter().max().expect("non-empty");
        // At least 2 left to score (rank correlations need 2).
        if kmax + 2 > c.len() {
            return Err(Error::Eval(format!(
                "K = {kmax} leaves fewer than 2 of the {} architectures measured on {} to score",
                c.len(),
                t.name()
            )));
        }
    }
    let names: Vec<String> = methods.iter().map(|m| m.name()).collect();
    let label = |method: &str, sampler: &Sampler| {
        if samplers.len() == 1 {
            method.to_string()
        } else {
            format!("{method} @{}", sampler.kind())
        }
    };
    let labels: Vec<String> = names
        .iter()
        .flat_map(|n| samplers.iter().map(|s| label(n, s)))
        .collect();
    let total =
        methods.len() * config.seeds.len() * (1 + samplers.len() * config.ks.len() * tests.len());
    let mut done = 0;
    let mut trials = Vec::new();
    for &seed in &config.seeds {
        let mut models = Vec::with_capacity(methods.len());
        for (method, name) in methods.iter().zip(&names) {
            let model = method
                .pretrain(&split.pretrain_context(seed))
                .map_err(|e| Error::Eval(format!("{name} (seed {seed}) pretraining: {e}")))?;
            models.push(model);
            done += 1;
            progress(&Progress {
                done,
                total,
                message: format!("{name} seed {seed}: pretrained"),
            });
        }
        for sampler in samplers {
            // One draw per (K, device) and seed, shared by every method; a
            // model-driven sampler asks the first method's model.
            let mut draws = Vec::with_capacity(config.ks.len());
            for &k in &config.ks {
                let per_device = candidates
                    .iter()
                    .enumerate()
                    .map(|(d, c)| match sampler.kind().design() {
                        None => sampler.sample(c, k, sample_seed(seed, k, d)),
                        Some(columns) => {
                            models[0].suggest(&[], c, k, columns).unwrap_or_else(|| {
                                Err(Error::Eval(format!(
                                    "the {} sampler needs a first method that can suggest \
                                     (mlp-auto does; {} cannot)",
                                    sampler.kind(),
                                    names[0]
                                )))
                            })
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                draws.push(per_device);
            }
            for (model, name) in models.iter().zip(&names) {
                let label = label(name, sampler);
                for (ki, &k) in config.ks.iter().enumerate() {
                    for (d, device) in tests.iter().enumerate() {
                        let sampled = &draws[ki][d];
                        let trial = device.trial(sampled)?;
                        let context =
                            || format!("{label} (seed {seed}, K {k}) on {}", device.name());
                        let adapted = model
                            .adapt_with_confidence(trial.samples(), trial.query())
                            .map_err(|e| Error::Eval(format!("{}: {e}", context())))?;
                        let score = trial
                            .score(&adapted.predictions)
                            .map_err(|e| Error::Eval(format!("{}: {e}", context())))?;
                        trials.push(TrialRecord {
                            method: label.clone(),
                            seed,
                            k,
                            device: device.name().to_string(),
                            sampled: sampled.clone(),
                            score,
                            stated: adapted.stated,
                        });
                        done += 1;
                        progress(&Progress {
                            done,
                            total,
                            message: format!("{}: ρ {:.3}", context(), score.spearman),
                        });
                    }
                }
            }
        }
    }
    let devices: Vec<String> = tests.iter().map(|t| t.name().to_string()).collect();
    let (device_summaries, summary) = aggregate(&trials, &labels, &config.ks, &devices);
    let confidence = check_confidence(&trials, &labels, &config.ks);
    Ok(EvalReport {
        task: split.task().clone(),
        sampler: samplers
            .iter()
            .map(|s| s.kind().name())
            .collect::<Vec<_>>()
            .join(", "),
        ks: config.ks.clone(),
        seeds: config.seeds.clone(),
        methods: labels,
        n_archs: split.n_archs(),
        measured: tests
            .iter()
            .map(|t| (t.name().to_string(), t.measured_count()))
            .collect(),
        trials,
        devices: device_summaries,
        summary,
        confidence,
    })
}
