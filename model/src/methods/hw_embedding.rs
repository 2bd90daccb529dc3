//! `mlp-hw`: one MLP for every device, told which device by a *hardware
//! embedding* made of the device's measured latencies on a fixed list of
//! reference architectures (HELP's hardware embedding).
//!
//! Pretraining: the input of a (architecture, device) pair is
//! `[standardised onehot-v1 | features-v1 | hardware embedding]`, the single
//! output the device's ln latency standardised over its architectures. The
//! embedding of a device is its ln latencies on the reference architectures
//! (the lists shipped in `static/data/<space>_reference_archs.txt`, compiled
//! in), standardised over those architectures, so it describes the shape of
//! the device's latency profile, not its speed. Rows are (architecture,
//! training device) pairs, optionally a subsample of architectures per
//! device; each mini-batch holds one device, so the pairwise ranking loss
//! ranks architectures within a device. Optionally, *virtual devices*
//! (random geometric mixtures of the training devices, whose embeddings are
//! the same mixtures) give the network more than a handful of distinct
//! embeddings to learn from.
//!
//! Adaptation: the samples that are reference architectures give the new
//! device's embedding; reference architectures not among the samples (with
//! K below the list's length) are imputed from the training devices (see
//! [`Imputation`]). The network's standardised output is mapped to ln(ms)
//! by a line: a prior from the reference latencies' mean and spread, or
//! (the default) a least-squares line fitted on the K samples.
//!
//! Measured (`profiler evaluate --sampler reference`, seeds 0–1, mean ρ /
//! MAPE over the test devices): N0 K=5/10/20 0.931/0.965/0.965, 87%/24%/24%
//! (`mlp-head` on the same samples 0.946/0.941/0.961); F0 0.907/0.952/0.952,
//! 6.1%/4.9%/4.2% (`mlp-head` 0.858/0.971/0.974). Only 10 reference
//! architectures exist per space, so K=20 adds nothing to the embedding; the
//! learned embedding (`mlp-head`) stays the shipped default: `mlp-hw` is
//! ahead only at N0 K=10 and F0 K=5, behind at K=20 everywhere, and needs
//! the reference architectures measured.

use super::{check_samples, ArchInputs, Configured, MethodConfig};
use crate::error::{Error, Result};
use crate::fewshot::{PretrainContext, PretrainedModel};
use crate::nn::{
    loss_and_grads, run_training, Mlp, MlpGrads, Standardizer, TrainConfig, TrainReport,
    TrainingJob,
};
use crate::ridge::{fit_ridge_loo, log_grid, LooCriterion};
use latscope_shared::dataset::{read_reference_archs, LatencyTable};
use latscope_shared::space::{Arch, SpaceId};
use ndarray::{s, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// The shipped reference architectures of `space`, in file order (HELP's
/// hardware-embedding architectures; `static/data/<space>_reference_archs.txt`).
pub fn reference_archs(space: SpaceId) -> Result<Vec<Arch>> {
    let (name, text) = space.reference_archs_file();
    Ok(read_reference_archs(text.as_bytes(), name, Some(space))?
        .into_iter()
        .map(|(_, a)| a)
        .collect())
}

/// How a new device's latencies on the reference architectures it has not
/// measured are filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imputation {
    /// Each missing reference latency, standardised by the mean and spread
    /// of the device's known reference latencies, is the training devices'
    /// mean of the same quantity (the mean embedding, made scale-free).
    Mean,
    /// Per missing reference architecture, a ridge (λ by leave-one-out over
    /// the training devices) from the standardised known reference latencies
    /// to the standardised missing one. Falls back to [`Imputation::Mean`]
    /// with fewer than 3 known.
    Ridge,
}

/// Settings of [`HwEmbedding`].
#[derive(Clone, Debug, PartialEq)]
pub struct HwEmbeddingConfig {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Ensemble members (seeds); their standardised outputs are averaged.
    pub ensemble: usize,
    /// Training of each member (`seed` offset per member and by the
    /// context's seed; `validation_fraction` and `patience` are not used).
    pub train: TrainConfig,
    /// Train on at most this many architectures per device (random, seeded,
    /// drawn afresh for every device); None: all of them.
    pub max_archs_per_device: Option<usize>,
    /// Virtual devices added to the training devices: geometric mixtures
    /// (Dirichlet(1) weights) of the training devices' latencies.
    pub virtual_devices: usize,
    /// How missing reference latencies of a new device are filled in.
    pub imputation: Imputation,
    /// Fit the line from standardised output to ln(ms) on the K samples
    /// (least squares); otherwise the prior from the reference latencies.
    pub line_correction: bool,
    /// The reference architectures; None: the shipped list of the space.
    pub reference: Option<Vec<Arch>>,
}

