//! The evaluation loop: pretrain once per (method, seed), adapt to every
//! test device from K sampled architectures, score on all the others.
//!
//! No clock, thread or file here: progress goes to a callback, so the same
//! loop runs in the browser.

use super::confidence::check_confidence;
use super::report::{aggregate, EvalReport};
use super::split::{TaskSplit, TestDevice};
use super::trial::TrialRecord;
use crate::error::{Error, Result};
use crate::fewshot::{FewShotMethod, PretrainedModel};
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
    /// Steps in the whole run; [`Self::done`] reaches it at the end.
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
    check_request(methods, samplers, config)?;
    let tests = split.test_devices();
    let candidates: Vec<Vec<usize>> = tests.iter().map(|t| t.candidates()).collect();
    check_room_to_score(tests, &candidates, config)?;
    let names: Vec<String> = methods.iter().map(|m| m.name()).collect();
    let labels: Vec<String> = names
        .iter()
        .flat_map(|n| samplers.iter().map(|s| method_label(n, s, samplers.len())))
        .collect();
    let mut tally = Tally {
        done: 0,
        total: methods.len()
            * config.seeds.len()
            * (1 + samplers.len() * config.ks.len() * tests.len()),
        progress,
    };
    let mut trials = Vec::new();
    for &seed in &config.seeds {
        let models = pretrain_all(split, methods, &names, seed, &mut tally)?;
        for sampler in samplers {
            let draws = draw_samples(sampler, &candidates, config, seed, &*models[0], &names[0])?;
            for (model, name) in models.iter().zip(&names) {
                let label = method_label(name, sampler, samplers.len());
                for (ki, &k) in config.ks.iter().enumerate() {
                    for (d, device) in tests.iter().enumerate() {
                        let at = TrialAt {
                            label: &label,
                            seed,
                            k,
                            device,
                        };
                        trials.push(run_trial(&**model, &at, &draws[ki][d], &mut tally)?);
                    }
                }
            }
        }
    }
    Ok(build_report(split, samplers, config, labels, trials))
}

/// Rejects a run with nothing to do, or a K of 0.
fn check_request(
    methods: &[&dyn FewShotMethod],
    samplers: &[&Sampler],
    config: &EvalConfig,
) -> Result<()> {
    for (empty, what) in [
        (methods.is_empty(), "method"),
        (samplers.is_empty(), "sampler"),
        (config.ks.is_empty(), "K"),
        (config.seeds.is_empty(), "seed"),
    ] {
        if empty {
            return Err(Error::Empty {
                context: "evaluation".into(),
                what,
            });
        }
    }
    if config.ks.contains(&0) {
        return Err(Error::InvalidConfig {
            context: "evaluation".into(),
            field: "K",
            value: "0".into(),
            reason: "a method needs at least one sample",
        });
    }
    Ok(())
}

/// Checks that the largest K leaves every test device (whose measured
/// architectures are `candidates`) enough architectures to score.
fn check_room_to_score(
    tests: &[TestDevice],
    candidates: &[Vec<usize>],
    config: &EvalConfig,
) -> Result<()> {
    for (t, c) in tests.iter().zip(candidates) {
        let kmax = *config.ks.iter().max().expect("non-empty");
        // At least 2 left to score (rank correlations need 2).
        if kmax + 2 > c.len() {
            return Err(Error::NoRoomToScore {
                k: kmax,
                measured: c.len(),
                device: t.name().to_string(),
            });
        }
    }
    Ok(())
}

/// The name a method's results go by: the method's own with one sampler,
/// `method @sampler` with several.
fn method_label(method: &str, sampler: &Sampler, samplers: usize) -> String {
    if samplers == 1 {
        method.to_string()
    } else {
        format!("{method} @{}", sampler.kind())
    }
}

/// Counts finished steps and reports each to the progress callback.
struct Tally<'a> {
    done: usize,
    total: usize,
    progress: &'a mut dyn FnMut(&Progress),
}

