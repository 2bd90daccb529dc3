//! Evaluation of few-shot latency predictors on transfer tasks.
//!
//! * [`task`]: the published tasks N0, N5, F0, F5, generated tasks
//!   ([`autotask`]) and the per-device protocols.
//! * [`split`]: [`TaskSplit`] seals each test device's latencies; a method
//!   sees the training devices' table and the K measured samples, nothing
//!   else.
//! * [`runner`]: [`evaluate`] pretrains each method once per seed, adapts it
//!   to every test device from K samples chosen by a
//!   [`Sampler`](crate::sampler::Sampler), and scores it on every other
//!   architecture, one [`trial`] each; [`report`] aggregates over seeds and prints;
//!   [`confidence`] checks the confidence methods state against the scores.
//! * [`registry`]: the methods by name;
//! * [`anchors`]: published numbers to print beside ours (not measured here).

pub mod anchors;
pub mod autotask;
pub mod confidence;
pub mod registry;
pub mod report;
pub mod runner;
pub mod split;
pub mod stats;
pub mod task;
pub mod trial;

pub use report::{DeviceSummary, EvalReport, TaskSummary};
pub use runner::{evaluate, EvalConfig, Progress};
pub use split::{Score, TaskSplit, TestDevice, Trial};
pub use stats::MeanSd;
pub use task::{Task, TaskSpec};
pub use trial::TrialRecord;
