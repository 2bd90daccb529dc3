//! The crate's one error type, [`Error`], and what JS sees of it.
//!
//! Native callers get `Result<T, Error>` and can match on the variants,
//! which keep the model's and the shared crate's typed errors as their
//! sources. In the browser every `#[wasm_bindgen]` function returns the
//! same `Result<T, Error>`; wasm-bindgen turns an `Err` into a thrown JS
//! `Error` (via `From<Error> for JsValue`) whose `name` is
//! `"LatscopeError"`, whose `message` is this error's `Display` text, and
//! whose `kind` is one of the stable strings of [`ErrorKind`], so a page can
//! tell an unknown device from a broken file without parsing messages.

use latscope_shared::metrics::MetricError;
use std::fmt;
use wasm_bindgen::JsValue;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the browser module. Each message names
/// the file, architecture, device or value at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// From the model crate: running a predictor, adapting it to a new
    /// device, a list of architecture strings with a bad one (its position
    /// named), a device the predictor does not have.
    #[error(transparent)]
    Model(#[from] latscope_model::Error),

    /// From the shared crate: a search space, architecture or encoding name
    /// that does not parse, a space that cannot be listed.
    #[error(transparent)]
    Shared(#[from] latscope_shared::Error),

    /// A metric that cannot be computed from its input (lists of unequal
    /// length, too few values, NaN).
    #[error(transparent)]
    Metric(#[from] MetricError),

    /// Bytes that are not a usable latscope predictor file; `file` (a URL or
    /// a file name, when known) prefixes the message.
    #[error("{}{source}", prefix(file))]
    PredictorFile {
        /// Where the bytes came from, if the caller said.
        file: Option<String>,
        /// What is wrong with them.
        #[source]
        source: latscope_model::Error,
    },

    /// A latency dataset file that does not read (the message names the
    /// file, and the line where there is one).
    #[error(transparent)]
    DatasetFile(latscope_shared::Error),

    /// A latency dataset file that reads but holds no architectures of the
    /// space asked for.
    #[error(
        "{file} has no {space} architectures (it has: {})",
        list_or_none(found)
    )]
    SpaceNotInDataset {
        /// The file's name (or URL).
        file: String,
        /// The space asked for.
        space: String,
        /// The spaces the file has.
        found: Vec<String>,
    },

    /// A `features-v1` cache file that does not read.
    #[error(transparent)]
    FeatureCacheFile(latscope_shared::Error),

    /// A device name a [`SpaceTable`](crate::SpaceTable) does not have (the
    /// predictor's own unknown devices are
    /// [`latscope_model::Error::UnknownDevice`], under [`Error::Model`]).
    #[error("no device {device:?}; this table has {}", known.join(", "))]
    UnknownDevice {
        /// The name asked for.
        device: String,
        /// The table's devices, in column order.
        known: Vec<String>,
    },

    /// A valid architecture that is not a row of the
    /// [`SpaceTable`](crate::SpaceTable) asked about.
    #[error("{arch} is not among the {scanned} scanned architectures")]
    NotInTable {
        /// The architecture, canonical.
        arch: String,
        /// How many architectures the table has.
        scanned: usize,
    },

    /// A space too large to list (FBNet, 9²² networks): the caller has to
    /// pass its own list of architectures.
    #[error("{0}; pass a list of architectures (for example a dataset's)")]
    NotListable(#[source] latscope_shared::Error),

    /// A new device without a name (blank after trimming).
    #[error("the new device needs a name")]
    MissingDeviceName,

    /// A new device named like one of the predictor file's, which cannot be
    /// replaced.
    #[error("{0:?} is a device of the predictor file; choose another name")]
    FileDevice(String),

    /// A device column with a latency that is not positive, which a log
    /// histogram cannot place.
    #[error("{device}: latencies must be positive for a log histogram (min {min})")]
    NonPositiveLatency {
        /// The device.
        device: String,
        /// Its smallest latency (ms).
        min: f64,
    },

    /// Accuracy asked of a table whose architectures have none (FBNet: no
    /// benchmark trained them).
    #[error("no accuracy data for {space} architectures ({arch} has none); only nb201 has it, from NAS-Bench-201")]
    NoAccuracy {
        /// The table's space.
        space: String,
        /// The first architecture without an accuracy.
        arch: String,
    },

    /// An accuracy file that does not read (file, line, field and value named).
    #[error(transparent)]
    AccuracyFile(latscope_shared::Error),

    /// Embedding rows given to a table that has all of them already.
    #[error("the table has its embedding rows already")]
    EmbeddingComplete,

    /// A [`SpaceScan`](crate::SpaceScan) used after `finish`.
    #[error("this scan is finished already")]
    ScanFinished,

    /// `finish` before every architecture of a scan was predicted.
    #[error("the scan has done {done} of {total} architectures; call step until it is done")]
    ScanUnfinished {
        /// Architectures predicted so far.
        done: usize,
        /// Architectures in the scan.
        total: usize,
    },

    /// A parsed architecture that does not lower to a network (a bug of its
    /// space's lowering, not of the input).
    #[error("{arch}: {source}")]
    Lowering {
        /// The architecture, canonical.
        arch: String,
        /// Why it does not lower.
        #[source]
        source: latscope_shared::Error,
    },

    /// A `fromUrl` download that failed: the URL and the HTTP status or the
    /// browser's reason.
    #[error("fetching {url}: {reason}")]
    Fetch {
        /// The URL asked for.
        url: String,
        /// `HTTP 404 Not Found`, or the text of the browser's error.
        reason: String,
    },

    /// `fromUrl` called where there is no `fetch` (neither a page nor a
    /// worker).
    #[error("fetch is only available in a page or a worker")]
    NoFetch,

    /// Arrays handed to the module that do not fit the table they are for
    /// (latencies or embedding rows computed elsewhere, e.g. in a worker).
    #[error("{got} {what} given for {of}; expected {expected}")]
    CountMismatch {
        /// What was counted (`latencies`, `embedding values`).
        what: &'static str,
        /// How many were given.
        got: usize,
        /// How many fit.
        expected: usize,
        /// What they should cover.
        of: String,
    },

    /// A table row past the end of the table.
    #[error("row {row} is past the end of the table ({rows} rows)")]
    RowOutOfRange {
        /// The row asked for.
        row: usize,
        /// The rows the table has.
        rows: usize,
    },

    /// A state this module should never reach (a scan whose parts disagree,
    /// a value JSON cannot carry): a bug to report.
    #[error("{0}")]
    Internal(String),
}

fn prefix(file: &Option<String>) -> String {
    file.as_ref().map(|f| format!("{f}: ")).unwrap_or_default()
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// What kind of failure an [`Error`] is: the `kind` property of the JS
/// error (a stable, kebab-case string; see [`ErrorKind::as_str`]). Messages
/// may be reworded; kinds are what code should branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `unknown-space`: a search-space name other than `nb201` and `fbnet`.
    UnknownSpace,
    /// `unknown-device`: a device name the predictor or the table does not
    /// have (the message lists those it has).
    UnknownDevice,
    /// `invalid-architecture`: an architecture string (or a list of
    /// operation choices) that is not one of the space; in a list the
    /// message names its position.
    InvalidArchitecture,
    /// `not-in-table`: a valid architecture that is not among a table's
    /// scanned ones.
    NotInTable,
    /// `invalid-input`: values that do not fit together or are out of range
    /// (measured latencies that are not positive, unequal list lengths, too
    /// few measurements, a device name that is empty or taken).
    InvalidInput,
    /// `unsupported`: something the space or module does not offer (listing
    /// all of FBNet, an unknown encoding name).
    Unsupported,
    /// `invalid-predictor-file`: bytes that are not a latscope predictor
    /// `.onnx` file (the message says what is wrong with it).
    InvalidPredictorFile,
    /// `invalid-dataset`: a latency CSV that does not read or lacks the space.
    InvalidDataset,
    /// `invalid-feature-cache`: a `features-v1` cache file that does not read.
    InvalidFeatureCache,
    /// `fetch`: a `fromUrl` download that failed (the message has the URL
    /// and the HTTP status or the browser's reason).
    Fetch,
    /// `invalid-state`: a scan used after `finish`, or finished early.
    InvalidState,
    /// `internal`: a bug in latscope (please report the message).
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order they are documented.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::UnknownSpace,
        ErrorKind::UnknownDevice,
        ErrorKind::InvalidArchitecture,
        ErrorKind::NotInTable,
        ErrorKind::InvalidInput,
        ErrorKind::Unsupported,
        ErrorKind::InvalidPredictorFile,
        ErrorKind::InvalidDataset,
        ErrorKind::InvalidFeatureCache,
        ErrorKind::Fetch,
        ErrorKind::InvalidState,
        ErrorKind::Internal,
    ];

    /// The JS `kind` string, e.g. `"unknown-device"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::UnknownSpace => "unknown-space",
            ErrorKind::UnknownDevice => "unknown-device",
            ErrorKind::InvalidArchitecture => "invalid-architecture",
            ErrorKind::NotInTable => "not-in-table",
            ErrorKind::InvalidInput => "invalid-input",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::InvalidPredictorFile => "invalid-predictor-file",
            ErrorKind::InvalidDataset => "invalid-dataset",
            ErrorKind::InvalidFeatureCache => "invalid-feature-cache",
            ErrorKind::Fetch => "fetch",
            ErrorKind::InvalidState => "invalid-state",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The kind of failure, for code that reacts to it (the JS error's
    /// `kind`). Errors of the model and shared crates are classified by
    /// their variant; a file that does not load is always the file's kind,
    /// whatever failed inside it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Model(e) => model_kind(e),
            Error::Shared(e) => shared_kind(e),
            Error::Metric(_) => ErrorKind::InvalidInput,
            Error::PredictorFile { .. } => ErrorKind::InvalidPredictorFile,
            Error::DatasetFile(_) | Error::SpaceNotInDataset { .. } => ErrorKind::InvalidDataset,
            Error::FeatureCacheFile(_) => ErrorKind::InvalidFeatureCache,
            Error::UnknownDevice { .. } => ErrorKind::UnknownDevice,
            Error::NotInTable { .. } => ErrorKind::NotInTable,
            Error::NotListable(_) | Error::NoAccuracy { .. } => ErrorKind::Unsupported,
            Error::AccuracyFile(_) => ErrorKind::InvalidDataset,
            Error::MissingDeviceName
            | Error::FileDevice(_)
            | Error::CountMismatch { .. }
            | Error::RowOutOfRange { .. } => ErrorKind::InvalidInput,
            Error::ScanFinished | Error::ScanUnfinished { .. } | Error::EmbeddingComplete => {
                ErrorKind::InvalidState
            }
            Error::Fetch { .. } | Error::NoFetch => ErrorKind::Fetch,
            Error::NonPositiveLatency { .. } | Error::Lowering { .. } | Error::Internal(_) => {
                ErrorKind::Internal
            }
        }
    }
}

