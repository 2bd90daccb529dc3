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

use super::{check_samples, ArchInputs};
pub use crate::adapt::Adaptation;
use crate::adapt::{adapt_log_latency, AdaptConfig, FeatureLayout};
use crate::error::{Error, Result};
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use crate::nn::{train_mlp, Mlp, Standardizer, TrainConfig, TrainReport};
use crate::ridge::{log_grid, LooCriterion};
use ndarray::{s, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

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
    pub adaptation: Adaptation,
    /// Weight of the block of per-training-device outputs in the ridge.
    pub outputs_weight: f64,
    /// Weight of the block of last-hidden-layer features (0: not used).
    pub hidden_weight: f64,
    /// Weight of the block of standardised `features-v1` (0: not used).
    pub features_weight: f64,
    /// Weight of the block of standardised `onehot-v1` (0: not used).
    pub onehot_weight: f64,
    pub criterion: LooCriterion,
    /// λ grid relative to the design's scale.
    pub relative_lambdas: Vec<f64>,
}

impl Default for MlpRidgeConfig {
    fn default() -> Self {
        MlpRidgeConfig {
            hidden: vec![256, 256],
            ensemble: 3,
            train: TrainConfig {
                epochs: 40,
                batch_size: 128,
                learning_rate: 2e-3,
                rank_weight: 0.5,
                ..TrainConfig::default()
            },
            max_train_archs: None,
            adaptation: Adaptation::Ridge,
            outputs_weight: 1.0,
            hidden_weight: 1.0,
            features_weight: 0.0,
            onehot_weight: 0.0,
            criterion: LooCriterion::Mse,
            relative_lambdas: log_grid(1e-4, 1e3, 22),
        }
    }
}

/// The `mlp-ridge` method.
#[derive(Clone, Debug, Default)]
pub struct MlpRidge {
    pub config: MlpRidgeConfig,
}

impl MlpRidge {
    pub fn new(config: MlpRidgeConfig) -> Self {
        MlpRidge { config }
    }

    /// Pretrains and returns the concrete model (for export, batch prediction
    /// and inspection); [`FewShotMethod::pretrain`] boxes this.
    pub fn pretrain_model(&self, ctx: &PretrainContext<'_>) -> Result<MlpRidgeModel> {
        MlpRidgeModel::pretrain(&self.config, ctx)
    }
}

impl FewShotMethod for MlpRidge {
    fn name(&self) -> String {
        match self.config.adaptation {
            Adaptation::Ridge => "mlp-ridge".into(),
            Adaptation::Head => "mlp-head".into(),
            Adaptation::Blend => "mlp-blend".into(),
        }
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        Ok(Box::new(self.pretrain_model(ctx)?))
    }
}

/// A pretrained `mlp-ridge` ensemble with its adaptation features
/// precomputed for every architecture of the task.
#[derive(Clone, Debug)]
pub struct MlpRidgeModel {
    pub config: MlpRidgeConfig,
    /// Training devices, in output order.
    pub devices: Vec<String>,
    pub members: Vec<Mlp>,
    /// Standardisation of the raw input `[onehot-v1, features-v1]`.
    pub input_standardizer: Standardizer,
    /// Standardisation of each training device's ln(latency in ms).
    pub target_standardizer: Standardizer,
    pub train_reports: Vec<TrainReport>,
    /// Adaptation features of every architecture: one block per member of
    /// `[outputs | hidden [| features | onehot]]`, standardised and
    /// block-weighted (see [`crate::adapt`]).
    pub features: Array2<f32>,
}

