//! `profiler data`: inspecting and converting latency datasets.

mod common;

use common::{data, stderr_of_failure, stdout_of, ALL_NONE};

#[test]
fn data_stats_reads_the_shipped_files() {
    let text = stdout_of(&[
        "data",
        "stats",
        data("nb201_latency.csv.gz").to_str().unwrap(),
    ]);
    assert!(text.contains("15625 archs × 27 devices"), "{text}");
    let json = stdout_of(&[
        "data",
        "stats",
        "--json",
        data("fbnet_latency.csv.gz").to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["archs"], 5000);
    assert_eq!(v[0]["per_device"].as_array().unwrap().len(), 27);
}

#[test]
fn data_convert_round_trips_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("nb201_long.csv.gz");
    let wide = dir.path().join("nb201_wide.csv");
    let source = data("nb201_latency.csv.gz");
    stdout_of(&[
        "data",
        "convert",
        source.to_str().unwrap(),
        long.to_str().unwrap(),
    ]);
    stdout_of(&[
        "data",
        "convert",
        long.to_str().unwrap(),
        wide.to_str().unwrap(),
    ]);
    let original = latscope_shared::dataset::read_wide_path(&source, None).unwrap();
    let back = latscope_shared::dataset::read_wide_path(&wide, None).unwrap();
    assert_eq!(original.devices(), back.devices());
    assert_eq!(original.archs(), back.archs());
    assert_eq!(original.bench_index(), back.bench_index());
    assert_eq!(original.latency(), back.latency());

    // The output exists now: converting again must refuse, and leave it be.
    let before = std::fs::read(&wide).unwrap();
    let err = stderr_of_failure(&[
        "data",
        "convert",
        long.to_str().unwrap(),
        wide.to_str().unwrap(),
    ]);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(before, std::fs::read(&wide).unwrap());
}

#[test]
fn data_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("space,arch,device,latency_ms\nnb201,{ALL_NONE},pixel3,1.5\nnb201,{ALL_NONE},pixel2,NaN\n"),
    )
    .unwrap();
    let err = stderr_of_failure(&["data", "stats", bad.to_str().unwrap()]);
    assert!(
        err.contains("bad.csv") && err.contains('3') && err.contains("NaN"),
        "{err}"
    );
}
