//! Latency datasets: measured latencies of architectures on devices.
//!
//! Two file layouts hold the same numbers:
//! * **wide** ([`wide`]): one row per architecture, one column per device, the
//!   layout of the public HELP data (`index,arch,<device>...`);
//! * **long** ([`long`]): one row per (architecture, device), the project's
//!   own contract (`space,arch,device,latency_ms` plus optional measurement
//!   columns, see `DESIGN.md`), which a measurement campaign can append to
//!   and which can mix search spaces.
//!
//! Both read into a [`LatencyTable`] (architectures × devices in memory) and
//! convert into each other without loss ([`LatencyTable::from_records`],
//! [`LatencyTable::to_records`]); numbers are written so that they read back
//! to the same `f64` ([`format_latency`]).
//!
//! Every reader takes `impl Read` plus a display name used in error
//! messages, so the browser build (no file system) reads the same bytes the
//! CLI does; the `*_path` helpers only open files and pick gzip by
//! extension. Gzip input is recognised by its magic bytes ([`gz`]). Errors
//! name the file, the 1-based line (the header is line 1) and the offending
//! value.
//!
//! Beside latencies, [`accuracy`] reads NAS-Bench-201's test accuracies
//! ([`AccuracyTable`]), the quality axis of latency–accuracy fronts.

pub mod accuracy;
mod append;
pub mod auto;
mod convert;
mod float;
pub mod gz;
mod lines;
pub mod long;
mod record;
pub mod reference;
mod samples;
mod stats;
mod table;
mod validate;
pub mod wide;

pub use accuracy::{read_accuracy, read_accuracy_path, AccuracyDataset, AccuracyTable};
pub use append::{LongAppender, TornLine};
pub use auto::{detect_format, detect_format_path, read_tables, read_tables_path, Format};
pub use convert::tables_from_records;
pub use float::format_latency;
pub use long::{read_long, read_long_path, read_long_tables, write_long, write_long_path};
pub use record::{group_by_space, LatencyRecord};
pub use reference::{read_reference_archs, read_reference_archs_path};
pub use samples::{read_samples, read_samples_path};
pub use stats::{DeviceStats, TableStats};
pub use table::LatencyTable;
pub use wide::{read_wide, read_wide_path, write_wide, write_wide_path};
