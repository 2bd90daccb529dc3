//! The plan is checked by running it: a plain CPU interpreter of the steps,
//! reading and writing the planned buffer slots, must give what tract gives
//! on the architecture's ONNX export. That catches a wrong BN fold, a wrong
//! fusion, a zero folded where it must not be, and a buffer reused while
//! its value is still to be read, without a GPU.

use super::*;
use crate::network::{export_network, export_network_bytes, ArchRunner, ExportOptions};
use crate::network::{initializer_f32, random_input};
use latscope_shared::space::{Dataset, SpaceId};
use std::path::Path;

fn act(v: f32, a: Option<Activation>) -> f32 {
    match a {
        None => v,
        Some(Activation::Relu) => v.max(0.0),
        Some(Activation::Relu6) => v.clamp(0.0, 6.0),
        Some(Activation::HSwish) => v * (v + 3.0).clamp(0.0, 6.0) / 6.0,
    }
}

/// Runs `plan` for one sample (NCHW) through its slots.
fn interpret(plan: &Plan, input: &[f32]) -> Vec<f32> {
    // NaN-filled slots: a step that reads a value nobody wrote spoils the
    // output instead of passing by reading zeros.
    let mut slots: Vec<Vec<f32>> = plan
        .slot_elements
        .iter()
        .map(|&n| vec![f32::NAN; n as usize])
        .collect();
    slots[plan.slot_of[&0]][..input.len()].copy_from_slice(input);
    for step in &plan.steps {
        let y = run_step(plan, &slots, step);
        let slot = plan.slot_of[&step.output()];
        slots[slot][..y.len()].copy_from_slice(&y);
    }
    read_output(plan, &slots)
}

/// Value `v` as its slot holds it now.
fn read_value(plan: &Plan, slots: &[Vec<f32>], v: NodeId) -> Vec<f32> {
    slots[plan.slot_of[&v]][..plan.shapes[v].elements() as usize].to_vec()
}

/// The value `step` writes, computed from what its inputs' slots hold.
fn run_step(plan: &Plan, slots: &[Vec<f32>], step: &Step) -> Vec<f32> {
    let shape = |v: NodeId| plan.shapes[v];
    let read = |v: NodeId| read_value(plan, slots, v);
    let out = step.output();
    match step {
        Step::Conv {
            input,
            geometry,
            weight,
            bias,
            act: a,
            ..
        } => conv(&read(*input), geometry, weight, bias, *a),
        Step::ChannelAffine {
            input,
            scale,
            shift,
            act: a,
            ..
        } => channel_affine(
            &read(*input),
            shape(out).positions() as usize,
            scale.as_deref(),
            shift.as_deref(),
            *a,
        ),
        Step::Pool {
            input,
            kind,
            kernel,
            stride,
            padding,
            ..
        } => pool(
            &read(*input),
            shape(*input),
            shape(out),
            *kind,
            *kernel,
            *stride,
            *padding,
        ),
        Step::GlobalAvgPool { input, .. } => {
            global_avg_pool(&read(*input), shape(*input).positions() as usize)
        }
        Step::Add { inputs, act: a, .. } => add(inputs.iter().map(|&i| read(i)), *a),
        Step::Linear {
            input,
            in_features,
            out_features,
            weight,
            bias,
            ..
        } => linear(
            &read(*input),
            *in_features,
            *out_features,
            weight,
            bias.as_deref(),
        ),
        Step::ChannelShuffle { input, groups, .. } => {
            channel_shuffle(&read(*input), shape(out), *groups)
        }
        Step::Zero { .. } => vec![0.0; shape(out).elements() as usize],
    }
}

