//! Few-shot adaptation of a pretrained multi-device predictor to a new
//! device, from its *adaptation features* alone.
//!
//! A pretrained ensemble describes every architecture by a feature row made
//! of one block per member: `[member outputs (one per training device) |
//! member's last hidden layer]`, each column standardised over the training
//! architectures and each sub-block scaled so that its total variance is its
//! weight². The predictor file's `embedding` output is exactly this row, so
//! the evaluation (`profiler evaluate`), `profiler adapt` and the browser
//! all adapt with this one function and get the same numbers.
//!
//! Per member, on the K samples' ln(ms):
//! * [`Adaptation::Ridge`]: ridge over the whole block, λ by leave-one-out;
//!   the new device is a learned mixture of the training devices and of the
//!   hidden "basis" features.
//! * [`Adaptation::Head`]: the training device whose output ranks the
//!   samples best, mapped by a line in log space, plus a ridge correction on
//!   the residuals (the closed form of fine-tuning that device's head with an
//!   L2 pull towards it; leave-one-out may choose "no correction").
//! * [`Adaptation::Blend`]: the mean of the two in log space.
//!
//! Members' ln predictions are averaged.

mod folded;
mod structured;
mod suggest;

pub use folded::folded;
pub use structured::{
    fit_device, latency_floor, DeviceFit, FitKind, LooSummary, StructuredConfig, FLOOR_FRACTION,
};
pub use suggest::{suggest_rows, DesignColumns, SUGGESTED_DESIGN};

use crate::error::{Error, Result};
use crate::ridge::{log_grid, LooCriterion, RidgePath};
use latscope_shared::metrics::{pearson, spearman};
use ndarray::{s, ArrayView2, Axis};
use std::fmt;
use std::str::FromStr;

/// How a pretrained predictor adapts to a new device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adaptation {
    /// Ridge over each member's whole block in ln ms, λ by leave-one-out: the new device as a
    /// learned mixture of the training devices and the hidden features.
    Ridge,
    /// The training device whose output ranks the samples best, mapped by a line in ln ms, plus
    /// a leave-one-out-tuned ridge correction on the residuals; the default of the log-space
    /// adaptations.
    Head,
    /// The mean of [`Adaptation::Ridge`] and [`Adaptation::Head`] in log space.
    Blend,
    /// Per device, the head, a ridge in ms over the structure columns or
    /// their blend, chosen by leave-one-out on the samples
    /// ([`fit_device`]); needs the structure columns.
    Auto,
}

impl Adaptation {
    /// Every adaptation, in the order their names are listed to users.
    pub const ALL: [Adaptation; 4] = [
        Adaptation::Ridge,
        Adaptation::Head,
        Adaptation::Blend,
        Adaptation::Auto,
    ];

    /// The adaptations that use the embedding blocks alone, in log space
    /// ([`adapt_log_latency`]).
    pub const LOG_SPACE: [Adaptation; 3] = [Adaptation::Ridge, Adaptation::Head, Adaptation::Blend];

    /// The adaptation's name on the command line and in predictor files
    /// (`latscope.adaptation`); [`FromStr`] parses it back.
    pub const fn name(&self) -> &'static str {
        match self {
            Adaptation::Ridge => "ridge",
            Adaptation::Head => "head",
            Adaptation::Blend => "blend",
            Adaptation::Auto => "auto",
        }
    }
}

impl fmt::Display for Adaptation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Adaptation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Adaptation::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| Error::UnknownName {
                what: "adaptation",
                name: s.to_string(),
                known: Adaptation::ALL.map(|a| a.name().to_string()).to_vec(),
            })
    }
}

/// How the adaptation feature row is laid out: equal blocks (one per
/// ensemble member), then optionally the structure columns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureLayout {
    /// Ensemble members (equal-width blocks side by side).
    pub blocks: usize,
    /// Leading columns of each block that are per-training-device outputs
    /// (monotone in that device's predicted latency).
    pub outputs: usize,
    /// The structure columns after the blocks (None in files written
    /// before structured adaptation).
    pub structure: Option<StructureLayout>,
    /// The output column of each block that holds ln MACs, and its scale (None where the blocks
    /// have none, or a file written before the cost fits).
    pub cost: Option<CostColumn>,
}

