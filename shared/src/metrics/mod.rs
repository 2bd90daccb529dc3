//! Evaluation metrics: rank correlations, regression errors, Pareto fronts.

mod error;
mod order;
mod rank;
mod validate;

pub use error::MetricError;
pub use rank::average_ranks;
