//! The crate's error type. Every message says what failed and on what (which
//! file, which field, which step of loading a predictor into tract), so a
//! caller can report it without wrapping it again.

use latscope_shared::metrics::MetricError;
use latscope_shared::space::SpaceId;
use thiserror::Error;
#[cfg(feature = "tract")]
use tract_onnx::prelude::TractError;

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

    /// A failure inside tract, with the step it happened in (see
    /// [`TractFailure`]).
    #[error(transparent)]
    Tract(#[from] TractFailure),

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

    /// A task name that is neither a built-in task nor one of the generated
    /// kinds (`auto-<space>-<n>`, `plenty-`, `loo-`, `proxy-<space>-<device>`).
    #[error(
        "unknown task {name:?}: expected {}, auto-<space>-<n>, plenty-<space>-<device>, \
         loo-<space>-<device> or proxy-<space>-<device> (space: {})",
        builtin.join(", "),
        spaces.join(" or ")
    )]
    UnknownTask {
        /// The name asked for.
        name: String,
        /// The built-in tasks' names.
        builtin: Vec<String>,
        /// The search spaces a generated task can name.
        spaces: Vec<String>,
    },

    /// A name that is not one of a registry's: a few-shot method, a
    /// sampler, an adaptation.
    #[error("unknown {what} {name:?} (known: {})", known.join(", "))]
    UnknownName {
        /// What kind of name: `method`, `sampler` or `adaptation`.
        what: &'static str,
        /// The name asked for.
        name: String,
        /// The names there are.
        known: Vec<String>,
    },

    /// A task that does not fit the latency table it is run on.
    #[error("task {task}: {problem}")]
    InvalidTask {
        /// The task's name.
        task: String,
        /// What does not fit.
        problem: TaskProblem,
    },

    /// Too few devices in a table to generate an `auto-` task's split.
    #[error(
        "cannot split {devices} devices into ≥ {min_train} training and ≥ {min_test} test devices"
    )]
    TooFewDevices {
        /// Devices in the table.
        devices: usize,
        /// Training devices the split must have at least.
        min_train: usize,
        /// Test devices the split must have at least.
        min_test: usize,
    },

    /// Nothing where at least one is needed (no samples, no architectures,
    /// no training device, no member, no method to evaluate).
    #[error("{context} needs at least one {what}")]
    Empty {
        /// The step or method that needs it (`ridge`, `adaptation`, `gnn`).
        context: String,
        /// What it needs one of, singular (`sample`, `training device`).
        what: &'static str,
    },

    /// Fewer of something than a method needs, where it needs more than one.
    #[error("{context}: {got} {what}, need at least {need}")]
    TooFew {
        /// The step or method, with the device where there is one.
        context: String,
        /// What is counted (`measurements`, `reference architectures`).
        what: &'static str,
        /// How many there are.
        got: usize,
        /// How many are needed.
        need: usize,
    },

    /// A setting that cannot be used as given (a batch size or ensemble of
    /// 0, no hidden layer, an adaptation a function does not do).
    #[error("{context}: {field} = {value}: {reason}")]
    InvalidConfig {
        /// The step or method the setting is for.
        context: String,
        /// The setting's name (its field, e.g. `batch_size`).
        field: &'static str,
        /// Its value, as written.
        value: String,
        /// Why it cannot be used.
        reason: &'static str,
    },

    /// Two counts that must agree and do not: the rows of a matrix against
    /// the values they pair with, a matrix's width against a model's inputs.
    #[error("{context}: {got} {got_what} for {expected} {expected_what}")]
    CountMismatch {
        /// The step or method (`ridge`, `adaptation`, `train_mlp`).
        context: String,
        /// The count found.
        got: usize,
        /// What `got` counts (`feature rows`).
        got_what: &'static str,
        /// The count it must equal.
        expected: usize,
        /// What `expected` counts (`measured latencies`).
        expected_what: &'static str,
    },

    /// Matrices that ndarray cannot put side by side or on top of each
    /// other; ndarray's reason is part of the message.
    #[error("{context}: {error}")]
    Shape {
        /// What was being assembled.
        context: &'static str,
        /// ndarray's reason.
        error: ndarray::ShapeError,
    },

    /// An index (of an architecture, a device, a row) outside its range.
    #[error("{context}: {what} {index} out of range (< {len})")]
    IndexOutOfRange {
        /// The step or method.
        context: String,
        /// What is indexed (`architecture`, `device`, `candidate`).
        what: &'static str,
        /// The index given.
        index: usize,
        /// The number of items (valid indices are below it).
        len: usize,
    },

    /// An index listed twice where each may appear once.
    #[error("{context}: {what} {index} listed twice")]
    Duplicate {
        /// The step, with the device where there is one.
        context: String,
        /// What is indexed (`architecture`, `candidate`).
        what: &'static str,
        /// The index listed twice.
        index: usize,
    },

    /// An architecture asked of a test device that has no measurement of it.
    #[error("architecture {arch} has no measurement on {device} ({archs} architectures)")]
    NotMeasured {
        /// The architecture's index.
        arch: usize,
        /// The test device.
        device: String,
        /// The architectures the device's column has.
        archs: usize,
    },

    /// A measured latency that is not a positive number of milliseconds.
    #[error("measured latency #{} is {ms} ms; latencies must be positive", sample + 1)]
    NonPositiveLatency {
        /// 0-based position of the measurement among those given (the
        /// message counts from 1).
        sample: usize,
        /// The value given.
        ms: f64,
    },

    /// A NaN or infinite value where numbers are needed.
    #[error("{context}: {what} {value} is not finite")]
    NonFinite {
        /// The step or method.
        context: String,
        /// What the value is (`input`, `target`, `measured ln(latency)`).
        what: &'static str,
        /// The first such value.
        value: f64,
    },

    /// A ridge system without a unique solution (λ = 0 with collinear or
    /// too few samples).
    #[error("ridge: singular system (λ = {lambda})")]
    SingularSystem {
        /// The ridge penalty.
        lambda: f64,
    },

    /// A metric (a correlation, a score) that cannot be computed from its
    /// input; the metric's error is part of the message.
    #[error("{context}: {error}")]
    Metric {
        /// What the metric was computed for.
        context: String,
        /// Why it cannot be.
        error: MetricError,
    },

    /// A method's prediction for a scored architecture that is NaN or
    /// infinite.
    #[error("prediction {value} for architecture {arch} on {device} is not finite")]
    NonFinitePrediction {
        /// The test device.
        device: String,
        /// The architecture's index.
        arch: usize,
        /// The prediction.
        value: f64,
    },

    /// More architectures to sample than there are candidates.
    #[error("cannot sample K = {k} architectures from {candidates} candidates")]
    SampleTooLarge {
        /// The sample size asked for.
        k: usize,
        /// The candidates there are.
        candidates: usize,
    },

    /// A K that leaves a test device fewer than 2 architectures to score
    /// (rank correlations need 2).
    #[error(
        "K = {k} leaves fewer than 2 of the {measured} architectures measured on {device} to score"
    )]
    NoRoomToScore {
        /// The largest K of the run.
        k: usize,
        /// Architectures measured on the device.
        measured: usize,
        /// The test device.
        device: String,
    },

    /// A K outside the range a proxy study allows.
    #[error("K = {k} samples per target; need {min} ≤ K ≤ {max}")]
    KOutOfRange {
        /// The K asked for.
        k: usize,
        /// The smallest K allowed.
        min: usize,
        /// The largest K allowed.
        max: usize,
    },

    /// A training table whose architectures are not the pretraining
    /// context's.
    #[error("{method}: the training table's archs differ from the context's")]
    TableArchsDiffer {
        /// The method being pretrained.
        method: &'static str,
    },

    /// An architecture of another search space than the one at hand.
    #[error("{arch} is a {space} architecture but {of} is for {expected}")]
    WrongSpace {
        /// The architecture.
        arch: String,
        /// Its space.
        space: SpaceId,
        /// What it was handed to (`the predictor`, `this graph batch`).
        of: &'static str,
        /// The space that is expected.
        expected: SpaceId,
    },

    /// One-hot columns that do not split into positions of `ops` operations.
    #[error(
        "{context}: {columns} one-hot columns do not split into positions of {ops} operations"
    )]
    OneHotWidth {
        /// The step or method.
        context: &'static str,
        /// The one-hot columns given.
        columns: usize,
        /// Operations per position.
        ops: usize,
    },

    /// Adaptation feature rows whose width does not split into the
    /// predictor's blocks and structure columns.
    #[error(
        "adaptation features: {width} columns do not split into {blocks} blocks of at least \
         {outputs} outputs and {structure} structure columns"
    )]
    FeatureWidth {
        /// The columns given.
        width: usize,
        /// Blocks (ensemble members) of the layout.
        blocks: usize,
        /// Outputs each block has at least.
        outputs: usize,
        /// Structure columns after the blocks.
        structure: usize,
    },

    /// A predictor written before structured adaptation, asked for the auto
    /// adaptation or for suggestions of what to measure.
    #[error(
        "the auto adaptation and suggestions of what to measure need the structure columns this \
         predictor lacks (it was written before structured adaptation): choose head, ridge or \
         blend, or retrain it with profiler train"
    )]
    MissingStructure,

    /// A configured reference architecture that is not among a task's
    /// architectures.
    #[error("mlp-hw: reference architecture {arch} is not among the task's architectures")]
    ReferenceNotInTask {
        /// The architecture.
        arch: String,
    },

    /// Samples of a new device none of which is a reference architecture,
    /// which the hardware-embedding method needs to embed the device.
    #[error(
        "mlp-hw: none of the {samples} samples is a reference architecture; this method embeds a \
         device by its latencies on the {references} reference architectures, so measure those \
         first (evaluate with `--sampler reference`)"
    )]
    NoReferenceSamples {
        /// Samples given.
        samples: usize,
        /// Reference architectures of the method.
        references: usize,
    },

    /// A training device the hardware-embedding method cannot profile.
    #[error(
        "mlp-hw: training device {device} lacks a reference latency or has constant latencies"
    )]
    NoDeviceProfile {
        /// The training device.
        device: String,
    },

    /// A sampler that asks a pretrained model what to measure, used where
    /// none can answer: called directly (`method` is `None`), or in an
    /// evaluation whose first method cannot suggest.
    #[error("{}", suggest_sampler_message(sampler, method.as_deref()))]
    SamplerNeedsModel {
        /// The sampler's name (`suggest`, `suggest-log`).
        sampler: &'static str,
        /// The evaluation's first method, which cannot suggest.
        method: Option<String>,
    },

    /// A method's pretraining that failed in an evaluation; the cause is
    /// part of the message.
    #[error("{method} (seed {seed}) pretraining: {error}")]
    Pretraining {
        /// The method's label in the evaluation.
        method: String,
        /// The seed.
        seed: u64,
        /// What failed.
        error: Box<Error>,
    },

    /// A trial of an evaluation (one method, seed, K and test device) whose
    /// adaptation or scoring failed; the cause is part of the message.
    #[error("{method} (seed {seed}, K {k}) on {device}: {error}")]
    Trial {
        /// The method's label in the evaluation.
        method: String,
        /// The seed.
        seed: u64,
        /// The number of samples.
        k: usize,
        /// The test device.
        device: String,
        /// What failed.
        error: Box<Error>,
    },

    /// A few-shot method implemented outside this crate (the profiler's
    /// through-the-CLI row) that failed; `message` is its error chain,
    /// flattened.
    #[error("{method}: {message}")]
    External {
        /// The method's name.
        method: String,
        /// Its error and causes, joined into one line.
        message: String,
    },
}

