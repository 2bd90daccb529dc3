//! `profiler monotonicity`, `proxy` and `pareto`: how devices rank alike
//! and what one proxy device is worth.

mod common;

use common::{data, nb201_subset_file, stderr_of_failure, stdout_of};
use latscope_shared::dataset::{read_accuracy_path, read_wide_path, AccuracyDataset};
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

#[test]
fn pareto_front_of_latency_and_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    // 400 cells spread over the space, two devices.
    let cells: Vec<usize> = (0..400).map(|i| i * 39).collect();
    let subset = nb201_subset_file(dir.path(), &cells, &["pixel3", "eyeriss"]);
    let front_file = dir.path().join("front.csv");
    let accuracy_file = data("nb201_accuracy.csv.gz");
    let text = stdout_of(&[
        "pareto",
        "--data",
        subset.to_str().unwrap(),
        "--proxy",
        "pixel3",
        "--k",
        "5",
        "--seeds",
        "1",
        "--score",
        "cifar100-acc",
        "--accuracy",
        accuracy_file.to_str().unwrap(),
        "--front",
        front_file.to_str().unwrap(),
    ]);
    assert!(
        text.contains("over 400 architectures") && text.contains("cifar100 test accuracy"),
        "{text}"
    );
    // The front in (proxy latency, accuracy), judged against every cell of
    // the subset with the shipped accuracies: low latency, HIGH accuracy.
    let accuracy = read_accuracy_path(&accuracy_file).unwrap();
    let table = read_wide_path(&subset, None).unwrap();
    let pixel3 = table.require_device("pixel3").unwrap();
    let points: Vec<(String, f64, f64)> = (0..table.n_archs())
        .map(|a| {
            let arch = &table.archs()[a];
            let acc = accuracy.get(arch, AccuracyDataset::Cifar100).unwrap();
            (arch.to_string(), table.value(a, pixel3).unwrap(), acc)
        })
        .collect();
    let dominated = |(_, lat, acc): &(String, f64, f64)| {
        points
            .iter()
            .any(|(_, l, a)| l <= lat && a >= acc && (l < lat || a > acc))
    };
    let written = std::fs::read_to_string(&front_file).unwrap();
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("arch,pixel3_ms,cifar100-acc"));
    let mut front = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let point = points
            .iter()
            .find(|p| p.0 == fields[0])
            .unwrap_or_else(|| panic!("{} is not in the subset", fields[0]));
        assert_eq!(fields[1].parse::<f64>().unwrap(), point.1, "{line}");
        assert_eq!(fields[2].parse::<f64>().unwrap(), point.2, "{line}");
        assert!(!dominated(point), "{line} is dominated");
        front.push(point.clone());
    }
    assert!(front.len() >= 3, "{written}");
    // By increasing latency, so accuracy increases along it too.
    assert!(front.windows(2).all(|w| w[0].1 < w[1].1 && w[0].2 < w[1].2));
    // And nothing non-dominated is left out (ties keep one representative).
    for p in points.iter().filter(|p| !dominated(p)) {
        assert!(
            front.iter().any(|f| f.1 == p.1 && f.2 == p.2),
            "{} is missing from the front",
            p.0
        );
    }
    // FBNet has no accuracy data: a clear error, not a silent stand-in.
    let fbnet = data("fbnet_latency.csv.gz");
    let err = stderr_of_failure(&[
        "pareto",
        "--data",
        fbnet.to_str().unwrap(),
        "--proxy",
        "pixel3",
        "--score",
        "cifar10-acc",
    ]);
    assert!(err.contains("no accuracy data exists for fbnet"), "{err}");
}
