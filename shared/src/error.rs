//! The crate's error type. Every message names what was wrong and where, so a
//! user who mistyped an architecture or handed over a broken CSV can fix it
//! without reading the source.

use thiserror::Error;

/// Errors from parsing architectures, lowering them, and reading datasets.
#[derive(Debug, Error)]
pub enum Error {
    /// An architecture string that does not belong to the named space.
    #[error("invalid {space} architecture {arch:?}: {reason}")]
    InvalidArch {
        space: &'static str,
        arch: String,
        reason: String,
    },
    /// A search-space name nobody registered.
    #[error("unknown search space {name:?} (known: {known})")]
    UnknownSpace {
        name: String,
        /// The registered names, comma-separated (the space registry
        /// fills it in: this module does not depend on it).
        known: String,
    },
    /// A benchmark index outside the space's table.
    #[error("{space} index {index} is out of range (0..{len})")]
    IndexOutOfRange {
        space: &'static str,
        index: usize,
        len: usize,
    },
    /// A skeleton option the space does not support (e.g. FBNet on ImageNet16-120).
    #[error("{space} has no {what} variant {value:?} (supported: {supported})")]
    Unsupported {
        space: &'static str,
        what: &'static str,
        value: String,
        supported: String,
    },
    /// A space with too many architectures to list them all.
    #[error("{space} has {size} architectures, too many to list")]
    TooManyToList { space: &'static str, size: String },
    /// A network whose layers do not fit together (a bug in a space's lowering).
    #[error("inconsistent network {network}: {reason}")]
    InvalidNetwork { network: String, reason: String },
    /// A malformed dataset: the message carries file, line and the bad value.
    #[error("{file}:{line}: {reason}")]
    Dataset {
        file: String,
        line: u64,
        reason: String,
    },
    /// A latency table used wrongly: an unknown device name, parts whose
    /// shapes disagree, records that cannot form one table. No file or line
    /// exists to name here (the table may have been built in memory).
    #[error("latency table: {0}")]
    Table(String),
    /// An I/O failure with the path it happened on.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
