//! Predicted latencies of a set of architectures on every device, and the
//! questions the page asks of them: rankings, where one architecture
//! stands, histograms, cross-device rank correlation, Pareto fronts, and
//! new devices adapted from a few measurements.

use crate::error::{Error, Result};
use crate::rankings;
use latscope_model::predictor_onnx::Predictor;
use latscope_model::proxy::score_proxies_from_matrix;
use latscope_shared::dataset::{AccuracyDataset, AccuracyTable};
use latscope_shared::metrics::{cluster_order, front_recovery, pareto_front};
use latscope_shared::space::Arch;
use ndarray::Array2;
use serde::Serialize;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// The predictions of a finished [`crate::SpaceScan`]: one row per
/// architecture, one latency column (ms) per device, and the views the page
/// draws from them. Devices the user adds ([`add_device`](Self::add_device))
/// become columns like the file's.
pub struct SpaceTable {
    predictor: Rc<Predictor>,
    /// The architectures, in row order.
    parsed: Vec<Arch>,
    /// Their canonical strings and each one's row, made on first use: a
    /// whole space's take tens of milliseconds, and the page's first
    /// views need neither.
    archs: OnceCell<Vec<String>>,
    position: OnceCell<HashMap<Arch, usize>>,
    devices: Vec<String>,
    /// One column of latencies (ms) per device, in `devices` order.
    columns: Vec<Vec<f32>>,
    /// The predictor's `embedding` row of each architecture, kept so a new
    /// device adapts without predicting the whole set again. A scan made
    /// with the file's scan network leaves it empty until
    /// [`set_embedding`](Self::set_embedding) or first use fills it.
    embedding: OnceCell<Array2<f32>>,
    /// Embedding rows received so far by
    /// [`append_embedding_rows`](Self::append_embedding_rows), until the
    /// last row makes them `embedding`.
    pending_embedding: RefCell<Vec<f32>>,
    mflops: Vec<f64>,
    /// What the Pareto views trade latency against (higher is better):
    /// MFLOPs until [`use_accuracy`](Self::use_accuracy) sets accuracy.
    score: Score,
    /// Devices of the predictor file; those after were added by the user.
    file_devices: usize,
    /// The ρ matrix, computed on first use (the heatmap, its cluster order
    /// and the proxy pick all read it) and dropped when a device is added.
    correlation: OnceCell<Vec<f64>>,
    /// Each column's rows from fastest to slowest, sorted on first use or
    /// set from a worker's table ([`set_rankings`](Self::set_rankings)).
    orders: Vec<OnceCell<Vec<u32>>>,
}

/// The quality score of a table's Pareto views, higher is better.
#[derive(Clone, Debug, PartialEq)]
struct Score {
    /// How the page labels it (`MFLOPs`, `cifar10 test accuracy %`).
    name: String,
    /// One value per architecture, in row order.
    values: Vec<f64>,
}

impl Score {
    /// MFLOPs as the score: what a new table starts with.
    fn mflops(mflops: &[f64]) -> Score {
        Score {
            name: "MFLOPs".to_string(),
            values: mflops.to_vec(),
        }
    }
}

/// The best-scoring architecture within a latency budget on one device.
#[derive(Debug, Serialize, PartialEq)]
pub struct BestUnder {
    /// Its row in the table.
    pub row: u32,
    /// The architecture, canonical.
    pub arch: String,
    /// Its predicted latency on the device, in ms.
    pub latency_ms: f32,
    /// Its score (accuracy in percent, or MFLOPs).
    pub score: f64,
    /// What the score is.
    pub score_name: String,
    /// How many architectures of the table fit the budget.
    pub within_budget: usize,
}

/// Where one architecture stands on one device among a table's
/// architectures.
#[derive(Debug, Serialize, PartialEq)]
pub struct Standing {
    /// The architecture, canonical.
    pub arch: String,
    /// The device.
    pub device: String,
    /// Its predicted latency on the device, in ms.
    pub latency_ms: f32,
    /// 1 = fastest of the set (ties share the better rank).
    pub rank: usize,
    /// How many architectures the set has.
    pub of: usize,
    /// Share of the set that is strictly faster, in percent.
    pub faster_percent: f64,
}

