//! Evaluation metrics: rank correlations, regression errors, Pareto fronts.
//!
//! - Correlations of paired samples: [`spearman`], [`kendall_tau_b`],
//!   [`pearson`] (each matches the statistic of its `scipy.stats`
//!   counterpart, ties included), built on [`average_ranks`].
//! - Errors of predictions against measurements: [`mape`], [`rmse`],
//!   [`accuracy_within`], and all of them at once in [`RegressionReport`].
//! - All devices at once: [`spearman_matrix`] and [`cluster_order`] (for
//!   heatmaps).
//! - Summaries of one sample: [`quantile`].
//! - Latency/score trade-offs: [`pareto_front`], [`hypervolume_2d`] and
//!   [`front_recovery`] (Pareto reuse across devices).
//!
//! Every function validates its input and reports problems as a
//! [`MetricError`] rather than returning NaN.

mod error;
mod hypervolume;
mod kendall;
mod matrix;
mod order;
mod pareto;
mod pearson;
mod quantile;
mod rank;
mod recovery;
mod regression;
mod report;
mod spearman;
mod validate;

pub use error::MetricError;
pub use hypervolume::hypervolume_2d;
pub use kendall::kendall_tau_b;
pub use matrix::{cluster_order, spearman_matrix, spearman_matrix_in_order};
pub use pareto::pareto_front;
pub use pearson::pearson;
pub use quantile::quantile;
pub use rank::{average_ranks, average_ranks_in_order};
pub use recovery::{front_recovery, FrontRecovery};
pub use regression::{accuracy_within, mape, rmse};
pub use report::RegressionReport;
pub use spearman::spearman;

/// Whether `x` equals the expected `y` up to a relative 1e-12 (absolute
/// below 1): the tolerance of the metrics' unit tests.
#[cfg(test)]
fn test_close(x: f64, y: f64) -> bool {
    (x - y).abs() <= 1e-12 * y.abs().max(1.0)
}
