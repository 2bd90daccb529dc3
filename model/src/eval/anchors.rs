//! Published numbers to print beside measured ones.
//!
//! Everything here is copied from the papers (via `ANCHORS.md`): these are
//! **published results, not measured by latscope**. Spearman ρ between
//! predicted and measured latency on the test devices.

/// Task-mean ρ of the published methods on one task (NASFLAT's Table of
/// transfer results; the number of target samples is likely 20, not fully
/// confirmed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PublishedTask {
    /// Name of the published task (`N0`, `N5`, `F0`, `F5`).
    pub task: &'static str,
    /// Task-mean ρ of HELP (Lee et al., NeurIPS 2021).
    pub help: f64,
    /// Task-mean ρ of MultiPredict.
    pub multipredict: f64,
    /// Task-mean ρ of NASFLAT (Akhauri & Abdelfattah, MLSys 2024).
    pub nasflat: f64,
}

/// Published task means (NASFLAT, Akhauri & Abdelfattah, MLSys 2024).
pub const PUBLISHED_TASKS: [PublishedTask; 4] = [
    PublishedTask {
        task: "N0",
        help: 0.948,
        multipredict: 0.930,
        nasflat: 0.959,
    },
    // N5's published mean includes 2 HW-NAS-Bench devices absent here.
    PublishedTask {
        task: "N5",
        help: 0.746,
        multipredict: 0.952,
        nasflat: 0.959,
    },
    PublishedTask {
        task: "F0",
        help: 0.910,
        multipredict: 0.960,
        nasflat: 0.961,
    },
    PublishedTask {
        task: "F5",
        help: 0.799,
        multipredict: 0.763,
        nasflat: 0.734,
    },
];

/// A published per-device ρ row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PublishedDevices {
    /// Name of the published task the row belongs to.
    pub task: &'static str,
    /// Who reported it and how, e.g. "HELP (10 samples)".
    pub source: &'static str,
    /// Published ρ per test device, as (device name, ρ) in the paper's order.
    pub devices: &'static [(&'static str, f64)],
    /// The row's mean ρ over its devices, as published.
    pub mean: f64,
}

/// Published per-device rows (HELP, Lee et al., NeurIPS 2021).
pub const PUBLISHED_DEVICES: [PublishedDevices; 3] = [
    PublishedDevices {
        task: "N0",
        source: "HELP paper, 10 samples",
        devices: &[
            ("titan_rtx_256", 0.987),
            ("gold_6226", 0.989),
            ("fpga", 0.985),
            ("pixel2", 0.802),
            ("raspi4", 0.890),
            ("eyeriss", 0.940),
        ],
        mean: 0.932,
    },
    PublishedDevices {
        task: "N0",
        source: "FLOPs, HELP paper",
        devices: &[
            ("titan_rtx_256", 0.950),
            ("gold_6226", 0.826),
            ("fpga", 0.900),
            ("pixel2", 0.765),
            ("raspi4", 0.846),
            ("eyeriss", 0.437),
        ],
        mean: 0.787,
    },
    PublishedDevices {
        task: "F0",
        source: "HELP paper, 10 samples",
        devices: &[("fpga", 0.892), ("raspi4", 0.887), ("eyeriss", 0.943)],
        mean: 0.910,
    },
];

/// The published task means for `task`, if any.
pub fn published_task(task: &str) -> Option<&'static PublishedTask> {
    PUBLISHED_TASKS.iter().find(|p| p.task == task)
}

/// The published per-device rows for `task`.
pub fn published_devices(task: &str) -> Vec<&'static PublishedDevices> {
    PUBLISHED_DEVICES
        .iter()
        .filter(|p| p.task == task)
        .collect()
}