/// Counts of one device's latencies in log-spaced bins.
#[derive(Debug, Serialize, PartialEq)]
pub struct Histogram {
    /// The device.
    pub device: String,
    /// `bins + 1` bin edges in ms, increasing.
    pub edges_ms: Vec<f64>,
    /// Architectures per bin (`bins` of them; the last bin includes its
    /// upper edge).
    pub counts: Vec<usize>,
}

/// A candidate proxy device for a set of targets (see
/// [`SpaceTable::proxy_choice`]).
#[derive(Debug, Serialize, PartialEq)]
pub struct ProxyPick {
    /// The candidate proxy device.
    pub proxy: String,
    /// Lowest Spearman ρ of the proxy to any target: how badly it can
    /// mislead a search for one of them.
    pub worst: f64,
    /// The target with that lowest ρ.
    pub worst_target: String,
    /// Mean Spearman ρ of the proxy to the targets.
    pub mean: f64,
}

/// How much of `target`'s Pareto front the front found on `proxy` recovers
/// (One Proxy Device's "Pareto reuse"): both fronts use the table's score
/// (MFLOPs, or accuracy after [`SpaceTable::use_accuracy`]).
#[derive(Debug, Serialize, PartialEq)]
pub struct FrontRecovery {
    /// The device whose front was found.
    pub proxy: String,
    /// The device the front is used for.
    pub target: String,
    /// Rows of the proxy's front, by latency on the proxy.
    pub proxy_front: Vec<u32>,
    /// Rows of the target's true front, by latency on the target.
    pub target_front: Vec<u32>,
    /// Architectures on both fronts.
    pub overlap: usize,
    /// Hypervolume on the target of the proxy's front over that of the
    /// target's own front (1 = nothing lost), with the reference corner at
    /// (slowest latency on the target, lowest score) of the whole table.
    pub hypervolume_ratio: f64,
}

impl SpaceTable {
    pub(crate) fn new(
        predictor: Rc<Predictor>,
        parsed: Vec<Arch>,
        latency_ms: Vec<f32>,
        embedding: Option<Vec<f32>>,
        mflops: Vec<f64>,
    ) -> Result<Self> {
        let n = parsed.len();
        let devices = predictor.meta().devices.clone();
        let d = devices.len();
        if latency_ms.len() != n * d || mflops.len() != n {
            return Err(Error::CountMismatch {
                what: "latencies",
                got: latency_ms.len(),
                expected: n * d,
                of: format!(
                    "{n} architectures × {d} devices (and {} MFLOPs values)",
                    mflops.len()
                ),
            });
        }
        let columns = rankings::columns_of(&latency_ms, d);
        let table = SpaceTable {
            predictor,
            parsed,
            archs: OnceCell::new(),
            position: OnceCell::new(),
            file_devices: d,
            correlation: OnceCell::new(),
            orders: (0..d).map(|_| OnceCell::new()).collect(),
            devices,
            columns,
            embedding: OnceCell::new(),
            pending_embedding: RefCell::new(Vec::new()),
            score: Score::mflops(&mflops),
            mflops,
        };
        if let Some(embedding) = embedding {
            table.set_embedding(embedding)?;
        }
        Ok(table)
    }

    /// A table of latencies computed elsewhere (a scan in a Web Worker),
    /// row-major, for `parsed`; the embedding rows come later.
    pub fn from_latencies(
        predictor: Rc<Predictor>,
        parsed: Vec<Arch>,
        latency_ms: Vec<f32>,
        mflops: Vec<f64>,
    ) -> Result<Self> {
        Self::new(predictor, parsed, latency_ms, None, mflops)
    }

    /// Whether the `embedding` rows are there (adding a device and
    /// suggesting measurements read them; without them they are computed
    /// on first use, which takes the ensemble's whole-space time).
    pub fn has_embedding(&self) -> bool {
        self.embedding.get().is_some()
    }