/// The kind of a model error. Every variant is named (no `_` arm), so a
/// new one has to be given its kind here.
fn model_kind(e: &latscope_model::Error) -> ErrorKind {
    use latscope_model::error::TaskProblem;
    use latscope_model::Error as M;
    match e {
        M::Shared(e) => shared_kind(e),
        M::InvalidModel(_) => ErrorKind::InvalidPredictorFile,
        M::Tract(_) => ErrorKind::Internal,
        M::InvalidArchAt { .. } | M::WrongSpace { .. } => ErrorKind::InvalidArchitecture,
        M::UnknownDevice { .. }
        | M::InvalidTask {
            problem: TaskProblem::DeviceNotInData { .. },
            ..
        } => ErrorKind::UnknownDevice,
        // A name the module does not offer (like an unknown encoding), and
        // what a file written before structured adaptation cannot do.
        M::UnknownTask { .. } | M::UnknownName { .. } | M::MissingStructure => {
            ErrorKind::Unsupported
        }
        // A step of an evaluation: the kind of what failed inside it.
        M::Pretraining { error, .. } | M::Trial { error, .. } => model_kind(error),
        M::SampleCount { .. }
        | M::InvalidTask { .. }
        | M::TooFewDevices { .. }
        | M::Empty { .. }
        | M::TooFew { .. }
        | M::InvalidConfig { .. }
        | M::CountMismatch { .. }
        | M::Shape { .. }
        | M::IndexOutOfRange { .. }
        | M::Duplicate { .. }
        | M::NotMeasured { .. }
        | M::NonPositiveLatency { .. }
        | M::NonFinite { .. }
        | M::SingularSystem { .. }
        | M::Metric { .. }
        | M::NonFinitePrediction { .. }
        | M::SampleTooLarge { .. }
        | M::NoRoomToScore { .. }
        | M::KOutOfRange { .. }
        | M::TableArchsDiffer { .. }
        | M::OneHotWidth { .. }
        | M::FeatureWidth { .. }
        | M::ReferenceNotInTask { .. }
        | M::NoReferenceSamples { .. }
        | M::NoDeviceProfile { .. }
        | M::SamplerNeedsModel { .. }
        | M::External { .. } => ErrorKind::InvalidInput,
    }
}

fn shared_kind(e: &latscope_shared::Error) -> ErrorKind {
    use latscope_shared::Error as S;
    match e {
        S::InvalidArch { .. } => ErrorKind::InvalidArchitecture,
        S::UnknownSpace { .. } => ErrorKind::UnknownSpace,
        S::IndexOutOfRange { .. } | S::Table(_) => ErrorKind::InvalidInput,
        S::Unsupported { .. } | S::TooManyToList { .. } | S::NoBenchmarkIndex { .. } => {
            ErrorKind::Unsupported
        }
        S::InvalidNetwork { .. } => ErrorKind::Internal,
        S::Dataset { .. } | S::Io { .. } | S::InUse { .. } => ErrorKind::InvalidDataset,
    }
}

/// The JS error a `#[wasm_bindgen]` function throws for an `Err`: an
/// `Error` with `name` `"LatscopeError"`, the message, and `kind` (see
/// [`ErrorKind`]). Only callable in the browser (wasm32), as any JS value.
impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        let js = js_sys::Error::new(&error.to_string());
        js.set_name("LatscopeError");
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&js, &"kind".into(), &error.kind().as_str().into());
        js.into()
    }
}