impl Default for HwEmbeddingConfig {
    fn default() -> Self {
        HwEmbeddingConfig {
            hidden: vec![256, 256],
            ensemble: 2,
            train: TrainConfig::pretraining(30),
            max_archs_per_device: Some(3000),
            virtual_devices: 24,
            imputation: Imputation::Ridge,
            line_correction: true,
            reference: None,
        }
    }
}

/// The `mlp-hw` method.
pub type HwEmbedding = Configured<HwEmbeddingConfig>;

impl MethodConfig for HwEmbeddingConfig {
    type Model = HwEmbeddingModel;

    /// `mlp-hw` with the default imputation and virtual devices, and a
    /// suffix per other choice: `-meanimp` (mean imputation), `-v<n>`
    /// (another number of virtual devices), `-prior` (no line fitted on the
    /// samples).
    fn method_name(&self) -> String {
        let c = self;
        let d = HwEmbeddingConfig::default();
        let mut name = String::from("mlp-hw");
        if c.imputation != d.imputation {
            name.push_str("-meanimp");
        }
        if c.virtual_devices != d.virtual_devices {
            name.push_str(&format!("-v{}", c.virtual_devices));
        }
        if !c.line_correction {
            name.push_str("-prior");
        }
        name
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<HwEmbeddingModel> {
        HwEmbeddingModel::pretrain(self, ctx)
    }
}

/// One device as the network sees it.
#[derive(Clone, Debug)]
struct Profile {
    /// ln latency standardised over the device's architectures (NaN where
    /// not measured).
    z: Vec<f32>,
    /// Hardware embedding: ln latency on the reference architectures,
    /// standardised over them.
    embedding: Vec<f32>,
    /// `(μ − m_r) / s_r` and `ln(σ / s_r)`: the device's ln-latency mean
    /// and spread over all architectures relative to those over the
    /// reference ones.
    offset: f64,
    log_ratio: f64,
}

/// Mean and population standard deviation.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

impl Profile {
    fn new(log: &[f64], refs: &[usize]) -> Option<Profile> {
        let measured: Vec<f64> = log.iter().copied().filter(|v| v.is_finite()).collect();
        let r: Vec<f64> = refs.iter().map(|&a| log[a]).collect();
        if measured.len() < 2 || r.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let (mu, sigma) = mean_std(&measured);
        let (mr, sr) = mean_std(&r);
        if sigma <= 1e-12 || sr <= 1e-12 {
            return None;
        }
        Some(Profile {
            z: log.iter().map(|v| ((v - mu) / sigma) as f32).collect(),
            embedding: r.iter().map(|v| ((v - mr) / sr) as f32).collect(),
            offset: (mu - mr) / sr,
            log_ratio: (sigma / sr).ln(),
        })
    }
}

/// A pretrained `mlp-hw` ensemble.
#[derive(Clone, Debug)]
pub struct HwEmbeddingModel {
    /// The settings it was pretrained with.
    pub config: HwEmbeddingConfig,
    /// Training devices (real ones), in table order.
    pub devices: Vec<String>,
    /// Ensemble members, each mapping the standardised architecture input and a device's
    /// hardware embedding to a standardised ln ms; their outputs are averaged.
    pub members: Vec<Mlp>,
    /// Standardisation of the raw architecture input `[onehot-v1,
    /// features-v1]`.
    pub input_standardizer: Standardizer,
    /// What training did, one report per member.
    pub train_reports: Vec<TrainReport>,
    /// Positions of the reference architectures among the task's
    /// architectures, in list order.
    pub reference: Vec<usize>,
    /// Training devices' ln latencies on the reference architectures
    /// (devices × references).
    pub reference_log: Array2<f64>,
    /// Mean over the training devices of `(μ − m_r) / s_r` and of
    /// `ln(σ / s_r)` (the prior line).
    prior_offset: f64,
    prior_log_ratio: f64,
    /// Standardised architecture inputs of every architecture.
    x: Array2<f32>,
}

impl HwEmbeddingModel {
    /// Trains the ensemble on `ctx`'s training devices and virtual mixtures
    /// of them, each told apart by its hardware embedding.
    fn pretrain(config: &HwEmbeddingConfig, ctx: &PretrainContext<'_>) -> Result<Self> {
        check_training_table(config, ctx)?;
        let table = ctx.train;
        let reference = reference_positions(config, ctx)?;

        let inputs = ArchInputs::compute(ctx.archs)?;
        let raw = inputs.onehot_and_features();
        let input_standardizer = Standardizer::fit(raw.view());
        let x = input_standardizer.transform(raw.view());
        let n = ctx.archs.len();

        let logs = device_logs(table);
        let mut profiles = real_profiles(table, &logs, &reference, config.virtual_devices)?;
        let d_real = profiles.len() as f64;
        let prior_offset = profiles.iter().map(|p| p.offset).sum::<f64>() / d_real;
        let prior_log_ratio = profiles.iter().map(|p| p.log_ratio).sum::<f64>() / d_real;
        let reference_log = Array2::from_shape_fn((logs.len(), reference.len()), |(d, i)| {
            logs[d][reference[i]]
        });

        // One generator draws the virtual devices, then the row subsamples:
        // the same seed gives the same model only in that order.
        let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed ^ 0x6877_656d);
        add_virtual_devices(
            &mut profiles,
            &logs,
            &reference,
            n,
            config.virtual_devices,
            &mut rng,
        );
        let rows = training_rows(&profiles, n, config.max_archs_per_device, &mut rng);

