//! Running the `profiler` binary from the integration tests, and the
//! shipped files they read.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use latscope_shared::ir::Network;
use latscope_shared::space::{Dataset, SpaceId};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn profiler(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_profiler"))
        .args(args)
        .output()
        .expect("the profiler binary runs")
}

pub fn stdout_of(args: &[&str]) -> String {
    let out = profiler(args);
    assert!(
        out.status.success(),
        "profiler {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn stderr_of_failure(args: &[&str]) -> String {
    let out = profiler(args);
    assert!(!out.status.success(), "profiler {args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

/// A file under the repository's `static/`, e.g. `data/nb201_latency.csv.gz`.
pub fn shipped(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../static")
        .join(path)
}

/// A file of the shipped datasets, e.g. `nb201_latency.csv.gz`.
pub fn data(name: &str) -> PathBuf {
    shipped(&format!("data/{name}"))
}

/// Every cell operation `nor_conv_3x3`: NB201's costliest cell.
pub const ALL_CONV3: &str =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
/// Every cell operation `none`: NB201's cheapest cell.
pub const ALL_NONE: &str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
/// An NB201 cell with every kind of operation.
pub const MIXED: &str =
    "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|";
/// Node 1 and 2 are zero (every incoming edge is `none`), node 3 reads them.
pub const ZERO_NODES: &str =
    "|none~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|";

/// The NB201 network of `arch` for `dataset`.
pub fn nb201(arch: &str, dataset: Dataset) -> Network {
    SpaceId::Nb201
        .parse_arch(arch)
        .unwrap()
        .lower(dataset)
        .unwrap()
}

/// The FBNet network of `arch` (22 layer names joined by `-`) for `dataset`.
pub fn fbnet(arch: &str, dataset: Dataset) -> Network {
    SpaceId::Fbnet
        .parse_arch(arch)
        .unwrap()
        .lower(dataset)
        .unwrap()
}

/// Rows of a long latency file.
pub fn long_rows(path: &Path) -> Vec<latscope_shared::dataset::LatencyRecord> {
    latscope_shared::dataset::read_long_path(path).unwrap()
}

/// Writes `archs` rows of the NB201 data for `devices` as a wide CSV.
pub fn nb201_subset_file(dir: &Path, archs: &[usize], devices: &[&str]) -> PathBuf {
    let full =
        latscope_shared::dataset::read_wide_path(data("nb201_latency.csv.gz"), None).unwrap();
    let table = full
        .select_archs(archs)
        .unwrap()
        .select_devices(devices)
        .unwrap();
    let path = dir.join("subset.csv");
    latscope_shared::dataset::write_wide_path(&table, &path).unwrap();
    path
}

/// The Python of the cross-runtime checks: `$LATSCOPE_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("LATSCOPE_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Why the check cannot run here, if it cannot.
pub fn missing_python() -> Option<String> {
    let py = python();
    match Command::new(&py)
        .args(["-c", "import onnx, onnxruntime, numpy"])
        .output()
    {
        Err(e) => Some(format!("cannot start {py}: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "{py} lacks onnx/onnxruntime/numpy: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )),
        Ok(_) => None,
    }
}
