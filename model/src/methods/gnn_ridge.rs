//! `gnn-ridge` / `gnn-head`: a multi-output graph convolutional network over
//! the architecture graph, pretrained on the training devices, adapted like
//! `mlp-ridge` / `mlp-head`.
//!
//! Pretraining: [`crate::gnn::Gcn`] on `graph-v1` (node types plus node
//! positions), the standardised `features-v1` joining the readout as global
//! features; one output per training device (standardised log-latency);
//! masked MSE plus a pairwise ranking loss; an ensemble of a few seeds.
//!
//! Adaptation: [`crate::adapt`] on per-member blocks `[outputs | ln MACs |
//! head's last hidden layer]`. ln MACs sits with the outputs as a "FLOPs
//! device", so that `Head` can fall back on it for targets unlike every
//! training device (CPUs and phones when pretrained on GPUs).

use super::{adapt_feature_rows, ArchInputs, Configured, MethodConfig};
use crate::adapt::{Adaptation, FeatureLayout};
use crate::error::{Error, Result};
use crate::fewshot::{PretrainContext, PretrainedModel};
use crate::gnn::{gcn_embed, train_gcn, Gcn, GraphInputs};
use crate::nn::{Standardizer, TrainConfig, TrainReport};
use crate::ridge::{log_grid, LooCriterion};
use ndarray::{concatenate, s, Array2, Axis};

/// Settings of [`GnnRidge`].
#[derive(Clone, Debug, PartialEq)]
pub struct GnnRidgeConfig {
    /// Widths of the message-passing layers.
    pub widths: Vec<usize>,
    /// Hidden widths of the dense head.
    pub head_hidden: Vec<usize>,
    /// One-hot node positions in the node features.
    pub positions: bool,
    /// Standardised `features-v1` as global features into the head.
    pub global_features: bool,
    /// Ensemble members (seeds).
    pub ensemble: usize,
    /// Training of each member (its seed is offset per member and by the
    /// context's seed).
    pub train: TrainConfig,
    /// Default adaptation of the exported predictor and the one the evaluation uses for new
    /// devices.
    pub adaptation: Adaptation,
    /// Add ln MACs to the outputs as a "FLOPs device" for adaptation.
    pub ln_macs: bool,
    /// Weight of the block `[outputs | ln MACs]` in the adaptation features.
    pub outputs_weight: f64,
    /// Weight of the block of the head's last hidden layer (0: not used).
    pub hidden_weight: f64,
    /// How leave-one-out picks λ for the adaptation ridges.
    pub criterion: LooCriterion,
    /// λ grid relative to the design's scale.
    pub relative_lambdas: Vec<f64>,
}

impl Default for GnnRidgeConfig {
    fn default() -> Self {
        GnnRidgeConfig {
            widths: vec![64, 64, 64],
            head_hidden: vec![128],
            positions: true,
            global_features: true,
            ensemble: 2,
            train: TrainConfig::pretraining(30),
            adaptation: Adaptation::Head,
            ln_macs: true,
            outputs_weight: 1.0,
            hidden_weight: 1.0,
            criterion: LooCriterion::Mse,
            relative_lambdas: log_grid(1e-4, 1e3, 22),
        }
    }
}

/// The `gnn-ridge` / `gnn-head` / `gnn-blend` method.
pub type GnnRidge = Configured<GnnRidgeConfig>;

impl MethodConfig for GnnRidgeConfig {
    type Model = GnnRidgeModel;