    /// Sets the `embedding` rows, row-major in table order (from an
    /// [`SpaceScan::embedding_only`](crate::SpaceScan::embedding_only)
    /// scan of the same architectures). Rows already there are kept; rows
    /// given in part ([`append_embedding_rows`](Self::append_embedding_rows))
    /// are dropped.
    pub fn set_embedding(&self, embedding: Vec<f32>) -> Result<()> {
        let n = self.parsed.len();
        let e = self.predictor.meta().embedding_dim;
        if embedding.len() != n * e {
            return Err(Error::CountMismatch {
                what: "embedding values",
                got: embedding.len(),
                expected: n * e,
                of: format!("{n} architectures × {e} embedding columns"),
            });
        }
        let rows = Array2::from_shape_vec((n, e), embedding)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let _ = self.embedding.set(rows);
        // Rows given in part before are not needed any more.
        self.pending_embedding.take();
        Ok(())
    }

    /// Appends `values` (whole rows, row-major) to the `embedding` rows
    /// received so far; the row that completes the table's architectures
    /// makes them the table's embedding. The same rows as one
    /// [`set_embedding`](Self::set_embedding), given in parts: a whole
    /// space's (55 MB for NB201) copied into the module at once is a
    /// 100 ms task on the page's thread, and the page gives them in parts,
    /// a task each.
    pub fn append_embedding_rows(&self, values: &[f32]) -> Result<()> {
        let n = self.parsed.len();
        let e = self.predictor.meta().embedding_dim;
        if self.has_embedding() {
            return Err(Error::EmbeddingComplete);
        }
        let mut pending = self.pending_embedding.borrow_mut();
        let have = pending.len() / e.max(1);
        if e == 0 || !values.len().is_multiple_of(e) || pending.len() + values.len() > n * e {
            return Err(Error::CountMismatch {
                what: "embedding values",
                got: values.len(),
                expected: n.saturating_sub(have) * e,
                of: format!(
                    "whole rows of {e} embedding columns, {} of the {n} architectures' rows still to come",
                    n - have
                ),
            });
        }
        if pending.is_empty() {
            pending.reserve_exact(n * e);
        }
        pending.extend_from_slice(values);
        if pending.len() == n * e {
            let rows = std::mem::take(&mut *pending);
            drop(pending);
            self.set_embedding(rows)?;
        }
        Ok(())
    }

    /// The `embedding` rows, computed with the ensemble if not yet there.
    fn embedding(&self) -> Result<&Array2<f32>> {
        if let Some(rows) = self.embedding.get() {
            return Ok(rows);
        }
        let rows = self.predictor.predict_archs(&self.parsed)?.embedding;
        // Rows given in part are not needed any more.
        self.pending_embedding.take();
        Ok(self.embedding.get_or_init(|| rows))
    }

    /// The architectures (canonical strings), in row order.
    pub fn archs(&self) -> &[String] {
        self.archs
            .get_or_init(|| self.parsed.iter().map(Arch::to_string).collect())
    }

    /// How many architectures (rows) the table has.
    pub fn size(&self) -> usize {
        self.parsed.len()
    }

    /// The canonical string of the architecture in `row`, None past the end.
    pub fn arch(&self, row: usize) -> Option<String> {
        let parsed = self.parsed.get(row)?;
        Some(match self.archs.get() {
            Some(archs) => archs[row].clone(),
            None => parsed.to_string(),
        })
    }

    /// The canonical string of the architecture in `row` (in range).
    fn arch_string(&self, row: usize) -> String {
        self.arch(row).expect("a row of the table")
    }

    /// The devices, in column order: the predictor file's, then those added
    /// with [`add_device`](Self::add_device).
    pub fn devices(&self) -> &[String] {
        &self.devices
    }

    /// MFLOPs (multiply-accumulates / 1e6) of each architecture.
    pub fn mflops(&self) -> &[f64] {
        &self.mflops
    }

    /// The score of each architecture the Pareto views and
    /// [`best_under`](Self::best_under) use: MFLOPs, or accuracy after
    /// [`use_accuracy`](Self::use_accuracy).
    pub fn score(&self) -> &[f64] {
        &self.score.values
    }

    /// What [`score`](Self::score) is (`MFLOPs`, `cifar10 test accuracy %`).
    pub fn score_name(&self) -> &str {
        &self.score.name
    }

    /// Makes MFLOPs the score again (as a new table has it).
    pub fn use_mflops(&mut self) {
        self.score = Score::mflops(&self.mflops);
    }

