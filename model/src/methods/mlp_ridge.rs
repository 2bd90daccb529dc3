//! `mlp-ridge`: a multi-output MLP pretrained on the training devices, then
//! adapted to a new device by ridge regression over its per-device outputs
//! and last hidden layer.
//!
//! Pretraining: input `[onehot-v1, features-v1]` standardised over all
//! architectures; one output per training device, the device's
//! log-latency standardised; masked MSE plus a pairwise ranking loss; an
//! ensemble of a few seeds.
//!
//! Adaptation: [`crate::adapt`] on the ensemble's adaptation features
//! (the same function `profiler adapt` and the browser use on a predictor
//! file's `embedding` output).

use super::{adapt_feature_rows, check_samples, ArchInputs, Configured, MethodConfig};
pub use crate::adapt::Adaptation;
use crate::adapt::{
    cost_slope, fit_device, suggest_rows, CostColumn, DesignColumns, DeviceFit, FeatureLayout,
    StructureLayout, StructuredConfig,
};
use crate::error::{Error, Result};
use crate::fewshot::{Adapted, PretrainContext, PretrainedModel, StatedConfidence};
use crate::nn::{train_mlp, Mlp, Standardizer, TrainConfig, TrainReport};
use crate::predictor_onnx::{AdaptationFeatures, PredictorSpec, StructureFeatures};
use crate::ridge::{log_grid, LooCriterion};
use crate::structure::{counts_from_onehot, ops_per_position, StandardizedDesign};
use latscope_shared::encoding::Encoding;
use latscope_shared::space::SpaceId;
use ndarray::{s, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Settings of [`MlpRidge`].
#[derive(Clone, Debug, PartialEq)]
pub struct MlpRidgeConfig {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Ensemble members (seeds).
    pub ensemble: usize,
    /// Training of each member (its `seed` is offset per member and by the
    /// context's seed).
    pub train: TrainConfig,
    /// Pretrain on at most this many architectures (random, seeded); None:
    /// all of them.
    pub max_train_archs: Option<usize>,
    /// Default adaptation of the exported predictor and the one the evaluation uses for new
    /// devices.
    pub adaptation: Adaptation,
    /// Weight of the block of per-training-device outputs in the ridge.
    pub outputs_weight: f64,
    /// Add ln MACs (standardised) as one more output column: a "FLOPs
    /// device" the adaptation can start from when no training device ranks
    /// the target's samples well.
    pub flops_output: bool,
    /// Weight of the block of last-hidden-layer features (0: not used).
    pub hidden_weight: f64,
    /// Weight of the block of standardised `features-v1` (0: not used).
    pub features_weight: f64,
    /// Weight of the block of standardised `onehot-v1` (0: not used).
    pub onehot_weight: f64,
    /// How leave-one-out picks λ for the adaptation ridges.
    pub criterion: LooCriterion,
    /// λ grid relative to the design's scale.
    pub relative_lambdas: Vec<f64>,
    /// How the `auto` adaptation chooses its fit.
    pub structured: StructuredConfig,
}

impl Default for MlpRidgeConfig {
    fn default() -> Self {
        MlpRidgeConfig {
            hidden: vec![256, 256],
            ensemble: 3,
            train: TrainConfig::pretraining(40),
            max_train_archs: None,
            adaptation: Adaptation::Ridge,
            flops_output: true,
            outputs_weight: 1.0,
            hidden_weight: 1.0,
            features_weight: 0.0,
            onehot_weight: 0.0,
            criterion: LooCriterion::Mse,
            relative_lambdas: log_grid(1e-4, 1e3, 22),
            structured: StructuredConfig::default(),
        }
    }
}

/// The `mlp-ridge` / `mlp-head` / `mlp-blend` / `mlp-auto` method.
pub type MlpRidge = Configured<MlpRidgeConfig>;

impl MethodConfig for MlpRidgeConfig {
    type Model = MlpRidgeModel;

    fn method_name(&self) -> String {
        match self.adaptation {
            Adaptation::Ridge => "mlp-ridge".into(),
            Adaptation::Head => "mlp-head".into(),
            Adaptation::Blend => "mlp-blend".into(),
            Adaptation::Auto => "mlp-auto".into(),
        }
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<MlpRidgeModel> {
        pretrain_cache::pretrain(self, ctx)
    }
}

/// `mlp-ridge`, `mlp-head`, `mlp-blend` and the structured methods differ
/// only in how they adapt: evaluating several of them on one seed pretrains
/// the same ensemble each time. The last pretraining is kept and handed out
/// again when the settings (adaptation aside), the seed and the training
/// table are the same.
mod pretrain_cache {
    use super::{MlpRidgeConfig, MlpRidgeModel};
    use crate::adapt::Adaptation;
    use crate::error::Result;
    use crate::fewshot::PretrainContext;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    use std::sync::Mutex;

    static LAST: Mutex<Option<(u64, MlpRidgeModel)>> = Mutex::new(None);

    fn key(config: &MlpRidgeConfig, ctx: &PretrainContext<'_>) -> u64 {
        let mut h = DefaultHasher::new();
        let training = MlpRidgeConfig {
            adaptation: Adaptation::Ridge,
            structured: Default::default(),
            ..config.clone()
        };
        format!("{training:?}").hash(&mut h);
        ctx.seed.hash(&mut h);
        ctx.space.name().hash(&mut h);
        ctx.train.devices().hash(&mut h);
        for a in 0..ctx.train.n_archs() {
            ctx.archs[a].to_string().hash(&mut h);
            for d in 0..ctx.train.n_devices() {
                ctx.train.value(a, d).map(f64::to_bits).hash(&mut h);
            }
        }
        h.finish()
    }

    pub(super) fn pretrain(
        config: &MlpRidgeConfig,
        ctx: &PretrainContext<'_>,
    ) -> Result<MlpRidgeModel> {
        if ctx.archs.len() != ctx.train.n_archs() {
            return MlpRidgeModel::pretrain(config, ctx);
        }
        let key = key(config, ctx);
        if let Ok(last) = LAST.lock() {
            if let Some((k, model)) = last.as_ref() {
                if *k == key {
                    return Ok(MlpRidgeModel {
                        config: config.clone(),
                        ..model.clone()
                    });
                }
            }
        }
        let model = MlpRidgeModel::pretrain(config, ctx)?;
        if let Ok(mut last) = LAST.lock() {
            *last = Some((key, model.clone()));
        }
        Ok(model)
    }
}

/// A pretrained `mlp-ridge` ensemble with its adaptation features
/// precomputed for every architecture of the task.
#[derive(Clone, Debug)]
pub struct MlpRidgeModel {
    /// The settings it was pretrained with (and adapts with).
    pub config: MlpRidgeConfig,
    /// Training devices, in output order.
    pub devices: Vec<String>,
    /// Ensemble members, each mapping standardised input to standardised ln ms per training
    /// device.
    pub members: Vec<Mlp>,
    /// Standardisation of the raw input `[onehot-v1, features-v1]`.
    pub input_standardizer: Standardizer,
    /// Standardisation of each training device's ln(latency in ms).
    pub target_standardizer: Standardizer,
    /// What training did, one report per member.
    pub train_reports: Vec<TrainReport>,
    /// Adaptation features of every architecture: one block per member of
    /// `[outputs | hidden [| features | onehot]]`, standardised and
    /// block-weighted, then the structure columns (see [`crate::adapt`]).
    pub features: Array2<f32>,
    /// The structure columns: `(raw − mean) · multiplier` of the training
    /// devices' predicted ms and the operation counts.
    pub structure_mean: Vec<f32>,
    /// Multipliers of the structure columns after subtracting [`Self::structure_mean`], one per
    /// column.
    pub structure_multiplier: Vec<f32>,
    /// Operation counts per architecture (columns of the structure).
    structure_ops: usize,
    /// `features = (raw − adapt_mean) · adapt_scale` (for export).
    adapt_mean: Vec<f32>,
    adapt_scale: Vec<f32>,
    /// Width of the onehot-v1 part of the input.
    n_onehot: usize,
    /// Per architecture: its output cannot depend on its input (samples of such networks that
    /// the runtime folded are left out of adaptation, [`crate::adapt::folded`]).
    constant_output: Vec<bool>,
}

impl MlpRidgeModel {
    fn pretrain(config: &MlpRidgeConfig, ctx: &PretrainContext<'_>) -> Result<Self> {
        let table = ctx.train;
        if table.n_archs() != ctx.archs.len() || table.archs() != ctx.archs {
            return Err(Error::TableArchsDiffer {
                method: "mlp-ridge",
            });
        }
        super::check_devices_and_members("mlp-ridge", table.n_devices(), config.ensemble)?;
        let inputs = ArchInputs::compute(ctx.archs)?;
        let raw = inputs.onehot_and_features();
        let input_standardizer = Standardizer::fit(raw.view());
        let x = input_standardizer.transform(raw.view());
        let n = ctx.archs.len();
        let d = table.n_devices();
        let log_y = Array2::from_shape_fn((n, d), |(a, j)| {
            table.value(a, j).map_or(f32::NAN, |v| v.ln() as f32)
        });
        let target_standardizer = Standardizer::fit(log_y.view());
        let y = target_standardizer.transform(log_y.view());

        let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed ^ 0x6d6c_7072);
        let mut rows: Vec<usize> = (0..n).collect();
        if let Some(m) = config.max_train_archs.filter(|&m| m < n) {
            rows.shuffle(&mut rng);
            rows.truncate(m);
            rows.sort_unstable();
        }
        let (xt, yt) = (x.select(Axis(0), &rows), y.select(Axis(0), &rows));

        let mut widths = vec![x.ncols()];
        widths.extend(&config.hidden);
        widths.push(d);
        let mut members = Vec::with_capacity(config.ensemble);
        let mut train_reports = Vec::with_capacity(config.ensemble);
        for m in 0..config.ensemble as u64 {
            let seed = ctx.seed.wrapping_mul(1_000_003).wrapping_add(m);
            let mut mlp = Mlp::new(&widths, seed);
            let cfg = TrainConfig {
                seed: seed ^ 0x7472_6169,
                ..config.train.clone()
            };
            train_reports.push(train_mlp(&mut mlp, xt.view(), yt.view(), &cfg)?);
            members.push(mlp);
        }
        let n_onehot = inputs.onehot.ncols();
        let (mut blocks, mut adapt_mean, mut adapt_scale) = (vec![], vec![], vec![]);
        for mlp in &members {
            let (block, mean, scale) = embed(mlp, x.view(), n_onehot, config);
            blocks.push(block);
            adapt_mean.extend(mean);
            adapt_scale.extend(scale);
        }
        // The structure columns: what the trained ensemble predicts in ms
        // for each training device, and the operation counts.
        let mut partial = MlpRidgeModel {
            config: config.clone(),
            devices: table.devices().to_vec(),
            members,
            input_standardizer,
            target_standardizer,
            train_reports,
            features: Array2::zeros((0, 0)),
            structure_mean: vec![],
            structure_multiplier: vec![],
            structure_ops: 0,
            adapt_mean,
            adapt_scale,
            n_onehot,
            constant_output: ctx
                .archs
                .iter()
                .map(|a| !a.output_depends_on_input())
                .collect(),
        };
        let devices_ms = partial.predict_training_devices(raw.view());
        let counts = counts_from_onehot(
            inputs.onehot.mapv(f64::from).view(),
            ops_per_position(ctx.space),
        )?;
        let design = StandardizedDesign::new(&[devices_ms.view(), counts.view()])?;
        blocks.push(design.values.mapv(|v| v as f32));
        let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
        partial.features = ndarray::concatenate(Axis(1), &views).expect("same rows");
        partial.structure_mean = design.mean.iter().map(|&v| v as f32).collect();
        partial.structure_multiplier = design.multiplier.iter().map(|&v| v as f32).collect();
        partial.structure_ops = counts.ncols();
        Ok(partial)
    }

    /// Number of architectures the adaptation features cover.
    pub fn n_archs(&self) -> usize {
        self.features.nrows()
    }

    /// Predicted latency (ms) of every training device for raw inputs
    /// `[onehot-v1, features-v1]` (rows): the ensemble's mean in log space.
    pub fn predict_training_devices(&self, raw: ArrayView2<'_, f32>) -> Array2<f64> {
        let x = self.input_standardizer.transform(raw);
        let mut sum = Array2::<f64>::zeros((x.nrows(), self.devices.len()));
        for mlp in &self.members {
            sum += &forward_chunked(mlp, x.view()).mapv(f64::from);
        }
        let k = self.members.len() as f64;
        let mut out = sum / k;
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            col.mapv_inplace(|z| self.target_standardizer.inverse_one(j, z).exp());
        }
        out
    }

    /// [`predict_training_devices`](Self::predict_training_devices) for
    /// architectures, encoding them first.
    pub fn predict_archs(&self, archs: &[latscope_shared::space::Arch]) -> Result<Array2<f64>> {
        let raw = ArchInputs::compute(archs)?.onehot_and_features();
        Ok(self.predict_training_devices(raw.view()))
    }
}

