//! `profiler evaluate`: the transfer evaluation, its files, and the row
//! made through the CLI.

mod common;

use common::{data, nb201_subset_file, stderr_of_failure, stdout_of};
use std::path::Path;
use std::process::Command;

#[test]
fn evaluate_flops_on_n0_lists_the_six_test_devices() {
    // Run from the repository root, where the default data file lives.
    let out = Command::new(env!("CARGO_BIN_EXE_profiler"))
        .args([
            "evaluate", "--task", "N0", "--k", "5", "--seeds", "1", "--method", "flops",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n0 = latscope_model::eval::Task::builtin("N0").unwrap();
    assert_eq!(n0.test_devices.len(), 6);
    for device in &n0.test_devices {
        assert!(text.contains(&format!("ρ {device}")), "{device}: {text}");
    }
    let row = text
        .lines()
        .find(|l| l.starts_with("flops "))
        .unwrap_or_else(|| panic!("no flops row: {text}"));
    // method, K, mean ± sd, τ, MAPE, acc10, 6 devices.
    assert_eq!(row.split_whitespace().count(), 2 + 3 + 3 + 6, "{row}");
    assert!(text.contains("published numbers"), "{text}");
}

#[test]
fn evaluate_writes_json_and_csv_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let csv = dir.path().join("r.csv");
    stdout_of(&[
        "evaluate",
        "--task",
        "plenty-fbnet-pixel2",
        "--k",
        "50",
        "--seeds",
        "2",
        "--method",
        "flops",
        "--sampler",
        "cost-stratified",
        "--data",
        data("fbnet_latency.csv.gz").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["task"]["test_devices"][0], "pixel2");
    assert_eq!(v["trials"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"][0]["spearman"]["n"], 2);
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("task,space,sampler,method,k,device"));
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[2].contains(",mean,"), "{text}");

    // Existing outputs are not overwritten without --force.
    let err = stderr_of_failure(&["evaluate", "--task", "F0", "--json", json.to_str().unwrap()]);
    assert!(err.contains("--force"), "{err}");
    let fb = data("fbnet_latency.csv.gz");
    let err = stderr_of_failure(&["evaluate", "--task", "N0", "--data", fb.to_str().unwrap()]);
    assert!(err.contains("no nb201"), "{err}");
    let err = stderr_of_failure(&["evaluate", "--task", "F0", "--method", "nope"]);
    assert!(
        err.contains("unknown method") && err.contains("flops"),
        "{err}"
    );
    let err = stderr_of_failure(&["evaluate", "--task", "F0", "--sampler", "nope"]);
    assert!(err.contains("encoding-diverse"), "{err}");
    let err = stderr_of_failure(&[
        "evaluate",
        "--task",
        "F0",
        "--k",
        "4999",
        "--method",
        "flops",
        "--data",
        fb.to_str().unwrap(),
    ]);
    assert!(err.contains("K = 4999"), "{err}");
}

/// Writes `archs` rows of the NB201 data for `devices` as a wide CSV.

#[test]
fn evaluate_through_the_cli_matches_the_library_path() {
    // The commands a user runs (train, then adapt from a samples CSV) must
    // score as `evaluate`'s own mlp-auto does, on the same draws: only the
    // predictor file's float32 arithmetic lies between them. A 400-cell
    // subset of the HELP data keeps the two trainings short.
    let dir = tempfile::tempdir().unwrap();
    let full =
        latscope_shared::dataset::read_wide_path(data("nb201_latency.csv.gz"), None).unwrap();
    let archs: Vec<usize> = (0..400).map(|i| i * 39).collect();
    let devices: Vec<&str> = full.devices().iter().map(String::as_str).collect();
    let subset = nb201_subset_file(dir.path(), &archs, &devices);
    let text = stdout_of(&[
        "evaluate",
        "--task",
        "N0",
        "--k",
        "10",
        "--seeds",
        "1",
        "--method",
        "mlp-auto",
        "--through-cli",
        "--data",
        subset.to_str().unwrap(),
    ]);
    let rhos = |prefix: &str| -> Vec<f64> {
        let row = text
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} row: {text}"));
        // The label, K, mean ± sd, τ, MAPE, acc10, then one ρ per device.
        let fields: Vec<&str> = row[prefix.len()..].split_whitespace().collect();
        assert_eq!(fields.len(), 1 + 3 + 3 + 6, "{row}");
        fields[7..].iter().map(|f| f.parse().unwrap()).collect()
    };
    let library = rhos("mlp-auto ");
    let through_cli = rhos("train+adapt (CLI) ");
    for (l, c) in library.iter().zip(&through_cli) {
        assert!(
            (l - c).abs() < 0.003,
            "{library:?} vs {through_cli:?}\n{text}"
        );
    }
    assert!(library.iter().all(|&r| r > 0.5), "{text}");
}
