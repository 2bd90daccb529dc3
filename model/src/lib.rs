//! latscope-model: the latency predictors, from training to the ONNX
//! predictor file. Builds for `wasm32-unknown-unknown`. (The networks being
//! measured, as ONNX and in tract, belong to the measurement library,
//! `latscope-profiler`.)
//!
//! * [`methods`]: the registry of predictors; [`predictor_onnx`] writes and
//!   loads predictor files, [`onnx_pb`] is the one home of ONNX protobuf
//!   helpers.
//! * [`fewshot`]: the contract of few-shot latency predictors; [`eval`]
//!   scores them on transfer tasks, choosing target samples with a
//!   [`sampler`].
//! * [`adapt`]: few-shot adaptation of a pretrained predictor to a new
//!   device, in log space and structured ([`adapt::fit_device`]: the head,
//!   a ridge in ms over the trained devices' ms and the operation counts of
//!   [`structure`], or their blend, chosen by leave-one-out).

#![deny(missing_docs)]

pub mod adapt;
pub mod distil;
pub mod error;
pub mod eval;
pub mod fewshot;
pub mod gnn;
pub mod methods;
pub mod nn;
pub mod onnx_pb;
pub mod predictor_onnx;
pub mod proxy;
pub mod ridge;
pub mod sampler;
pub mod structure;

pub use error::{Error, Result};
