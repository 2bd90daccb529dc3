//! The network module's error type. Every message says what failed and on
//! what (which network, which node, which step of loading a model into
//! tract), so a caller can report it without wrapping it again.

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

    /// A failure inside tract, with the step it happened in.
    #[error("tract failed while {context}: {message}")]
    Tract {
        /// The step that failed, e.g. "optimising the model".
        context: String,
        /// tract's whole error chain, flattened.
        message: String,
    },

    /// An input that does not fit the model (wrong element count, batch 0,
    /// zero threads).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl Error {
    /// Wraps a tract error with the step that failed; `{:#}` keeps tract's
    /// whole context chain in one line.
    pub(crate) fn tract(
        context: impl Into<String>,
    ) -> impl FnOnce(tract_onnx::prelude::TractError) -> Error {
        let context = context.into();
        move |e| Error::Tract {
            context,
            message: format!("{e:#}"),
        }
    }
}

/// A result whose error is the network module's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tract_errors_keep_their_context_chain() {
        let inner = tract_onnx::prelude::TractError::msg("shape mismatch").context("in node conv1");
        let text = Error::tract("optimising the model")(inner).to_string();
        assert!(text.contains("optimising the model"), "{text}");
        assert!(
            text.contains("in node conv1") && text.contains("shape mismatch"),
            "{text}"
        );
    }
}