impl MlpRidgeModel {
    fn pretrain(config: &MlpRidgeConfig, ctx: &PretrainContext<'_>) -> Result<Self> {
        let table = ctx.train;
        if table.n_archs() != ctx.archs.len() || table.archs() != ctx.archs {
            return Err(Error::InvalidInput(
                "mlp-ridge: the training table's archs differ from the context's".into(),
            ));
        }
        if table.n_devices() == 0 || config.ensemble == 0 {
            return Err(Error::InvalidInput(
                "mlp-ridge: no training devices or no members".into(),
            ));
        }
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
        // Raw architecture blocks for the ridge: [features-v1, onehot-v1].
        let arch_raw = inputs.onehot_and_features();
        let n_onehot = inputs.onehot.ncols();
        let feats = Standardizer::fit(arch_raw.view()).transform(arch_raw.view());
        let feats = ndarray::concatenate(
            Axis(1),
            &[
                feats.slice(s![.., n_onehot..]),
                feats.slice(s![.., ..n_onehot]),
            ],
        )
        .expect("same rows");
        let n_feat = feats.ncols() - n_onehot;
        let blocks: Vec<Array2<f32>> = members
            .iter()
            .map(|mlp| embed(mlp, x.view(), feats.view(), n_feat, config))
            .collect();
        let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
        let features = ndarray::concatenate(Axis(1), &views).expect("same rows");
        Ok(MlpRidgeModel {
            config: config.clone(),
            devices: table.devices().to_vec(),
            members,
            input_standardizer,
            target_standardizer,
            train_reports,
            features,
        })
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
        let y = check_samples(samples, query, self.n_archs())?;
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let xs = self.features.select(Axis(0), &rows);
        let xq = self.features.select(Axis(0), query);
        let config = AdaptConfig {
            adaptation,
            criterion: self.config.criterion,
            relative_lambdas: self.config.relative_lambdas.clone(),
        };
        let log = adapt_log_latency(xs.view(), &y, xq.view(), self.layout(), &config)?;
        Ok(log.into_iter().map(f64::exp).collect())
    }

    /// Layout of [`features`](Self::features).
    pub fn layout(&self) -> FeatureLayout {
        FeatureLayout {
            blocks: self.members.len(),
            outputs: self.devices.len(),
        }
    }
}

impl PretrainedModel for MlpRidgeModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        self.adapt_with(self.config.adaptation, samples, query)
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

/// Adaptation features of every row of `x`: `[outputs | last hidden |
/// features]`, each column standardised, each block scaled to total
/// variance weight².
fn embed(
    mlp: &Mlp,
    x: ArrayView2<'_, f32>,
    feats: ArrayView2<'_, f32>,
    n_feat: usize,
    cfg: &MlpRidgeConfig,
) -> Array2<f32> {
    let n = x.nrows();
    let n_layers = mlp.layers.len();
    let d = mlp.outputs();
    let h = if n_layers >= 2 && cfg.hidden_weight > 0.0 {
        mlp.layers[n_layers - 1].inputs()
    } else {
        0
    };
    // `feats` is [features-v1 (n_feat) | onehot-v1], both standardised.
    let f_range = if cfg.features_weight > 0.0 {
        0..n_feat
    } else {
        0..0
    };
    let o_range = if cfg.onehot_weight > 0.0 {
        n_feat..feats.ncols()
    } else {
        0..0
    };
    let (f, o) = (f_range.len(), o_range.len());
    let mut out = Array2::<f32>::zeros((n, d + h + f + o));
    let chunk = 4096;
    let mut start = 0;
    while start < n {
        let end = (start + chunk).min(n);
        let acts = mlp.forward_all(x.slice(s![start..end, ..]));
        out.slice_mut(s![start..end, 0..d]).assign(&acts[n_layers]);
        if h > 0 {
            out.slice_mut(s![start..end, d..d + h])
                .assign(&acts[n_layers - 1]);
        }
        start = end;
    }
    out.slice_mut(s![.., d + h..d + h + f])
        .assign(&feats.slice(s![.., f_range]));
    out.slice_mut(s![.., d + h + f..])
        .assign(&feats.slice(s![.., o_range]));
    let st = Standardizer::fit(out.view());
    let mut out = st.transform(out.view());
    let blocks = [
        (0, d, cfg.outputs_weight),
        (d, d + h, cfg.hidden_weight),
        (d + h, d + h + f, cfg.features_weight),
        (d + h + f, d + h + f + o, cfg.onehot_weight),
    ];
    for (lo, hi, w) in blocks {
        if hi > lo {
            let s = (w / ((hi - lo) as f64).sqrt()) as f32;
            out.slice_mut(s![.., lo..hi]).mapv_inplace(|v| v * s);
        }
    }
    out
}
