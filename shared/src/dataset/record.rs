//! [`LatencyRecord`]: one row of the long format, the unit a measurement
//! campaign produces and shards merge. Serde-enabled so the same rows travel
//! as JSON (the web API) as well as CSV.

use crate::space::{Arch, SpaceId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One measurement: an architecture of a space on one device configuration.
///
/// `arch` is the canonical string (readers store it canonicalised); the
/// optional fields are the long format's optional columns and are `None`
/// when the file does not have the column or leaves the cell empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyRecord {
    /// The search space the architecture belongs to.
    pub space: SpaceId,
    /// The architecture, as its canonical string in that space.
    pub arch: String,
    /// Device configuration, e.g. `titan_rtx_32` or `h100_fp16_b32`.
    pub device: String,
    /// The central latency (mean or median over runs), milliseconds.
    pub latency_ms: f64,
    /// 10th percentile of the per-run latencies, milliseconds; never above
    /// `p90_ms` in a file that passed the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p10_ms: Option<f64>,
    /// 90th percentile of the per-run latencies, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_ms: Option<f64>,
    /// Number of timed runs behind the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u32>,
    /// Batch size of the timed forward pass (the latency covers the whole batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<u32>,
    /// Numeric precision, e.g. `fp32`, `fp16`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// Where the number came from, e.g. `help` or `latscope-cuda`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl LatencyRecord {
    /// A record with only the required fields set.
    pub fn new(arch: &Arch, device: impl Into<String>, latency_ms: f64) -> Self {
        Self::required(arch.space(), arch.to_string(), device.into(), latency_ms)
    }

    /// [`LatencyRecord::new`] with the architecture already written out.
    pub(crate) fn required(space: SpaceId, arch: String, device: String, latency_ms: f64) -> Self {
        LatencyRecord {
            space,
            arch,
            device,
            latency_ms,
            p10_ms: None,
            p90_ms: None,
            runs: None,
            batch: None,
            precision: None,
            source: None,
        }
    }
}

/// Splits records by search space (spaces in [`SpaceId`] order, records in
/// their original order), since a long file may mix spaces and a
/// [`super::LatencyTable`] holds one.
pub fn group_by_space(
    records: impl IntoIterator<Item = LatencyRecord>,
) -> BTreeMap<SpaceId, Vec<LatencyRecord>> {
    let mut groups: BTreeMap<SpaceId, Vec<LatencyRecord>> = BTreeMap::new();
    for record in records {
        groups.entry(record.space).or_default().push(record);
    }
    groups
}
