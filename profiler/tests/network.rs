//! Exported architectures run through tract: shapes, parameter counts,
//! determinism, and the semantics of each op on tiny hand-built networks
//! checked against independent reference computations.

mod common;

use common::{nb201, ALL_CONV3, ALL_NONE, MIXED, ZERO_NODES};
use latscope_profiler::network::{export_network, initializer_f32, parameter_count, ExportOptions};
use latscope_profiler::network::{export_network_bytes, ArchRunner, RunOutput, RunnerOptions};
use latscope_shared::ir::{Activation, Network, NetworkBuilder, Op, Shape};
use latscope_shared::space::Dataset;

fn fbnet(layers: &[&str], dataset: Dataset) -> Network {
    assert_eq!(layers.len(), 22);
    common::fbnet(&layers.join("-"), dataset)
}

/// Exports with a symbolic batch and runs a seeded input at `batch`.
fn run_arch(net: &Network, batch: usize) -> RunOutput {
    let bytes = export_network_bytes(net, &ExportOptions::new(42)).unwrap();
    let mut runner = ArchRunner::new(&bytes, batch).unwrap();
    runner.run_random(7).unwrap()
}

fn assert_logits(out: &RunOutput, batch: usize, classes: usize) {
    assert_eq!(out.shape, [batch, classes]);
    assert_eq!(out.values.len(), batch * classes);
    assert!(
        out.values.iter().all(|v| v.is_finite()),
        "non-finite logits: {:?}",
        out.values
    );
}

// ---------------------------------------------------------------------------
// Whole architectures.

#[test]
fn nb201_all_conv3x3_cifar10_runs_and_has_pytorch_parameter_count() {
    let net = nb201(ALL_CONV3, Dataset::Cifar10);
    let model = export_network(&net, &ExportOptions::new(0)).unwrap();
    assert_eq!(parameter_count(&model).trainable, 1_531_546);
    let out = run_arch(&net, 2);
    assert_logits(&out, 2, 10);
    // Two different samples give different logits.
    assert_ne!(out.values[..10], out.values[10..]);
}

#[test]
fn nb201_all_none_cifar10_runs_and_has_pytorch_parameter_count() {
    let net = nb201(ALL_NONE, Dataset::Cifar10);
    let model = export_network(&net, &ExportOptions::new(0)).unwrap();
    assert_eq!(parameter_count(&model).trainable, 73_306);
    assert_logits(&run_arch(&net, 3), 3, 10);
}

#[test]
fn nb201_mixed_and_zero_node_cells_run() {
    assert_logits(&run_arch(&nb201(MIXED, Dataset::Cifar10), 2), 2, 10);
    assert_logits(&run_arch(&nb201(ZERO_NODES, Dataset::Cifar10), 1), 1, 10);
}

#[test]
fn nb201_cifar100_and_imagenet16_120_have_their_class_counts() {
    assert_logits(&run_arch(&nb201(MIXED, Dataset::Cifar100), 2), 2, 100);
    let net = nb201(ALL_CONV3, Dataset::ImageNet16_120);
    assert_eq!(net.input_shape(), Shape::new(3, 16, 16));
    assert_logits(&run_arch(&net, 2), 2, 120);
}

#[test]
fn fbnet_with_grouped_blocks_and_skips_runs_on_cifar100() {
    let layers = [
        "k3_e1", "k3_e1_g2", "skip", "k5_e1_g2", "k3_e6", "k5_e3", "skip", "k3_e1_g2", "k5_e6",
        "k3_e3", "skip", "k5_e1", "k3_e1_g2", "k5_e1_g2", "skip", "k3_e6", "k5_e6", "k3_e1",
        "skip", "k5_e1_g2", "k3_e3", "k3_e1_g2",
    ];
    assert_logits(&run_arch(&fbnet(&layers, Dataset::Cifar100), 2), 2, 100);
}

