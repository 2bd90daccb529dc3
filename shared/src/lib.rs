//! latscope-shared: the pure-Rust core every other latscope crate stands on.
//!
//! Search spaces and their architecture strings ([`space`]), the layer-level
//! network IR an architecture lowers to ([`ir`]), cost features computed from
//! that IR ([`features`]), predictor input encodings ([`encoding`]), latency
//! datasets ([`dataset`]) and evaluation metrics ([`metrics`]). Nothing here
//! touches the file system except [`dataset`]'s path helpers, so the crate
//! builds for `wasm32-unknown-unknown`.

#![deny(missing_docs)]

pub mod dataset;
pub mod encoding;
pub mod error;
pub mod features;
pub mod ir;
pub mod metrics;
pub mod monotonicity;
pub mod space;
pub mod test_dependency;

pub use error::{Error, Result};
