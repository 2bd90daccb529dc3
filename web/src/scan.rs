//! Predicting a whole set of architectures (all 15625 NB201 cells, or a
//! dataset's FBNet networks) a chunk at a time, so the page can show
//! progress and stay responsive between chunks.
//!
//! When the predictor file has a scan network (`profiler distil`), the
//! latencies come from it, about 25 times cheaper than the ensemble, and
//! the `embedding` rows (which only adding a device and suggesting
//! measurements read) are left for later: an [`SpaceScan::embedding_only`]
//! scan, e.g. in a Web Worker, or the table computes them when first asked.

use crate::error::{Error, Result};
use crate::rankings;
use crate::space_table::SpaceTable;
use latscope_model::predictor_onnx::Predictor;
use latscope_shared::encoding::{features_v1_from_costs, Encoding, EncodingCache};
use latscope_shared::features::cost_features_without_signatures;
use latscope_shared::space::Arch;
use ndarray::Array2;
use std::rc::Rc;

/// A prediction of many architectures in progress: [`step`](Self::step)
/// until [`done`](Self::done) equals [`total`](Self::total), then
/// [`finish`](Self::finish) for the [`SpaceTable`]. It keeps each chunk's
/// latencies, MFLOPs and, as [`ScanOutputs`] says, `embedding` rows (so the
/// table can adapt new devices without predicting again).
pub struct SpaceScan {
    predictor: Rc<Predictor>,
    /// `features-v1` computed ahead of time, when the page has it.
    features: Option<Rc<EncodingCache>>,
    archs: Vec<Arch>,
    outputs: ScanOutputs,
    done: usize,
    latency_ms: Vec<f32>,
    embedding: Vec<f32>,
    mflops: Vec<f64>,
}

/// What a scan computes per architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOutputs {
    /// Latencies from the file's scan network; no embedding.
    ScanNetwork,
    /// Latencies and embedding rows from the ensemble (files without a
    /// scan network).
    Ensemble,
    /// Embedding rows from the ensemble, no latencies: the second half of
    /// a [`ScanOutputs::ScanNetwork`] scan.
    EmbeddingOnly,
}

impl SpaceScan {
    /// Starts a scan of `archs` (already parsed, of the predictor's space):
    /// latencies from the scan network when the file has one, else
    /// latencies and embedding rows from the ensemble. `features`, a
    /// `features-v1` cache of the space, saves lowering every architecture
    /// (other caches are ignored).
    pub fn new(
        predictor: Rc<Predictor>,
        archs: Vec<Arch>,
        features: Option<Rc<EncodingCache>>,
    ) -> Self {
        let outputs = if predictor.has_scan_network() {
            ScanOutputs::ScanNetwork
        } else {
            ScanOutputs::Ensemble
        };
        Self::with_outputs(predictor, archs, features, outputs)
    }

    /// Starts a scan of `archs` that computes their ensemble `embedding`
    /// rows only (what [`SpaceTable::set_embedding`] takes).
    pub fn embedding_only(
        predictor: Rc<Predictor>,
        archs: Vec<Arch>,
        features: Option<Rc<EncodingCache>>,
    ) -> Self {
        Self::with_outputs(predictor, archs, features, ScanOutputs::EmbeddingOnly)
    }

    /// Starts a scan of `archs` computing `outputs` (an
    /// [`ScanOutputs::Ensemble`] scan of a file with a scan network gives
    /// the ensemble's exact latencies, at its cost).
    pub fn with_outputs(
        predictor: Rc<Predictor>,
        archs: Vec<Arch>,
        features: Option<Rc<EncodingCache>>,
        outputs: ScanOutputs,
    ) -> Self {
        let outputs = match outputs {
            ScanOutputs::ScanNetwork if !predictor.has_scan_network() => ScanOutputs::Ensemble,
            other => other,
        };
        let n = archs.len();
        let d = predictor.meta().devices.len();
        let e = predictor.meta().embedding_dim;
        let latencies = outputs != ScanOutputs::EmbeddingOnly;
        let embedding = outputs != ScanOutputs::ScanNetwork;
        SpaceScan {
            predictor,
            features: features.filter(|c| c.encoding == Encoding::FeaturesV1),
            archs,
            outputs,
            done: 0,
            latency_ms: Vec::with_capacity(if latencies { n * d } else { 0 }),
            embedding: Vec::with_capacity(if embedding { n * e } else { 0 }),
            mflops: Vec::with_capacity(n),
        }
    }

    /// What the scan computes.
    pub fn outputs(&self) -> ScanOutputs {
        self.outputs
    }

    /// Uses a `features-v1` cache from now on (other encodings' caches are
    /// ignored).
    pub fn use_features(&mut self, cache: Rc<EncodingCache>) {
        if cache.encoding == Encoding::FeaturesV1 {
            self.features = Some(cache);
        }
    }

    /// Architectures in the scan.
    pub fn total(&self) -> usize {
        self.archs.len()
    }

    /// Architectures predicted so far.
    pub fn done(&self) -> usize {
        self.done
    }