/// Where ln MACs stands in each block, and how many ln MACs one unit of that standardised
/// column is: the zero-shot cost model `ln ms = c + ln MACs` is `c + slope · column`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostColumn {
    /// Output column (within each block) holding the standardised ln MACs.
    pub column: usize,
    /// ln MACs per unit of that column.
    pub slope: f64,
}

/// The structure columns: the training devices' predicted ms, then the
/// operation counts, each standardised over the training architectures
/// ([`crate::structure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StructureLayout {
    /// Training devices, one predicted-ms column each, first in the structure columns.
    pub devices: usize,
    /// Operation counts after the device columns (operations per searchable position of the
    /// space).
    pub ops: usize,
}

/// ln MACs per unit of an embedding's ln MACs column, from how the column was made: the raw
/// input ln(1 + MACs) standardised with `input_std`, then scaled by `column_scale` (the
/// embedding's `(x − mean) · scale`).
pub fn cost_slope(input_std: f64, column_scale: f32) -> f64 {
    input_std / f64::from(column_scale)
}

impl StructureLayout {
    /// Number of structure columns: [`Self::devices`] + [`Self::ops`].
    pub const fn width(&self) -> usize {
        self.devices + self.ops
    }
}

impl FeatureLayout {
    /// Width of the structure columns (0 without them).
    pub fn structure_width(&self) -> usize {
        self.structure.map_or(0, |s| s.width())
    }

    /// Checks that `width` columns split into the blocks and the structure
    /// columns, and returns the width of one block.
    pub fn block_width(&self, width: usize) -> Result<usize> {
        let blocks_width = width.checked_sub(self.structure_width());
        match blocks_width {
            Some(w)
                if self.blocks > 0
                    && w.is_multiple_of(self.blocks)
                    && w / self.blocks >= self.outputs =>
            {
                Ok(w / self.blocks)
            }
            _ => Err(Error::FeatureWidth {
                width,
                blocks: self.blocks,
                outputs: self.outputs,
                structure: self.structure_width(),
            }),
        }
    }
}

impl FeatureLayout {
    /// The columns of `features` (rows in this layout) that
    /// [`suggest_rows`] spreads measurements over.
    pub fn design_columns<'a>(
        &self,
        features: ArrayView2<'a, f32>,
        which: DesignColumns,
    ) -> Result<ArrayView2<'a, f32>> {
        self.block_width(features.ncols())?;
        match which {
            DesignColumns::Structure => {
                let width = self.structure_width();
                if width == 0 {
                    return Err(structured::missing_structure());
                }
                Ok(features.slice_move(s![.., features.ncols() - width..]))
            }
            DesignColumns::LogOutputs => Ok(features.slice_move(s![.., ..self.outputs])),
        }
    }
}

/// Settings of the adaptation.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptConfig {
    /// Which log-space adaptation [`adapt_log_latency`] performs.
    pub adaptation: Adaptation,
    /// How leave-one-out picks λ among [`Self::relative_lambdas`]: the mean squared residual by
    /// default, as it scores the ln-ms error that the predictions are judged by.
    pub criterion: LooCriterion,
    /// λ grid relative to the design's scale.
    pub relative_lambdas: Vec<f64>,
    /// Which output the head adaptation starts from, and how its line is fitted.
    pub head_base: HeadBase,
    /// Whether the head adaptation adds its ridge correction on the residuals (false: the line
    /// on the base output alone).
    pub head_correction: bool,
}

/// The output column a head adaptation maps onto the new device.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HeadBase {
    /// The output that ranks the samples best ([`best_matching_output`]), mapped by a fitted
    /// line.
    BestMatching,
    /// The cost model: ln ms = c + ln MACs, only `c` fitted. Its slope is physics, not a fit: a
    /// slope fitted on 5 noisy samples can turn negative and rank the space backwards.
    Cost(CostColumn),
}

