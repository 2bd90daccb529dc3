//! Structured adaptation: a new device from its K samples as one closed
//! form over the two parts of an adaptation feature row ([`super`]),
//!
//! * the ensemble blocks: what the training devices teach, in log space
//!   (the members' outputs, ln MACs, last hidden layer);
//! * the structure columns: the training devices' predicted
//!   **milliseconds** and how often each operation occurs, each column
//!   standardised over the training architectures ([`crate::structure`]). Latencies of
//!   operators run one after another add up, so a ridge in ms over these
//!   columns gives accelerators and large-batch GPUs their additive
//!   per-operation costs, and phones the mixture of training devices they
//!   resemble.
//!
//! Up to six fits are made on the samples: the log-space **head** adaptation
//! ([`super::Adaptation::Head`]), the **structured** ridge in ms (λ by exact
//! leave-one-out), their **blend** (geometric mean), and three that start
//! from physics, the zero-shot cost ranking: the **cost** line `ln ms = c +
//! ln MACs` (slope fixed, only `c` fitted), the **cost residual** (that line
//! plus the head's ridge correction) and the **cost blend** (geometric mean
//! of the cost residual and the structured fit). Which one a device gets is
//! [`StructuredConfig`]'s rule: the first candidate unless another's
//! leave-one-out error in log space is below
//! [`StructuredConfig::switch_ratio`] times its own. The default rule and
//! the alternatives it was chosen over are in `static/results/decisions.md`.
//!
//! Every fit is one formula over the whole row `x`, so it is written into a
//! predictor file as is: `ms = exp(x·w + b) · max(x·v + c, floor)^p`, with
//! `v` zero on the blocks and `w` zero on the structure columns; `p = 0`
//! for the head and the cost fits, `w = 0, b = 0, p = 1` for the structured
//! fit, and half of the log-space fit's `w, b` with `p = ½` for the blends.

use super::{adapt_log_latency, AdaptConfig, Adaptation, FeatureLayout, HeadBase, StructureLayout};
use crate::error::{Error, Result};
use crate::ridge::{default_relative_lambdas, LooCriterion, RidgePath};
use latscope_shared::metrics::spearman;
use ndarray::{Array2, ArrayView2};
use serde::Serialize;
use std::fmt;

/// Predictions of a linear model in ms below this fraction of the smallest
/// sample are raised to it: a linear model can go negative, a latency
/// cannot.
pub const FLOOR_FRACTION: f64 = 0.01;

/// The smallest latency a linear model in ms may predict, given the
/// measured ms ([`FLOOR_FRACTION`] of the smallest).
pub fn latency_floor(ms: impl IntoIterator<Item = f64>) -> f64 {
    FLOOR_FRACTION * ms.into_iter().fold(f64::INFINITY, f64::min)
}

/// Which fit a device uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FitKind {
    /// The log-space head adaptation ([`super::Adaptation::Head`]): a training device's output
    /// mapped by a line in ln ms, plus a ridge correction.
    Head,
    /// A ridge in ms over the structure columns (training devices' predicted ms and operation
    /// counts), λ by exact leave-one-out; suits additive devices.
    Structured,
    /// The geometric mean of the head and the structured fit; the default, since it is never
    /// far from the better of the two.
    Blend,
    /// Least squares in ms on the operation counts alone (the `op-count`
    /// baseline as a candidate).
    OpCount,
    /// A line in ln ms on ln MACs: ranks as MACs do, the zero-shot cost ranking (the `flops`
    /// baseline as a candidate).
    Cost,
    /// The line on ln MACs plus the head's ridge correction on the residuals (λ by
    /// leave-one-out, "no correction" reachable): a learned residual on top of the cost model,
    /// shrunk towards it.
    CostResidual,
    /// The geometric mean of the cost residual fit and the structured fit.
    CostBlend,
}

impl FitKind {
    /// The fit's short name, as written in predictor files (`latscope.adapted_devices`) and
    /// reports.
    pub const fn name(&self) -> &'static str {
        match self {
            FitKind::Head => "head",
            FitKind::Structured => "structured",
            FitKind::Blend => "blend",
            FitKind::OpCount => "op-count",
            FitKind::Cost => "cost",
            FitKind::CostResidual => "cost-residual",
            FitKind::CostBlend => "cost-blend",
        }
    }
}

impl FitKind {
    /// Whether the fit starts from the cost model (needs the embedding's ln MACs column).
    pub fn uses_cost(&self) -> bool {
        matches!(
            self,
            FitKind::Cost | FitKind::CostResidual | FitKind::CostBlend
        )
    }
}

