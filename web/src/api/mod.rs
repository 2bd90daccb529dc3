//! The JS-facing API. Each function converts its arguments and calls the
//! model, the shared crate or this crate's plain Rust modules. TypeScript
//! types come from wasm-bindgen (`latscope-web.d.ts`), with the thrown
//! error's type, `LatscopeError`, declared below.
//!
//! Errors: every function returns `Result<T, `[`Error`]`>`, which
//! wasm-bindgen throws as a JS `Error` with `name` `"LatscopeError"`, the
//! message, and a `kind` string ([`ErrorKind`](crate::ErrorKind)).

mod accuracy;
mod fetch;
mod measured;
mod predictor;
mod table;

pub use accuracy::JsAccuracy;
pub use measured::JsMeasured;
pub use predictor::{JsFeatureCache, JsPredictor};
pub use table::{JsSpaceScan, JsSpaceTable};

use crate::error::{Error, Result};
use wasm_bindgen::prelude::*;

/// The TypeScript declaration of what every function of the module throws.
/// Its kinds must be [`ErrorKind::ALL`](crate::ErrorKind::ALL) (a test
/// checks).
#[wasm_bindgen(typescript_custom_section)]
const LATSCOPE_ERROR_SECTION: &'static str = LATSCOPE_ERROR_TS;

// Read by the custom section (from a generated const, which the dead-code
// lint does not count) and by a test.
#[allow(dead_code)]
const LATSCOPE_ERROR_TS: &str = r#"
/**
 * What every function and method of this module throws: a JS `Error` whose
 * `name` is `"LatscopeError"`, whose `message` names the file,
 * architecture, device or value at fault, and whose `kind` says what went
 * wrong, for code to branch on (messages may be reworded; kinds are stable):
 *
 * - `unknown-space`: a search-space name other than `nb201` and `fbnet`;
 * - `unknown-device`: a device the predictor or table does not have;
 * - `invalid-architecture`: an architecture string (or choice list) that is
 *   not one of the space; in a list the message names its position
 *   (`architecture 3: ...`);
 * - `not-in-table`: a valid architecture that is not among a table's rows;
 * - `invalid-input`: values that do not fit (latencies that are not
 *   positive, lists of unequal length, too few measurements, an empty or
 *   taken device name);
 * - `unsupported`: what the space or module does not offer (listing FBNet,
 *   accuracy of FBNet networks, an unknown encoding or accuracy dataset);
 * - `invalid-predictor-file`: bytes that are not a latscope predictor file;
 * - `invalid-dataset`: a latency or accuracy CSV that does not read, or a
 *   latency CSV that lacks the space;
 * - `invalid-feature-cache`: a feature cache file that does not read;
 * - `fetch`: a `fromUrl` download that failed (URL and HTTP status named);
 * - `invalid-state`: a `SpaceScan` used after `finish()` or finished early;
 * - `internal`: a bug in latscope.
 */
export type LatscopeErrorKind =
  | "unknown-space"
  | "unknown-device"
  | "invalid-architecture"
  | "not-in-table"
  | "invalid-input"
  | "unsupported"
  | "invalid-predictor-file"
  | "invalid-dataset"
  | "invalid-feature-cache"
  | "fetch"
  | "invalid-state"
  | "internal";

/** The error this module throws (see `LatscopeErrorKind`). */
export interface LatscopeError extends Error {
  name: "LatscopeError";
  kind: LatscopeErrorKind;
}
"#;

/// A serialisable value as a JS object (via JSON, which the values here
/// always are).
pub(crate) fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue> {
    let text = serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| Error::Internal("could not build the JS value".into()))
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
/// benchmark_index (NB201), mflops (millions of multiply-accumulates),
/// mparams (millions), kernels, activation_bytes_written (fp32 bytes)}`.
/// Throws `unknown-space` or `invalid-architecture`.
#[wasm_bindgen(js_name = archSummary)]
pub fn arch_summary(space: &str, arch: &str) -> Result<JsValue> {
    to_js(&crate::arch_summary(space, arch)?)
}

/// Encodes an architecture (`onehot-v1`, `graph-v1` or `features-v1`).
/// Throws `unknown-space`, `invalid-architecture` or (unknown encoding)
/// `unsupported`.
#[wasm_bindgen(js_name = encodeArch)]
pub fn encode_arch(space: &str, arch: &str, encoding: &str) -> Result<Vec<f32>> {
    crate::encode_arch(space, arch, encoding)
}

/// What an architecture builder needs: `{space, positions (labels), edges
/// (NB201: [from, to] per edge), choices (operation names)}`. Throws
/// `unknown-space`.
#[wasm_bindgen(js_name = spaceLayout)]
pub fn space_layout(space: &str) -> Result<JsValue> {
    to_js(&crate::space_layout(space)?)
}

/// The canonical string of the architecture with operation `choices[p]`
/// (an index into `spaceLayout(space).choices`) at each position `p`.
/// Throws `invalid-architecture` for a wrong count or index.
#[wasm_bindgen(js_name = composeArch)]
pub fn compose_arch(space: &str, choices: &[u32]) -> Result<String> {
    crate::compose_arch(space, choices)
}

/// The operation index at each position of an architecture string.
/// Throws `invalid-architecture`.
#[wasm_bindgen(js_name = decomposeArch)]
pub fn decompose_arch(space: &str, arch: &str) -> Result<Vec<u32>> {
    crate::decompose_arch(space, arch)
}

/// Every architecture of a space that can be listed: the 15625 NB201 cells
/// in benchmark index order. FBNet has 9²² networks (`unsupported`); pass
/// your own list (for example a dataset's, see `MeasuredData.archs`) to
/// `Predictor.scan`.
#[wasm_bindgen(js_name = spaceArchitectures)]
pub fn space_architectures(space: &str) -> Result<Vec<String>> {
    crate::enumerate_space(space)
}

/// Spearman's ρ of two equally long lists of latencies (ties averaged, as
/// `scipy.stats.spearmanr`). Throws `invalid-input` for unequal lengths,
/// fewer than 2 values or NaN.
#[wasm_bindgen]
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64> {
    Ok(latscope_shared::metrics::spearman(a, b)?)
}

/// The version of this module (the latscope workspace version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use crate::ErrorKind;

    /// The TypeScript union lists exactly the Rust kinds, and the README's
    /// JS API section documents each.
    #[test]
    fn the_declared_kinds_are_the_rust_kinds() {
        let union = &super::LATSCOPE_ERROR_TS[super::LATSCOPE_ERROR_TS
            .find("export type LatscopeErrorKind")
            .unwrap()..];
        let union = &union[..union.find(';').unwrap()];
        let declared: Vec<&str> = union.split('"').skip(1).step_by(2).collect();
        let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(declared, kinds);
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let section = &readme[readme.find("### Embedding the module").unwrap()..];
        let section = &section[..section.find("\n### ").unwrap()];
        for kind in kinds {
            assert!(
                section.contains(&format!("`{kind}`")),
                "README's JS API section does not document {kind}"
            );
            assert!(
                super::LATSCOPE_ERROR_TS.contains(&format!("`{kind}`")),
                "the TypeScript doc does not explain {kind}"
            );
        }
    }
}
