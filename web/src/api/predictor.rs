//! `Predictor`: a latency predictor file, loaded.

use super::fetch::fetch_bytes;
use super::table::JsSpaceScan;
use super::{js_error, to_js};
use crate::{LoadedPredictor, SpaceScan};
use latscope_shared::encoding::EncodingCache;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A latency predictor loaded from an ONNX file (`new Predictor(bytes)` or
/// `await Predictor.fromUrl(url)`).
#[wasm_bindgen(js_name = Predictor)]
pub struct JsPredictor {
    inner: Rc<LoadedPredictor>,
}

#[wasm_bindgen(js_class = Predictor)]
impl JsPredictor {
    /// Loads a predictor from the bytes of its `.onnx` file. A file that is
    /// not a latscope predictor gets an error saying what is wrong with it.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<JsPredictor, JsError> {
        LoadedPredictor::from_bytes(bytes)
            .map(|p| JsPredictor { inner: Rc::new(p) })
            .map_err(js_error)
    }

    /// Fetches and loads a predictor file.
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url(url: String) -> Result<JsPredictor, JsError> {
        let bytes = fetch_bytes(&url).await?;
        LoadedPredictor::from_bytes(&bytes)
            .map(|p| JsPredictor { inner: Rc::new(p) })
            .map_err(|e| js_error(format!("{url}: {e}")))
    }

    /// The search space (`nb201` or `fbnet`).
    #[wasm_bindgen(getter)]
    pub fn space(&self) -> String {
        self.inner.space().to_string()
    }

    /// Device names, one per column of `predict`'s result.
    #[wasm_bindgen(getter)]
    pub fn devices(&self) -> Vec<String> {
        self.inner.devices()
    }

    /// How many of `devices` were trained (the rest were added to the file
    /// by few-shot adaptation).
    #[wasm_bindgen(getter, js_name = trainedDevices)]
    pub fn trained_devices(&self) -> usize {
        self.inner.trained_devices()
    }

    /// The encodings the file takes, e.g. `onehot-v1+features-v1`.
    #[wasm_bindgen(getter)]
    pub fn encodings(&self) -> String {
        self.inner.encodings()
    }

    /// The training method recorded in the file.
    #[wasm_bindgen(getter)]
    pub fn method(&self) -> String {
        self.inner.method().to_string()
    }

    /// Architectures to measure first on a new device.
    #[wasm_bindgen(getter, js_name = referenceArchs)]
    pub fn reference_archs(&self) -> Vec<String> {
        self.inner.reference_archs()
    }

    /// The predictor's input vector for one architecture.
    pub fn encode(&self, arch: &str) -> Result<Vec<f32>, JsError> {
        self.inner.encode(arch).map_err(js_error)
    }

    /// Latencies in ms of each architecture on each device, row-major
    /// (`archs.length × devices.length`).
    pub fn predict(&self, archs: Vec<String>) -> Result<Vec<f32>, JsError> {
        self.inner.predict(&archs).map_err(js_error)
    }

    /// Indices into `archs`, fastest first on `device` (predicted).
    pub fn rank(&self, device: &str, archs: Vec<String>) -> Result<Vec<u32>, JsError> {
        self.inner.rank(device, &archs).map_err(js_error)
    }

    /// Latency in ms on a new device of each `query` architecture, adapted
    /// from your measurements (`sampleArchs[i]` took `sampleMs[i]` ms; 5–20
    /// are typical): the same computation as `profiler adapt`.
    pub fn adapt(
        &self,
        #[wasm_bindgen(js_name = sampleArchs)] sample_archs: Vec<String>,
        #[wasm_bindgen(js_name = sampleMs)] sample_ms: Vec<f64>,
        query: Vec<String>,
    ) -> Result<Vec<f64>, JsError> {
        self.inner
            .adapt(&sample_archs, &sample_ms, &query)
            .map_err(js_error)
    }

    /// How far to trust a device adapted from these measurements: `{samples,
    /// chosen: {fit, spearman, typicalError}, candidates: [...]}`, the fit the
    /// automatic adaptation chooses and each candidate's leave-one-out ρ and
    /// typical relative error, as `profiler adapt` prints them (`null` for a
    /// file whose default adaptation is not `auto`).
    #[wasm_bindgen(js_name = adaptationFit)]
    pub fn adaptation_fit(
        &self,
        #[wasm_bindgen(js_name = sampleArchs)] sample_archs: Vec<String>,
        #[wasm_bindgen(js_name = sampleMs)] sample_ms: Vec<f64>,
    ) -> Result<JsValue, JsError> {
        to_js(
            &self
                .inner
                .fit_summary(&sample_archs, &sample_ms)
                .map_err(js_error)?,
        )
    }

    /// Starts predicting many architectures (all of NB201 when `archs` is
    /// omitted) a chunk at a time: call `step` until `done === total`, then
    /// `finish()` for the table. `scan.useFeatures(cache)` before the first
    /// step makes it several times faster.
    pub fn scan(&self, archs: Option<Vec<String>>) -> Result<JsSpaceScan, JsError> {
        let archs = match archs {
            Some(archs) => archs,
            None => crate::enumerate_space(self.inner.space()).map_err(js_error)?,
        };
        let parsed = self.inner.parse_archs(&archs).map_err(js_error)?;
        Ok(JsSpaceScan::wrap(SpaceScan::new(
            self.inner.clone(),
            parsed,
            None,
        )))
    }
}

/// A search space's `features-v1`, computed ahead of time (the shipped
/// `data/nb201_features-v1.bin.gz`, written by `profiler data encode`).
#[wasm_bindgen(js_name = FeatureCache)]
pub struct JsFeatureCache {
    pub(crate) inner: Rc<EncodingCache>,
}

#[wasm_bindgen(js_class = FeatureCache)]
impl JsFeatureCache {
    /// Reads a cache file's bytes (plain or gzip); `name` appears in errors.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], name: &str) -> Result<JsFeatureCache, JsError> {
        EncodingCache::from_bytes(bytes, name)
            .map(|c| JsFeatureCache { inner: Rc::new(c) })
            .map_err(|e| js_error(e.to_string()))
    }

    /// Fetches and reads a cache file.
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url(url: String) -> Result<JsFeatureCache, JsError> {
        let bytes = fetch_bytes(&url).await?;
        JsFeatureCache::new(&bytes, &url)
    }

    #[wasm_bindgen(getter)]
    pub fn space(&self) -> String {
        self.inner.space.to_string()
    }

    #[wasm_bindgen(getter)]
    pub fn encoding(&self) -> String {
        self.inner.encoding.to_string()
    }
}