impl MlpRidgeModel {
    /// [`PretrainedModel::adapt_and_predict`] with another adaptation than
    /// the configured one (the pretrained ensemble is the same).
    pub fn adapt_with(
        &self,
        adaptation: Adaptation,
        samples: &[(usize, f64)],
        query: &[usize],
    ) -> Result<Vec<f64>> {
        let samples = &self.without_folded(samples);
        if adaptation == Adaptation::Auto {
            let (fit, xq) = self.fit_auto(samples, query)?;
            return fit.predict(xq.view());
        }
        let ridge = (
            self.config.criterion,
            self.config.relative_lambdas.as_slice(),
        );
        adapt_feature_rows(
            &self.features,
            self.layout(),
            adaptation,
            ridge,
            samples,
            query,
        )
    }

    /// `samples` without those the runtime folded into a constant, as `profiler adapt` and the
    /// page leave them out.
    fn without_folded(&self, samples: &[(usize, f64)]) -> Vec<(usize, f64)> {
        let constant: Vec<bool> = samples
            .iter()
            .map(|&(a, _)| self.constant_output.get(a).copied().unwrap_or(false))
            .collect();
        let ms: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let folded = crate::adapt::folded(&constant, &ms);
        samples
            .iter()
            .enumerate()
            .filter(|(i, _)| !folded.contains(i))
            .map(|(_, s)| *s)
            .collect()
    }

