//! `profiler info`, `export-arch` and `export-ir`: an architecture's
//! summary, its ONNX network and its layer-level IR.

mod common;

use common::{stderr_of_failure, stdout_of, ALL_CONV3, ALL_NONE};

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
    assert!(err.contains("fbnet has no benchmark indices"), "{err}");
}

#[test]
fn export_arch_writes_a_model_tract_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net.onnx");
    let args = [
        "export-arch",
        "-s",
        "nb201",
        ALL_NONE,
        "--out",
        out.to_str().unwrap(),
    ];
    let text = stdout_of(&[&args[..], &["--seed", "7"]].concat());
    assert!(text.contains("73306 trainable"), "{text}");
    assert!(text.contains("output shape [1, 10]"), "{text}");
    let bytes = std::fs::read(&out).unwrap();
    let mut runner = latscope_profiler::network::ArchRunner::new(&bytes, 3).unwrap();
    assert_eq!(runner.run_random(1).unwrap().shape, [3, 10]);
    // Same seed, same bytes; an existing file is not overwritten without --force.
    let err = stderr_of_failure(&args);
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

#[test]
fn export_ir_writes_one_network_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("archs.txt");
    std::fs::write(&list, format!("{ALL_CONV3}\n# a comment\n{ALL_NONE}\n")).unwrap();
    let out = dir.path().join("nets.jsonl");
    let args = [
        "export-ir",
        "-s",
        "nb201",
        "--list",
        list.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    stdout_of(&args);
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
    // The same command again: the output is not overwritten.
    let err = stderr_of_failure(&args);
    assert!(err.contains("exists"), "{err}");
}