#[test]
fn fbnet_all_skip_and_all_grouped_run_on_cifar10() {
    assert_logits(&run_arch(&fbnet(&["skip"; 22], Dataset::Cifar10), 1), 1, 10);
    assert_logits(
        &run_arch(&fbnet(&["k5_e1_g2"; 22], Dataset::Cifar10), 1),
        1,
        10,
    );
}

#[test]
fn fbnet_imagenet_runs_at_224() {
    let layers = [
        "k3_e3", "k3_e1_g2", "skip", "k5_e1", "k3_e1", "skip", "k5_e3", "k3_e1_g2", "skip",
        "k3_e1", "k5_e1_g2", "skip", "k3_e3", "k3_e1", "skip", "k5_e1", "k3_e1_g2", "skip",
        "k3_e1", "k5_e1", "skip", "k3_e1",
    ];
    let net = fbnet(&layers, Dataset::ImageNet);
    assert_eq!(net.input_shape(), Shape::new(3, 224, 224));
    assert_logits(&run_arch(&net, 1), 1, 1000);
}

// ---------------------------------------------------------------------------
// Batch handling and determinism.

#[test]
fn symbolic_batch_model_runs_at_any_batch_with_per_sample_consistency() {
    let net = nb201(MIXED, Dataset::Cifar10);
    let bytes = export_network_bytes(&net, &ExportOptions::new(3)).unwrap();
    let mut one = ArchRunner::new(&bytes, 1).unwrap();
    let mut four = ArchRunner::new(&bytes, 4).unwrap();
    assert_eq!(four.input_shape(), [4, 3, 32, 32]);
    assert_eq!(four.output_shape(), [4, 10]);
    let input = four.random_input(11);
    let batched = four.run(&input).unwrap();
    let per_sample = input.len() / 4;
    for s in 0..4 {
        let single = one
            .run(&input[s * per_sample..(s + 1) * per_sample])
            .unwrap();
        assert_close(&single.values, &batched.values[s * 10..(s + 1) * 10], 1e-4);
    }
}

#[test]
fn fixed_batch_model_runs_only_at_its_batch() {
    let net = nb201(ALL_NONE, Dataset::Cifar10);
    let bytes = export_network_bytes(&net, &ExportOptions::new(3).with_batch(2)).unwrap();
    assert_logits(
        &ArchRunner::new(&bytes, 2).unwrap().run_random(0).unwrap(),
        2,
        10,
    );
    let err = ArchRunner::new(&bytes, 3).unwrap_err().to_string();
    assert!(err.contains("fixed at 2"), "{err}");
}

#[test]
fn runs_are_repeatable_and_loaded_input_runs() {
    let net = nb201(MIXED, Dataset::Cifar10);
    let bytes = export_network_bytes(&net, &ExportOptions::new(1)).unwrap();
    let mut runner = ArchRunner::new(&bytes, 2).unwrap();
    let a = runner.run_random(5).unwrap();
    let b = runner.run_random(5).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, runner.run_random(6).unwrap());
    runner.load_input(&runner.random_input(5)).unwrap();
    for _ in 0..3 {
        runner.run_loaded().unwrap();
    }
    let err = runner.run(&[0.0; 5]).unwrap_err().to_string();
    assert!(err.contains("expected 6144 floats"), "{err}");
}

#[test]
fn threaded_runner_gives_the_same_logits() {
    let net = nb201(ALL_CONV3, Dataset::Cifar10);
    let bytes = export_network_bytes(&net, &ExportOptions::new(2)).unwrap();
    let single = ArchRunner::new(&bytes, 2).unwrap().run_random(1).unwrap();
    let opts = RunnerOptions { threads: Some(2) };
    let threaded = ArchRunner::with_options(&bytes, 2, &opts)
        .unwrap()
        .run_random(1)
        .unwrap();
    assert_close(&single.values, &threaded.values, 1e-4);
}

