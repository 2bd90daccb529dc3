//! Measuring architectures on the machine the profiler runs on: backends
//! that time one architecture, and the campaign that walks a list of them,
//! appending rows to a long dataset as it goes.

pub mod campaign;
pub mod check;
pub mod cpu;
pub mod cuda;
pub mod record;
pub mod selection;
pub mod stats;

use anyhow::Result;
use latscope_shared::space::Arch;
use stats::TimingSummary;

/// Something that can time an architecture's forward pass.
pub trait Backend {
    /// Times one forward pass of `arch` at the backend's batch size.
    fn measure(&mut self, arch: &Arch) -> Result<TimingSummary>;
    /// Written into the `source` column, e.g. `latscope-cpu(tract,threads=1)`.
    fn source(&self) -> String;
    /// Batch size of every forward pass.
    fn batch(&self) -> usize;
    /// Precision name written in the `precision` column, e.g. `fp16`.
    fn precision(&self) -> &'static str;
    /// The machine and settings, as written to `<out>.runs.jsonl`.
    fn description(&self) -> serde_json::Value;
    /// The GPU's marketing name, for GPU backends (names the device column).
    fn gpu_name(&self) -> Option<&str> {
        None
    }
    /// True once the backend cannot measure anything more (a GPU error
    /// that poisons the CUDA context): the campaign stops.
    fn fatal(&self) -> bool {
        false
    }
}
