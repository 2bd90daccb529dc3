//! Cross-checks exported models with the reference ONNX tooling: every model
//! must pass `onnx.checker.check_model(full_check=True)`, and onnxruntime's
//! output must equal tract's within 1e-4 relative to the output's scale.
//!
//! Needs a Python with `onnx`, `onnxruntime` and `numpy` (`$LATSCOPE_PYTHON`,
//! else `python3`); without one the test prints why and passes.

mod common;

use common::{fbnet, missing_python, nb201, python, ALL_CONV3, MIXED, ZERO_NODES};
use latscope_profiler::network::ArchRunner;
use latscope_profiler::network::{export_network_bytes, ExportOptions};
use latscope_shared::ir::{Activation, Network, NetworkBuilder, Op, Shape};
use latscope_shared::space::Dataset;
use std::path::Path;
use std::process::Command;

const CHECK: &str = r#"
import sys
import numpy as np, onnx, onnxruntime as ort
d = sys.argv[1]
ok = True
for case in sys.argv[2:]:
    name, ishape, oshape = case.split(";")
    ishape = [int(v) for v in ishape.split(",")]
    oshape = [int(v) for v in oshape.split(",")]
    path = f"{d}/{name}.onnx"
    onnx.checker.check_model(onnx.load(path), full_check=True)
    x = np.fromfile(f"{d}/{name}.input.bin", dtype="<f4").reshape(ishape)
    tract = np.fromfile(f"{d}/{name}.tract.bin", dtype="<f4").reshape(oshape)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    (y,) = sess.run(["output"], {"input": x})
    scale = max(1.0, float(np.abs(y).max()))
    err = float(np.abs(y.astype(np.float64) - tract).max()) if y.shape == tract.shape else float("inf")
    good = bool(np.isfinite(y).all()) and err / scale <= 1e-4
    ok &= good
    print(f"{'ok  ' if good else 'FAIL'} {name}: shape {list(y.shape)}, max|ort| {scale:.3e}, "
          f"max|ort - tract| {err:.3e}, relative {err / scale:.1e}")
print("onnx", onnx.__version__, "onnxruntime", ort.__version__)
sys.exit(0 if ok else 1)
"#;

/// Every IR op in one small network, including Linear -> 4-D ops.
fn op_zoo() -> Network {
    let (mut b, x) = NetworkBuilder::new("zoo", Shape::new(4, 9, 9));
    let c = b.push(
        "conv",
        Op::Conv2d {
            out_channels: 8,
            kernel: 3,
            stride: 2,
            padding: 1,
            groups: 2,
            bias: true,
        },
        &[x],
    );
    let n = b.batch_norm("bn", c);
    let r6 = b.activation("relu6", n, Activation::Relu6);
    let sh = b.push("shuffle", Op::ChannelShuffle { groups: 4 }, &[r6]);
    let hs = b.activation("hswish", sh, Activation::HSwish);
    let mp = b.push(
        "maxpool",
        Op::MaxPool {
            kernel: 3,
            stride: 1,
            padding: 1,
        },
        &[hs],
    );
    let ap = b.push(
        "avgpool",
        Op::AvgPool {
            kernel: 3,
            stride: 1,
            padding: 1,
            count_include_pad: false,
        },
        &[hs],
    );
    let z = b.push("zero", Op::Zero, &[hs]);
    let id = b.push("identity", Op::Identity, &[mp]);
    let s = b.sum("sum", &[id, ap, z]);
    let g = b.push("gap", Op::GlobalAvgPool, &[s]);
    let l1 = b.linear("fc1", g, 6, false);
    let bn2 = b.batch_norm("fc1.bn", l1);
    let r = b.relu("fc1.relu", bn2);
    let l2 = b.linear("fc2", r, 3, true);
    b.finish(l2).unwrap()
}

fn write_f32(path: &Path, values: &[f32]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

fn join(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn onnx_checker_and_onnxruntime_agree_with_tract() {
    if let Some(why) = missing_python() {
        latscope_shared::test_dependency::skip_or_fail(&format!(
            "the onnxruntime cross-check: {why}"
        ));
        return;
    }
    let cases: Vec<(&str, Network, usize, Option<usize>)> = vec![
        ("nb201_conv3_cifar10", nb201(ALL_CONV3, Dataset::Cifar10), 2, None),
        (
            "nb201_mixed_cifar100",
            nb201(MIXED, Dataset::Cifar100),
            2,
            Some(2),
        ),
        (
            "nb201_zero_nodes_imagenet16",
            nb201(ZERO_NODES, Dataset::ImageNet16_120),
            3,
            None,
        ),
        (
            "fbnet_mixed_cifar100",
            fbnet(
                "k3_e1-k3_e1_g2-skip-k5_e1_g2-k3_e6-k5_e3-skip-k3_e1_g2-k5_e6-k3_e3-skip-k5_e1-k3_e1_g2-k5_e1_g2-skip-k3_e6-k5_e6-k3_e1-skip-k5_e1_g2-k3_e3-k3_e1_g2",
                Dataset::Cifar100,
            ),
            2,
            None,
        ),
        ("op_zoo", op_zoo(), 2, None),
    ];
    let dir = std::env::temp_dir().join(format!("latscope-onnxruntime-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec![
        "-c".to_string(),
        CHECK.to_string(),
        dir.display().to_string(),
    ];
    for (name, net, batch, fixed) in &cases {
        let opts = ExportOptions {
            seed: 5,
            batch: *fixed,
        };
        let bytes = export_network_bytes(net, &opts).unwrap();
        std::fs::write(dir.join(format!("{name}.onnx")), &bytes).unwrap();
        let mut runner = ArchRunner::new(&bytes, *batch).unwrap();
        let input = runner.random_input(3);
        let out = runner.run(&input).unwrap();
        write_f32(&dir.join(format!("{name}.input.bin")), &input);
        write_f32(&dir.join(format!("{name}.tract.bin")), &out.values);
        args.push(format!(
            "{name};{};{}",
            join(&runner.input_shape()),
            join(&out.shape)
        ));
    }
    let result = Command::new(python()).args(&args).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&result.stdout);
    println!("{stdout}");
    assert!(
        result.status.success(),
        "onnx/onnxruntime check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
}
