//! Latency predictors as ONNX files: the contract between training (the
//! `profiler`), the browser (the `web` crate) and any other ONNX runtime.
//!
//! A file maps architectures to latencies on the devices it knows:
//! * input `arch_ops`: int64 `[N, P]`, the operation index at each
//!   searchable position (vocabulary and position order in
//!   `latscope.raw_input`), encoded inside the graph (module `raw_input`); in
//!   every file latscope writes since format 2 whose encodings have a table
//!   form (all but FBNet's `graph-v1`);
//! * input `arch`: float32 `[N, F]`, the architecture encoded with the
//!   encodings named in the metadata, concatenated in that order; in files
//!   with `arch_ops` it defaults to no rows, and the rows of both inputs are
//!   predicted, `arch`'s first (latscope's loader cuts the `arch_ops`
//!   branch off and feeds `arch`);
//! * output `latency_ms`: float32 `[N, D]`, one column per device, in ms;
//! * output `embedding`: float32 `[N, H]`, the adaptation features (per
//!   ensemble member: its outputs, ln MACs, its last hidden layer;
//!   standardised and weighted) that few-shot adaptation to a new device
//!   regresses on ([`crate::adapt`]);
//! * optional output `latency_ms_scan`: float32 `[N, D]`, the same columns
//!   from a small network distilled from the ensemble ([`ScanNetwork`]),
//!   for scanning whole spaces quickly; how closely it follows
//!   `latency_ms` is recorded in `latscope.scan.agreement`.
//!
//! Standardisation of the input and the log-latency output live inside the
//! graph (`Sub`, `Mul`, `Exp`), so any runtime gets milliseconds directly;
//! everything else a consumer needs is in `metadata_props` ([`metadata`]).

#[cfg(feature = "tract")]
mod export;
mod load;
pub mod metadata;
mod query;
#[cfg(feature = "tract")]
mod raw_input;
mod read;
mod scan;
mod spec;

#[cfg(feature = "tract")]
pub use export::{export_predictor, export_predictor_bytes};
pub use load::{folded_samples, without_folded, EngineKind, Prediction, Predictor};
pub use metadata::encodings_name;
pub use query::{FitQuality, FitSummary};
pub use scan::{HeldOutAgreement, ScanAgreement, ScanNetwork};
pub use spec::{AdaptationFeatures, AdaptedDevice, PredictorSpec, StructureFeatures};

/// Graph input name of the encoded architectures.
pub const INPUT_NAME: &str = "arch";
/// Graph input name of the raw architectures: operation indices per
/// position.
pub const RAW_INPUT_NAME: &str = "arch_ops";
/// The encoded rows of both inputs, which the predictor reads (written
/// and cut off only with tract's types).
#[cfg(feature = "tract")]
pub(crate) const ENCODED_ROWS: &str = "arch_rows";
/// Graph output with latencies in ms.
pub const LATENCY_OUTPUT: &str = "latency_ms";
/// Graph output with the adaptation features.
pub const EMBEDDING_OUTPUT: &str = "embedding";
/// Optional graph output: `latency_ms` from the distilled scan network
/// (files with one only; see [`ScanNetwork`]).
pub const SCAN_OUTPUT: &str = "latency_ms_scan";

#[cfg(test)]
mod tests;