    /// The automatic fit from `samples`, and the query's feature rows.
    fn fit_auto(
        &self,
        samples: &[(usize, f64)],
        query: &[usize],
    ) -> Result<(DeviceFit, Array2<f32>)> {
        check_samples(samples, query, self.n_archs())?;
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let xs = self.features.select(Axis(0), &rows);
        let ms: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let fit = fit_device(xs.view(), &ms, self.layout(), &self.config.structured)?;
        Ok((fit, self.features.select(Axis(0), query)))
    }

    /// Layout of [`features`](Self::features).
    pub fn layout(&self) -> FeatureLayout {
        FeatureLayout {
            blocks: self.members.len(),
            outputs: self.devices.len() + usize::from(self.config.flops_output),
            structure: Some(StructureLayout {
                devices: self.devices.len(),
                ops: self.structure_ops,
            }),
            cost: self.config.flops_output.then(|| CostColumn {
                column: self.devices.len(),
                slope: cost_slope(
                    f64::from(self.input_standardizer.std[self.n_onehot] as f32),
                    self.adapt_scale[self.devices.len()],
                ),
            }),
        }
    }
}

impl MlpRidgeModel {
    /// The predictor file form of this model (see [`crate::predictor_onnx`]):
    /// same predictions for the training devices, same adaptation features.
    pub fn to_spec(
        &self,
        space: SpaceId,
        reference_archs: Vec<String>,
        extra: BTreeMap<String, String>,
    ) -> Result<PredictorSpec> {
        for (field, weight) in [
            ("features_weight", self.config.features_weight),
            ("onehot_weight", self.config.onehot_weight),
        ] {
            if weight > 0.0 {
                return Err(Error::InvalidConfig {
                    context: "mlp-ridge export".into(),
                    field,
                    value: weight.to_string(),
                    reason: "only models adapting on [outputs | ln MACs | hidden] export",
                });
            }
        }
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
        let spec = PredictorSpec {
            space,
            encodings: vec![Encoding::OneHotV1, Encoding::FeaturesV1],
            devices: self.devices.clone(),
            input_mean: f32s(&self.input_standardizer.mean),
            input_std: f32s(&self.input_standardizer.std),
            members: self.members.clone(),
            output_mean: f32s(&self.target_standardizer.mean),
            output_std: f32s(&self.target_standardizer.std),
            adaptation: AdaptationFeatures {
                input_columns: if self.config.flops_output {
                    vec![self.n_onehot]
                } else {
                    vec![]
                },
                mean: self.adapt_mean.clone(),
                scale: self.adapt_scale.clone(),
                default: self.config.adaptation,
                structure: Some(StructureFeatures {
                    ops: self.structure_ops,
                    mean: self.structure_mean.clone(),
                    multiplier: self.structure_multiplier.clone(),
                }),
            },
            adapted: vec![],
            reference_archs,
            method: self.describe(),
            extra,
            scan: None,
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Method name and settings, for the file's metadata.
    pub fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "mlp-ensemble(members={}, hidden={:?}, epochs={}, lr={}, rank_weight={}, \
             flops_output={}) + {} adaptation",
            c.ensemble,
            c.hidden,
            c.train.epochs,
            c.train.learning_rate,
            c.train.rank_weight,
            c.flops_output,
            c.adaptation
        )
    }
}