    /// Encodes and predicts up to `max_archs` more architectures; returns
    /// how many are done in all.
    pub fn step(&mut self, max_archs: usize) -> Result<usize> {
        let end = (self.done + max_archs.max(1)).min(self.archs.len());
        if end == self.done {
            return Ok(self.done);
        }
        let (x, mflops) = encode(
            &self.predictor,
            &self.archs[self.done..end],
            self.features.as_deref(),
        )?;
        self.mflops.extend(mflops);
        match self.outputs {
            ScanOutputs::ScanNetwork => {
                let latency_ms = self
                    .predictor
                    .predict_scan_encoded(&x)?
                    .ok_or_else(|| Error::Internal("the scan network vanished".into()))?;
                self.latency_ms.extend(latency_ms.iter());
            }
            ScanOutputs::Ensemble | ScanOutputs::EmbeddingOnly => {
                let prediction = self.predictor.predict_encoded(&x)?;
                if self.outputs == ScanOutputs::Ensemble {
                    self.latency_ms.extend(prediction.latency_ms.iter());
                }
                self.embedding.extend(prediction.embedding.iter());
            }
        }
        self.done = end;
        Ok(end)
    }

    /// The latencies so far, row-major (one row of device columns per
    /// architecture); empty for an [`ScanOutputs::EmbeddingOnly`] scan.
    pub fn latency_ms(&self) -> &[f32] {
        &self.latency_ms
    }

    /// The embedding rows so far, row-major; empty for a
    /// [`ScanOutputs::ScanNetwork`] scan.
    pub fn embedding(&self) -> &[f32] {
        &self.embedding
    }

    /// The MFLOPs of the architectures so far.
    pub fn mflops(&self) -> &[f64] {
        &self.mflops
    }

    /// Every device's order of the architectures (fastest first), one
    /// after the other in device order, and the devices' ρ matrix: what
    /// [`SpaceTable::set_rankings`] takes, computed before any table
    /// exists. [`Error::ScanUnfinished`] while steps remain.
    pub fn rankings(&self) -> Result<(Vec<u32>, Vec<f64>)> {
        let n = self.archs.len();
        if self.done < n || self.outputs == ScanOutputs::EmbeddingOnly {
            return Err(Error::ScanUnfinished {
                done: if self.outputs == ScanOutputs::EmbeddingOnly {
                    0
                } else {
                    self.done
                },
                total: n,
            });
        }
        let d = self.predictor.meta().devices.len();
        let columns = rankings::columns_of(&self.latency_ms, d);
        let orders: Vec<Vec<u32>> = columns.iter().map(|c| rankings::order_of(c)).collect();
        let column_refs: Vec<&[f32]> = columns.iter().map(Vec::as_slice).collect();
        let order_refs: Vec<&[u32]> = orders.iter().map(Vec::as_slice).collect();
        let rho = rankings::correlation(&column_refs, &order_refs)?;
        Ok((orders.concat(), rho))
    }

    /// The finished table; [`Error::ScanUnfinished`] if steps remain.
    pub fn finish(self) -> Result<SpaceTable> {
        if self.done < self.archs.len() {
            return Err(Error::ScanUnfinished {
                done: self.done,
                total: self.archs.len(),
            });
        }
        if self.outputs == ScanOutputs::EmbeddingOnly {
            return Err(Error::Internal(
                "an embedding-only scan has no latencies to make a table of".into(),
            ));
        }
        let embedding = (self.outputs == ScanOutputs::Ensemble).then_some(self.embedding);
        SpaceTable::new(
            self.predictor,
            self.archs,
            self.latency_ms,
            embedding,
            self.mflops,
        )
    }
}

/// The predictor's input rows for `archs`, and their MFLOPs (the Pareto
/// score). `features-v1` comes from the cache when it has the architecture;
/// otherwise each architecture is lowered once and its cost features give
/// both.
fn encode(
    predictor: &Predictor,
    archs: &[Arch],
    cache: Option<&EncodingCache>,
) -> Result<(Array2<f32>, Vec<f64>)> {
    let meta = predictor.meta();
    let mut x = Array2::zeros((archs.len(), meta.input_dim));
    let mut mflops = Vec::with_capacity(archs.len());
    for (mut row, arch) in x.rows_mut().into_iter().zip(archs) {
        let features = match cache.and_then(|c| c.row(arch)) {
            Some(cached) => {
                mflops.push(mflops_of_features(cached));
                cached.to_vec()
            }
            None => {
                let net = arch.lower_default().map_err(|source| Error::Lowering {
                    arch: arch.to_string(),
                    source,
                })?;
                let costs = cost_features_without_signatures(&net);
                mflops.push(costs.mflops());
                features_v1_from_costs(&costs)
            }
        };
        let mut values = Vec::with_capacity(meta.input_dim);
        for encoding in &meta.encodings {
            match encoding {
                Encoding::FeaturesV1 => values.extend_from_slice(&features),
                other => values.extend(other.encode(arch)?),
            }
        }
        for (dst, v) in row.iter_mut().zip(values) {
            *dst = v;
        }
    }
    Ok((x, mflops))
}

/// MFLOPs back from `features-v1`'s first entry, ln(1 + MACs) in f32: within
/// a few parts per million of the exact count, and in the same order.
fn mflops_of_features(features: &[f32]) -> f64 {
    (f64::from(features[0])).exp_m1() / 1e6
}