    fn method_name(&self) -> String {
        format!("gnn-{}", self.adaptation)
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<GnnRidgeModel> {
        GnnRidgeModel::pretrain(self, ctx)
    }
}

/// A pretrained GCN ensemble with the adaptation features of every
/// architecture of the task.
#[derive(Clone, Debug)]
pub struct GnnRidgeModel {
    /// The settings it was pretrained with (and adapts with).
    pub config: GnnRidgeConfig,
    /// Training devices, in output order.
    pub devices: Vec<String>,
    /// Ensemble members, each mapping an architecture graph to standardised ln ms per training
    /// device.
    pub members: Vec<Gcn>,
    /// What training did, one report per member.
    pub train_reports: Vec<TrainReport>,
    /// One block per member: `[outputs | ln MACs | hidden]`, standardised
    /// and block-weighted (see [`crate::adapt`]).
    pub features: Array2<f32>,
}

impl GnnRidgeModel {
    fn pretrain(config: &GnnRidgeConfig, ctx: &PretrainContext<'_>) -> Result<Self> {
        let table = ctx.train;
        if table.n_archs() != ctx.archs.len() || table.archs() != ctx.archs {
            return Err(Error::TableArchsDiffer { method: "gnn" });
        }
        super::check_devices_and_members("gnn", table.n_devices(), config.ensemble)?;
        if config.widths.is_empty() {
            return Err(Error::InvalidConfig {
                context: "gnn".into(),
                field: "widths",
                value: "[]".into(),
                reason: "needs at least one hidden layer",
            });
        }
        let n = ctx.archs.len();
        let d = table.n_devices();
        let graphs = GraphInputs::from_archs(ctx.archs, config.positions)?;
        let inputs = ArchInputs::compute(ctx.archs)?;
        let global = if config.global_features {
            Standardizer::fit(inputs.features.view()).transform(inputs.features.view())
        } else {
            Array2::zeros((n, 0))
        };
        let log_y = Array2::from_shape_fn((n, d), |(a, j)| {
            table.value(a, j).map_or(f32::NAN, |v| v.ln() as f32)
        });
        let y = Standardizer::fit(log_y.view()).transform(log_y.view());
        let rows: Vec<usize> = (0..n).collect();
        let ln_macs = Array2::from_shape_fn((n, usize::from(config.ln_macs)), |(a, _)| {
            inputs.macs[a].max(1.0).ln() as f32
        });

        let mut members = Vec::with_capacity(config.ensemble);
        let mut train_reports = Vec::with_capacity(config.ensemble);
        let mut blocks = Vec::with_capacity(config.ensemble);
        for m in 0..config.ensemble as u64 {
            let seed = ctx.seed.wrapping_mul(1_000_003).wrapping_add(m) ^ 0x676e_6e00;
            let mut gcn = Gcn::new(
                graphs.node_dim(),
                &config.widths,
                global.ncols(),
                &config.head_hidden,
                d,
                seed,
            );
            let cfg = TrainConfig {
                seed: seed ^ 0x7472_6169,
                ..config.train.clone()
            };
            train_reports.push(train_gcn(
                &mut gcn,
                &graphs,
                global.view(),
                y.view(),
                &rows,
                &cfg,
            )?);
            let (outputs, hidden) = gcn_embed(&gcn, &graphs, global.view());
            blocks.push(adaptation_block(
                &[outputs.view(), ln_macs.view()],
                hidden.view(),
                config.outputs_weight,
                config.hidden_weight,
            ));
            members.push(gcn);
        }
        let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
        let features = concatenate(Axis(1), &views).expect("same rows");
        Ok(GnnRidgeModel {
            config: config.clone(),
            devices: table.devices().to_vec(),
            members,
            train_reports,
            features,
        })
    }

    /// Layout of [`features`](Self::features): the outputs block includes
    /// ln MACs (when configured).
    pub fn layout(&self) -> FeatureLayout {
        FeatureLayout {
            structure: None,
            blocks: self.members.len(),
            outputs: self.devices.len() + usize::from(self.config.ln_macs),
            cost: None,
        }
    }

    /// [`PretrainedModel::adapt_and_predict`] with another adaptation than
    /// the configured one.
    pub fn adapt_with(
        &self,
        adaptation: Adaptation,
        samples: &[(usize, f64)],
        query: &[usize],
    ) -> Result<Vec<f64>> {
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
}

impl PretrainedModel for GnnRidgeModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        self.adapt_with(self.config.adaptation, samples, query)
    }
}

