//! The JS-facing functions. Each converts its arguments, calls the plain Rust
//! logic and maps errors to `Error` objects carrying the message.

use wasm_bindgen::prelude::*;

/// Names of the search spaces this build knows (`["nb201", "fbnet"]`).
#[wasm_bindgen(js_name = searchSpaces)]
pub fn search_spaces() -> Vec<String> {
    latscope_shared::space::SpaceId::names()
        .into_iter()
        .map(String::from)
        .collect()
}

/// Summary of an architecture as a JSON string: canonical arch string,
/// benchmark index (NB201), MFLOPs, Mparams, kernel count.
#[wasm_bindgen(js_name = archSummary)]
pub fn arch_summary(space: &str, arch: &str) -> Result<String, JsError> {
    let summary = crate::arch_summary(space, arch).map_err(|e| JsError::new(&e))?;
    serde_json::to_string(&summary).map_err(|e| JsError::new(&e.to_string()))
}

/// Encodes an architecture (`onehot-v1`, `graph-v1` or `features-v1`).
#[wasm_bindgen(js_name = encodeArch)]
pub fn encode_arch(space: &str, arch: &str, encoding: &str) -> Result<Vec<f32>, JsError> {
    crate::encode_arch(space, arch, encoding).map_err(|e| JsError::new(&e))
}

/// A latency predictor loaded from an ONNX file.
#[wasm_bindgen(js_name = Predictor)]
pub struct JsPredictor {
    inner: crate::LoadedPredictor,
}

#[wasm_bindgen(js_class = Predictor)]
impl JsPredictor {
    /// Loads a predictor from the bytes of its `.onnx` file.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<JsPredictor, JsError> {
        crate::LoadedPredictor::from_bytes(bytes)
            .map(|inner| JsPredictor { inner })
            .map_err(|e| JsError::new(&e))
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

    /// Architectures to measure first on a new device.
    #[wasm_bindgen(getter, js_name = referenceArchs)]
    pub fn reference_archs(&self) -> Vec<String> {
        self.inner.reference_archs()
    }

    /// Latencies in ms of each architecture on each device, row-major
    /// (`archs.length × devices.length`).
    pub fn predict(&self, archs: Vec<String>) -> Result<Vec<f32>, JsError> {
        self.inner.predict(&archs).map_err(|e| JsError::new(&e))
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
            .map_err(|e| JsError::new(&e))
    }
}