        let (members, train_reports) = train_members(
            config,
            ctx.seed,
            x.view(),
            reference.len(),
            &profiles,
            &rows,
        )?;
        Ok(HwEmbeddingModel {
            config: config.clone(),
            devices: table.devices().to_vec(),
            members,
            input_standardizer,
            train_reports,
            reference,
            reference_log,
            prior_offset,
            prior_log_ratio,
            x,
        })
    }

    /// Number of architectures of the task.
    pub fn n_archs(&self) -> usize {
        self.x.nrows()
    }

    /// The ensemble's mean standardised output for architectures `archs`
    /// on the device whose hardware embedding is `embedding`.
    pub fn standardized_output(&self, archs: &[usize], embedding: &[f32]) -> Result<Vec<f64>> {
        if embedding.len() != self.reference.len() {
            return Err(Error::CountMismatch {
                context: "mlp-hw".into(),
                got: embedding.len(),
                got_what: "embedding values",
                expected: self.reference.len(),
                expected_what: "reference architectures",
            });
        }
        if let Some(&a) = archs.iter().find(|&&a| a >= self.n_archs()) {
            return Err(Error::IndexOutOfRange {
                context: "mlp-hw".into(),
                what: "architecture",
                index: a,
                len: self.n_archs(),
            });
        }
        let mut out = vec![0.0f64; archs.len()];
        let chunk = 4096;
        for (c, ids) in archs.chunks(chunk).enumerate() {
            let xb = with_embedding(self.x.view(), ids, embedding);
            for mlp in &self.members {
                let y = mlp.forward(xb.view());
                for (o, v) in out[c * chunk..].iter_mut().zip(y.iter()) {
                    *o += f64::from(*v);
                }
            }
        }
        let k = self.members.len() as f64;
        Ok(out.into_iter().map(|v| v / k).collect())
    }