impl Default for AdaptConfig {
    fn default() -> Self {
        AdaptConfig {
            adaptation: Adaptation::Head,
            criterion: LooCriterion::Mse,
            relative_lambdas: log_grid(1e-4, 1e3, 22),
            head_base: HeadBase::BestMatching,
            head_correction: true,
        }
    }
}

/// Predicted ln(ms) on the new device for each query row, from the samples'
/// feature rows and measured ln(ms).
pub fn adapt_log_latency(
    sample_features: ArrayView2<'_, f32>,
    sample_log_ms: &[f64],
    query_features: ArrayView2<'_, f32>,
    layout: FeatureLayout,
    config: &AdaptConfig,
) -> Result<Vec<f64>> {
    if sample_features.nrows() != sample_log_ms.len() {
        return Err(Error::CountMismatch {
            context: "adaptation".into(),
            got: sample_features.nrows(),
            got_what: "feature rows",
            expected: sample_log_ms.len(),
            expected_what: "measured latencies",
        });
    }
    if sample_log_ms.is_empty() {
        return Err(Error::Empty {
            context: "adaptation".into(),
            what: "measured architecture",
        });
    }
    if let Some(v) = sample_log_ms.iter().find(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            context: "adaptation".into(),
            what: "measured ln(latency)",
            value: *v,
        });
    }
    if sample_features.ncols() != query_features.ncols() {
        return Err(Error::CountMismatch {
            context: "adaptation".into(),
            got: query_features.ncols(),
            got_what: "features per query",
            expected: sample_features.ncols(),
            expected_what: "features per sample",
        });
    }
    if config.adaptation == Adaptation::Auto {
        return Err(Error::InvalidConfig {
            context: "log-space adaptation".into(),
            field: "adaptation",
            value: Adaptation::Auto.to_string(),
            reason: "the auto adaptation is not a log-space adaptation: use fit_device",
        });
    }
    let w = layout.block_width(sample_features.ncols())?;
    let mut sum = vec![0.0; query_features.nrows()];
    for b in 0..layout.blocks {
        let cols = s![.., b * w..(b + 1) * w];
        let xs = sample_features.slice(cols);
        let xq = query_features.slice(cols);
        let pred = match config.adaptation {
            Adaptation::Blend => {
                let a = adapt_block(
                    xs,
                    sample_log_ms,
                    xq,
                    layout.outputs,
                    Adaptation::Ridge,
                    config,
                )?;
                let h = adapt_block(
                    xs,
                    sample_log_ms,
                    xq,
                    layout.outputs,
                    Adaptation::Head,
                    config,
                )?;
                a.iter().zip(&h).map(|(a, h)| 0.5 * (a + h)).collect()
            }
            other => adapt_block(xs, sample_log_ms, xq, layout.outputs, other, config)?,
        };
        sum.iter_mut().zip(&pred).for_each(|(s, p)| *s += p);
    }
    let k = layout.blocks as f64;
    Ok(sum.into_iter().map(|v| v / k).collect())
}

/// One block, one adaptation (not `Blend`).
fn adapt_block(
    xs: ArrayView2<'_, f32>,
    y: &[f64],
    xq: ArrayView2<'_, f32>,
    outputs: usize,
    adaptation: Adaptation,
    config: &AdaptConfig,
) -> Result<Vec<f64>> {
    let xs = xs.mapv(f64::from);
    let (base_q, target): (Vec<f64>, Vec<f64>) = match adaptation {
        Adaptation::Ridge | Adaptation::Blend | Adaptation::Auto => {
            (vec![0.0; xq.nrows()], y.to_vec())
        }
        Adaptation::Head => {
            let (j, slope) = match config.head_base {
                HeadBase::BestMatching => (best_matching_output(&xs.view(), y, outputs), None),
                HeadBase::Cost(c) => (c.column, Some(c.slope)),
            };
            let col: Vec<f64> = xs.column(j).to_vec();
            let (a, b) = match slope {
                None => fit_line(&col, y),
                Some(b) => {
                    let n = y.len() as f64;
                    (
                        y.iter().zip(&col).map(|(t, c)| t - b * c).sum::<f64>() / n,
                        b,
                    )
                }
            };
            let base_q = xq.column(j).iter().map(|&v| a + b * f64::from(v)).collect();
            let target = y.iter().zip(&col).map(|(t, c)| t - (a + b * c)).collect();
            (base_q, target)
        }
    };
    if adaptation == Adaptation::Head && !config.head_correction {
        return Ok(base_q);
    }
    let path = RidgePath::new(xs.view(), &target)?;
    let scale = path.lambda_scale();
    let mut lambdas: Vec<f64> = config.relative_lambdas.iter().map(|l| l * scale).collect();
    if adaptation == Adaptation::Head {
        // "No correction" must be reachable.
        lambdas.push(1e8 * scale);
    }
    let fit = path.select(&lambdas, config.criterion).ridge;
    let pred = fit.predict(xq.mapv(f64::from).view());
    Ok(pred.iter().zip(&base_q).map(|(p, b)| p + b).collect())
}

