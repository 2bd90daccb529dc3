//! `profiler adapt --suggest`: what to measure next on a new device, with
//! the shipped NB201 predictor.

mod common;

use common::{shipped, stderr_of_failure, stdout_of};
use std::path::Path;

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn suggestions_before_and_after_measuring_continue_one_design() {
    let dir = tempfile::tempdir().unwrap();
    let predictor = shipped("predictors/nb201.onnx");
    let predictor = predictor.to_str().unwrap();

    // Before any measurement: nine architectures, distinct, valid, written
    // in the format `profiler measure --list` reads.
    let first = dir.path().join("first.txt");
    let text = stdout_of(&[
        "adapt",
        "--predictor",
        predictor,
        "--suggest",
        "9",
        "--suggest-out",
        first.to_str().unwrap(),
    ]);
    assert!(
        text.contains("measure next on my_device (9 of 15625"),
        "{text}"
    );
    let nine = lines(&first);
    assert_eq!(nine.len(), 9);
    let distinct: std::collections::HashSet<&String> = nine.iter().collect();
    assert_eq!(distinct.len(), 9, "{nine:?}");
    for a in &nine {
        latscope_shared::space::SpaceId::Nb201
            .parse_arch(a)
            .unwrap_or_else(|e| panic!("{a}: {e}"));
    }

    // The first six measured (pixel2's latencies from the HELP data): the
    // next three are the rest of the same greedy design, and the device is
    // adapted and predicted as usual.
    let full = latscope_shared::dataset::read_wide_path(shipped("data/nb201_latency.csv.gz"), None)
        .unwrap();
    let pixel2 = full.device_position("pixel2").unwrap();
    let mut samples = String::from("arch,latency_ms\n");
    for a in &nine[..6] {
        let row = full
            .archs()
            .iter()
            .position(|x| &x.to_string() == a)
            .unwrap();
        samples.push_str(&format!("{a},{}\n", full.value(row, pixel2).unwrap()));
    }
    let samples_path = dir.path().join("measured.csv");
    std::fs::write(&samples_path, samples).unwrap();
    let next = dir.path().join("next.txt");
    let text = stdout_of(&[
        "adapt",
        "--predictor",
        predictor,
        "--samples",
        samples_path.to_str().unwrap(),
        "--suggest",
        "3",
        "--suggest-out",
        next.to_str().unwrap(),
        "-o",
        dir.path().join("pred.csv").to_str().unwrap(),
    ]);
    assert!(text.contains("from 6 measured architectures"), "{text}");
    assert!(text.contains("6 measured already"), "{text}");
    assert!(text.contains("(predicted "), "{text}");
    assert_eq!(lines(&next), nine[6..]);
}

#[test]
fn suggest_refuses_unclear_requests() {
    let dir = tempfile::tempdir().unwrap();
    let predictor = shipped("predictors/nb201.onnx");
    let predictor = predictor.to_str().unwrap();
    let err = stderr_of_failure(&["adapt", "--predictor", predictor]);
    assert!(
        err.contains("--samples") || err.contains("--suggest"),
        "{err}"
    );
    let err = stderr_of_failure(&["adapt", "--predictor", predictor, "--suggest", "0"]);
    assert!(err.contains("--suggest 0"), "{err}");
    let samples = dir.path().join("s.csv");
    std::fs::write(&samples, "arch,latency_ms\n#0,1.5\n#1,2.5\n").unwrap();
    let err = stderr_of_failure(&[
        "adapt",
        "--predictor",
        predictor,
        "--samples",
        samples.to_str().unwrap(),
        "--suggest",
        "2",
    ]);
    assert!(err.contains("-o"), "{err}");
    // A file the user wrote is not overwritten without --force.
    let mine = dir.path().join("mine.txt");
    std::fs::write(&mine, "my notes\n").unwrap();
    let err = stderr_of_failure(&[
        "adapt",
        "--predictor",
        predictor,
        "--suggest",
        "2",
        "--suggest-out",
        mine.to_str().unwrap(),
    ]);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my notes\n");
}
