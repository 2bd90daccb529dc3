//! `Predictor`: a latency predictor file, loaded; and `FeatureCache`.

use super::fetch::fetch_bytes;
use super::table::{JsSpaceScan, JsSpaceTable};
use super::to_js;
use crate::error::{Error, Result};
use crate::{ScanOutputs, SpaceScan, SpaceTable};
use latscope_model::predictor_onnx::{encodings_name, folded_samples, Predictor};
use latscope_shared::encoding::EncodingCache;
use latscope_shared::space::Arch;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A latency predictor loaded from an ONNX file (`new Predictor(bytes)` or
/// `await Predictor.fromUrl(url)`): the model crate's predictor itself,
/// shared with the scans and tables made from it.
#[wasm_bindgen(js_name = Predictor)]
pub struct JsPredictor {
    inner: Rc<Predictor>,
}

impl JsPredictor {
    /// Loads ONNX bytes; `file` (a name or URL) prefixes the message of
    /// [`Error::PredictorFile`]. The module built with the `tract` feature
    /// (`latscope-web.js`) runs the file's graph in tract; the one without
    /// (`latscope-web-lite.js`, the page's main thread) runs its weights by
    /// the reference forward pass, the same numbers from a module a fraction
    /// of the size that loads a file in milliseconds.
    fn load(bytes: &[u8], file: Option<&str>) -> Result<JsPredictor> {
        #[cfg(feature = "tract")]
        let loaded = Predictor::from_bytes(bytes);
        #[cfg(not(feature = "tract"))]
        let loaded = Predictor::reference_from_bytes(bytes);
        loaded
            .map(|p| JsPredictor { inner: Rc::new(p) })
            .map_err(|source| Error::PredictorFile {
                file: file.map(str::to_string),
                source,
            })
    }

    /// The model crate's predictor (for native callers).
    pub fn predictor(&self) -> &Rc<Predictor> {
        &self.inner
    }
}

#[wasm_bindgen(js_class = Predictor)]
impl JsPredictor {
    /// Loads a predictor from the bytes of its `.onnx` file. A file that is
    /// not a latscope predictor throws `invalid-predictor-file`, the
    /// message saying what is wrong with it.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<JsPredictor> {
        JsPredictor::load(bytes, None)
    }

    /// Fetches and loads a predictor file (`fetch`, or
    /// `invalid-predictor-file` with the URL in the message).
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url(url: String) -> Result<JsPredictor> {
        let bytes = fetch_bytes(&url).await?;
        JsPredictor::load(&bytes, Some(&url))
    }

    /// What computes the predictions: `tract` (the file's ONNX graph) or
    /// `reference` (the reference forward pass of its weights).
    #[wasm_bindgen(getter)]
    pub fn engine(&self) -> String {
        self.inner.engine().name().to_string()
    }

    /// The search space (`nb201` or `fbnet`).
    #[wasm_bindgen(getter)]
    pub fn space(&self) -> String {
        self.inner.meta().space.name().to_string()
    }

    /// Device names, one per column of `predict`'s result.
    #[wasm_bindgen(getter)]
    pub fn devices(&self) -> Vec<String> {
        self.inner.meta().devices.clone()
    }

    /// How many of `devices` were trained (the rest were added to the file
    /// by few-shot adaptation).
    #[wasm_bindgen(getter, js_name = trainedDevices)]
    pub fn trained_devices(&self) -> usize {
        self.inner.meta().trained_devices
    }

    /// The encodings the file takes, e.g. `onehot-v1+features-v1`.
    #[wasm_bindgen(getter)]
    pub fn encodings(&self) -> String {
        encodings_name(&self.inner.meta().encodings)
    }

    /// The training method recorded in the file.
    #[wasm_bindgen(getter)]
    pub fn method(&self) -> String {
        self.inner.meta().method.clone()
    }

    /// Architectures to measure first on a new device.
    #[wasm_bindgen(getter, js_name = referenceArchs)]
    pub fn reference_archs(&self) -> Vec<String> {
        self.inner.meta().reference_archs.clone()
    }

    /// The predictor's input vector for one architecture (its encodings,
    /// concatenated). Throws `invalid-architecture`.
    pub fn encode(&self, arch: &str) -> Result<Vec<f32>> {
        let archs = self.inner.parse_archs(&[arch])?;
        Ok(self.inner.encode(&archs)?.iter().copied().collect())
    }

    /// Latencies in ms of each architecture on each device, row-major
    /// (`archs.length × devices.length`). Throws `invalid-architecture`
    /// naming the first bad string's position.
    pub fn predict(&self, archs: Vec<String>) -> Result<Vec<f32>> {
        let archs = self.inner.parse_archs(&archs)?;
        let prediction = self.inner.predict_archs(&archs)?;
        Ok(prediction.latency_ms.iter().copied().collect())
    }

    /// Indices into `archs`, fastest first on `device` (predicted; ties
    /// keep input order). Throws `unknown-device` or
    /// `invalid-architecture`.
    pub fn rank(&self, device: &str, archs: Vec<String>) -> Result<Vec<u32>> {
        let archs = self.inner.parse_archs(&archs)?;
        let order = self.inner.rank(device, &archs)?;
        Ok(order.into_iter().map(|i| i as u32).collect())
    }

    /// Latency in ms on a new device of each `query` architecture, adapted
    /// from your measurements (`sampleArchs[i]` took `sampleMs[i]` ms; 5–20
    /// are typical): the same computation as `profiler adapt`. Throws
    /// `invalid-architecture` (`measured architecture i` for a sample) or
    /// `invalid-input` (unequal lengths, a latency that is not positive,
    /// too few measurements).
    pub fn adapt(
        &self,
        #[wasm_bindgen(js_name = sampleArchs)] sample_archs: Vec<String>,
        #[wasm_bindgen(js_name = sampleMs)] sample_ms: Vec<f64>,
        query: Vec<String>,
    ) -> Result<Vec<f64>> {
        let samples = self.inner.parse_samples(&sample_archs, &sample_ms)?;
        let query = self.inner.parse_archs(&query)?;
        Ok(self.inner.adapt(&samples, &query, None)?)
    }

    /// The measurements every adaptation leaves out, as indices: networks whose output cannot
    /// depend on their input, timed below a tenth of the fastest other measurement (the runtime
    /// folded them into a constant and timed nothing), as `profiler adapt` notes them. Throws as
    /// `adapt` does.
    #[wasm_bindgen(js_name = foldedSamples)]
    pub fn folded_samples(
        &self,
        #[wasm_bindgen(js_name = sampleArchs)] sample_archs: Vec<String>,
        #[wasm_bindgen(js_name = sampleMs)] sample_ms: Vec<f64>,
    ) -> Result<Vec<u32>> {
        let samples = self.inner.parse_samples(&sample_archs, &sample_ms)?;
        Ok(folded_samples(&samples)
            .into_iter()
            .map(|i| i as u32)
            .collect())
    }

    /// How far to trust a device adapted from these measurements: `{samples,
    /// chosen: {fit, spearman, typicalError}, candidates: [...]}`, the fit the
    /// automatic adaptation chooses and each candidate's leave-one-out ρ and
    /// typical relative error (0.1 = 10 %), as `profiler adapt` prints them
    /// (`null` for a file whose default adaptation is not `auto`). Throws as
    /// `adapt` does.
    #[wasm_bindgen(js_name = adaptationFit)]
    pub fn adaptation_fit(
        &self,
        #[wasm_bindgen(js_name = sampleArchs)] sample_archs: Vec<String>,
        #[wasm_bindgen(js_name = sampleMs)] sample_ms: Vec<f64>,
    ) -> Result<JsValue> {
        let samples = self.inner.parse_samples(&sample_archs, &sample_ms)?;
        to_js(&self.inner.fit_summary(&samples)?)
    }

    /// Starts predicting many architectures (all of NB201 when `archs` is
    /// omitted; FBNet needs a list, else `unsupported`) a chunk at a time:
    /// call `step` until `done === total`, then `finish()` for the table.
    /// With a scan network in the file (`hasScanNetwork`) the latencies
    /// come from it and the table's embedding rows are left for later
    /// (`embeddingScan`, or computed when first needed).
    /// `ensemble: true` uses the ensemble all the same (its exact
    /// latencies and the embedding rows, at the ensemble's cost).
    /// `scan.useFeatures(cache)` before the first step makes it several
    /// times faster. Throws `invalid-architecture` for a bad string.
    pub fn scan(&self, archs: Option<Vec<String>>, ensemble: Option<bool>) -> Result<JsSpaceScan> {
        let archs = self.scan_archs(archs)?;
        let scan = if ensemble == Some(true) {
            SpaceScan::with_outputs(self.inner.clone(), archs, None, ScanOutputs::Ensemble)
        } else {
            SpaceScan::new(self.inner.clone(), archs, None)
        };
        Ok(JsSpaceScan::wrap(scan))
    }

    /// Like `scan`, but computes only the ensemble's `embedding` rows
    /// (`scan.embedding()` when done): what a table made with the scan
    /// network needs before adding a device (`table.setEmbedding`). The
    /// page runs it in a Web Worker.
    #[wasm_bindgen(js_name = embeddingScan)]
    pub fn embedding_scan(&self, archs: Option<Vec<String>>) -> Result<JsSpaceScan> {
        Ok(JsSpaceScan::wrap(SpaceScan::embedding_only(
            self.inner.clone(),
            self.scan_archs(archs)?,
            None,
        )))
    }

    /// A table from latencies computed elsewhere (a `scan` in a Web
    /// Worker: its `latencies()` and `mflops()`), for the same `archs`
    /// (all of NB201 when omitted); with `orders` and `correlation` from
    /// the worker's `scan.rank()` it is ranked already. Throws `invalid-input` when the counts do not
    /// fit.
    #[wasm_bindgen(js_name = tableFrom)]
    pub fn table_from(
        &self,
        archs: Option<Vec<String>>,
        #[wasm_bindgen(js_name = latencyMs)] latency_ms: Vec<f32>,
        mflops: Vec<f64>,
        orders: Option<Vec<u32>>,
        correlation: Option<Vec<f64>>,
    ) -> Result<JsSpaceTable> {
        let parsed = self.scan_archs(archs)?;
        let table = SpaceTable::from_latencies(self.inner.clone(), parsed, latency_ms, mflops)?;
        if let (Some(orders), Some(correlation)) = (orders, correlation) {
            table.set_rankings(&orders, correlation)?;
        }
        Ok(JsSpaceTable::wrap(table))
    }

    /// Whether the file has a scan network (`profiler distil`): whole-space
    /// scans then cost about 1/25 of the ensemble.
    #[wasm_bindgen(getter, js_name = hasScanNetwork)]
    pub fn has_scan_network(&self) -> bool {
        self.inner.has_scan_network()
    }

    /// How the scan network follows the ensemble (`{set, spearman[],
    /// median_relative_error, p90_relative_error, max_relative_error,
    /// held_out}`), or `null` without one.
    #[wasm_bindgen(getter, js_name = scanAgreement)]
    pub fn scan_agreement(&self) -> Result<JsValue> {
        match &self.inner.meta().scan {
            Some(agreement) => to_js(agreement),
            None => Ok(JsValue::NULL),
        }
    }
}