/// One member's adaptation block `[outputs.. | hidden]`: every column
/// standardised, the outputs (side by side) scaled to total variance
/// `outputs_weight²` and the hidden block to `hidden_weight²` (left out when
/// 0), so that the ridge's penalty treats the blocks alike whatever their
/// widths.
pub(crate) fn adaptation_block(
    outputs: &[ndarray::ArrayView2<'_, f32>],
    hidden: ndarray::ArrayView2<'_, f32>,
    outputs_weight: f64,
    hidden_weight: f64,
) -> Array2<f32> {
    let mut parts = outputs.to_vec();
    if hidden_weight > 0.0 {
        parts.push(hidden);
    }
    let raw = concatenate(Axis(1), &parts).expect("same rows");
    let mut out = Standardizer::fit(raw.view()).transform(raw.view());
    let o: usize = outputs.iter().map(|a| a.ncols()).sum();
    let scale = |w: f64, width: usize| (w / (width.max(1) as f64).sqrt()) as f32;
    let so = scale(outputs_weight, o);
    out.slice_mut(s![.., ..o]).mapv_inplace(|v| v * so);
    let sh = scale(hidden_weight, out.ncols() - o);
    out.slice_mut(s![.., o..]).mapv_inplace(|v| v * sh);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use latscope_shared::dataset::LatencyTable;
    use latscope_shared::space::{nb201::Cell, Arch, SpaceId};

    /// 300 NB201 cells, three training devices plus a held-out one, all
    /// additive in per-(edge, op) costs with device-specific weights.
    fn task() -> (Vec<Arch>, LatencyTable, Vec<f64>) {
        let archs: Vec<Arch> = Cell::all().step_by(52).take(300).map(Arch::Nb201).collect();
        let cost = |a: &Arch, dev: usize| {
            let onehot = a.onehot();
            let s: f64 = onehot
                .iter()
                .enumerate()
                .map(|(i, &v)| v as f64 * (((i * (dev + 3)) % 7) as f64 * 0.2 + (i % 5) as f64))
                .sum();
            (0.5 + 0.1 * s).max(0.1)
        };
        let devices: Vec<String> = (0..3).map(|d| format!("dev{d}")).collect();
        let latency = archs
            .iter()
            .flat_map(|a| (0..3).map(move |d| Some(cost(a, d))))
            .collect();
        let table =
            LatencyTable::new(SpaceId::Nb201, archs.clone(), None, devices, latency).unwrap();
        let target = archs
            .iter()
            .map(|a| 0.5 * cost(a, 1) + cost(a, 2))
            .collect();
        (archs, table, target)
    }

    fn small() -> GnnRidge {
        GnnRidge::new(GnnRidgeConfig {
            widths: vec![16, 16],
            head_hidden: vec![16],
            ensemble: 2,
            train: TrainConfig {
                epochs: 15,
                batch_size: 32,
                learning_rate: 3e-3,
                rank_weight: 0.5,
                ..TrainConfig::default()
            },
            ..GnnRidgeConfig::default()
        })
    }

    #[test]
    fn pretrains_reproducibly_and_adapts_to_a_new_device() {
        let (archs, table, target) = task();
        let ctx = PretrainContext {
            space: SpaceId::Nb201,
            archs: &archs,
            train: &table,
            seed: 3,
        };
        let a = small().pretrain_model(&ctx).unwrap();
        let b = small().pretrain_model(&ctx).unwrap();
        assert_eq!(a.members, b.members);
        assert_eq!(a.features, b.features);
        assert_eq!(a.features.ncols(), 2 * (3 + 1 + 16));
        let other = small()
            .pretrain_model(&PretrainContext { seed: 4, ..ctx })
            .unwrap();
        assert_ne!(a.members, other.members);

        let samples: Vec<(usize, f64)> = (0..10).map(|i| (i * 29, target[i * 29])).collect();
        let query: Vec<usize> = (0..archs.len()).collect();
        let truth: Vec<f64> = query.iter().map(|&q| target[q]).collect();
        for adaptation in Adaptation::LOG_SPACE {
            let p = a.adapt_with(adaptation, &samples, &query).unwrap();
            let rho = latscope_shared::metrics::spearman(&p, &truth).unwrap();
            assert!(rho > 0.8, "{adaptation}: ρ {rho}");
        }
    }
}
