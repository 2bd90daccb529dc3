//! Running the `profiler` binary from the integration tests, and the
//! shipped files they read.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

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