impl JsPredictor {
    /// The architectures a scan covers: `archs` parsed, or the whole space.
    fn scan_archs(&self, archs: Option<Vec<String>>) -> Result<Vec<Arch>> {
        match archs {
            Some(archs) => Ok(self.inner.parse_archs(&archs)?),
            None => self
                .inner
                .meta()
                .space
                .enumerate()
                .map_err(Error::NotListable),
        }
    }
}

/// A search space's `features-v1`, computed ahead of time (the shipped
/// `data/nb201_features-v1.bin.gz`, written by `profiler data encode`), for
/// `SpaceScan.useFeatures`.
#[wasm_bindgen(js_name = FeatureCache)]
pub struct JsFeatureCache {
    pub(crate) inner: Rc<EncodingCache>,
}

#[wasm_bindgen(js_class = FeatureCache)]
impl JsFeatureCache {
    /// Reads a cache file's bytes (plain or gzip); `name` appears in errors
    /// (`invalid-feature-cache`).
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], name: &str) -> Result<JsFeatureCache> {
        EncodingCache::from_bytes(bytes, name)
            .map(|c| JsFeatureCache { inner: Rc::new(c) })
            .map_err(Error::FeatureCacheFile)
    }

    /// Fetches and reads a cache file (`fetch` or `invalid-feature-cache`).
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url(url: String) -> Result<JsFeatureCache> {
        let bytes = fetch_bytes(&url).await?;
        JsFeatureCache::new(&bytes, &url)
    }

    /// The search space the cache covers.
    #[wasm_bindgen(getter)]
    pub fn space(&self) -> String {
        self.inner.space.to_string()
    }

    /// The encoding it holds (only `features-v1` speeds up a scan).
    #[wasm_bindgen(getter)]
    pub fn encoding(&self) -> String {
        self.inner.encoding.to_string()
    }
}
