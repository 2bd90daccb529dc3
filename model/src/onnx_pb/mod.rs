//! The one home of ONNX protobuf helpers, as tract keeps its own in
//! `onnx/src/pb_helpers.rs`: [`read`], the part of ONNX's schema that
//! reading a predictor file needs, and (with the `tract` feature) writing
//! models with tract-onnx's types, shared by the predictor files
//! ([`crate::predictor_onnx`]) and the measurement library's network export
//! (`latscope_profiler::network`).

pub mod read;
#[cfg(feature = "tract")]
mod write;
#[cfg(feature = "tract")]
pub use write::*;
