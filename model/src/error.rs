//! The crate's error type. Every message says what failed and on what (which
//! file, which field, which step of loading a predictor into tract), so a
//! caller can report it without wrapping it again.

use thiserror::Error;

/// Errors from training, evaluating, loading and running latency predictors.
#[derive(Debug, Error)]
pub enum Error {
    /// An error from the shared crate (parsing, lowering, validating a network).
    #[error(transparent)]
    Shared(#[from] latscope_shared::Error),

    /// ONNX bytes that do not decode as a `ModelProto`, or a predictor file
    /// whose graph lacks what latscope needs.
    #[error("invalid ONNX model: {0}")]
    InvalidModel(String),

    /// A failure inside tract, with the step it happened in. tract's own
    /// error chain is flattened into `message`.
    #[error("tract failed while {context}: {message}")]
    Tract {
        /// The step that failed, phrased to follow "while" (e.g. `planning the predictor`).
        context: String,
        /// tract's error and its causes, joined into one line.
        message: String,
    },

    /// An input that does not fit the model (wrong element count, batch 0).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// An evaluation that cannot run as asked (unknown task or device, a
    /// sample size larger than the data, a method's malformed predictions).
    #[error("evaluation: {0}")]
    Eval(String),

    /// An architecture string in a list handed to a predictor that does not
    /// parse as one of the predictor's space: the message names the list,
    /// the 0-based position in it and why (`architecture 3: invalid nb201
    /// architecture ...`), so a caller with thousands of strings finds the
    /// bad one.
    #[error("{}architecture {position}: {source}", if *measured { "measured " } else { "" })]
    InvalidArchAt {
        /// True for the measured architectures of an adaptation (their
        /// list is named "measured architecture"), false for query lists.
        measured: bool,
        /// 0-based index of the string in its list.
        position: usize,
        /// Why the string does not parse.
        #[source]
        source: latscope_shared::Error,
    },

    /// A device name the predictor file does not have.
    #[error("no device {device:?}; the predictor has {}", known.join(", "))]
    UnknownDevice {
        /// The name asked for.
        device: String,
        /// The predictor's devices, in column order.
        known: Vec<String>,
    },

    /// Measured architectures and measured latencies that do not pair up
    /// (one latency in ms per architecture).
    #[error("{archs} measured architectures but {latencies} latencies")]
    SampleCount {
        /// How many architectures were given.
        archs: usize,
        /// How many latencies were given.
        latencies: usize,
    },
}

impl Error {
    /// Wraps a tract error (an `anyhow::Error`) with the step that failed,
    /// keeping tract's whole context chain in the message.
    pub fn tract(
        context: impl Into<String>,
    ) -> impl FnOnce(tract_onnx::prelude::TractError) -> Error {
        let context = context.into();
        move |e| Error::Tract {
            context,
            message: format!("{e:#}"),
        }
    }
}

/// `std::result::Result` with this crate's [`enum@Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tract_errors_keep_their_context_chain() {
        let inner = tract_onnx::prelude::TractError::msg("shape mismatch").context("in node conv1");
        let err = Error::tract("optimising the model")(inner);
        let text = err.to_string();
        assert!(text.contains("optimising the model"), "{text}");
        assert!(
            text.contains("in node conv1") && text.contains("shape mismatch"),
            "{text}"
        );
    }

    #[test]
    fn shared_errors_pass_through_unchanged() {
        let shared = "nope"
            .parse::<latscope_shared::space::SpaceId>()
            .unwrap_err();
        let text = shared.to_string();
        assert_eq!(Error::from(shared).to_string(), text);
    }
}