    /// The hardware embedding (and the reference ln-latency mean and spread)
    /// of a device known on some reference architectures: `known` holds
    /// (position in the reference list, ln ms); the others are imputed.
    /// Returns `(embedding, m_r, s_r)`.
    pub fn embedding_from(&self, known: &[(usize, f64)]) -> Result<(Vec<f32>, f64, f64)> {
        let r_count = self.reference.len();
        if known.is_empty() {
            return Err(Error::Empty {
                context: "mlp-hw embedding".into(),
                what: "reference latency",
            });
        }
        for &(i, v) in known {
            if i >= r_count {
                return Err(Error::IndexOutOfRange {
                    context: "mlp-hw embedding".into(),
                    what: "reference",
                    index: i,
                    len: r_count,
                });
            }
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    context: "mlp-hw embedding".into(),
                    what: "reference ln(latency)",
                    value: v,
                });
            }
        }
        let mut r = vec![f64::NAN; r_count];
        for &(i, v) in known {
            r[i] = v;
        }
        let known_idx: Vec<usize> = (0..r_count).filter(|&i| r[i].is_finite()).collect();
        let missing: Vec<usize> = (0..r_count).filter(|&i| !r[i].is_finite()).collect();
        if !missing.is_empty() {
            self.impute(&mut r, &known_idx, &missing)?;
        }
        let (mr, sr) = mean_std(&r);
        let sr = if sr > 1e-12 { sr } else { 1.0 };
        let emb = r.iter().map(|v| ((v - mr) / sr) as f32).collect();
        Ok((emb, mr, sr))
    }

    fn impute(&self, r: &mut [f64], known: &[usize], missing: &[usize]) -> Result<()> {
        // Standardise by the known references' mean and spread (offset only
        // with fewer than 2 known or no spread).
        let scale = |v: &[f64]| {
            let (m, s) = mean_std(v);
            (
                m,
                if known.len() >= 2 && s > 1e-12 {
                    s
                } else {
                    1.0
                },
            )
        };
        let target_known: Vec<f64> = known.iter().map(|&i| r[i]).collect();
        let (mt, st) = scale(&target_known);
        let train: Vec<(Vec<f64>, f64, f64)> = self
            .reference_log
            .axis_iter(Axis(0))
            .map(|row| {
                let k: Vec<f64> = known.iter().map(|&i| row[i]).collect();
                let (m, s) = scale(&k);
                (k, m, s)
            })
            .collect();
        let std_missing = |d: usize, i: usize| {
            let (_, m, s) = &train[d];
            (self.reference_log[[d, i]] - m) / s
        };
        let d_count = train.len();
        let use_ridge =
            self.config.imputation == Imputation::Ridge && known.len() >= 3 && d_count >= 3;
        let design = Array2::from_shape_fn((d_count, known.len()), |(d, j)| {
            let (k, m, s) = &train[d];
            (k[j] - m) / s
        });
        let target_row = ndarray::Array1::from_iter(target_known.iter().map(|v| (v - mt) / st));
        for &i in missing {
            let y: Vec<f64> = (0..d_count).map(|d| std_missing(d, i)).collect();
            let u = if use_ridge {
                let sel = fit_ridge_loo(
                    design.view(),
                    &y,
                    &log_grid(1e-3, 1e3, 13),
                    LooCriterion::Mse,
                )?;
                sel.ridge.predict_row(target_row.view())
            } else {
                y.iter().sum::<f64>() / d_count as f64
            };
            r[i] = mt + st * u;
        }
        Ok(())
    }
}

impl PretrainedModel for HwEmbeddingModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        let y = check_samples(samples, query, self.n_archs())?;
        let ref_pos: HashMap<usize, usize> = self
            .reference
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, i))
            .collect();
        let known: Vec<(usize, f64)> = samples
            .iter()
            .zip(&y)
            .filter_map(|(s, &v)| ref_pos.get(&s.0).map(|&i| (i, v)))
            .collect();
        if known.is_empty() {
            return Err(Error::NoReferenceSamples {
                samples: samples.len(),
                references: self.reference.len(),
            });
        }
        let (emb, mr, sr) = self.embedding_from(&known)?;
        let sample_archs: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let zq = self.standardized_output(query, &emb)?;
        // Prior line: the training devices' typical mean and spread relative
        // to the reference latencies.
        let mut a = mr + sr * self.prior_offset;
        let mut b = sr * self.prior_log_ratio.exp();
        if self.config.line_correction && samples.len() >= 2 {
            let zs = self.standardized_output(&sample_archs, &emb)?;
            let (a1, b1) = crate::adapt::fit_line(&zs, &y);
            if b1.is_finite() && b1 > 0.0 && a1.is_finite() {
                (a, b) = (a1, b1);
            }
        }
        Ok(zq.into_iter().map(|z| (a + b * z).exp()).collect())
    }
}