    /// Makes `dataset`'s test accuracy the score of every architecture;
    /// [`Error::NoAccuracy`] when one has none (any FBNet table).
    pub fn use_accuracy(
        &mut self,
        accuracy: &AccuracyTable,
        dataset: AccuracyDataset,
    ) -> Result<()> {
        let values = self
            .parsed
            .iter()
            .map(|arch| {
                accuracy
                    .get(arch, dataset)
                    .ok_or_else(|| Error::NoAccuracy {
                        space: arch.space().to_string(),
                        arch: arch.to_string(),
                    })
            })
            .collect::<Result<Vec<f64>>>()?;
        self.score = Score {
            name: dataset.score_label(),
            values,
        };
        Ok(())
    }

    /// Makes `dataset`'s test accuracy the score, from `values` already
    /// looked up in row order (by the page's worker, from the same
    /// accuracy file); [`Error::NoAccuracy`] for a value that is not a
    /// percentage (an architecture without accuracy gives NaN).
    pub fn use_accuracy_scores(
        &mut self,
        dataset: AccuracyDataset,
        values: Vec<f64>,
    ) -> Result<()> {
        if values.len() != self.parsed.len() {
            return Err(Error::CountMismatch {
                what: "accuracy values",
                got: values.len(),
                expected: self.parsed.len(),
                of: format!("{} architectures", self.parsed.len()),
            });
        }
        if let Some(row) = values.iter().position(|v| !(0.0..=100.0).contains(v)) {
            return Err(Error::NoAccuracy {
                space: self.parsed[row].space().to_string(),
                arch: self.arch_string(row),
            });
        }
        self.score = Score {
            name: dataset.score_label(),
            values,
        };
        Ok(())
    }

    /// The highest-scoring architecture predicted to run within `budget_ms`
    /// on `device` (ties: the faster), or `None` when none fits.
    pub fn best_under(&self, device: &str, budget_ms: f64) -> Result<Option<BestUnder>> {
        let latency = self.latency(device)?;
        let within: Vec<usize> = (0..latency.len())
            .filter(|&i| f64::from(latency[i]) <= budget_ms)
            .collect();
        let best = within.iter().copied().max_by(|&a, &b| {
            self.score.values[a]
                .total_cmp(&self.score.values[b])
                .then(latency[b].total_cmp(&latency[a]))
        });
        Ok(best.map(|row| BestUnder {
            row: row as u32,
            arch: self.arch_string(row),
            latency_ms: latency[row],
            score: self.score.values[row],
            score_name: self.score.name.clone(),
            within_budget: within.len(),
        }))
    }

    /// Index of a device by name; [`Error::UnknownDevice`] lists the
    /// devices there are.
    pub fn device_index(&self, name: &str) -> Result<usize> {
        self.devices
            .iter()
            .position(|d| d == name)
            .ok_or_else(|| Error::UnknownDevice {
                device: name.to_string(),
                known: self.devices.clone(),
            })
    }

    /// Predicted latencies (ms) on a device, in `archs` order.
    pub fn latency(&self, device: &str) -> Result<&[f32]> {
        Ok(&self.columns[self.device_index(device)?])
    }

    /// Row of an architecture string (canonical or not); a valid one that
    /// is not in the table is [`Error::NotInTable`].
    pub fn position_of(&self, arch: &str) -> Result<usize> {
        let parsed = self.predictor.parse_archs(&[arch])?.remove(0);
        let position = self.position.get_or_init(|| {
            self.parsed
                .iter()
                .enumerate()
                .map(|(i, a)| (a.clone(), i))
                .collect()
        });
        position.get(&parsed).copied().ok_or(Error::NotInTable {
            arch: parsed.to_string(),
            scanned: self.parsed.len(),
        })
    }

    /// Architecture rows from fastest to slowest on a device (ties keep
    /// row order).
    pub fn order(&self, device: &str) -> Result<Vec<u32>> {
        Ok(self.order_of(self.device_index(device)?).to_vec())
    }

    fn order_of(&self, column: usize) -> &[u32] {
        self.orders[column].get_or_init(|| rankings::order_of(&self.columns[column]))
    }

    /// Every device's order ([`order`](Self::order)), one after the other
    /// in device order: what [`set_rankings`](Self::set_rankings) takes.
    pub fn orders(&self) -> Vec<u32> {
        (0..self.columns.len())
            .flat_map(|j| self.order_of(j).iter().copied())
            .collect()
    }

