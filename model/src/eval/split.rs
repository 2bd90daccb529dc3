//! [`TaskSplit`]: a task's data cut so that test-device latencies cannot leak.
//!
//! The training table is built with `select_devices(train)`: test-device
//! columns are physically absent from what a method pretrains on. Each test
//! device's latencies live inside a [`TestDevice`], private; the only ways to
//! reach them are [`TestDevice::measure`] (counted: these are the K samples
//! handed to a method) and [`Trial::score`], which compares predictions with
//! the truth on the architectures that were *not* measured and returns only
//! the metrics.

use super::task::Task;
use crate::error::{Error, Result};
use crate::fewshot::PretrainContext;
use latscope_shared::dataset::LatencyTable;
use latscope_shared::metrics::{accuracy_within, mape, RegressionReport};
use latscope_shared::space::SpaceId;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A task's training table and its sealed test devices.
pub struct TaskSplit {
    task: Task,
    train: LatencyTable,
    tests: Vec<TestDevice>,
}

impl TaskSplit {
    /// Splits `full` (every device of the task's space) for `task`.
    pub fn new(full: &LatencyTable, task: &Task) -> Result<Self> {
        task.validate(full)?;
        let train = full.select_devices(&task.train_devices)?;
        let tests = task
            .test_devices
            .iter()
            .map(|name| {
                let d = full.require_device(name)?;
                Ok(TestDevice {
                    name: name.clone(),
                    truth: full.device_column(d),
                    measured: AtomicUsize::new(0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TaskSplit {
            task: task.clone(),
            train,
            tests,
        })
    }

    /// The task this split is for.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The search space of the task's architectures.
    pub fn space(&self) -> SpaceId {
        self.train.space()
    }

    /// The training devices' latencies only (no test-device column).
    pub fn train_table(&self) -> &LatencyTable {
        &self.train
    }

    /// Number of architectures (indices in samples and queries are below it).
    pub fn n_archs(&self) -> usize {
        self.train.n_archs()
    }

    /// What a method may see while pretraining.
    pub fn pretrain_context(&self, seed: u64) -> PretrainContext<'_> {
        PretrainContext {
            space: self.train.space(),
            archs: self.train.archs(),
            train: &self.train,
            seed,
        }
    }

    /// The sealed test devices, in the task's order.
    pub fn test_devices(&self) -> &[TestDevice] {
        &self.tests
    }
}

/// One test device with its latencies sealed in.
pub struct TestDevice {
    name: String,
    truth: Vec<Option<f64>>,
    measured: AtomicUsize,
}

impl TestDevice {
    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Architectures this device has a measurement for (which ones exist is
    /// public; their values are not), ascending.
    pub fn candidates(&self) -> Vec<usize> {
        (0..self.truth.len())
            .filter(|&a| self.truth[a].is_some())
            .collect()
    }

    /// "Measures" `archs` on the device: returns their latencies (ms), in
    /// order, and counts them. Errors on an index out of range, one measured
    /// twice in the same call, or one with no measurement.
    pub fn measure(&self, archs: &[usize]) -> Result<Vec<f64>> {
        let mut seen = HashSet::with_capacity(archs.len());
        let values = archs
            .iter()
            .map(|&a| {
                if !seen.insert(a) {
                    return Err(Error::Duplicate {
                        context: format!("measuring on {}", self.name),
                        what: "architecture",
                        index: a,
                    });
                }
                self.truth
                    .get(a)
                    .copied()
                    .flatten()
                    .ok_or_else(|| Error::NotMeasured {
                        arch: a,
                        device: self.name.clone(),
                        archs: self.truth.len(),
                    })
            })
            .collect::<Result<Vec<f64>>>()?;
        self.measured.fetch_add(values.len(), Ordering::Relaxed);
        Ok(values)
    }

    /// How many latencies [`measure`](Self::measure) has handed out so far.
    pub fn measured_count(&self) -> usize {
        self.measured.load(Ordering::Relaxed)
    }

    /// Measures `sampled` and sets up scoring on every other candidate.
    pub fn trial(&self, sampled: &[usize]) -> Result<Trial<'_>> {
        let values = self.measure(sampled)?;
        let samples: Vec<(usize, f64)> = sampled.iter().copied().zip(values).collect();
        let taken: HashSet<usize> = sampled.iter().copied().collect();
        let query: Vec<usize> = self
            .candidates()
            .into_iter()
            .filter(|a| !taken.contains(a))
            .collect();
        Ok(Trial {
            device: self,
            samples,
            query,
        })
    }
}

/// One adaptation: the K measured samples, the architectures to predict
/// (all the device's other measured ones) and the scorer.
pub struct Trial<'a> {
    device: &'a TestDevice,
    samples: Vec<(usize, f64)>,
    query: Vec<usize>,
}

impl Trial<'_> {
    /// (architecture index, latency ms) pairs handed to the method.
    pub fn samples(&self) -> &[(usize, f64)] {
        &self.samples
    }

    /// Architectures to predict: every measured one not in the samples.
    pub fn query(&self) -> &[usize] {
        &self.query
    }

    /// Scores predictions for [`query`](Self::query), in its order.
    pub fn score(&self, predictions: &[f64]) -> Result<Score> {
        let name = &self.device.name;
        if predictions.len() != self.query.len() {
            return Err(Error::CountMismatch {
                context: format!("scoring on {name}"),
                got: predictions.len(),
                got_what: "predictions",
                expected: self.query.len(),
                expected_what: "queried architectures",
            });
        }
        if let Some(p) = predictions.iter().position(|p| !p.is_finite()) {
            return Err(Error::NonFinitePrediction {
                device: name.clone(),
                arch: self.query[p],
                value: predictions[p],
            });
        }
        let truth: Vec<f64> = self
            .query
            .iter()
            .map(|&a| self.device.truth[a].expect("queries are measured archs"))
            .collect();
        score(predictions, &truth).map_err(|error| Error::Metric {
            context: format!("scoring on {name}"),
            error,
        })
    }
}

/// How well one adaptation predicted the unmeasured architectures.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Architectures scored.
    pub n: usize,
    /// Spearman rank correlation of predicted with measured latency (0 when the prediction is
    /// constant).
    pub spearman: f64,
    /// Kendall's τ of predicted with measured latency (0 when the prediction is constant).
    pub kendall: f64,
    /// Mean absolute percentage error, as a fraction.
    pub mape: f64,
    /// Fraction within ±10 % of the measurement.
    pub acc10: f64,
    /// Root mean squared error of ln(ms), comparable with a stated
    /// leave-one-out error (None when a prediction is not positive).
    #[serde(default)]
    pub log_rmse: Option<f64>,
    /// The method predicted one value for every architecture: the rank
    /// correlations are undefined and recorded as 0.
    pub constant: bool,
}