impl fmt::Display for FitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the fit of a device is chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct StructuredConfig {
    /// Which fits are allowed, the default first.
    pub candidates: Vec<FitKind>,
    /// A fit other than the first is chosen only when its leave-one-out
    /// error is below this fraction of the first's (1: the smallest error
    /// wins).
    pub switch_ratio: f64,
    /// Below this many samples the first candidate is kept whatever the
    /// leave-one-out errors say (they are too noisy to act on).
    pub min_samples_to_switch: usize,
    /// Fits whose leave-one-out error is trusted as it stands: one of them replaces the first
    /// candidate whenever its error is lower (no [`Self::switch_ratio`] margin). Meant for the
    /// one-parameter cost fit, whose leave-one-out error is an honest estimate even from 5
    /// samples, where a flexible fit's is optimistic.
    pub trusted: Vec<FitKind>,
    /// Settings of the head's log-space ridge.
    pub log: AdaptConfig,
}

impl Default for StructuredConfig {
    /// The cost blend by default, another fit at any K when its leave-one-out error is below
    /// half the cost blend's (chosen on the validation tasks: `static/results/decisions.md`).
    /// Where the embedding has no ln MACs column (files written before the cost fits), the
    /// cost fits drop out and the blend comes first.
    fn default() -> Self {
        StructuredConfig {
            candidates: vec![
                FitKind::CostBlend,
                FitKind::Blend,
                FitKind::CostResidual,
                FitKind::Structured,
                FitKind::Head,
                FitKind::Cost,
            ],
            switch_ratio: 0.5,
            min_samples_to_switch: 0,
            trusted: vec![],
            log: AdaptConfig {
                adaptation: Adaptation::Head,
                ..AdaptConfig::default()
            },
        }
    }
}

/// How well a fit predicted each sample when that sample was left out: the
/// confidence a device's predictions come with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct LooSummary {
    /// Root mean squared error of ln(ms) (0.1 ≈ 10 % typical error).
    pub log_rmse: f64,
    /// Spearman ρ of the left-out predictions with the measurements (None
    /// below 3 samples or with constant values).
    pub spearman: Option<f64>,
}

impl LooSummary {
    /// Before the leave-one-out predictions are scored.
    const UNKNOWN: LooSummary = LooSummary {
        log_rmse: f64::NAN,
        spearman: None,
    };
}

/// A device adapted from its samples:
/// `ms = exp(embedding·log_weights + log_bias) · max(structure·lin_weights +
/// lin_bias, floor)^power`.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceFit {
    /// Which of the candidate fits this is.
    pub kind: FitKind,
    /// Weights of the log-space part, one per feature-row column (zero on the structure
    /// columns, all zero for a fit in ms alone).
    pub log_weights: Vec<f64>,
    /// Intercept of the log-space part, in ln ms.
    pub log_bias: f64,
    /// Weights of the part linear in ms, one per feature-row column (zero on the blocks; unused
    /// when `power` is 0).
    pub lin_weights: Vec<f64>,
    /// Intercept of the part linear in ms, in ms.
    pub lin_bias: f64,
    /// Lower bound in ms on the linear part ([`latency_floor`] of the samples), so it cannot go
    /// negative.
    pub floor: f64,
    /// Exponent of the linear part: 0 for the head, 1 for the structured and op-count fits, ½
    /// for the blend.
    pub power: f64,
    /// Leave-one-out quality of the chosen fit.
    pub loo: LooSummary,
    /// Leave-one-out quality of every candidate, in the config's order.
    pub candidates: Vec<(FitKind, LooSummary)>,
}

impl DeviceFit {
    /// A fit linear in ms, `max(x·lin_weights + lin_bias, floor)`, with no
    /// log-space part.
    fn linear_in_ms(kind: FitKind, lin_weights: Vec<f64>, lin_bias: f64, floor: f64) -> Self {
        DeviceFit {
            kind,
            log_weights: vec![0.0; lin_weights.len()],
            log_bias: 0.0,
            lin_weights,
            lin_bias,
            floor,
            power: 1.0,
            loo: LooSummary::UNKNOWN,
            candidates: vec![],
        }
    }

    /// Latency (ms) of each adaptation feature row.
    pub fn predict(&self, features: ArrayView2<'_, f32>) -> Result<Vec<f64>> {
        if features.ncols() != self.log_weights.len() {
            return Err(Error::CountMismatch {
                context: "adapted device".into(),
                got: features.ncols(),
                got_what: "features per row",
                expected: self.log_weights.len(),
                expected_what: "weights",
            });
        }
        Ok(features
            .rows()
            .into_iter()
            .map(|x| self.predict_row(x.iter()))
            .collect())
    }