    /// Takes the orders and the correlation matrix computed by another
    /// table of the same latencies (the page's worker ranks the space off
    /// the main thread): `orders` as [`orders`](Self::orders) gives them
    /// (each is checked to sort its column), `correlation` as
    /// [`correlation`](Self::correlation) does.
    pub fn set_rankings(&self, orders: &[u32], correlation: Vec<f64>) -> Result<()> {
        let (n, d) = (self.parsed.len(), self.columns.len());
        if orders.len() != n * d {
            return Err(Error::CountMismatch {
                what: "order entries",
                got: orders.len(),
                expected: n * d,
                of: format!("{d} devices × {n} architectures"),
            });
        }
        if correlation.len() != d * d {
            return Err(Error::CountMismatch {
                what: "correlation entries",
                got: correlation.len(),
                expected: d * d,
                of: format!("{d} × {d} devices"),
            });
        }
        for (j, order) in orders.chunks(n).enumerate() {
            let latency = &self.columns[j];
            let sorted = order.iter().all(|&r| (r as usize) < n)
                && order
                    .windows(2)
                    .all(|w| latency[w[0] as usize] <= latency[w[1] as usize]);
            if !sorted {
                return Err(Error::Internal(format!(
                    "the order given for {} does not sort its latencies",
                    self.devices[j]
                )));
            }
            let _ = self.orders[j].set(order.to_vec());
        }
        let _ = self.correlation.set(correlation);
        Ok(())
    }

    /// Where `arch` stands on `device` among all the table's architectures.
    pub fn standing(&self, arch: &str, device: &str) -> Result<Standing> {
        let row = self.position_of(arch)?;
        let column = self.latency(device)?;
        let me = column[row];
        let faster = column.iter().filter(|&&v| v < me).count();
        Ok(Standing {
            arch: self.arch_string(row),
            device: device.to_string(),
            latency_ms: me,
            rank: faster + 1,
            of: column.len(),
            faster_percent: 100.0 * faster as f64 / column.len() as f64,
        })
    }