/// What does not fit between a task and the latency table it is run on.
#[derive(Debug, Error)]
pub enum TaskProblem {
    /// The task is of another space than the table.
    #[error("is a {task} task but the data is {data}")]
    WrongSpace {
        /// The task's space.
        task: SpaceId,
        /// The table's space.
        data: SpaceId,
    },
    /// The task names no test device.
    #[error("has no test device")]
    NoTestDevice,
    /// A device of the task that the table does not have.
    #[error("device {device:?} is not in the data (known: {})", known.join(", "))]
    DeviceNotInData {
        /// The device.
        device: String,
        /// The table's devices.
        known: Vec<String>,
    },
    /// A device listed twice, or as both training and test device.
    #[error("device {device:?} is listed twice (or as both training and test device)")]
    DeviceTwice {
        /// The device.
        device: String,
    },
}

fn suggest_sampler_message(sampler: &str, method: Option<&str>) -> String {
    match method {
        None => format!("the {sampler} sampler asks a pretrained model; use the model's suggest"),
        Some(m) => format!(
            "the {sampler} sampler needs a first method that can suggest (mlp-auto does; {m} cannot)"
        ),
    }
}

/// A failure inside tract, with the step it happened in: the one type for
/// it in latscope (the profiler's network runner reports it too). tract's
/// own error chain is flattened into `message`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("tract failed while {context}: {message}")]
pub struct TractFailure {
    /// The step that failed, phrased to follow "while" (e.g. `planning the predictor`).
    pub context: String,
    /// tract's error and its causes, joined into one line.
    pub message: String,
}

