//! `SpaceScan` and `SpaceTable`: predicting a whole search space in chunks,
//! and what the page asks of the result.

use super::accuracy::accuracy_dataset;
use super::{to_js, JsAccuracy, JsFeatureCache};
use crate::error::{Error, Result};
use crate::scan::ScanOutputs;
use crate::{SpaceScan, SpaceTable};
use wasm_bindgen::prelude::*;

/// A prediction of many architectures in progress (see `Predictor.scan`).
/// Every method but `finish` throws `invalid-state` once it has been
/// called.
#[wasm_bindgen(js_name = SpaceScan)]
pub struct JsSpaceScan {
    inner: Option<SpaceScan>,
}

impl JsSpaceScan {
    pub(crate) fn wrap(scan: SpaceScan) -> Self {
        JsSpaceScan { inner: Some(scan) }
    }

    fn scan(&self) -> Result<&SpaceScan> {
        self.inner.as_ref().ok_or(Error::ScanFinished)
    }

    fn scan_mut(&mut self) -> Result<&mut SpaceScan> {
        self.inner.as_mut().ok_or(Error::ScanFinished)
    }
}

#[wasm_bindgen(js_class = SpaceScan)]
impl JsSpaceScan {
    /// Architectures in the scan.
    #[wasm_bindgen(getter)]
    pub fn total(&self) -> Result<usize> {
        Ok(self.scan()?.total())
    }

    /// Architectures predicted so far.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> Result<usize> {
        Ok(self.scan()?.done())
    }

    /// Takes `features-v1` from a `FeatureCache` (e.g. the shipped
    /// `data/nb201_features-v1.bin.gz`) instead of lowering every
    /// architecture: same predictions, several times faster.
    #[wasm_bindgen(js_name = useFeatures)]
    pub fn use_features(&mut self, cache: &JsFeatureCache) -> Result<()> {
        self.scan_mut()?.use_features(cache.inner.clone());
        Ok(())
    }

    /// Whether the latencies come from the file's scan network (then the
    /// table's embedding rows are left for later).
    #[wasm_bindgen(getter, js_name = usesScanNetwork)]
    pub fn uses_scan_network(&self) -> Result<bool> {
        Ok(self.scan()?.outputs() == ScanOutputs::ScanNetwork)
    }

    /// The latencies so far, row-major (a row of device columns per
    /// architecture), copied out; empty for an `embeddingScan`.
    pub fn latencies(&self) -> Result<Vec<f32>> {
        Ok(self.scan()?.latency_ms().to_vec())
    }

    /// The embedding rows so far, row-major, copied out; empty when the
    /// latencies come from the scan network.
    pub fn embedding(&self) -> Result<Vec<f32>> {
        Ok(self.scan()?.embedding().to_vec())
    }

    /// The MFLOPs of the architectures so far.
    pub fn mflops(&self) -> Result<Vec<f64>> {
        Ok(self.scan()?.mflops().to_vec())
    }

    /// Ranks the finished scan on every device: `{orders, correlation}`
    /// (every device's order, fastest first, one after the other; the
    /// devices' ρ matrix), for `Predictor.tableFrom` in another thread.
    /// Throws `invalid-state` while steps remain.
    pub fn rank(&self) -> Result<JsValue> {
        let (orders, correlation) = self.scan()?.rankings()?;
        let result = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            js_sys::Reflect::set(&result, &JsValue::from_str(key), &value)
                .map(|_| ())
                .map_err(|_| Error::Internal(format!("could not set {key}")))
        };
        set(
            "orders",
            js_sys::Uint32Array::from(orders.as_slice()).into(),
        )?;
        set(
            "correlation",
            js_sys::Float64Array::from(correlation.as_slice()).into(),
        )?;
        Ok(result.into())
    }

    /// Predicts up to `maxArchs` more; returns how many are done in all.
    pub fn step(&mut self, #[wasm_bindgen(js_name = maxArchs)] max_archs: usize) -> Result<usize> {
        self.scan_mut()?.step(max_archs)
    }

    /// The table of predictions (the scan is used up). Throws
    /// `invalid-state` while steps remain (the scan is used up all the
    /// same) or when called twice.
    pub fn finish(&mut self) -> Result<JsSpaceTable> {
        let scan = self.inner.take().ok_or(Error::ScanFinished)?;
        Ok(JsSpaceTable {
            inner: scan.finish()?,
        })
    }
}

/// Predicted latencies of a set of architectures on every device (from
/// `SpaceScan.finish`). Methods taking a device throw `unknown-device` for
/// a name not in `devices`; those taking an architecture throw
/// `invalid-architecture` or `not-in-table`.
#[wasm_bindgen(js_name = SpaceTable)]
pub struct JsSpaceTable {
    inner: SpaceTable,
}

