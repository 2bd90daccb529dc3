//! latscope-model: ONNX export of architectures, tract inference, and (to
//! come) the latency predictors. Builds for `wasm32-unknown-unknown`.
//!
//! * [`arch_onnx`]: any [`latscope_shared::ir::Network`] as an ONNX model
//!   with seeded weights ([`export_network`], [`export_network_bytes`]).
//! * [`arch_runner`]: load ONNX bytes into tract and run them repeatedly on
//!   the CPU ([`ArchRunner`]).
//! * [`fewshot`]: the contract of few-shot latency predictors; [`eval`]
//!   scores them on transfer tasks, choosing target samples with a
//!   [`sampler`].
//! * [`adapt`]: few-shot adaptation of a pretrained predictor to a new
//!   device, in log space and structured ([`adapt::fit_device`]: the head,
//!   a ridge in ms over the trained devices' ms and the operation counts of
//!   [`structure`], or their blend, chosen by leave-one-out).

pub mod adapt;
pub mod arch_onnx;
pub mod arch_runner;
pub mod error;
pub mod eval;
pub mod fewshot;
pub mod gnn;
pub mod linalg;
pub mod methods;
pub mod nn;
pub mod onnx_pb;
pub mod predictor_onnx;
pub mod proxy;
pub mod ridge;
pub mod sampler;
pub mod structure;

pub use arch_onnx::{export_network, export_network_bytes, ExportOptions};
pub use arch_runner::{ArchRunner, RunOutput, RunnerOptions};
pub use error::{Error, Result};