impl Tally<'_> {
    /// Counts one more step done, `message` saying which.
    fn step(&mut self, message: String) {
        self.done += 1;
        (self.progress)(&Progress {
            done: self.done,
            total: self.total,
            message,
        });
    }
}

/// Pretrains every method (named `names`) for `seed`, in order.
fn pretrain_all(
    split: &TaskSplit,
    methods: &[&dyn FewShotMethod],
    names: &[String],
    seed: u64,
    tally: &mut Tally<'_>,
) -> Result<Vec<Box<dyn PretrainedModel>>> {
    let mut models = Vec::with_capacity(methods.len());
    for (method, name) in methods.iter().zip(names) {
        let model = method
            .pretrain(&split.pretrain_context(seed))
            .map_err(|e| Error::Pretraining {
                method: name.clone(),
                seed,
                error: Box::new(e),
            })?;
        models.push(model);
        tally.step(format!("{name} seed {seed}: pretrained"));
    }
    Ok(models)
}

/// The architectures `sampler` draws for each K (outer) and test device
/// (inner, whose measured architectures are `candidates`) at `seed`.
///
/// One draw per (K, device) and seed, shared by every method; a
/// model-driven sampler asks the first method's model (`first`, named
/// `first_name`).
fn draw_samples(
    sampler: &Sampler,
    candidates: &[Vec<usize>],
    config: &EvalConfig,
    seed: u64,
    first: &dyn PretrainedModel,
    first_name: &str,
) -> Result<Vec<Vec<Vec<usize>>>> {
    let mut draws = Vec::with_capacity(config.ks.len());
    for &k in &config.ks {
        let per_device = candidates
            .iter()
            .enumerate()
            .map(|(d, c)| match sampler.kind().design() {
                None => sampler.sample(c, k, sample_seed(seed, k, d)),
                Some(columns) => first.suggest(&[], c, k, columns).unwrap_or_else(|| {
                    Err(Error::SamplerNeedsModel {
                        sampler: sampler.kind().name(),
                        method: Some(first_name.to_string()),
                    })
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        draws.push(per_device);
    }
    Ok(draws)
}

/// Which trial is run: the method's label, the seed, K and the test device.
struct TrialAt<'a> {
    label: &'a str,
    seed: u64,
    k: usize,
    device: &'a TestDevice,
}

/// Adapts `model` to `at.device` from the `sampled` architectures and
/// scores it on the device's other ones.
fn run_trial(
    model: &dyn PretrainedModel,
    at: &TrialAt<'_>,
    sampled: &[usize],
    tally: &mut Tally<'_>,
) -> Result<TrialRecord> {
    let TrialAt {
        label,
        seed,
        k,
        device,
    } = *at;
    let trial = device.trial(sampled)?;
    let in_trial = |e| Error::Trial {
        method: label.to_string(),
        seed,
        k,
        device: device.name().to_string(),
        error: Box::new(e),
    };
    let adapted = model
        .adapt_with_confidence(trial.samples(), trial.query())
        .map_err(in_trial)?;
    let score = trial.score(&adapted.predictions).map_err(in_trial)?;
    let record = TrialRecord {
        method: label.to_string(),
        seed,
        k,
        device: device.name().to_string(),
        sampled: sampled.to_vec(),
        score,
        stated: adapted.stated,
    };
    tally.step(format!(
        "{label} (seed {seed}, K {k}) on {}: ρ {:.3}",
        device.name(),
        score.spearman
    ));
    Ok(record)
}

/// The report of the finished `trials`: per-device and overall summaries,
/// and how well the stated confidences held.
fn build_report(
    split: &TaskSplit,
    samplers: &[&Sampler],
    config: &EvalConfig,
    labels: Vec<String>,
    trials: Vec<TrialRecord>,
) -> EvalReport {
    let tests = split.test_devices();
    let devices: Vec<String> = tests.iter().map(|t| t.name().to_string()).collect();
    let (device_summaries, summary) = aggregate(&trials, &labels, &config.ks, &devices);
    let confidence = check_confidence(&trials, &labels, &config.ks);
    EvalReport {
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
    }
}