/// Scores `pred` against `truth` (both finite, truth positive).
pub fn score(
    pred: &[f64],
    truth: &[f64],
) -> std::result::Result<Score, latscope_shared::metrics::MetricError> {
    let constant = pred.len() >= 2 && pred.iter().all(|&p| p == pred[0]);
    let log_rmse = log_rmse(pred, truth)?;
    if constant {
        return Ok(Score {
            n: pred.len(),
            spearman: 0.0,
            kendall: 0.0,
            mape: mape(pred, truth)?,
            acc10: accuracy_within(pred, truth, 0.10)?,
            log_rmse,
            constant,
        });
    }
    let r = RegressionReport::compute(pred, truth)?;
    Ok(Score {
        n: r.n,
        spearman: r.spearman,
        kendall: r.kendall,
        mape: r.mape,
        acc10: r.acc10,
        log_rmse,
        constant,
    })
}

/// RMSE of ln(pred) against ln(truth), or None if a prediction is not
/// positive.
fn log_rmse(
    pred: &[f64],
    truth: &[f64],
) -> std::result::Result<Option<f64>, latscope_shared::metrics::MetricError> {
    if pred.iter().any(|&p| p.is_nan() || p <= 0.0) {
        return Ok(None);
    }
    let ln = |v: &[f64]| v.iter().map(|x| x.ln()).collect::<Vec<_>>();
    latscope_shared::metrics::rmse(&ln(pred), &ln(truth)).map(Some)
}
