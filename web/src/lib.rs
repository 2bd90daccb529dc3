//! latscope in the browser: the wasm-bindgen API that the explorer page uses
//! and that other NAS tools can embed.
//!
//! Logic lives in plain Rust modules (testable natively); the `#[wasm_bindgen]`
//! types in [`api`] only convert arguments and turn errors into JS errors.

pub mod api;
mod arch;
mod measured;
mod predictor;
mod scan;
mod space_table;

pub use arch::{
    arch_summary, compose_arch, decompose_arch, encode_arch, enumerate_space, space_layout,
    ArchSummary,
};
pub use latscope_shared::space::SpaceLayout;
pub use measured::MeasuredLatencies;
pub use predictor::LoadedPredictor;
pub use scan::SpaceScan;
pub use space_table::{FrontRecovery, Histogram, ProxyPick, SpaceTable, Standing};