/// Rejects a training table that is not the context's architectures, or
/// nothing to train (no device or no member).
fn check_training_table(config: &HwEmbeddingConfig, ctx: &PretrainContext<'_>) -> Result<()> {
    let table = ctx.train;
    if table.n_archs() != ctx.archs.len() || table.archs() != ctx.archs {
        return Err(Error::TableArchsDiffer { method: "mlp-hw" });
    }
    super::check_devices_and_members("mlp-hw", table.n_devices(), config.ensemble)
}

/// Positions among the task's architectures of the reference architectures
/// (the configured ones, else the space's shipped list), in list order; at
/// least 2 of them.
fn reference_positions(
    config: &HwEmbeddingConfig,
    ctx: &PretrainContext<'_>,
) -> Result<Vec<usize>> {
    let reference_list = match &config.reference {
        Some(r) => r.clone(),
        None => reference_archs(ctx.space)?,
    };
    let position: HashMap<&Arch, usize> =
        ctx.archs.iter().enumerate().map(|(i, a)| (a, i)).collect();
    let reference = reference_list
        .iter()
        .map(|a| {
            position
                .get(a)
                .copied()
                .ok_or_else(|| Error::ReferenceNotInTask {
                    arch: a.to_string(),
                })
        })
        .collect::<Result<Vec<usize>>>()?;
    if reference.len() < 2 {
        return Err(Error::TooFew {
            context: "mlp-hw".into(),
            what: "reference architectures",
            got: reference.len(),
            need: 2,
        });
    }
    Ok(reference)
}

/// Each training device's ln latencies, in architecture order (NaN where
/// not measured).
fn device_logs(table: &LatencyTable) -> Vec<Vec<f64>> {
    (0..table.n_devices())
        .map(|d| {
            table
                .device_column(d)
                .into_iter()
                .map(|v| v.map_or(f64::NAN, f64::ln))
                .collect()
        })
        .collect()
}

/// The profile of every training device (ln latencies `logs`), with room
/// for `virtual_devices` more; errors on a device without a usable profile.
fn real_profiles(
    table: &LatencyTable,
    logs: &[Vec<f64>],
    reference: &[usize],
    virtual_devices: usize,
) -> Result<Vec<Profile>> {
    let mut profiles = Vec::with_capacity(logs.len() + virtual_devices);
    for (d, log) in logs.iter().enumerate() {
        profiles.push(
            Profile::new(log, reference).ok_or_else(|| Error::NoDeviceProfile {
                device: table.devices()[d].clone(),
            })?,
        );
    }
    Ok(profiles)
}

/// Appends to `profiles` up to `count` virtual devices: random geometric
/// mixtures of the training devices (ln latencies `logs` over `n`
/// architectures), exponential weights normalised, each kept if it has a
/// profile.
fn add_virtual_devices(
    profiles: &mut Vec<Profile>,
    logs: &[Vec<f64>],
    reference: &[usize],
    n: usize,
    count: usize,
    rng: &mut ChaCha8Rng,
) {
    for _ in 0..count {
        let w: Vec<f64> = (0..logs.len())
            .map(|_| -(1.0 - rng.random::<f64>()).ln())
            .collect();
        let total: f64 = w.iter().sum();
        let mix: Vec<f64> = (0..n)
            .map(|a| logs.iter().zip(&w).map(|(l, w)| l[a] * w).sum::<f64>() / total)
            .collect();
        if let Some(p) = Profile::new(&mix, reference) {
            profiles.push(p);
        }
    }
}

