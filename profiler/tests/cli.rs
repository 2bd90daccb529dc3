//! The `profiler` binary end to end, on the shipped data.

mod common;

use common::{profiler, shipped, stderr_of_failure, stdout_of};
use std::path::{Path, PathBuf};
use std::process::Command;

const ALL_CONV3: &str =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const ALL_NONE: &str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

fn data(name: &str) -> PathBuf {
    shipped(&format!("data/{name}"))
}

#[test]
fn info_prints_flops_and_params_of_the_extreme_cells() {
    let text = stdout_of(&["info", "--space", "nb201", ALL_CONV3]);
    assert!(text.contains("220.119680 M"), "{text}");
    assert!(text.contains("1531546 trainable"), "{text}");
    let text = stdout_of(&["info", "--space", "nb201", ALL_NONE]);
    assert!(text.contains("7.783040 M"), "{text}");
    assert!(text.contains("73306 trainable"), "{text}");
}

#[test]
fn info_json_is_machine_readable() {
    let text = stdout_of(&[
        "info",
        "-s",
        "nb201",
        ALL_CONV3,
        "--json",
        "--dataset",
        "cifar100",
    ]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // 100 classes: the linear layer grows by 64·90 weights + 90 biases.
    assert_eq!(v["features"]["params"], 1_531_546 + 64 * 90 + 90);
    assert_eq!(v["output_shape"], "100x1x1");
    assert_eq!(v["dataset"], "cifar100");
}

#[test]
fn info_accepts_a_benchmark_index() {
    let by_string = stdout_of(&["info", "-s", "nb201", ALL_CONV3, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&by_string).unwrap();
    let index = v["benchmark_index"].as_u64().unwrap().to_string();
    let by_index = stdout_of(&["info", "-s", "nb201", &format!("#{index}"), "--json"]);
    assert_eq!(by_string, by_index);
}

#[test]
fn info_rejects_bad_architectures_with_the_culprit_named() {
    let err = stderr_of_failure(&[
        "info",
        "-s",
        "nb201",
        "|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    ]);
    assert!(err.contains("nor_conv_5x5"), "{err}");
    let err = stderr_of_failure(&["info", "-s", "fbnet", "k3_e1-k3_e1"]);
    assert!(err.contains("22") && err.contains('2'), "{err}");
    let err = stderr_of_failure(&["info", "-s", "nb999", ALL_NONE]);
    assert!(err.contains("nb999"), "{err}");
    let err = stderr_of_failure(&["info", "-s", "fbnet", "#12"]);
    assert!(err.contains("only for nb201"), "{err}");
}

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

#[test]
fn export_arch_writes_a_model_tract_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net.onnx");
    let text = stdout_of(&[
        "export-arch",
        "-s",
        "nb201",
        ALL_NONE,
        "--out",
        out.to_str().unwrap(),
        "--seed",
        "7",
    ]);
    assert!(text.contains("73306 trainable"), "{text}");
    assert!(text.contains("output shape [1, 10]"), "{text}");
    let bytes = std::fs::read(&out).unwrap();
    let mut runner = latscope_model::ArchRunner::new(&bytes, 3).unwrap();
    assert_eq!(runner.run_random(1).unwrap().shape, [3, 10]);
    // Same seed, same bytes; an existing file is not overwritten without --force.
    let err = stderr_of_failure(&[
        "export-arch",
        "-s",
        "nb201",
        ALL_NONE,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("--force"), "{err}");
    let again = dir.path().join("again.onnx");
    stdout_of(&[
        "export-arch",
        "-s",
        "nb201",
        ALL_NONE,
        "-o",
        again.to_str().unwrap(),
        "--seed",
        "7",
        "--no-check",
    ]);
    assert_eq!(bytes, std::fs::read(&again).unwrap());
}

fn long_rows(path: &Path) -> Vec<latscope_shared::dataset::LatencyRecord> {
    latscope_shared::dataset::read_long_path(path).unwrap()
}

#[test]
fn measure_appends_resumes_and_shards_merge_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cpu.csv");
    let out_s = out.to_str().unwrap();
    let common = ["--warmup", "1", "--runs", "3", "--quiet"];
    let run = |extra: &[&str]| {
        let mut args = vec!["measure", "-s", "nb201"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&common);
        profiler(&args)
    };
    assert!(run(&["--random", "3", "--seed", "4", "-o", out_s])
        .status
        .success());
    let first = long_rows(&out);
    assert_eq!(first.len(), 3);
    for r in &first {
        assert_eq!(r.device, "cpu_fp32_b1");
        assert_eq!((r.batch, r.runs.is_some()), (Some(1), true));
        assert!(r.latency_ms > 0.0 && r.p10_ms.unwrap() <= r.p90_ms.unwrap());
    }
    // Extending the campaign keeps the 3 rows and adds 2.
    let again = run(&["--random", "5", "--seed", "4", "-o", out_s]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("2 measured, 3 already there"));
    let second = long_rows(&out);
    assert_eq!(&second[..3], &first[..]);
    assert_eq!(second.len(), 5);

    // Two shards of the same 5 archs merge into the same set of rows.
    let s0 = dir.path().join("s0.csv");
    let s1 = dir.path().join("s1.csv");
    for (shard, path) in [("0/2", &s0), ("1/2", &s1)] {
        let o = run(&[
            "--random",
            "5",
            "--seed",
            "4",
            "--shard",
            shard,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!((long_rows(&s0).len(), long_rows(&s1).len()), (3, 2));
    let merged = dir.path().join("merged.csv");
    stdout_of(&[
        "data",
        "merge",
        s0.to_str().unwrap(),
        s1.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
    ]);
    let mut a: Vec<String> = long_rows(&merged).into_iter().map(|r| r.arch).collect();
    let mut b: Vec<String> = second.into_iter().map(|r| r.arch).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // The same archs measured twice with different numbers do not merge.
    let err = stderr_of_failure(&[
        "data",
        "merge",
        s0.to_str().unwrap(),
        out_s,
        "-o",
        dir.path().join("x.csv").to_str().unwrap(),
    ]);
    assert!(err.contains("different values"), "{err}");
}

#[test]
fn measure_refuses_unclear_requests() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.csv");
    let err = stderr_of_failure(&[
        "measure",
        "-s",
        "fbnet",
        "--all",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("--random"), "{err}");
    let err = stderr_of_failure(&["measure", "-s", "nb201", "-o", out.to_str().unwrap()]);
    assert!(err.contains("choose what to measure"), "{err}");
    let err = stderr_of_failure(&[
        "measure",
        "-s",
        "nb201",
        "--all",
        "--shard",
        "2/2",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("i/n"), "{err}");
    assert!(!out.exists());
}

#[test]
fn measure_records_the_machine_and_samples_by_cost() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cpu.csv");
    let o = profiler(&[
        "measure",
        "-s",
        "nb201",
        "--stratified",
        "4",
        "--seed",
        "2",
        "--warmup",
        "1",
        "--runs",
        "3",
        "--quiet",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = long_rows(&out);
    assert_eq!(rows.len(), 4);
    assert!(rows
        .iter()
        .all(|r| r.source.as_deref() == Some("latscope-cpu(tract)")));
    let runs = std::fs::read_to_string(dir.path().join("cpu.csv.runs.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(runs.lines().next().unwrap()).unwrap();
    assert_eq!(line["device"], "cpu_fp32_b1");
    assert_eq!(line["backend"]["kind"], "cpu");
    assert!(line["backend"]["model"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(line["command"].to_string().contains("--stratified"));
}

#[test]
fn measure_check_reports_the_spread_of_repeated_campaigns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("check.csv");
    let text = stdout_of(&[
        "measure",
        "-s",
        "nb201",
        "--random",
        "3",
        "--seed",
        "1",
        "--check",
        "3",
        "--warmup",
        "1",
        "--runs",
        "3",
        "--quiet",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("run-to-run spread of the median"), "{text}");
    assert!(text.contains("3 architectures × 3 rounds"), "{text}");
    assert!(text.contains("| share ≤ 3 % |"), "{text}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count(), 1 + 9);
    assert!(csv
        .lines()
        .skip(1)
        .all(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap() > 0.0));
    // The medians file is not overwritten without --force.
    let err = stderr_of_failure(&[
        "measure",
        "-s",
        "nb201",
        "--random",
        "3",
        "--check",
        "2",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("exists"), "{err}");
    let err = stderr_of_failure(&["measure", "-s", "nb201", "--random", "3", "--check", "1"]);
    assert!(err.contains("at least 2 rounds"), "{err}");
}

#[test]
fn measure_cuda_without_a_gpu_says_what_is_missing_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gpu.csv");
    let o = profiler(&[
        "measure",
        "-s",
        "nb201",
        "--random",
        "2",
        "--backend",
        "cuda",
        "--runs",
        "3",
        "--quiet",
        "-o",
        out.to_str().unwrap(),
    ]);
    if o.status.success() {
        eprintln!("skipped: this machine has a usable GPU (the GPU tests cover it)");
        return;
    }
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the cuda backend cannot start"), "{err}");
    assert!(
        err.contains("is not installed")
            || err.contains("no CUDA GPU")
            || err.contains("cannot start"),
        "{err}"
    );
    assert!(!out.exists() && !dir.path().join("gpu.csv.runs.jsonl").exists());
    let err = stderr_of_failure(&[
        "measure",
        "-s",
        "nb201",
        "--random",
        "2",
        "--precision",
        "fp16",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        err.contains("--precision fp16 needs --backend cuda"),
        "{err}"
    );
    for (flag, value) in [("--timing", "graph"), ("--layout", "nhwc")] {
        let err = stderr_of_failure(&[
            "measure",
            "-s",
            "nb201",
            "--random",
            "2",
            flag,
            value,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(err.contains("needs --backend cuda"), "{flag}: {err}");
    }
    let err = stderr_of_failure(&[
        "measure",
        "-s",
        "nb201",
        "--random",
        "2",
        "--backend",
        "cuda",
        "--threads",
        "4",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("--threads is for --backend cpu"), "{err}");
    assert!(!out.exists());
}

#[test]
fn export_ir_writes_one_network_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("archs.txt");
    std::fs::write(&list, format!("{ALL_CONV3}\n# a comment\n{ALL_NONE}\n")).unwrap();
    let out = dir.path().join("nets.jsonl");
    stdout_of(&[
        "export-ir",
        "-s",
        "nb201",
        "--list",
        list.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["arch"], ALL_CONV3);
    let nodes = lines[0]["network"]["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["op"]["op"], "input");
    assert!(nodes.iter().any(|n| n["op"]["op"] == "conv2d"));
    let output = lines[0]["network"]["output"].as_u64().unwrap() as usize;
    assert_eq!(nodes[output]["shape"]["channels"], 10);
    let err = stderr_of_failure(&[
        "export-ir",
        "-s",
        "nb201",
        "--list",
        list.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("exists"), "{err}");
}

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
    for device in [
        "titan_rtx_256",
        "gold_6226",
        "fpga",
        "pixel2",
        "raspi4",
        "eyeriss",
    ] {
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
fn nb201_subset_file(dir: &Path, archs: &[usize], devices: &[&str]) -> PathBuf {
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

#[test]
fn train_then_adapt_to_an_unseen_device() {
    let dir = tempfile::tempdir().unwrap();
    let archs: Vec<usize> = (0..600).map(|i| i * 26).collect();
    let train = nb201_subset_file(dir.path(), &archs, &["1080ti_32", "pixel3", "silver_4114"]);
    let model = dir.path().join("p.onnx");
    let text = stdout_of(&[
        "train",
        "--data",
        train.to_str().unwrap(),
        "--epochs",
        "3",
        "--ensemble",
        "1",
        "--hidden",
        "32,16",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(
        text.contains("600 nb201 architectures × 3 devices"),
        "{text}"
    );
    // Never overwritten without --force.
    let err = stderr_of_failure(&[
        "train",
        "--data",
        train.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(err.contains("--force"), "{err}");

    // raspi4 was not trained on: 12 measured archs → every other one.
    let full =
        latscope_shared::dataset::read_wide_path(data("nb201_latency.csv.gz"), None).unwrap();
    let raspi = full.device_position("raspi4").unwrap();
    let mut samples = String::from("arch,latency_ms,notes\n");
    for a in (0..12).map(|i| i * 1301 + 5) {
        let ms = full.value(a, raspi).unwrap();
        samples.push_str(&format!("{},{ms},measured by hand\n", full.archs()[a]));
    }
    let samples_path = dir.path().join("mine.csv");
    std::fs::write(&samples_path, &samples).unwrap();
    let query: Vec<usize> = (0..full.n_archs())
        .filter(|a| a % 1301 != 5)
        .step_by(7)
        .collect();
    let query_text: String = query
        .iter()
        .map(|&a| format!("{}\n", full.archs()[a]))
        .collect();
    let query_path = dir.path().join("query.txt");
    std::fs::write(&query_path, query_text).unwrap();
    let out = dir.path().join("pred.csv");
    let text = stdout_of(&[
        "adapt",
        "--predictor",
        model.to_str().unwrap(),
        "--samples",
        samples_path.to_str().unwrap(),
        "--query",
        query_path.to_str().unwrap(),
        "--name",
        "my_pi",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("from 12 measured architectures"), "{text}");
    // The default adaptation is auto: it says which fit it chose and how
    // well each candidate predicted the samples left out.
    assert!(text.contains("(auto adaptation)"), "{text}");
    assert!(
        text.contains("fit: ")
            && text.contains("leave-one-out")
            && text.contains("candidates: blend"),
        "{text}"
    );
    let rows = long_rows(&out);
    assert_eq!(rows.len(), query.len());
    let truth: Vec<f64> = query
        .iter()
        .map(|&a| full.value(a, raspi).unwrap())
        .collect();
    let pred: Vec<f64> = rows.iter().map(|r| r.latency_ms).collect();
    assert!(rows.iter().all(|r| r.device == "my_pi"));
    let rho = latscope_shared::metrics::spearman(&truth, &pred).unwrap();
    // The FLOPs ranking alone gives 0.87 on raspi4; adaptation must not be worse by much.
    eprintln!("ρ on the unseen device: {rho:.3}");
    assert!(rho > 0.8, "ρ on the unseen device: {rho}");

    // The same device written into a predictor file predicts the same.
    let extended = dir.path().join("p_plus.onnx");
    let text = stdout_of(&[
        "export",
        "--predictor",
        model.to_str().unwrap(),
        "--add-device",
        &format!("my_pi={}", samples_path.display()),
        "-o",
        extended.to_str().unwrap(),
    ]);
    assert!(text.contains("3 trained, 1 adapted"), "{text}");
    let file =
        latscope_model::predictor_onnx::Predictor::from_bytes(&std::fs::read(&extended).unwrap())
            .unwrap();
    assert_eq!(file.meta().devices.last().unwrap(), "my_pi");
    let archs: Vec<_> = query.iter().map(|&a| full.archs()[a].clone()).collect();
    let from_file = file.predict_archs(&archs).unwrap().latency_ms;
    for (i, p) in pred.iter().enumerate() {
        let got = f64::from(from_file[[i, 3]]);
        assert!((got - p).abs() <= 1e-4 * p, "{got} vs {p}");
    }
    let err = stderr_of_failure(&[
        "export",
        "--predictor",
        extended.to_str().unwrap(),
        "--add-device",
        &format!("pixel3={}", samples_path.display()),
        "-o",
        dir.path().join("q.onnx").to_str().unwrap(),
    ]);
    assert!(err.contains("already a device"), "{err}");

    // Bad measurements are named by file, line and value.
    std::fs::write(
        &samples_path,
        format!("{samples}{},-3,typo\n", full.archs()[99]),
    )
    .unwrap();
    let err = stderr_of_failure(&[
        "adapt",
        "--predictor",
        model.to_str().unwrap(),
        "--samples",
        samples_path.to_str().unwrap(),
        "-o",
        dir.path().join("x.csv").to_str().unwrap(),
    ]);
    assert!(err.contains("line 14") && err.contains("\"-3\""), "{err}");
    // A file that is not a predictor.
    let err = stderr_of_failure(&[
        "adapt",
        "--predictor",
        samples_path.to_str().unwrap(),
        "--samples",
        samples_path.to_str().unwrap(),
        "-o",
        dir.path().join("y.csv").to_str().unwrap(),
    ]);
    assert!(err.contains("not an ONNX model"), "{err}");
}

#[test]
fn predict_prints_every_device_of_the_shipped_predictor() {
    let predictor = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/predictors/nb201.onnx");
    let predictor = predictor.to_str().unwrap();
    let text = stdout_of(&["predict", "--predictor", predictor, ALL_CONV3, ALL_NONE]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "arch,device,latency_ms");
    // 27 devices × 2 architectures.
    assert_eq!(lines.len(), 1 + 2 * 27, "{text}");
    let ms = |arch: &str, device: &str| -> f64 {
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("{arch},{device},")))
            .unwrap_or_else(|| panic!("no row for {device}"));
        row.rsplit(',').next().unwrap().parse().unwrap()
    };
    // The all-conv cell is much slower than the empty one on every GPU.
    assert!(ms(ALL_CONV3, "titan_rtx_256") > 3.0 * ms(ALL_NONE, "titan_rtx_256"));
    let err = stderr_of_failure(&["predict", "--predictor", predictor, "k3_e1"]);
    assert!(
        err.contains("architecture 1") && err.contains("k3_e1"),
        "{err}"
    );
}

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
