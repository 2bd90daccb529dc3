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