impl TractFailure {
    /// For `map_err`: wraps a tract error (an `anyhow::Error`) with the step
    /// that failed, keeping tract's whole context chain in the message
    /// (`{:#}`); `?` then turns it into the caller's error type.
    #[cfg(feature = "tract")]
    pub fn during(context: impl Into<String>) -> impl FnOnce(TractError) -> TractFailure {
        let context = context.into();
        move |e| TractFailure {
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
    #[cfg(feature = "tract")]
    fn tract_errors_keep_their_context_chain() {
        let inner = TractError::msg("shape mismatch").context("in node conv1");
        let err = Error::from(TractFailure::during("optimising the model")(inner));
        let text = err.to_string();
        assert!(text.contains("optimising the model"), "{text}");
        assert!(
            text.contains("in node conv1") && text.contains("shape mismatch"),
            "{text}"
        );
    }

    #[test]
    fn typed_errors_read_as_the_messages_they_replace() {
        let e = Error::NonPositiveLatency {
            sample: 1,
            ms: -2.0,
        };
        assert_eq!(
            e.to_string(),
            "measured latency #2 is -2 ms; latencies must be positive"
        );
        let e = Error::InvalidTask {
            task: "F0".into(),
            problem: TaskProblem::WrongSpace {
                task: SpaceId::Fbnet,
                data: SpaceId::Nb201,
            },
        };
        assert_eq!(
            e.to_string(),
            "task F0: is a fbnet task but the data is nb201"
        );
        let e = Error::SamplerNeedsModel {
            sampler: "suggest",
            method: Some("flops".into()),
        };
        assert!(
            e.to_string().contains("first method that can suggest"),
            "{e}"
        );
        let e = Error::SamplerNeedsModel {
            sampler: "suggest",
            method: None,
        };
        assert!(e.to_string().contains("asks a pretrained model"), "{e}");
        let e = Error::Trial {
            method: "flops".into(),
            seed: 1,
            k: 5,
            device: "pixel3".into(),
            error: Box::new(Error::Empty {
                context: "few-shot adaptation".into(),
                what: "sample",
            }),
        };
        assert_eq!(
            e.to_string(),
            "flops (seed 1, K 5) on pixel3: few-shot adaptation needs at least one sample"
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