/// Training rows per device: the measured architectures, subsampled to
/// `max_per_device` (kept in ascending order) when there are more.
fn training_rows(
    profiles: &[Profile],
    n: usize,
    max_per_device: Option<usize>,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<usize>> {
    profiles
        .iter()
        .map(|p| {
            let mut r: Vec<usize> = (0..n).filter(|&a| !p.z[a].is_nan()).collect();
            if let Some(m) = max_per_device.filter(|&m| m < r.len()) {
                r.shuffle(rng);
                r.truncate(m);
                r.sort_unstable();
            }
            r
        })
        .collect()
}

/// Trains the `config.ensemble` members, each seeded from `seed` and its
/// index, on `x` with the `n_reference`-wide hardware embedding appended.
fn train_members(
    config: &HwEmbeddingConfig,
    seed: u64,
    x: ArrayView2<'_, f32>,
    n_reference: usize,
    profiles: &[Profile],
    rows: &[Vec<usize>],
) -> Result<(Vec<Mlp>, Vec<TrainReport>)> {
    let mut widths = vec![x.ncols() + n_reference];
    widths.extend(&config.hidden);
    widths.push(1);
    let mut members = Vec::with_capacity(config.ensemble);
    let mut train_reports = Vec::with_capacity(config.ensemble);
    for m in 0..config.ensemble as u64 {
        let member_seed = seed.wrapping_mul(1_000_003).wrapping_add(m);
        let mut mlp = Mlp::new(&widths, member_seed);
        let cfg = TrainConfig {
            seed: member_seed ^ 0x7472_6169,
            ..config.train.clone()
        };
        train_reports.push(train_per_device(&mut mlp, x, profiles, rows, &cfg)?);
        members.push(mlp);
    }
    Ok((members, train_reports))
}

/// Rows `ids` of `x` with `embedding` appended to each.
fn with_embedding(x: ArrayView2<'_, f32>, ids: &[usize], embedding: &[f32]) -> Array2<f32> {
    let p = x.ncols();
    let mut out = Array2::<f32>::zeros((ids.len(), p + embedding.len()));
    for (mut row, &a) in out.axis_iter_mut(Axis(0)).zip(ids) {
        row.slice_mut(s![..p]).assign(&x.row(a));
        row.slice_mut(s![p..])
            .iter_mut()
            .zip(embedding)
            .for_each(|(o, e)| *o = *e);
    }
    out
}

/// Mini-batch training where every batch holds rows of one device (so the
/// ranking loss compares architectures on the same device): AdamW, MSE on
/// the standardised ln latency plus `rank_weight` × pairwise ranking,
/// cosine decay, gradient clipping.
fn train_per_device(
    mlp: &mut Mlp,
    x: ArrayView2<'_, f32>,
    profiles: &[Profile],
    rows: &[Vec<usize>],
    cfg: &TrainConfig,
) -> Result<TrainReport> {
    crate::nn::check_batch_size("mlp-hw", cfg.batch_size)?;
    if rows.iter().all(Vec::is_empty) {
        return Err(Error::Empty {
            context: "mlp-hw".into(),
            what: "training row",
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut job = PerDeviceJob {
        x,
        profiles,
        order: rows.to_vec(),
        cfg,
    };
    Ok(run_training(mlp, &mut job, &mut rng, cfg))
}

/// Batches of one device's rows each: every device's rows shuffled, cut
/// into batches, and the batches of all devices shuffled together.
struct PerDeviceJob<'a> {
    x: ArrayView2<'a, f32>,
    profiles: &'a [Profile],
    order: Vec<Vec<usize>>,
    cfg: &'a TrainConfig,
}

impl TrainingJob<Mlp> for PerDeviceJob<'_> {
    /// The device and its rows.
    type Batch = (usize, Vec<usize>);

    fn epoch_batches(&mut self, rng: &mut ChaCha8Rng) -> Vec<(usize, Vec<usize>)> {
        for r in self.order.iter_mut() {
            r.shuffle(rng);
        }
        let mut batches: Vec<(usize, Vec<usize>)> = Vec::with_capacity(self.batches_per_epoch());
        for (d, r) in self.order.iter().enumerate() {
            batches.extend(r.chunks(self.cfg.batch_size).map(|c| (d, c.to_vec())));
        }
        batches.shuffle(rng);
        batches
    }

    fn batches_per_epoch(&self) -> usize {
        self.order
            .iter()
            .map(|r| r.len().div_ceil(self.cfg.batch_size))
            .sum()
    }

    fn batch_rows((_, rows): &(usize, Vec<usize>)) -> usize {
        rows.len()
    }

    fn loss_and_grads(&self, mlp: &Mlp, (d, batch): &(usize, Vec<usize>)) -> (f32, MlpGrads) {
        let p = &self.profiles[*d];
        let xb = with_embedding(self.x, batch, &p.embedding);
        let yb = Array2::from_shape_fn((batch.len(), 1), |(i, _)| p.z[batch[i]]);
        loss_and_grads(mlp, xb.view(), yb.view(), self.cfg)
    }
}
