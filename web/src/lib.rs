//! latscope in the browser: the wasm-bindgen API that the explorer page uses
//! and that other NAS tools can embed.
//!
//! Logic lives in plain Rust modules (testable natively); the `#[wasm_bindgen]`
//! functions in [`api`] only convert arguments and turn errors into JS errors.

pub mod api;
mod arch;
mod predictor;

pub use arch::{arch_summary, encode_arch, ArchSummary};
pub use predictor::LoadedPredictor;
