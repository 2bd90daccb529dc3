//! The network module's error type. Every message says what failed and on
//! what (which network, which node, which step of loading a model into
//! tract), so a caller can report it without wrapping it again.

use latscope_model::error::TractFailure;
use thiserror::Error;

/// Errors from exporting networks to ONNX and running them with tract.
#[derive(Debug, Error)]
pub enum Error {
    /// An error from the shared crate (parsing, lowering, validating a network).
    #[error(transparent)]
    Shared(#[from] latscope_shared::Error),

    /// A network that cannot be written as ONNX (e.g. an input node in the
    /// middle of the graph, or two tensors that would get the same name).
    #[error("cannot export network {network:?} to ONNX: {reason}")]
    Export {
        /// The network's name.
        network: String,
        /// What stands in the way.
        reason: String,
    },

    /// ONNX bytes that do not decode as a `ModelProto`, or a model whose
    /// graph lacks what the runner needs.
    #[error("invalid ONNX model: {0}")]
    InvalidModel(String),

    /// A failure inside tract, with the step it happened in (the model
    /// crate's [`TractFailure`], which its predictor loading reports too).
    #[error(transparent)]
    Tract(#[from] TractFailure),

    /// A count that must be at least 1 and is 0 (the batch size, the
    /// thread count).
    #[error("invalid input: the {what} must be at least 1")]
    Zero {
        /// What is counted: `batch size` or `thread count`.
        what: &'static str,
    },

    /// A batch size other than the one the model's input fixes.
    #[error(
        "invalid input: the model's batch dimension is fixed at {fixed}; cannot run it with batch {batch}"
    )]
    FixedBatch {
        /// The batch size the model declares.
        fixed: usize,
        /// The batch size asked for.
        batch: usize,
    },

    /// An input with the wrong number of floats for the input shape.
    #[error(
        "invalid input: expected {expected} floats for an input of shape {shape:?}, got {got}"
    )]
    InputLength {
        /// Floats the input shape holds.
        expected: usize,
        /// The input shape, `[batch, C, H, W]`.
        shape: [usize; 4],
        /// Floats given.
        got: usize,
    },
}

/// A result whose error is the network module's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;