/// `act(conv(x, weight) + bias)`, grouped, zero padding, OIHW weights.
fn conv(
    x: &[f32],
    g: &ConvGeometry,
    weight: &[f32],
    bias: &[f32],
    a: Option<Activation>,
) -> Vec<f32> {
    let (ci, co) = (g.input.channels, g.output.channels);
    let (ipg, opg) = (ci / g.groups, co / g.groups);
    let (h, w, oh, ow, k) = (
        g.input.height as isize,
        g.input.width as isize,
        g.output.height,
        g.output.width,
        g.kernel,
    );
    let mut y = vec![0.0; co * oh * ow];
    for o in 0..co {
        let group = o / opg;
        for oy in 0..oh {
            for ox in 0..ow {
                let mut sum = bias[o];
                for i in 0..ipg {
                    let c = group * ipg + i;
                    for ky in 0..k {
                        for kx in 0..k {
                            let iy = (oy * g.stride + ky) as isize - g.padding as isize;
                            let ix = (ox * g.stride + kx) as isize - g.padding as isize;
                            if iy < 0 || ix < 0 || iy >= h || ix >= w {
                                continue;
                            }
                            sum += weight[((o * ipg + i) * k + ky) * k + kx]
                                * x[(c * h as usize + iy as usize) * w as usize + ix as usize];
                        }
                    }
                }
                y[(o * oh + oy) * ow + ox] = act(sum, a);
            }
        }
    }
    y
}

/// `act(x · scale[c] + shift[c])` per channel of `hw` positions (no scale:
/// 1, no shift: 0).
fn channel_affine(
    x: &[f32],
    hw: usize,
    scale: Option<&[f32]>,
    shift: Option<&[f32]>,
    a: Option<Activation>,
) -> Vec<f32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = i / hw;
            let v = v * scale.map_or(1.0, |s| s[c]) + shift.map_or(0.0, |s| s[c]);
            act(v, a)
        })
        .collect()
}

