//! Hand-computed checks of the cost features.

use super::*;
use crate::ir::{Activation, NetworkBuilder, Shape};
use crate::space::{Dataset, SpaceId};

/// 3×8×8 → conv3x3(16) → BN → ReLU → global pool → linear(10).
fn tiny() -> Network {
    let (mut b, x) = NetworkBuilder::new("tiny", Shape::new(3, 8, 8));
    let x = b.conv("conv", x, 16, 3, 1, 1);
    let x = b.batch_norm("bn", x);
    let x = b.activation("act", x, Activation::Relu);
    let x = b.push("gap", Op::GlobalAvgPool, &[x]);
    let x = b.linear("fc", x, 10, true);
    b.finish(x).unwrap()
}

#[test]
fn tiny_network_by_hand() {
    let f = cost_features(&tiny());
    // conv: 16·8·8 = 1024 outputs × 3·3·3 = 27 → 27_648; linear 16·10 = 160.
    assert_eq!(f.macs, 27_648 + 160);
    // conv 16·27 = 432, BN γβ 2·16 = 32, linear 160 + 10 bias = 170.
    assert_eq!(f.params, 432 + 32 + 170);
    // + BN running mean/var 32, × 4 bytes.
    assert_eq!(f.weight_bytes, (634 + 32) * 4);
    // Reads: conv 192, bn 1024, relu 1024, gap 1024, fc 16.
    assert_eq!(f.activation_bytes_read, (192 + 3 * 1024 + 16) * 4);
    // Writes: conv, bn, relu 1024 each, gap 16, fc 10.
    assert_eq!(f.activation_bytes_written, (3 * 1024 + 16 + 10) * 4);
    assert_eq!(f.max_activation_bytes, 1024 * 4);
    // conv+bn+relu, gap, linear.
    assert_eq!(f.kernels, 3);
    assert_eq!(f.kernel_counts["conv+bn+relu k3 s1 g1 ->16 @3x8x8"], 1);
    assert_eq!(f.op_kinds["batch_norm"], 1);
}

#[test]
fn shared_activation_is_not_fused() {
    // The BN output is read twice, so the ReLU cannot be its epilogue.
    let (mut b, x) = NetworkBuilder::new("branch", Shape::new(4, 4, 4));
    let c = b.conv("conv", x, 4, 1, 1, 1);
    let bn = b.batch_norm("bn", c);
    let r = b.relu("relu", bn);
    let s = b.sum("add", &[bn, r]);
    let net = b.finish(s).unwrap();
    let kernels = fuse_kernels(&net);
    let sigs: Vec<&str> = kernels.iter().map(|k| k.signature.as_str()).collect();
    assert_eq!(
        sigs,
        [
            "conv+bn k1 s1 g1 ->4 @4x4x4",
            "relu @4x4x4",
            "add @4x4x4,4x4x4"
        ]
    );
}

#[test]
fn grouped_conv_and_shuffle() {
    // 8 channels, 1x1 conv in 2 groups: each output reads 8/2 = 4 inputs.
    let (mut b, x) = NetworkBuilder::new("g", Shape::new(8, 2, 2));
    let c = b.conv("pw", x, 8, 1, 1, 2);
    let s = b.push("shuffle", Op::ChannelShuffle { groups: 2 }, &[c]);
    let d = b.conv("dw", s, 8, 3, 1, 8);
    let net = b.finish(d).unwrap();
    let f = cost_features(&net);
    // pw: 8 out ch × 4 in/group = 32 weights; 32 outputs × 4 = 128 MACs.
    // dw: 8 × 1 × 9 = 72 weights; 32 outputs × 9 = 288 MACs.
    assert_eq!(f.params, 32 + 72);
    assert_eq!(f.macs, 128 + 288);
    assert_eq!(f.op_kinds["group_conv"], 2);
    assert_eq!(f.kernels, 3);
}

fn nb201(arch: &str) -> CostFeatures {
    let net = SpaceId::Nb201
        .parse_arch(arch)
        .unwrap()
        .lower(Dataset::Cifar10)
        .unwrap();
    cost_features(&net)
}

const ALL_NONE: &str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
const ALL_CONV3: &str =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";

#[test]
fn nb201_all_none_matches_pytorch() {
    let f = nb201(ALL_NONE);
    // Stem: conv 3→16 (432) + BN (32) = 464.
    // Reduction 16→32: conv3x3 s2 16→32 (4608) + BN (64), conv3x3 32→32
    //   (9216) + BN (64), shortcut conv1x1 16→32 (512) = 14_464.
    // Reduction 32→64: 18_432 + 128 + 36_864 + 128 + 2_048 = 57_600.
    // Head: BN 64 (128) + linear 64·10 + 10 = 650.
    assert_eq!(f.params, 464 + 14_464 + 57_600 + 128 + 650);
    assert_eq!(f.params, 73_306);
    // MACs: stem 16·32·32·27 = 442_368; each reduction block
    //   2_359_296/2 + 2_359_296 + 131_072 = 3_670_016; linear 640.
    assert_eq!(f.macs, 442_368 + 2 * 3_670_016 + 640);
}

#[test]
fn nb201_all_conv3x3_matches_pytorch() {
    let f = nb201(ALL_CONV3);
    // Each edge is ReLU → conv3x3 C→C → BN: 9C² + 2C parameters. Six edges per
    // cell, five cells per stage: C=16: 6·(2304+32)=14_016; C=32: 55_680;
    // C=64: 221_952.
    let cells = 5 * (14_016 + 55_680 + 221_952);
    assert_eq!(f.params, 73_306 + cells);
    assert_eq!(f.params, 1_531_546);
    // Every edge conv costs C·HW·9C = 2_359_296 MACs at all three stages
    // (C doubles as HW quarters): 15 cells × 6 edges.
    assert_eq!(f.macs, 7_783_040 + 15 * 6 * 2_359_296);
}

#[test]
fn fusion_counts_nb201_kernels() {
    let f = nb201(ALL_CONV3);
    // Stem conv+bn; per cell 6 × (relu, conv+bn) + adds for nodes 2 and 3
    // (node 1 has a single edge); reductions: relu, conv+bn+relu (the second
    // ReLU becomes the first conv's epilogue), conv+bn, avg_pool, conv, add
    // = 6; head: bn, relu, gap, linear = 4.
    assert_eq!(f.kernels, 1 + 15 * (12 + 2) + 2 * 6 + 4);
}

/// The signature-free path the encodings use must agree field by field with
/// the full one on real architectures of both spaces (every 97th NB201 cell,
/// and FBNet's reference architectures).
#[test]
fn without_signatures_equals_the_full_features() {
    let mut archs: Vec<crate::space::Arch> = crate::space::nb201::Cell::all()
        .step_by(97)
        .map(crate::space::Arch::Nb201)
        .collect();
    // Lines are `<dataset index>\t<arch>`.
    for line in include_str!("../../../static/data/fbnet_reference_archs.txt").lines() {
        let arch = line.split('\t').next_back().unwrap();
        archs.push(SpaceId::Fbnet.parse_arch(arch).unwrap());
    }
    assert_eq!(archs.len(), 162 + 10);
    for arch in &archs {
        let net = arch.lower_default().unwrap();
        let full = cost_features(&net);
        let lean = cost_features_without_signatures(&net);
        assert!(lean.kernel_counts.is_empty());
        assert_eq!(
            CostFeatures {
                kernel_counts: full.kernel_counts.clone(),
                ..lean
            },
            full,
            "{arch}"
        );
    }
}
