//! What the model's integration tests share: the shipped HELP data (read
//! once per test binary), the usual training devices, and a short
//! training schedule that keeps the debug build fast.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use latscope_model::nn::TrainConfig;
use latscope_shared::dataset::{read_wide_path, LatencyTable};
use latscope_shared::space::SpaceId;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A file of `static/data/`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../static/data")
        .join(name)
}

/// The shipped latency table of `space` (HELP's devices), read once.
pub fn table(space: SpaceId) -> &'static LatencyTable {
    static NB: OnceLock<LatencyTable> = OnceLock::new();
    static FB: OnceLock<LatencyTable> = OnceLock::new();
    let cell = match space {
        SpaceId::Nb201 => &NB,
        SpaceId::Fbnet => &FB,
    };
    cell.get_or_init(|| {
        read_wide_path(data(&format!("{space}_latency.csv.gz")), None)
            .unwrap_or_else(|e| panic!("reading the shipped {space} data: {e}"))
    })
}

/// Nine NB201 training devices of HELP's split (no test device of the
/// tests that use them).
pub const NB201_TRAIN: [&str; 9] = [
    "1080ti_1",
    "1080ti_32",
    "1080ti_256",
    "silver_4114",
    "silver_4210r",
    "samsung_a50",
    "pixel3",
    "essential_ph_1",
    "samsung_s7",
];

/// A short schedule (batches of 64, learning rate 3e-3, rank weight 0.5)
/// for `epochs` epochs: enough to learn, fast in a debug build.
pub fn short_training(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 64,
        learning_rate: 3e-3,
        rank_weight: 0.5,
        ..TrainConfig::default()
    }
}
