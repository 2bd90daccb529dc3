//! `profiler monotonicity`, `proxy` and `pareto`: how devices rank alike
//! and what one proxy device is worth.

mod common;

use common::{data, stderr_of_failure, stdout_of};
use std::path::Path;

#[test]
fn monotonicity_of_the_help_fbnet_devices_with_a_heatmap() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("rho.svg");
    let data = data("fbnet_latency.csv.gz");
    let text = stdout_of(&[
        "monotonicity",
        "--data",
        data.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(
        text.contains("27 devices over 5000 common architectures"),
        "{text}"
    );
    assert!(text.contains("device pairs below 0.9"), "{text}");
    let picture = std::fs::read_to_string(&svg).unwrap();
    // 27 × 27 cells, each with its tooltip.
    assert_eq!(
        picture.matches("<rect").count(),
        27 * 27,
        "{}",
        &picture[..300]
    );
    assert!(picture.contains("eyeriss vs fpga: ρ = "));
    // Never overwrite without --force; a bad device is named.
    let err = stderr_of_failure(&[
        "monotonicity",
        "--space",
        "fbnet",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(err.contains("--force"), "{err}");
    let err = stderr_of_failure(&[
        "monotonicity",
        "--data",
        data.to_str().unwrap(),
        "--devices",
        "pixel3,h900",
    ]);
    assert!(err.contains("h900"), "{err}");
}

#[test]
fn monotonicity_of_a_predictors_outputs() {
    let predictor = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/predictors/fbnet.onnx");
    let data = data("fbnet_latency.csv.gz");
    let text = stdout_of(&[
        "monotonicity",
        "--predictor",
        predictor.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--devices",
        "pixel3,eyeriss,titan_rtx_32",
    ]);
    assert!(
        text.contains("3 devices over 5000 common architectures"),
        "{text}"
    );
    assert!(text.contains("predictions of"), "{text}");
}

#[test]
fn proxy_choice_on_the_help_nb201_devices() {
    let data = data("nb201_latency.csv.gz");
    let text = stdout_of(&[
        "proxy",
        "--data",
        data.to_str().unwrap(),
        "--targets",
        "titan_rtx_32,2080ti_32",
        "--k",
        "5,20",
        "--seeds",
        "5",
    ]);
    // A GPU at the same batch size ranks like the targets: the best proxy's
    // worst-case ρ is high.
    let best = text.lines().find(|l| l.starts_with("1 ")).unwrap();
    let worst: f64 = best.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(worst > 0.95, "{text}");
    assert!(text.contains("/5"), "{text}");
    let err = stderr_of_failure(&[
        "proxy",
        "--data",
        data.to_str().unwrap(),
        "--targets",
        "pixel3,h900",
    ]);
    assert!(err.contains("h900"), "{err}");
}

#[test]
fn pareto_reuse_from_pixel3() {
    let data = data("nb201_latency.csv.gz");
    let text = stdout_of(&[
        "pareto",
        "--data",
        data.to_str().unwrap(),
        "--proxy",
        "pixel3",
        "--targets",
        "pixel3,eyeriss",
        "--seeds",
        "2",
    ]);
    // The proxy's front on itself keeps everything.
    let itself = text.lines().find(|l| l.starts_with("pixel3 ")).unwrap();
    assert!(
        itself.contains("1.00 → ") && itself.contains("100.0% → "),
        "{text}"
    );
    let eyeriss = text.lines().find(|l| l.starts_with("eyeriss")).unwrap();
    assert!(eyeriss.contains("0.72 → "), "{text}");
    let err = stderr_of_failure(&[
        "pareto",
        "--data",
        data.to_str().unwrap(),
        "--proxy",
        "h900",
    ]);
    assert!(err.contains("h900"), "{err}");
}
