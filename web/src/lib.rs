//! latscope in the browser: the wasm-bindgen API that the explorer page uses
//! and that other NAS tools can embed.
//!
//! Each `#[wasm_bindgen]` type in [`api`] sits directly over the type that
//! does the work: `Predictor` over the model crate's
//! [`Predictor`](latscope_model::predictor_onnx::Predictor), `FeatureCache`
//! over [`EncodingCache`](latscope_shared::encoding::EncodingCache),
//! `MeasuredData` over [`LatencyTable`](latscope_shared::dataset::LatencyTable),
//! `SpaceScan` and `SpaceTable` over this crate's [`SpaceScan`] and
//! [`SpaceTable`] (the chunked whole-space prediction and the views the page
//! draws, plain Rust that native tests run). The API only converts
//! arguments; page-specific helpers are free functions here ([`arch_summary`],
//! [`read_measured`], ...).
//!
//! Every fallible function returns [`Result`]`<T, `[`Error`]`>`; in JS an
//! `Err` is thrown as an `Error` named `LatscopeError` with the message and
//! a `kind` ([`ErrorKind`]).

#![deny(missing_docs)]

pub mod api;
mod arch;
mod error;
mod measured;
mod rankings;
mod scan;
mod space_table;

pub use arch::{
    arch_summary, compose_arch, decompose_arch, encode_arch, enumerate_space, space_layout,
    ArchSummary,
};
pub use error::{Error, ErrorKind, Result};
pub use latscope_shared::space::SpaceLayout;
pub use measured::{lookup_measured, read_measured};
pub use scan::{ScanOutputs, SpaceScan};
pub use space_table::{BestUnder, FrontRecovery, Histogram, ProxyPick, SpaceTable, Standing};
