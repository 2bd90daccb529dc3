//! `MeasuredData`: a latency dataset's measurements, to show beside
//! predictions.

use super::fetch::fetch_bytes;
use super::to_js;
use crate::error::Result;
use crate::{lookup_measured, read_measured};
use latscope_shared::dataset::LatencyTable;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

/// Measured latencies (ms) of one search space from a wide (HELP) or long
/// CSV, plain or gzip (`new MeasuredData(bytes, name, space)` or `await
/// MeasuredData.fromUrl(url, space)`).
#[wasm_bindgen(js_name = MeasuredData)]
pub struct JsMeasured {
    table: LatencyTable,
}

#[wasm_bindgen(js_class = MeasuredData)]
impl JsMeasured {
    /// Reads `space`'s rows from a file's bytes; `name` appears in errors.
    /// Throws `invalid-dataset` for a file that does not read or has no
    /// architectures of `space`.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], name: &str, space: &str) -> Result<JsMeasured> {
        Ok(JsMeasured {
            table: read_measured(bytes, name, space)?,
        })
    }

    /// Fetches and reads a dataset file (`fetch` or `invalid-dataset`).
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url(url: String, space: String) -> Result<JsMeasured> {
        let bytes = fetch_bytes(&url).await?;
        JsMeasured::new(&bytes, &url, &space)
    }

    /// The search space of the rows read (`nb201` or `fbnet`).
    #[wasm_bindgen(getter)]
    pub fn space(&self) -> String {
        self.table.space().to_string()
    }

    /// The devices the file measured, in its column order.
    #[wasm_bindgen(getter)]
    pub fn devices(&self) -> Vec<String> {
        self.table.devices().to_vec()
    }

    /// The measured architectures (canonical strings), in file order.
    #[wasm_bindgen(getter)]
    pub fn archs(&self) -> Vec<String> {
        self.table.archs().iter().map(|a| a.to_string()).collect()
    }

    /// `{device: ms}` for each of `devices` the file measured `arch` on
    /// (`{}` for an architecture the file lacks). Throws
    /// `invalid-architecture` for a string that does not parse.
    pub fn lookup(&self, arch: &str, devices: Vec<String>) -> Result<JsValue> {
        let values = lookup_measured(&self.table, arch, &devices)?;
        let found: BTreeMap<&String, f64> = devices
            .iter()
            .zip(values)
            .filter_map(|(d, v)| v.map(|v| (d, v)))
            .collect();
        to_js(&found)
    }
}