impl PretrainedModel for MlpRidgeModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        self.adapt_with(self.config.adaptation, samples, query)
    }

    fn adapt_with_confidence(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Adapted> {
        if self.config.adaptation != Adaptation::Auto {
            return Ok(Adapted {
                predictions: self.adapt_and_predict(samples, query)?,
                stated: None,
            });
        }
        let (fit, xq) = self.fit_auto(&self.without_folded(samples), query)?;
        Ok(Adapted {
            predictions: fit.predict(xq.view())?,
            // Below 3 samples there is no leave-one-out to state.
            stated: fit.loo.log_rmse.is_finite().then(|| StatedConfidence {
                fit: fit.kind.to_string(),
                loo: fit.loo,
            }),
        })
    }

    fn suggest(
        &self,
        measured: &[usize],
        candidates: &[usize],
        n: usize,
        columns: DesignColumns,
    ) -> Option<Result<Vec<usize>>> {
        Some(
            self.layout()
                .design_columns(self.features.view(), columns)
                .and_then(|design| suggest_rows(design, measured, candidates, n)),
        )
    }
}

fn forward_chunked(mlp: &Mlp, x: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros((x.nrows(), mlp.outputs()));
    let chunk = 4096;
    let mut start = 0;
    while start < x.nrows() {
        let end = (start + chunk).min(x.nrows());
        let y = mlp.forward(x.slice(s![start..end, ..]));
        out.slice_mut(s![start..end, ..]).assign(&y);
        start = end;
    }
    out
}

