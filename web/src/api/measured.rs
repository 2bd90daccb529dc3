//! `MeasuredData`: a latency dataset's measurements, to show beside
//! predictions.

use super::fetch::fetch_bytes;
use super::{js_error, to_js};
use crate::MeasuredLatencies;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

/// Measured latencies of one search space from a wide (HELP) or long CSV,
/// plain or gzip.
#[wasm_bindgen(js_name = MeasuredData)]
pub struct JsMeasured {
    inner: MeasuredLatencies,
}

#[wasm_bindgen(js_class = MeasuredData)]
impl JsMeasured {
    /// Reads `space`'s rows from a file's bytes; `name` appears in errors.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], name: &str, space: &str) -> Result<JsMeasured, JsError> {
        MeasuredLatencies::from_bytes(bytes, name, space)
            .map(|inner| JsMeasured { inner })
            .map_err(js_error)
    }

    /// Fetches and reads a dataset file.
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url(url: String, space: String) -> Result<JsMeasured, JsError> {
        let bytes = fetch_bytes(&url).await?;
        JsMeasured::new(&bytes, &url, &space)
    }

    #[wasm_bindgen(getter)]
    pub fn space(&self) -> String {
        self.inner.space().to_string()
    }

    #[wasm_bindgen(getter)]
    pub fn devices(&self) -> Vec<String> {
        self.inner.devices().to_vec()
    }

    /// The measured architectures (canonical strings), in file order.
    #[wasm_bindgen(getter)]
    pub fn archs(&self) -> Vec<String> {
        self.inner.archs()
    }

    /// `{device: ms}` for each of `devices` the file measured `arch` on.
    pub fn lookup(&self, arch: &str, devices: Vec<String>) -> Result<JsValue, JsError> {
        let values = self.inner.lookup(arch, &devices).map_err(js_error)?;
        let found: BTreeMap<&String, f64> = devices
            .iter()
            .zip(values)
            .filter_map(|(d, v)| v.map(|v| (d, v)))
            .collect();
        to_js(&found)
    }
}