    fn predict_row<'a>(&self, x: impl Iterator<Item = &'a f32> + Clone) -> f64 {
        let log = dot(x.clone(), &self.log_weights) + self.log_bias;
        if self.power == 0.0 {
            return log.exp();
        }
        let lin = dot(x, &self.lin_weights) + self.lin_bias;
        log.exp() * lin.max(self.floor).powf(self.power)
    }
}

fn dot<'a>(x: impl Iterator<Item = &'a f32>, w: &[f64]) -> f64 {
    x.zip(w).map(|(a, b)| f64::from(*a) * b).sum()
}

/// One candidate: its parameters, its leave-one-out predictions (ms).
struct Candidate {
    fit: DeviceFit,
    loo_ms: Vec<f64>,
}

/// Adapts a device from the samples' adaptation feature rows and measured
/// ms. The structure columns are needed unless the head is the only
/// candidate.
pub fn fit_device(
    sample_features: ArrayView2<'_, f32>,
    ms: &[f64],
    layout: FeatureLayout,
    config: &StructuredConfig,
) -> Result<DeviceFit> {
    layout.block_width(sample_features.ncols())?;
    let k = ms.len();
    if sample_features.nrows() != k {
        return Err(Error::CountMismatch {
            context: "adaptation".into(),
            got: sample_features.nrows(),
            got_what: "feature rows",
            expected: k,
            expected_what: "measured latencies",
        });
    }
    if let Some((sample, &ms)) = ms
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v > 0.0))
    {
        return Err(Error::NonPositiveLatency { sample, ms });
    }
    if k == 0 {
        return Err(Error::Empty {
            context: "adaptation".into(),
            what: "measured architecture",
        });
    }
    if config.candidates.is_empty() {
        return Err(Error::InvalidConfig {
            context: "adaptation".into(),
            field: "candidates",
            value: "[]".into(),
            reason: "no candidate fit configured",
        });
    }
    // Without an ln MACs column the cost fits are not candidates (the rest keep their order).
    let candidates: Vec<FitKind> = config
        .candidates
        .iter()
        .copied()
        .filter(|k| layout.cost.is_some() || !k.uses_cost())
        .collect();
    if candidates.is_empty() {
        return Err(missing_cost_column());
    }
    let config = &StructuredConfig {
        candidates,
        ..config.clone()
    };
    let needs_structure = config.candidates.iter().any(|c| !is_log_space(*c));
    if needs_structure && layout.structure.is_none() {
        return Err(missing_structure());
    }
    let wants = |kinds: &[FitKind]| kinds.iter().any(|k| config.candidates.contains(k));
    let needs_cost = config.candidates.iter().any(FitKind::uses_cost);
    let cost_column = layout.cost;
    // Leave-one-out needs at least three samples to mean anything.
    if k < 3 {
        let first = config.candidates[0];
        // Too few samples for a ridge in ms: the first candidate's log-space part alone.
        let (base, kind) = match (first.uses_cost(), cost_column) {
            (true, Some(c)) if first == FitKind::Cost => (HeadBase::Cost(c), FitKind::Cost),
            (true, Some(c)) => (HeadBase::Cost(c), FitKind::CostResidual),
            _ => (HeadBase::BestMatching, FitKind::Head),
        };
        let correction = kind != FitKind::Cost;
        let mut fit = log_space_fit(sample_features, ms, layout, config, base, correction)?.fit;
        fit.kind = kind;
        return Ok(fit);
    }
    let mut all = Vec::new();
    if wants(&[FitKind::Head, FitKind::Blend]) {
        all.push(log_space_fit(
            sample_features,
            ms,
            layout,
            config,
            HeadBase::BestMatching,
            true,
        )?);
    }
    if let Some(c) = cost_column.filter(|_| needs_cost) {
        let mut cost = log_space_fit(
            sample_features,
            ms,
            layout,
            config,
            HeadBase::Cost(c),
            false,
        )?;
        cost.fit.kind = FitKind::Cost;
        let mut residual =
            log_space_fit(sample_features, ms, layout, config, HeadBase::Cost(c), true)?;
        residual.fit.kind = FitKind::CostResidual;
        all.extend([cost, residual]);
    }
    if needs_structure {
        let structure = layout.structure.ok_or_else(missing_structure)?;
        let structured = structured_fit(sample_features, ms, structure)?;
        for (log_kind, kind) in [
            (FitKind::Head, FitKind::Blend),
            (FitKind::CostResidual, FitKind::CostBlend),
        ] {
            if let Some(log) = all.iter().find(|c| c.fit.kind == log_kind) {
                all.push(geometric_blend(kind, log, &structured));
            }
        }
        all.push(structured);
        if config.candidates.contains(&FitKind::OpCount) {
            all.extend(op_count_fit(sample_features, ms, structure)?);
        }
    }
    let mut chosen: Vec<&Candidate> = config
        .candidates
        .iter()
        .filter_map(|kind| all.iter().find(|c| c.fit.kind == *kind))
        .collect();
    if chosen.is_empty() {
        // Only op-count was asked for, and a sample has leverage 1.
        return Err(Error::Empty {
            context: "adaptation".into(),
            what: "configured fit with leave-one-out predictions",
        });
    }
    let summaries: Vec<(FitKind, LooSummary)> = chosen
        .iter()
        .map(|c| (c.fit.kind, summary(&c.loo_ms, ms)))
        .collect();
    // The first candidate is the default; another must beat it clearly.
    let first_error = summaries[0].1.log_rmse.powi(2);
    let mut best = 0;
    for (i, (kind, s)) in summaries.iter().enumerate().skip(1) {
        let e = s.log_rmse.powi(2);
        let ratio = if config.trusted.contains(kind) {
            1.0
        } else {
            config.switch_ratio
        };
        if k >= config.min_samples_to_switch
            && e < ratio * first_error
            && e < summaries[best].1.log_rmse.powi(2)
        {
            best = i;
        }
    }
    let mut fit = chosen.swap_remove(best).fit.clone();
    fit.loo = summaries[best].1;
    fit.candidates = summaries;
    Ok(fit)
}

