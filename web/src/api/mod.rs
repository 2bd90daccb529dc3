//! The JS-facing API. Each function converts its arguments, calls the plain
//! Rust logic of this crate and maps errors to JS `Error`s carrying the
//! message. TypeScript types come from wasm-bindgen (`latscope-web.d.ts`).

mod fetch;
mod measured;
mod predictor;
mod table;

pub use measured::JsMeasured;
pub use predictor::{JsFeatureCache, JsPredictor};
pub use table::{JsSpaceScan, JsSpaceTable};

use wasm_bindgen::prelude::*;

/// Turns this crate's string errors into JS errors.
pub(crate) fn js_error(message: impl AsRef<str>) -> JsError {
    JsError::new(message.as_ref())
}

/// A serialisable value as a JS object (via JSON, which the values here
/// always are).
pub(crate) fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value).map_err(|e| js_error(e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| js_error("could not build the JS value"))
}

/// Names of the search spaces this build knows (`["nb201", "fbnet"]`).
#[wasm_bindgen(js_name = searchSpaces)]
pub fn search_spaces() -> Vec<String> {
    latscope_shared::space::SpaceId::names()
        .into_iter()
        .map(String::from)
        .collect()
}

/// Summary of an architecture: `{space, arch (canonical), dataset,
/// benchmark_index (NB201), mflops, mparams, kernels,
/// activation_bytes_written}`.
#[wasm_bindgen(js_name = archSummary)]
pub fn arch_summary(space: &str, arch: &str) -> Result<JsValue, JsError> {
    let summary = crate::arch_summary(space, arch).map_err(js_error)?;
    to_js(&summary)
}

/// Encodes an architecture (`onehot-v1`, `graph-v1` or `features-v1`).
#[wasm_bindgen(js_name = encodeArch)]
pub fn encode_arch(space: &str, arch: &str, encoding: &str) -> Result<Vec<f32>, JsError> {
    crate::encode_arch(space, arch, encoding).map_err(js_error)
}

/// What an architecture builder needs: `{space, positions (labels), edges
/// (NB201: [from, to] per edge), choices (operation names)}`.
#[wasm_bindgen(js_name = spaceLayout)]
pub fn space_layout(space: &str) -> Result<JsValue, JsError> {
    to_js(&crate::space_layout(space).map_err(js_error)?)
}

/// The canonical string of the architecture with operation `choices[p]`
/// (an index into `spaceLayout(space).choices`) at each position `p`.
#[wasm_bindgen(js_name = composeArch)]
pub fn compose_arch(space: &str, choices: &[u32]) -> Result<String, JsError> {
    crate::compose_arch(space, choices).map_err(js_error)
}

/// The operation index at each position of an architecture string.
#[wasm_bindgen(js_name = decomposeArch)]
pub fn decompose_arch(space: &str, arch: &str) -> Result<Vec<u32>, JsError> {
    crate::decompose_arch(space, arch).map_err(js_error)
}

/// Every architecture of a space that can be listed: the 15625 NB201 cells
/// in benchmark index order. FBNet has 9²² networks; pass your own list (for
/// example a dataset's, see `MeasuredData.archs`) to `Predictor.scan`.
#[wasm_bindgen(js_name = spaceArchitectures)]
pub fn space_architectures(space: &str) -> Result<Vec<String>, JsError> {
    crate::enumerate_space(space).map_err(js_error)
}

/// Spearman's ρ of two equally long lists of latencies (ties averaged, as
/// `scipy.stats.spearmanr`).
#[wasm_bindgen]
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64, JsError> {
    latscope_shared::metrics::spearman(a, b).map_err(|e| js_error(e.to_string()))
}

/// The version of this module (the latscope workspace version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