/// Max or average pooling of `x` (shape `si`) into shape `so`; an average
/// counts the padding only with `count_include_pad`.
fn pool(
    x: &[f32],
    si: Shape,
    so: Shape,
    kind: PoolKind,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Vec<f32> {
    let mut y = vec![0.0; so.elements() as usize];
    for c in 0..so.channels {
        for oy in 0..so.height {
            for ox in 0..so.width {
                let (mut acc, mut count, mut max) = (0.0, 0, f32::NEG_INFINITY);
                for ky in 0..kernel {
                    for kx in 0..kernel {
                        let iy = (oy * stride + ky) as isize - padding as isize;
                        let ix = (ox * stride + kx) as isize - padding as isize;
                        let inside = iy >= 0
                            && ix >= 0
                            && (iy as usize) < si.height
                            && (ix as usize) < si.width;
                        if inside {
                            let v = x[(c * si.height + iy as usize) * si.width + ix as usize];
                            acc += v;
                            max = max.max(v);
                            count += 1;
                        } else if matches!(
                            kind,
                            PoolKind::Avg {
                                count_include_pad: true
                            }
                        ) {
                            count += 1;
                        }
                    }
                }
                y[(c * so.height + oy) * so.width + ox] = match kind {
                    PoolKind::Max => max,
                    PoolKind::Avg { .. } => acc / count as f32,
                };
            }
        }
    }
    y
}

/// Mean of each channel of `hw` positions.
fn global_avg_pool(x: &[f32], hw: usize) -> Vec<f32> {
    x.chunks(hw)
        .map(|c| c.iter().sum::<f32>() / hw as f32)
        .collect()
}

/// `act(sum of the inputs)`, added in order from the first.
fn add(mut inputs: impl Iterator<Item = Vec<f32>>, a: Option<Activation>) -> Vec<f32> {
    let mut sum = inputs.next().expect("an add has inputs");
    for v in inputs {
        sum.iter_mut().zip(v).for_each(|(s, v)| *s += v);
    }
    sum.into_iter().map(|v| act(v, a)).collect()
}

/// `weight · x + bias`, weight `[out, in]` row-major.
fn linear(
    x: &[f32],
    in_features: usize,
    out_features: usize,
    weight: &[f32],
    bias: Option<&[f32]>,
) -> Vec<f32> {
    (0..out_features)
        .map(|o| {
            let dot: f32 = (0..in_features)
                .map(|i| weight[o * in_features + i] * x[i])
                .sum();
            dot + bias.map_or(0.0, |b| b[o])
        })
        .collect()
}

/// ShuffleNet's channel shuffle into shape `s`: output channel `co` takes
/// input channel `(co % groups) · (channels / groups) + co / groups`.
fn channel_shuffle(x: &[f32], s: Shape, groups: usize) -> Vec<f32> {
    let (c, hw, per) = (s.channels, s.positions() as usize, s.channels / groups);
    let mut y = vec![0.0; x.len()];
    for co in 0..c {
        let ci = (co % groups) * per + co / groups;
        y[co * hw..(co + 1) * hw].copy_from_slice(&x[ci * hw..(ci + 1) * hw]);
    }
    y
}

fn read_output(plan: &Plan, slots: &[Vec<f32>]) -> Vec<f32> {
    let n = plan.shapes[plan.output].elements() as usize;
    slots[plan.slot_of[&plan.output]][..n].to_vec()
}

/// Every cell operation `nor_conv_3x3`: NB201's costliest cell.
const ALL_CONV3: &str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";

/// The NB201 network of `arch` on CIFAR-10.
fn nb201_cifar10(arch: &str) -> Network {
    SpaceId::Nb201
        .parse_arch(arch)
        .unwrap()
        .lower(Dataset::Cifar10)
        .unwrap()
}

/// How many IR nodes of `net` have an operation that `is` accepts.
fn ir_count(net: &Network, is: impl Fn(&Op) -> bool) -> usize {
    net.nodes.iter().filter(|n| is(&n.op)).count()
}

fn plan_of(net: &Network, seed: u64) -> Plan {
    let model = export_network(net, &ExportOptions::new(seed).with_batch(1)).unwrap();
    plan(net, &|name| initializer_f32(&model, name)).unwrap()
}

/// Plans `arch`, interprets the plan and compares with tract.
fn check_against_tract(space: SpaceId, arch: &str, dataset: Dataset) -> Plan {
    let net = space.parse_arch(arch).unwrap().lower(dataset).unwrap();
    let plan = plan_of(&net, 5);
    let bytes = export_network_bytes(&net, &ExportOptions::new(5).with_batch(1)).unwrap();
    let mut runner = ArchRunner::new(&bytes, 1).unwrap();
    let input = random_input(1, runner.input_len());
    let expected = runner.run(&input).unwrap().values;
    let got = interpret(&plan, &input);
    let scale = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let worst = expected
        .iter()
        .zip(&got)
        .map(|(e, g)| (e - g).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= 1e-4 * scale.max(1e-6),
        "{arch}: plan output differs from tract by {worst} (scale {scale})"
    );
    plan
}

#[test]
fn nb201_plans_compute_what_tract_computes() {
    for arch in [
        // Every op kind, a skip, and none edges.
        "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_3x3~2|",
        // Output fed only through pools and skips.
        "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|",
        // Output disconnected from the input: all zeros before the head.
        "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    ] {
        check_against_tract(SpaceId::Nb201, arch, Dataset::Cifar10);
    }
}

#[test]
fn random_nb201_and_fbnet_plans_compute_what_tract_computes() {
    let pool = crate::measure::selection::all(SpaceId::Nb201).unwrap();
    for arch in crate::measure::selection::random(&pool, 6, 21).unwrap() {
        check_against_tract(SpaceId::Nb201, &arch.to_string(), Dataset::Cifar10);
    }
    let fbnet = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/data/fbnet_latency.csv.gz");
    let pool = crate::measure::selection::from_dataset(SpaceId::Fbnet, &fbnet).unwrap();
    for arch in crate::measure::selection::random(&pool, 1, 21).unwrap() {
        check_against_tract(SpaceId::Fbnet, &arch.to_string(), Dataset::Cifar10);
    }
}

#[test]
fn fbnet_plans_compute_what_tract_computes() {
    // Grouped convs with channel shuffle, skips, residual adds.
    let arch = "k3_e1-k3_e1_g2-k5_e6-skip-k3_e3-k5_e1_g2-k3_e6-k5_e3-skip-k3_e1-k3_e1_g2-k5_e6-skip-k3_e3-k5_e1_g2-k3_e6-k5_e3-skip-k3_e1-k3_e1_g2-k5_e6-k3_e6";
    let plan = check_against_tract(SpaceId::Fbnet, arch, Dataset::Cifar10);
    let kinds: Vec<&str> = plan.steps.iter().map(Step::kind).collect();
    assert!(kinds.contains(&"channel_shuffle"));
    // conv → BN → ReLU chains become one step each: no BN is left standing
    // and some convs carry their activation.
    assert!(plan
        .steps
        .iter()
        .any(|s| matches!(s, Step::Conv { act: Some(_), .. })));
    assert!(!plan
        .steps
        .iter()
        .any(|s| matches!(s, Step::ChannelAffine { scale: Some(_), .. })));
}

#[test]
fn batch_norm_folds_into_the_conv_and_the_relu_is_computed_once() {
    let net = nb201_cifar10(ALL_CONV3);
    let plan = plan_of(&net, 1);
    let ir_convs = ir_count(&net, |op| matches!(op, Op::Conv2d { .. }));
    let convs = plan.steps.iter().filter(|s| s.kind() == "conv").count();
    assert_eq!(convs, ir_convs, "every conv is live here");
    let ir_bns = ir_count(&net, |op| matches!(op, Op::BatchNorm));
    let affine_bns = plan
        .steps
        .iter()
        .filter(|s| matches!(s, Step::ChannelAffine { scale: Some(_), .. }))
        .count();
    // Only batch-norms that do not follow a conv remain (NB201's last one).
    assert!(
        affine_bns < ir_bns && affine_bns <= 1,
        "{affine_bns} of {ir_bns} left"
    );
    // Each cell node is ReLU'd once however many edges leave it.
    let ir_relus = ir_count(&net, |op| matches!(op, Op::Activation { .. }));
    let relus = plan
        .steps
        .iter()
        .filter(|s| {
            matches!(
                s,
                Step::ChannelAffine {
                    act: Some(_),
                    scale: None,
                    ..
                }
            )
        })
        .count();
    assert!(
        relus < ir_relus,
        "{relus} ReLU steps for {ir_relus} IR ReLUs"
    );
}

#[test]
fn buffers_are_reused() {
    let net = nb201_cifar10(ALL_CONV3);
    let plan = plan_of(&net, 1);
    assert!(
        plan.slot_elements.len() * 4 < plan.steps.len(),
        "{} slots for {} steps",
        plan.slot_elements.len(),
        plan.steps.len()
    );
    // The planned memory is far below one buffer per IR node.
    let naive: u64 = net.nodes.iter().map(|n| n.shape.elements()).sum();
    assert!(plan.activation_elements(1) * 3 < naive);
}

#[test]
fn folding_scales_filters_and_shifts_biases() {
    // Two output channels of two weights each.
    let mut w = vec![1.0, 2.0, 3.0, 4.0];
    let mut b = vec![0.5, -1.0];
    fold_affine(&mut w, &mut b, &[2.0, 0.5], &[1.0, 3.0]);
    assert_eq!(w, [2.0, 4.0, 1.5, 2.0]);
    assert_eq!(b, [2.0, 2.5]);
}

#[test]
fn a_missing_weight_is_named() {
    let net = nb201_cifar10("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|");
    let err = plan(&net, &|_| None).unwrap_err().to_string();
    assert!(
        err.contains("has no float tensor") && err.contains(".weight"),
        "{err}"
    );
}
