//! latscope-profiler: the measurement library under the `profiler` command.
//!
//! * [`network`]: an architecture's IR as an ONNX model with seeded weights
//!   ([`network::export_network`]), and that model run in tract
//!   ([`network::ArchRunner`]).
//! * [`measure`]: the backends that time an architecture (CPU through
//!   tract, NVIDIA GPUs through cuDNN/cuBLAS/NVRTC), the decorators around
//!   them (checking the GPU against the CPU, describing the machine), and
//!   the campaigns that walk a selection and append rows, resuming after a
//!   crash.
//!
//! The `profiler` binary (`main.rs` and `commands/`) only parses arguments
//! and calls this library and `latscope-model`.

#![deny(missing_docs)]

pub mod measure;
pub mod network;
