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
        /// Name of the space the string was parsed for, e.g. `nb201`.
        space: &'static str,
        /// The offending architecture string, as given.
        arch: String,
        /// What is wrong with it, quoting the bad part.
        reason: String,
    },
    /// A search-space name nobody registered.
    #[error("unknown search space {name:?} (known: {known})")]
    UnknownSpace {
        /// The name that was asked for.
        name: String,
        /// The registered names, comma-separated (the space registry
        /// fills it in: this module does not depend on it).
        known: String,
    },
    /// A benchmark index outside the space's table.
    #[error("{space} index {index} is out of range (0..{len})")]
    IndexOutOfRange {
        /// The space, or which of its index tables, e.g. `nb201 benchmark index`.
        space: &'static str,
        /// The index that was asked for.
        index: usize,
        /// Number of entries in the table; valid indices are `0..len`.
        len: usize,
    },
    /// A skeleton option the space does not support (e.g. FBNet on ImageNet16-120).
    #[error("{space} has no {what} variant {value:?} (supported: {supported})")]
    Unsupported {
        /// The space that lacks the option, or `latscope` for a name no
        /// space knows (an unknown dataset or encoding name).
        space: &'static str,
        /// Which kind of option was asked for, e.g. `dataset` or `encoding`.
        what: &'static str,
        /// The option that was asked for, as given.
        value: String,
        /// The options that are supported, comma-separated.
        supported: String,
    },
    /// A benchmark index asked of a space whose benchmark has no index
    /// (FBNet's data lists architectures by their strings only).
    #[error("{space} has no benchmark indices (spaces with them: {with})")]
    NoBenchmarkIndex {
        /// Name of the space asked.
        space: &'static str,
        /// The spaces that do have benchmark indices, comma-separated.
        with: String,
    },
    /// A space with too many architectures to list them all.
    #[error("{space} has {size} architectures, too many to list")]
    TooManyToList {
        /// Name of the space.
        space: &'static str,
        /// Size of the space, written out for the message (e.g. `9^22`).
        size: String,
    },
    /// A network whose layers do not fit together (a bug in a space's lowering).
    #[error("inconsistent network {network}: {reason}")]
    InvalidNetwork {
        /// The network's name ([`crate::ir::Network::name`]).
        network: String,
        /// What does not fit, naming the node at fault.
        reason: String,
    },
    /// A malformed dataset: the message carries file, line and the bad value.
    #[error("{file}:{line}: {reason}")]
    Dataset {
        /// The file (or input) name, as the caller wants it shown.
        file: String,
        /// 1-based line of the problem (the header is line 1); 0 when the
        /// CSV reader could not say where it was.
        line: u64,
        /// What was wrong, quoting the bad value.
        reason: String,
    },
    /// A latency table used wrongly: an unknown device name, parts whose
    /// shapes disagree, records that cannot form one table. No file or line
    /// exists to name here (the table may have been built in memory).
    #[error("latency table: {0}")]
    Table(String),
    /// A file another process is writing (it holds the file's lock).
    #[error(
        "{path} is being written by another process (it holds the lock {lock}); \
         wait for that run to finish, or write to another file"
    )]
    InUse {
        /// The file both processes want to write.
        path: String,
        /// The lock file the other process holds.
        lock: String,
    },
    /// An I/O failure with the path it happened on.
    #[error("{path}: {source}")]
    Io {
        /// The file the operation was on, as it should be shown to the user.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// `std::result::Result` with this crate's [`enum@Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