/// Whether `kind` is fitted in log space on the blocks alone (no structure columns needed).
fn is_log_space(kind: FitKind) -> bool {
    matches!(kind, FitKind::Head | FitKind::Cost | FitKind::CostResidual)
}

pub(super) fn missing_structure() -> Error {
    Error::MissingStructure
}

fn summary(loo_ms: &[f64], ms: &[f64]) -> LooSummary {
    let (pl, yl): (Vec<f64>, Vec<f64>) =
        loo_ms.iter().zip(ms).map(|(p, y)| (p.ln(), y.ln())).unzip();
    let mse = pl
        .iter()
        .zip(&yl)
        .map(|(p, y)| (p - y) * (p - y))
        .sum::<f64>()
        / ms.len() as f64;
    LooSummary {
        log_rmse: mse.sqrt(),
        spearman: if ms.len() >= 3 {
            spearman(&pl, &yl).ok()
        } else {
            None
        },
    }
}

/// The geometric mean of a log-space fit and the structured fit: half of the log-space part,
/// the structured part to the power ½.
fn geometric_blend(kind: FitKind, log: &Candidate, structured: &Candidate) -> Candidate {
    Candidate {
        fit: DeviceFit {
            kind,
            log_weights: log.fit.log_weights.iter().map(|w| 0.5 * w).collect(),
            log_bias: 0.5 * log.fit.log_bias,
            power: 0.5,
            ..structured.fit.clone()
        },
        loo_ms: log
            .loo_ms
            .iter()
            .zip(&structured.loo_ms)
            .map(|(a, b)| (a * b).sqrt())
            .collect(),
    }
}

fn missing_cost_column() -> Error {
    Error::InvalidConfig {
        context: "adaptation".into(),
        field: "candidates",
        value: "cost fits".into(),
        reason: "the embedding has no ln MACs output column of known scale (trained with \
                 flops_output off, or a predictor file written before the cost fits)",
    }
}