    /// Histogram of a device's predicted latencies in `bins` log-spaced bins
    /// between the fastest and the slowest (latencies span orders of
    /// magnitude across a search space).
    pub fn histogram(&self, device: &str, bins: usize) -> Result<Histogram> {
        let column = self.latency(device)?;
        let bins = bins.max(1);
        let (lo, hi) = column
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v as f64), hi.max(v as f64))
            });
        if !(lo > 0.0 && hi.is_finite()) {
            return Err(Error::NonPositiveLatency {
                device: device.to_string(),
                min: lo,
            });
        }
        let (llo, lhi) = (lo.ln(), hi.ln().max(lo.ln() + 1e-9));
        let width = (lhi - llo) / bins as f64;
        let edges_ms = (0..=bins).map(|i| (llo + width * i as f64).exp()).collect();
        let mut counts = vec![0; bins];
        for &v in column {
            let b = (((v as f64).ln() - llo) / width).floor() as usize;
            counts[b.min(bins - 1)] += 1;
        }
        Ok(Histogram {
            device: device.to_string(),
            edges_ms,
            counts,
        })
    }

    /// Spearman's ρ between every pair of devices over the table's
    /// architectures: row-major `devices × devices`.
    pub fn correlation(&self) -> Result<Vec<f64>> {
        if let Some(rho) = self.correlation.get() {
            return Ok(rho.clone());
        }
        let columns: Vec<&[f32]> = self.columns.iter().map(Vec::as_slice).collect();
        let orders: Vec<&[u32]> = (0..columns.len()).map(|j| self.order_of(j)).collect();
        let rho = rankings::correlation(&columns, &orders)?;
        Ok(self.correlation.get_or_init(|| rho).clone())
    }

    /// Device indices ordered so that devices that rank alike sit together
    /// (for the heatmap).
    pub fn cluster_order(&self) -> Result<Vec<u32>> {
        let rho = self.correlation()?;
        Ok(cluster_order(&rho, self.devices.len())
            .into_iter()
            .map(|i| i as u32)
            .collect())
    }

    /// Rows on the Pareto front of (latency on `device`, score): no other
    /// architecture is both faster and better. Sorted by latency.
    pub fn pareto_front(&self, device: &str) -> Result<Vec<u32>> {
        let latency: Vec<f64> = self.latency(device)?.iter().map(|&v| v as f64).collect();
        Ok(pareto_front(&latency, &self.score.values)?
            .into_iter()
            .map(|i| i as u32)
            .collect())
    }

    /// Every non-target device as a proxy for `targets`, best first by
    /// worst-case then mean ρ over the table's architectures (One Proxy
    /// Device Is Enough's proxy choice).
    pub fn proxy_choice(&self, targets: &[String]) -> Result<Vec<ProxyPick>> {
        let targets: Vec<usize> = targets
            .iter()
            .map(|t| self.device_index(t))
            .collect::<Result<_, _>>()?;
        let n = self.devices.len();
        let candidates: Vec<usize> = (0..n).filter(|d| !targets.contains(d)).collect();
        let rho = self.correlation()?;
        let scores = score_proxies_from_matrix(&rho, n, &targets, &candidates)?;
        Ok(scores
            .into_iter()
            .map(|s| ProxyPick {
                proxy: self.devices[s.proxy].clone(),
                worst: s.worst,
                worst_target: self.devices[s.worst_target].clone(),
                mean: s.mean,
            })
            .collect())
    }

    /// How well the Pareto front found on `proxy` serves `target`.
    pub fn front_recovery(&self, proxy: &str, target: &str) -> Result<FrontRecovery> {
        let as_f64 = |c: &[f32]| -> Vec<f64> { c.iter().map(|&v| v as f64).collect() };
        let r = front_recovery(
            &as_f64(self.latency(proxy)?),
            &as_f64(self.latency(target)?),
            &self.score.values,
        )?;
        let rows = |v: Vec<usize>| v.into_iter().map(|i| i as u32).collect();
        Ok(FrontRecovery {
            proxy: proxy.to_string(),
            target: target.to_string(),
            proxy_front: rows(r.found_front),
            target_front: rows(r.target_front),
            overlap: r.overlap,
            hypervolume_ratio: r.hypervolume_ratio,
        })
    }

    /// The `n` architectures of the table to measure next on a new device
    /// where `measured` are known already (the same choice as `profiler
    /// adapt --suggest` over these architectures).
    pub fn suggest(&self, measured: &[String], n: usize) -> Result<Vec<String>> {
        let measured = self.predictor.parse_measured_archs(measured)?;
        let picked =
            self.predictor
                .suggest_among(&measured, &self.parsed, self.embedding()?, n, false)?;
        Ok(picked.into_iter().map(|i| self.arch_string(i)).collect())
    }

    /// Adds (or replaces) a device of the user's, adapted from measured
    /// latencies (`sample_archs[i]` took `sample_ms[i]` ms) with the same
    /// computation as `profiler adapt`, predicted for every architecture.
    /// Devices of the predictor file cannot be replaced.
    pub fn add_device(
        &mut self,
        name: &str,
        sample_archs: &[String],
        sample_ms: &[f64],
    ) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::MissingDeviceName);
        }
        let existing = self.devices.iter().position(|d| d == name);
        if matches!(existing, Some(i) if i < self.file_devices) {
            return Err(Error::FileDevice(name.to_string()));
        }
        let samples = self.predictor.parse_samples(sample_archs, sample_ms)?;
        // As `profiler adapt`: samples the runtime folded into a constant are left out.
        let (archs, kept_ms): (Vec<Arch>, Vec<f64>) =
            latscope_model::predictor_onnx::without_folded(&samples)?
                .into_iter()
                .unzip();
        let sample_embedding = self.predictor.predict_archs(&archs)?.embedding;
        let predicted =
            self.predictor
                .adapt_features(&sample_embedding, &kept_ms, self.embedding()?, None)?;
        let column: Vec<f32> = predicted.into_iter().map(|v| v as f32).collect();
        match existing {
            Some(i) => {
                self.columns[i] = column;
                self.orders[i] = OnceCell::new();
            }
            None => {
                self.devices.push(name.to_string());
                self.columns.push(column);
                self.orders.push(OnceCell::new());
            }
        }
        self.correlation = OnceCell::new();
        Ok(())
    }
}