impl JsSpaceTable {
    pub(crate) fn wrap(table: SpaceTable) -> Self {
        JsSpaceTable { inner: table }
    }

    /// The table itself (for native callers).
    pub fn table(&self) -> &SpaceTable {
        &self.inner
    }
}

#[wasm_bindgen(js_class = SpaceTable)]
impl JsSpaceTable {
    /// The architectures (canonical strings), in row order. Each read
    /// copies every string out of the module: read once, or use `arch(row)`
    /// and `size`.
    #[wasm_bindgen(getter)]
    pub fn archs(&self) -> Vec<String> {
        self.inner.archs().to_vec()
    }

    /// How many architectures (rows) the table has.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.inner.size()
    }

    /// The architecture of one row (canonical string); throws
    /// `invalid-input` for a row past the end.
    pub fn arch(&self, row: usize) -> Result<String> {
        self.inner.arch(row).ok_or(Error::RowOutOfRange {
            row,
            rows: self.inner.size(),
        })
    }

    /// The devices: the predictor's, then any added with `addDevice`.
    #[wasm_bindgen(getter)]
    pub fn devices(&self) -> Vec<String> {
        self.inner.devices().to_vec()
    }

    /// Whether the embedding rows are there (a table made with the scan
    /// network has none until `setEmbedding`; `addDevice` and `suggest`
    /// compute them first when missing, which takes the ensemble's
    /// whole-space time).
    #[wasm_bindgen(getter, js_name = hasEmbedding)]
    pub fn has_embedding(&self) -> bool {
        self.inner.has_embedding()
    }

    /// Sets the embedding rows (`embeddingScan(...).embedding()` of the
    /// same architectures, e.g. from a Web Worker). Throws `invalid-input`
    /// when the count does not fit.
    #[wasm_bindgen(js_name = setEmbedding)]
    pub fn set_embedding(&self, values: Vec<f32>) -> Result<()> {
        self.inner.set_embedding(values)
    }

    /// Appends whole embedding rows (row-major, in table order) to those
    /// given so far; the last row makes them the table's embedding, as
    /// one `setEmbedding` would. For a page's thread: a whole space's rows
    /// in parts of a few thousand, a task each, keep every task short.
    /// Throws `invalid-input` for a part that is not whole rows or goes
    /// past the last row, `invalid-state` once the table has its rows.
    #[wasm_bindgen(js_name = appendEmbeddingRows)]
    pub fn append_embedding_rows(&self, values: &[f32]) -> Result<()> {
        self.inner.append_embedding_rows(values)
    }

    /// MFLOPs of each architecture (millions of multiply-accumulates).
    #[wasm_bindgen(getter)]
    pub fn mflops(&self) -> Vec<f64> {
        self.inner.mflops().to_vec()
    }

    /// The score the Pareto views and `bestUnder` use, per architecture
    /// (higher is better): MFLOPs, or accuracy after `useAccuracy`.
    #[wasm_bindgen(getter)]
    pub fn score(&self) -> Vec<f64> {
        self.inner.score().to_vec()
    }

    /// What `score` is: `MFLOPs` or e.g. `cifar10 test accuracy %`.
    #[wasm_bindgen(getter, js_name = scoreName)]
    pub fn score_name(&self) -> String {
        self.inner.score_name().to_string()
    }

    /// Makes `dataset`'s (`cifar10`, `cifar100`, `imagenet16-120`) test
    /// accuracy the score. Throws `unsupported` for an FBNet table or an
    /// unknown dataset.
    #[wasm_bindgen(js_name = useAccuracy)]
    pub fn use_accuracy(&mut self, accuracy: &JsAccuracy, dataset: &str) -> Result<()> {
        let dataset = accuracy_dataset(dataset)?;
        self.inner.use_accuracy(accuracy.table(), dataset)
    }

    /// Makes `dataset`'s accuracy the score from `values` looked up
    /// elsewhere in row order (`AccuracyData.lookup(table.archs, dataset)`,
    /// e.g. in a Web Worker). Throws `invalid-input` for a count that does
    /// not fit, `unsupported` for a value that is not a percentage.
    #[wasm_bindgen(js_name = useAccuracyScores)]
    pub fn use_accuracy_scores(&mut self, dataset: &str, values: Vec<f64>) -> Result<()> {
        let dataset = accuracy_dataset(dataset)?;
        self.inner.use_accuracy_scores(dataset, values)
    }

    /// Makes MFLOPs the score again.
    #[wasm_bindgen(js_name = useMflops)]
    pub fn use_mflops(&mut self) {
        self.inner.use_mflops();
    }

    /// The best-scoring architecture predicted within `budgetMs` on
    /// `device` (`{row, arch, latency_ms, score, score_name,
    /// within_budget}`), or `null` when none fits.
    #[wasm_bindgen(js_name = bestUnder)]
    pub fn best_under(
        &self,
        device: &str,
        #[wasm_bindgen(js_name = budgetMs)] budget_ms: f64,
    ) -> Result<JsValue> {
        match self.inner.best_under(device, budget_ms)? {
            Some(best) => to_js(&best),
            None => Ok(JsValue::NULL),
        }
    }

    /// Predicted latency (ms) of every architecture on `device`.
    pub fn latency(&self, device: &str) -> Result<Vec<f32>> {
        self.inner.latency(device).map(<[f32]>::to_vec)
    }

    /// Row of an architecture string (canonical or not).
    #[wasm_bindgen(js_name = positionOf)]
    pub fn position_of(&self, arch: &str) -> Result<usize> {
        self.inner.position_of(arch)
    }

    /// Rows from fastest to slowest on `device`.
    pub fn order(&self, device: &str) -> Result<Vec<u32>> {
        self.inner.order(device)
    }

    /// Where `arch` stands on `device`: `{arch, device, latency_ms, rank (1
    /// = fastest), of, faster_percent}`.
    pub fn standing(&self, arch: &str, device: &str) -> Result<JsValue> {
        to_js(&self.inner.standing(arch, device)?)
    }

    /// `device`'s latencies in `bins` log-spaced bins: `{device, edges_ms
    /// (bins + 1, increasing), counts}`.
    pub fn histogram(&self, device: &str, bins: usize) -> Result<JsValue> {
        to_js(&self.inner.histogram(device, bins)?)
    }

    /// Spearman's ρ between all devices, row-major `devices × devices`.
    pub fn correlation(&self) -> Result<Vec<f64>> {
        self.inner.correlation()
    }

    /// Device indices with devices that rank alike next to each other.
    #[wasm_bindgen(js_name = clusterOrder)]
    pub fn cluster_order(&self) -> Result<Vec<u32>> {
        self.inner.cluster_order()
    }

    /// Rows on the (latency on `device`, MFLOPs) Pareto front, by latency.
    #[wasm_bindgen(js_name = paretoFront)]
    pub fn pareto_front(&self, device: &str) -> Result<Vec<u32>> {
        self.inner.pareto_front(device)
    }

    /// Every other device as a proxy for `targets`, best first: `[{proxy,
    /// worst, worst_target, mean}]` (Spearman ρ over the table).
    #[wasm_bindgen(js_name = proxyChoice)]
    pub fn proxy_choice(&self, targets: Vec<String>) -> Result<JsValue> {
        to_js(&self.inner.proxy_choice(&targets)?)
    }

    /// How much of `target`'s Pareto front the front found on `proxy`
    /// recovers: `{proxy, target, proxy_front, target_front, overlap,
    /// hypervolume_ratio}`.
    #[wasm_bindgen(js_name = frontRecovery)]
    pub fn front_recovery(&self, proxy: &str, target: &str) -> Result<JsValue> {
        to_js(&self.inner.front_recovery(proxy, target)?)
    }

    /// The `n` architectures of the table to measure next on a new device,
    /// most informative first, given those measured already
    /// (`measuredArchs`, may be empty): the same choice as `profiler adapt
    /// --suggest`.
    pub fn suggest(
        &self,
        #[wasm_bindgen(js_name = measuredArchs)] measured_archs: Vec<String>,
        n: usize,
    ) -> Result<Vec<String>> {
        self.inner.suggest(&measured_archs, n)
    }

    /// Adds (or replaces) your own device, adapted from your measurements
    /// (`sampleArchs[i]` took `sampleMs[i]` ms) as `Predictor.adapt` does,
    /// as a new column; returns the device names. Throws `invalid-input`
    /// for an empty name or a name of the file's devices, and as
    /// `Predictor.adapt` does.
    #[wasm_bindgen(js_name = addDevice)]
    pub fn add_device(
        &mut self,
        name: &str,
        #[wasm_bindgen(js_name = sampleArchs)] sample_archs: Vec<String>,
        #[wasm_bindgen(js_name = sampleMs)] sample_ms: Vec<f64>,
    ) -> Result<Vec<String>> {
        self.inner.add_device(name, &sample_archs, &sample_ms)?;
        Ok(self.inner.devices().to_vec())
    }
}