/// The output column that ranks the samples best (Spearman, ties broken by
/// Pearson): the training device most like the new one.
pub fn best_matching_output(xs: &ArrayView2<'_, f64>, y: &[f64], outputs: usize) -> usize {
    let mut best = (f64::NEG_INFINITY, f64::NEG_INFINITY, 0);
    for (j, col) in xs.axis_iter(Axis(1)).take(outputs).enumerate() {
        let col = col.to_vec();
        let rho = spearman(&col, y).unwrap_or(-1.0);
        let r = pearson(&col, y).unwrap_or(-1.0);
        if rho > best.0 || (rho == best.0 && r > best.1) {
            best = (rho, r, j);
        }
    }
    best.2
}

/// Least-squares line `y ≈ a + b·x`; `b = 0` when `x` is constant.
pub(crate) fn fit_line(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len().max(1) as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let b = if sxx > 1e-12 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Two blocks of [2 outputs | 1 hidden]; the new device is exactly
    /// output 1 of each block, scaled.
    fn features() -> Array2<f32> {
        Array2::from_shape_fn((30, 6), |(i, c)| {
            let t = i as f32;
            match c % 3 {
                0 => (t * 0.7).sin(),
                1 => t * 0.1,
                _ => (t * 1.3).cos(),
            }
        })
    }

    #[test]
    fn head_recovers_an_affine_copy_of_a_training_device() {
        let x = features();
        let y: Vec<f64> = (0..30).map(|i| 2.0 + 3.0 * (i as f64 * 0.1)).collect();
        let layout = FeatureLayout {
            blocks: 2,
            outputs: 2,
            structure: None,
            cost: None,
        };
        let rows: Vec<usize> = (0..30).step_by(3).collect();
        let xs = x.select(Axis(0), &rows);
        let ys: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
        for adaptation in Adaptation::LOG_SPACE {
            let config = AdaptConfig {
                adaptation,
                ..AdaptConfig::default()
            };
            let p = adapt_log_latency(xs.view(), &ys, x.view(), layout, &config).unwrap();
            for (i, v) in p.iter().enumerate() {
                assert!(
                    (v - y[i]).abs() < 0.05,
                    "{adaptation}: row {i}: {v} vs {}",
                    y[i]
                );
            }
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        let x = features();
        let layout = FeatureLayout {
            blocks: 4,
            outputs: 2,
            structure: None,
            cost: None,
        };
        let c = AdaptConfig::default();
        let err = adapt_log_latency(x.view(), &[0.0; 30], x.view(), layout, &c).unwrap_err();
        assert!(err.to_string().contains("4 blocks"), "{err}");
        let layout = FeatureLayout {
            blocks: 2,
            outputs: 2,
            structure: None,
            cost: None,
        };
        assert!(adapt_log_latency(x.view(), &[0.0; 3], x.view(), layout, &c).is_err());
        assert!(adapt_log_latency(x.slice(s![..0, ..]), &[], x.view(), layout, &c).is_err());
        assert!("nope".parse::<Adaptation>().is_err());
        assert_eq!("blend".parse::<Adaptation>().unwrap(), Adaptation::Blend);
    }
}