/// Adaptation features of every row of `x` (the standardised input
/// `[onehot-v1 | features-v1]`, onehot taking `n_onehot` columns), one
/// block per member: `[outputs | ln MACs? | last hidden | features-v1? |
/// onehot-v1?]`. Each column is standardised over the rows, and each part
/// scaled so that its total variance is its weight²; ln MACs counts as one
/// more output (a "FLOPs device" the head adaptation can start from).
/// Returns the features and their `(raw − mean) · scale` coefficients.
fn embed(
    mlp: &Mlp,
    x: ArrayView2<'_, f32>,
    n_onehot: usize,
    cfg: &MlpRidgeConfig,
) -> (Array2<f32>, Vec<f32>, Vec<f32>) {
    let n_layers = mlp.layers.len();
    let acts = forward_all_chunked(mlp, x);
    // features-v1 starts with ln(1 + MACs).
    debug_assert_eq!(latscope_shared::encoding::feature_names()[0], "ln1p_macs");
    let macs_col = n_onehot;
    let mut outputs = vec![acts[n_layers].view()];
    if cfg.flops_output {
        outputs.push(x.slice(s![.., macs_col..macs_col + 1]));
    }
    let outputs = ndarray::concatenate(Axis(1), &outputs).expect("same rows");
    let mut parts: Vec<(ArrayView2<'_, f32>, f64)> = vec![(outputs.view(), cfg.outputs_weight)];
    if cfg.hidden_weight > 0.0 && n_layers >= 2 {
        parts.push((acts[n_layers - 1].view(), cfg.hidden_weight));
    }
    if cfg.features_weight > 0.0 {
        parts.push((x.slice(s![.., n_onehot..]), cfg.features_weight));
    }
    if cfg.onehot_weight > 0.0 {
        parts.push((x.slice(s![.., ..n_onehot]), cfg.onehot_weight));
    }
    let views: Vec<_> = parts.iter().map(|p| p.0).collect();
    let raw = ndarray::concatenate(Axis(1), &views).expect("same rows");
    let st = Standardizer::fit(raw.view());
    // Column scale: the part's weight spread over its columns, over the
    // column's standard deviation.
    let part_weights = parts
        .iter()
        .flat_map(|(part, w)| std::iter::repeat_n(w / (part.ncols() as f64).sqrt(), part.ncols()));
    let scale: Vec<f32> = part_weights
        .zip(&st.std)
        .map(|(w, s)| (w / s) as f32)
        .collect();
    let mean: Vec<f32> = st.mean.iter().map(|&m| m as f32).collect();
    let mut out = raw;
    for (mut col, (m, s)) in out.axis_iter_mut(Axis(1)).zip(mean.iter().zip(&scale)) {
        col.mapv_inplace(|v| (v - m) * s);
    }
    (out, mean, scale)
}

/// Every layer's activations for all rows, computed in chunks (bounded
/// memory for the intermediate products).
fn forward_all_chunked(mlp: &Mlp, x: ArrayView2<'_, f32>) -> Vec<Array2<f32>> {
    let widths: Vec<usize> = std::iter::once(mlp.inputs())
        .chain(mlp.layers.iter().map(|l| l.outputs()))
        .collect();
    let mut out: Vec<Array2<f32>> = widths
        .iter()
        .map(|&w| Array2::zeros((x.nrows(), w)))
        .collect();
    let chunk = 4096;
    let mut start = 0;
    while start < x.nrows() {
        let end = (start + chunk).min(x.nrows());
        for (dst, src) in out
            .iter_mut()
            .zip(mlp.forward_all(x.slice(s![start..end, ..])))
        {
            dst.slice_mut(s![start..end, ..]).assign(&src);
        }
        start = end;
    }
    out
}
