//! What a campaign records beside its dataset, and how it names devices.
//!
//! Every `profiler measure` run appends one JSON line to
//! `<out>.runs.jsonl`: when it started, the command line, the device name
//! and the backend's description (for the CUDA backend the GPU's name, SM
//! count, clocks, driver, CUDA, cuBLAS, NVRTC and cuDNN versions; for the
//! CPU backend the processor). A dataset that grows over several runs
//! (resumes, shards) keeps the record of each.

use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// `<out>.runs.jsonl`.
pub fn runs_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".runs.jsonl");
    PathBuf::from(name)
}

/// Appends this run's line to `<out>.runs.jsonl`.
pub fn append_run(out: &Path, device: &str, source: &str, backend: Value) -> Result<PathBuf> {
    let path = runs_path(out);
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let line = json!({
        "started_unix": started,
        "command": std::env::args().collect::<Vec<_>>(),
        "device": device,
        "source": source,
        "backend": backend,
        "latscope": env!("CARGO_PKG_VERSION"),
    });
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    // A run killed while writing its line left it without a newline: start
    // on a line of our own rather than glue two records together (the
    // partial record stays, as everything a run wrote does).
    let unterminated = std::fs::read(&path)
        .map(|bytes| bytes.last().is_some_and(|&b| b != b'\n'))
        .unwrap_or(false);
    let text = format!("{}{line}\n", if unterminated { "\n" } else { "" });
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The processor, from /proc/cpuinfo where there is one.
pub fn cpu_description(threads: Option<usize>) -> Value {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    json!({
        "kind": "cpu",
        "model": model,
        "logical_cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "threads": threads,
    })
}

/// A device-column name from a GPU's marketing name, precision and batch,
/// e.g. "NVIDIA H100 80GB HBM3" → `h100_fp16_b32`.
pub fn gpu_device_name(gpu: &str, precision: &str, batch: usize) -> String {
    let words: Vec<String> = gpu
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .filter(|w| !["nvidia", "geforce", "tesla"].contains(&w.to_lowercase().as_str()))
        // Memory size and type say nothing about which chip it is.
        .take_while(|w| {
            let l = w.to_lowercase();
            !(l.ends_with("gb") || l.starts_with("hbm") || l.starts_with("gddr") || l == "pcie")
        })
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let chip = if words.is_empty() {
        "gpu".to_string()
    } else {
        words.join("_")
    };
    format!("{chip}_{precision}_b{batch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_names_become_short_device_names() {
        for (gpu, precision, batch, want) in [
            ("NVIDIA H100 80GB HBM3", "fp32", 32, "h100_fp32_b32"),
            ("NVIDIA H100 PCIe", "fp16", 1, "h100_fp16_b1"),
            ("NVIDIA A100-SXM4-80GB", "fp16", 256, "a100_sxm4_fp16_b256"),
            ("NVIDIA GeForce RTX 4090", "fp32", 1, "rtx_4090_fp32_b1"),
            ("", "fp32", 1, "gpu_fp32_b1"),
        ] {
            assert_eq!(gpu_device_name(gpu, precision, batch), want, "{gpu:?}");
        }
    }

    #[test]
    fn runs_are_appended_beside_the_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("h100.csv");
        for _ in 0..2 {
            append_run(
                &out,
                "h100_fp32_b32",
                "latscope-cuda(x)",
                json!({"kind": "cuda"}),
            )
            .unwrap();
        }
        let text = std::fs::read_to_string(runs_path(&out)).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["device"], "h100_fp32_b32");
        assert_eq!(lines[0]["backend"]["kind"], "cuda");
        assert!(runs_path(&out).ends_with("h100.csv.runs.jsonl"));
        // A record cut off by a killed run keeps its own line.
        let cut = format!("{text}{{\"started_unix\": 17");
        std::fs::write(runs_path(&out), &cut).unwrap();
        append_run(&out, "h100_fp32_b32", "x", json!({})).unwrap();
        let after = std::fs::read_to_string(runs_path(&out)).unwrap();
        let last: Vec<&str> = after.lines().collect();
        assert_eq!(last.len(), 4);
        assert_eq!(last[2], "{\"started_unix\": 17");
        assert_eq!(
            serde_json::from_str::<Value>(last[3]).unwrap()["source"],
            "x"
        );
    }
}