/// A log-space head adaptation as an affine map of the embedding (recovered by
/// evaluating it at the origin and every unit vector: the adaptation is
/// affine in the query row), and its leave-one-out predictions.
fn log_space_fit(
    xs: ArrayView2<'_, f32>,
    ms: &[f64],
    layout: FeatureLayout,
    config: &StructuredConfig,
    head_base: HeadBase,
    head_correction: bool,
) -> Result<Candidate> {
    let log_ms: Vec<f64> = ms.iter().map(|v| v.ln()).collect();
    let e = xs.ncols();
    let mut probes = Array2::<f32>::zeros((e + 1, e));
    for i in 0..e {
        probes[[i + 1, i]] = 1.0;
    }
    let log_config = AdaptConfig {
        adaptation: Adaptation::Head,
        head_base,
        head_correction,
        ..config.log.clone()
    };
    let at = adapt_log_latency(xs, &log_ms, probes.view(), layout, &log_config)?;
    let log_bias = at[0];
    let log_weights = at[1..].iter().map(|v| v - log_bias).collect();
    let mut loo_ms = Vec::with_capacity(ms.len());
    if ms.len() >= 3 {
        for i in 0..ms.len() {
            let keep: Vec<usize> = (0..ms.len()).filter(|&j| j != i).collect();
            let rest = xs.select(ndarray::Axis(0), &keep);
            let y: Vec<f64> = keep.iter().map(|&j| log_ms[j]).collect();
            let row = xs.slice(ndarray::s![i..i + 1, ..]);
            loo_ms.push(adapt_log_latency(rest.view(), &y, row, layout, &log_config)?[0].exp());
        }
    }
    Ok(Candidate {
        fit: DeviceFit {
            kind: FitKind::Head,
            log_weights,
            log_bias,
            lin_weights: vec![0.0; e],
            lin_bias: 1.0,
            floor: 1.0,
            power: 0.0,
            loo: LooSummary::UNKNOWN,
            candidates: vec![],
        },
        loo_ms,
    })
}

/// Least squares in ms on the count columns (minimum norm where the counts
/// do not determine it); None when a sample has leverage 1 (its
/// leave-one-out prediction does not exist).
fn op_count_fit(
    xs: ArrayView2<'_, f32>,
    ms: &[f64],
    structure: StructureLayout,
) -> Result<Option<Candidate>> {
    let e = xs.ncols();
    let counts = xs
        .slice(ndarray::s![.., e - structure.ops..])
        .mapv(f64::from);
    let path = RidgePath::new(counts.view(), ms)?;
    let lambda = 1e-9 * path.lambda_scale();
    let Some(loo) = path.loo_predictions(lambda) else {
        return Ok(None);
    };
    let floor = latency_floor(ms.iter().copied());
    let ridge = path.fit(lambda);
    let mut lin_weights = vec![0.0; e - structure.ops];
    lin_weights.extend(ridge.weights.iter());
    Ok(Some(Candidate {
        fit: DeviceFit::linear_in_ms(FitKind::OpCount, lin_weights, ridge.intercept, floor),
        loo_ms: loo.into_iter().map(|p| p.max(floor)).collect(),
    }))
}

/// Ridge with λ chosen by exact leave-one-out MSE on the default grid.
fn ridge_by_loo(x: ArrayView2<'_, f64>, y: &[f64]) -> Result<crate::ridge::RidgeSelection> {
    let path = RidgePath::new(x, y)?;
    let scale = path.lambda_scale();
    let lambdas: Vec<f64> = default_relative_lambdas()
        .iter()
        .map(|l| l * scale)
        .collect();
    Ok(path.select(&lambdas, LooCriterion::Mse))
}

/// Ridge in ms on the structure columns, λ by exact leave-one-out MSE.
fn structured_fit(
    xs: ArrayView2<'_, f32>,
    ms: &[f64],
    structure: StructureLayout,
) -> Result<Candidate> {
    let e = xs.ncols();
    let x = xs
        .slice(ndarray::s![.., e - structure.width()..])
        .mapv(f64::from);
    let selection = ridge_by_loo(x.view(), ms)?;
    let floor = latency_floor(ms.iter().copied());
    // Each sample predicted by a fit that chose its own λ without it: the
    // head's leave-one-out refits its whole adaptation too, so the two
    // errors compare fairly (λ chosen on all K samples would flatter the
    // ridge).
    let mut loo_ms = Vec::with_capacity(ms.len());
    for i in 0..ms.len() {
        let keep: Vec<usize> = (0..ms.len()).filter(|&j| j != i).collect();
        let y: Vec<f64> = keep.iter().map(|&j| ms[j]).collect();
        let fit = ridge_by_loo(x.select(ndarray::Axis(0), &keep).view(), &y)?;
        loo_ms.push(fit.ridge.predict_row(x.row(i)).max(floor));
    }
    Ok(Candidate {
        fit: DeviceFit::linear_in_ms(
            FitKind::Structured,
            std::iter::repeat_n(0.0, e - structure.width())
                .chain(selection.ridge.weights.iter().copied())
                .collect(),
            selection.ridge.intercept,
            floor,
        ),
        loo_ms,
    })
}