#[test]
fn same_seed_same_bytes_and_outputs_different_seed_different_weights() {
    let net = nb201(ALL_CONV3, Dataset::Cifar10);
    let a = export_network_bytes(&net, &ExportOptions::new(9)).unwrap();
    assert_eq!(
        a,
        export_network_bytes(&net, &ExportOptions::new(9)).unwrap()
    );
    let b = export_network_bytes(&net, &ExportOptions::new(10)).unwrap();
    assert_ne!(a, b);
    let ma = export_network(&net, &ExportOptions::new(9)).unwrap();
    let mb = export_network(&net, &ExportOptions::new(10)).unwrap();
    // Only values differ: same nodes, same initializer names and shapes.
    let (ga, gb) = (ma.graph.as_ref().unwrap(), mb.graph.as_ref().unwrap());
    assert_eq!(ga.node, gb.node);
    let layout = |g: &latscope_profiler::network::pb::GraphProto| {
        g.initializer
            .iter()
            .map(|t| (t.name.clone(), t.dims.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(layout(ga), layout(gb));
    assert_ne!(
        initializer_f32(&ma, "stem.conv.weight"),
        initializer_f32(&mb, "stem.conv.weight")
    );
    let out_a = ArchRunner::new(&a, 1).unwrap().run_random(0).unwrap();
    let out_b = ArchRunner::new(&b, 1).unwrap().run_random(0).unwrap();
    assert_ne!(out_a, out_b);
}

#[test]
fn a_layers_weights_do_not_depend_on_the_rest_of_the_network() {
    let a = export_network(&nb201(ALL_CONV3, Dataset::Cifar10), &ExportOptions::new(4)).unwrap();
    let b = export_network(&nb201(MIXED, Dataset::Cifar100), &ExportOptions::new(4)).unwrap();
    for name in [
        "stem.conv.weight",
        "stem.bn.weight",
        "stage1.reduce.conv_a.conv.weight",
    ] {
        assert_eq!(
            initializer_f32(&a, name),
            initializer_f32(&b, name),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------
// Op semantics on tiny networks, against reference computations.

fn assert_close(actual: &[f32], expected: &[f32], tol: f32) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "element {i}: got {a}, expected {e}\nactual   {actual:?}\nexpected {expected:?}"
        );
    }
}

/// Exports `net` (seed 1) and runs `input` (batch inferred from its length).
fn run_tiny(
    net: &Network,
    input: &[f32],
) -> (latscope_profiler::network::pb::ModelProto, RunOutput) {
    let model = export_network(net, &ExportOptions::new(1)).unwrap();
    let bytes = prost::Message::encode_to_vec(&model);
    let batch = input.len() / net.input_shape().elements() as usize;
    let out = ArchRunner::new(&bytes, batch).unwrap().run(input).unwrap();
    (model, out)
}

fn arange(n: usize) -> Vec<f32> {
    (0..n).map(|i| i as f32).collect()
}

/// Reference NCHW convolution with symmetric zero padding and groups.
#[allow(clippy::too_many_arguments)]
fn conv_ref(
    x: &[f32],
    s: Shape,
    w: &[f32],
    bias: Option<&[f32]>,
    out_c: usize,
    k: usize,
    stride: usize,
    pad: usize,
    groups: usize,
) -> Vec<f32> {
    let (cin_g, cout_g) = (s.channels / groups, out_c / groups);
    let oh = (s.height + 2 * pad - k) / stride + 1;
    let ow = (s.width + 2 * pad - k) / stride + 1;
    let mut y = vec![0.0; out_c * oh * ow];
    for o in 0..out_c {
        let g = o / cout_g;
        for i in 0..oh {
            for j in 0..ow {
                let mut acc = bias.map_or(0.0, |b| b[o]);
                for ci in 0..cin_g {
                    let c = g * cin_g + ci;
                    for ki in 0..k {
                        for kj in 0..k {
                            let (r, q) = (
                                (i * stride + ki) as isize - pad as isize,
                                (j * stride + kj) as isize - pad as isize,
                            );
                            if r < 0 || q < 0 || r >= s.height as isize || q >= s.width as isize {
                                continue;
                            }
                            let xv = x[(c * s.height + r as usize) * s.width + q as usize];
                            acc += xv * w[((o * cin_g + ci) * k + ki) * k + kj];
                        }
                    }
                }
                y[(o * oh + i) * ow + j] = acc;
            }
        }
    }
    y
}

#[test]
fn conv_1x1_with_bias_matches_the_exported_weights() {
    let s = Shape::new(3, 4, 4);
    let (mut b, x) = NetworkBuilder::new("conv1x1", s);
    let op = Op::Conv2d {
        out_channels: 5,
        kernel: 1,
        stride: 1,
        padding: 0,
        groups: 1,
        bias: true,
    };
    let c = b.push("c", op, &[x]);
    let net = b.finish(c).unwrap();
    let input: Vec<f32> = arange(48).iter().map(|v| (v - 20.0) / 10.0).collect();
    let (model, out) = run_tiny(&net, &input);
    let w = initializer_f32(&model, "c.weight").unwrap();
    let bias = initializer_f32(&model, "c.bias").unwrap();
    assert_eq!(w.len(), 15);
    assert_eq!(out.shape, [1, 5 * 16]);
    let mut expected = vec![0.0; 80];
    for o in 0..5 {
        for p in 0..16 {
            expected[o * 16 + p] = bias[o]
                + (0..3)
                    .map(|c| w[o * 3 + c] * input[c * 16 + p])
                    .sum::<f32>();
        }
    }
    assert_close(&out.values, &expected, 1e-5);
}

#[test]
fn grouped_strided_padded_conv_matches_reference() {
    let s = Shape::new(4, 5, 5);
    let (mut b, x) = NetworkBuilder::new("gconv", s);
    let op = Op::Conv2d {
        out_channels: 6,
        kernel: 3,
        stride: 2,
        padding: 1,
        groups: 2,
        bias: false,
    };
    let c = b.push("g", op, &[x]);
    let net = b.finish(c).unwrap();
    let input: Vec<f32> = (0..2 * 100)
        .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
        .collect();
    let (model, out) = run_tiny(&net, &input);
    let w = initializer_f32(&model, "g.weight").unwrap();
    assert_eq!(w.len(), 6 * 2 * 9);
    assert_eq!(out.shape, [2, 6 * 3 * 3]);
    let mut expected = conv_ref(&input[..100], s, &w, None, 6, 3, 2, 1, 2);
    expected.extend(conv_ref(&input[100..], s, &w, None, 6, 3, 2, 1, 2));
    assert_close(&out.values, &expected, 1e-5);
}

#[test]
fn channel_shuffle_permutes_channels_like_shufflenet() {
    let s = Shape::new(6, 2, 2);
    let (mut b, x) = NetworkBuilder::new("shuffle", s);
    let sh = b.push("sh", Op::ChannelShuffle { groups: 2 }, &[x]);
    let net = b.finish(sh).unwrap();
    let input = arange(2 * 24); // batch 2
    let (_, out) = run_tiny(&net, &input);
    // (g=2, C/g=3) transposed: new channel i*2+g reads old channel g*3+i.
    let order = [0, 3, 1, 4, 2, 5];
    let mut expected = Vec::new();
    for n in 0..2 {
        for &c in &order {
            expected.extend((0..4).map(|p| (n * 24 + c * 4 + p) as f32));
        }
    }
    assert_eq!(out.values, expected);
}

#[test]
fn zero_node_gives_zeros_and_adds_nothing() {
    let (mut b, x) = NetworkBuilder::new("zero", Shape::new(2, 3, 3));
    let z = b.push("z", Op::Zero, &[x]);
    let s = b.sum("s", &[x, z]);
    let net = b.finish(s).unwrap();
    let input: Vec<f32> = arange(18).iter().map(|v| v - 9.0).collect();
    assert_eq!(run_tiny(&net, &input).1.values, input);
    let (mut b, x) = NetworkBuilder::new("zero_out", Shape::new(2, 3, 3));
    let z = b.push("z", Op::Zero, &[x]);
    let net = b.finish(z).unwrap();
    assert_eq!(run_tiny(&net, &input).1.values, vec![0.0; 18]);
}

fn pool_net(count_include_pad: bool) -> Network {
    let (mut b, x) = NetworkBuilder::new("pool", Shape::new(1, 3, 3));
    let op = Op::AvgPool {
        kernel: 3,
        stride: 1,
        padding: 1,
        count_include_pad,
    };
    let p = b.push("p", op, &[x]);
    b.finish(p).unwrap()
}

#[test]
fn avg_pool_count_include_pad_on_the_border() {
    let input = arange(9); // 0 1 2 / 3 4 5 / 6 7 8
                           // Excluding padding: the corner averages its 4 real neighbours, an edge
                           // its 6, the centre all 9.
    let excl = run_tiny(&pool_net(false), &input).1.values;
    let expected_excl = [
        (0. + 1. + 3. + 4.) / 4.,
        (0. + 1. + 2. + 3. + 4. + 5.) / 6.,
        (1. + 2. + 4. + 5.) / 4.,
        (0. + 1. + 3. + 4. + 6. + 7.) / 6.,
        36. / 9.,
        (1. + 2. + 4. + 5. + 7. + 8.) / 6.,
        (3. + 4. + 6. + 7.) / 4.,
        (3. + 4. + 5. + 6. + 7. + 8.) / 6.,
        (4. + 5. + 7. + 8.) / 4.,
    ];
    assert_close(&excl, &expected_excl, 1e-6);
    // Including padding: always divide by 9.
    let incl = run_tiny(&pool_net(true), &input).1.values;
    assert_close(&incl[..2], &[8. / 9., 15. / 9.], 1e-6);
    assert_close(&incl[4..5], &[4.0], 1e-6);
}

#[test]
fn max_pool_ignores_padding_even_for_negative_inputs() {
    let (mut b, x) = NetworkBuilder::new("maxpool", Shape::new(1, 2, 2));
    let op = Op::MaxPool {
        kernel: 3,
        stride: 2,
        padding: 1,
    };
    let p = b.push("p", op, &[x]);
    let net = b.finish(p).unwrap();
    let out = run_tiny(&net, &[-4.0, -3.0, -2.0, -1.5]).1;
    assert_eq!(out.shape, [1, 1]);
    assert_eq!(out.values, [-1.5]);
}

#[test]
fn batch_norm_uses_the_exported_statistics() {
    let (mut b, x) = NetworkBuilder::new("bn", Shape::new(3, 1, 2));
    let n = b.batch_norm("bn", x);
    let net = b.finish(n).unwrap();
    let input = [1.0, -2.0, 0.5, 3.0, -1.0, 0.0];
    let (model, out) = run_tiny(&net, &input);
    let get = |s: &str| initializer_f32(&model, &format!("bn.{s}")).unwrap();
    let (g, beta, mean, var) = (
        get("weight"),
        get("bias"),
        get("running_mean"),
        get("running_var"),
    );
    let expected: Vec<f32> = input
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = i / 2;
            g[c] * (v - mean[c]) / (var[c] + 1e-5).sqrt() + beta[c]
        })
        .collect();
    assert_close(&out.values, &expected, 1e-5);
}

#[test]
fn activations_match_their_definitions() {
    let input: Vec<f32> = (-16..16).map(|i| i as f32 / 2.0).collect(); // -8 .. 7.5
    for (kind, f) in [
        (Activation::Relu, (|x: f32| x.max(0.0)) as fn(f32) -> f32),
        (Activation::Relu6, |x: f32| x.clamp(0.0, 6.0)),
        (Activation::HSwish, |x: f32| {
            x * (x + 3.0).clamp(0.0, 6.0) / 6.0
        }),
    ] {
        let (mut b, x) = NetworkBuilder::new("act", Shape::new(2, 4, 4));
        let a = b.activation("a", x, kind);
        let net = b.finish(a).unwrap();
        let out = run_tiny(&net, &input).1;
        let expected: Vec<f32> = input.iter().map(|&x| f(x)).collect();
        assert_close(&out.values, &expected, 1e-6);
    }
}

#[test]
fn global_pool_linear_head_matches_reference() {
    let s = Shape::new(3, 2, 2);
    let (mut b, x) = NetworkBuilder::new("head", s);
    let g = b.push("gap", Op::GlobalAvgPool, &[x]);
    let l = b.linear("fc", g, 4, true);
    let net = b.finish(l).unwrap();
    let input: Vec<f32> = arange(24).iter().map(|v| v / 5.0 - 1.0).collect(); // batch 2
    let (model, out) = run_tiny(&net, &input);
    let (w, bias) = (
        initializer_f32(&model, "fc.weight").unwrap(),
        initializer_f32(&model, "fc.bias").unwrap(),
    );
    let mut expected = Vec::new();
    for n in 0..2 {
        let means: Vec<f32> = (0..3)
            .map(|c| {
                input[n * 12 + c * 4..n * 12 + c * 4 + 4]
                    .iter()
                    .sum::<f32>()
                    / 4.0
            })
            .collect();
        for o in 0..4 {
            expected.push(bias[o] + (0..3).map(|c| w[o * 3 + c] * means[c]).sum::<f32>());
        }
    }
    assert_eq!(out.shape, [2, 4]);
    assert_close(&out.values, &expected, 1e-5);
}

#[test]
fn linear_then_4d_ops_round_trip_through_unsqueeze() {
    // Linear -> BN (needs 4-D) -> Linear: [N, C] -> [N, C, 1, 1] -> [N, C].
    let (mut b, x) = NetworkBuilder::new("mlp", Shape::new(2, 1, 1));
    let l1 = b.linear("l1", x, 3, false);
    let n = b.batch_norm("bn", l1);
    let r = b.activation("r", n, Activation::HSwish);
    let l2 = b.linear("l2", r, 2, false);
    let net = b.finish(l2).unwrap();
    let input = [0.5, -1.5];
    let (model, out) = run_tiny(&net, &input);
    let get = |s: &str| initializer_f32(&model, s).unwrap();
    let (w1, w2) = (get("l1.weight"), get("l2.weight"));
    let (g, beta, mean, var) = (
        get("bn.weight"),
        get("bn.bias"),
        get("bn.running_mean"),
        get("bn.running_var"),
    );
    let h: Vec<f32> = (0..3)
        .map(|o| {
            let z = w1[o * 2] * input[0] + w1[o * 2 + 1] * input[1];
            let y = g[o] * (z - mean[o]) / (var[o] + 1e-5).sqrt() + beta[o];
            y * (y + 3.0).clamp(0.0, 6.0) / 6.0
        })
        .collect();
    let expected: Vec<f32> = (0..2)
        .map(|o| (0..3).map(|c| w2[o * 3 + c] * h[c]).sum())
        .collect();
    assert_eq!(out.shape, [1, 2]);
    assert_close(&out.values, &expected, 1e-5);
}

#[test]
fn an_architecture_export_is_refused_as_a_predictor_for_what_it_is() {
    let net = nb201(MIXED, Dataset::Cifar10);
    let bytes = export_network_bytes(&net, &ExportOptions::new(0)).unwrap();
    let Err(err) = latscope_model::predictor_onnx::Predictor::from_bytes(&bytes) else {
        panic!("an architecture file loaded as a predictor");
    };
    let err = err.to_string();
    assert!(err.contains("architecture model"), "{err}");
}
