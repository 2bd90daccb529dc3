//! Cost features of a lowered network: the hardware-independent quantities
//! (work, parameters, memory traffic, kernel launches) that latency depends
//! on. What each field counts is stated on the field and in the README.
//!
//! All counts are for **one input image** (batch 1) and **fp32** tensors;
//! multiply by the batch size for activation quantities at larger batches.

mod fusion;

pub use fusion::{fuse_groups, fuse_kernels, Kernel};

use crate::ir::{Network, Node, Op, Shape};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bytes per fp32 value.
const F32_BYTES: u64 = 4;

/// Cost features of one network. Serialises to JSON with these field names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostFeatures {
    /// Multiply-accumulates of convolution and linear layers:
    /// conv = output elements × (C_in / groups) × k²; linear = in × out.
    /// Biases, batch-norm, activations, pooling and adds are not counted.
    /// This is the "FLOPs" of NAS-Bench-201 and most NAS papers (which count
    /// one multiply-add as one FLOP); divide by 1e6 for MFLOPs.
    pub macs: u64,
    /// Trainable parameters exactly as PyTorch's `sum(p.numel())` counts
    /// them: conv weights (+ bias), batch-norm γ and β (2 per channel), linear
    /// weights + bias. Batch-norm running statistics are buffers, not
    /// parameters.
    pub params: u64,
    /// Size of everything an fp32 inference model stores: parameters plus
    /// batch-norm running mean and variance (2 per channel), × 4 bytes.
    pub weight_bytes: u64,
    /// fp32 bytes of activations read, summed over every executed IR node
    /// (no fusion; a node reading k inputs reads all k). Identity edges read
    /// nothing; a zero node reads nothing.
    pub activation_bytes_read: u64,
    /// fp32 bytes of activations written, summed over every executed IR node
    /// (no fusion); identities write nothing.
    pub activation_bytes_written: u64,
    /// Largest single activation tensor, in fp32 bytes (peak-memory proxy).
    pub max_activation_bytes: u64,
    /// Kernels launched after folding batch-norm into the preceding conv and
    /// fusing the following activation (see [`fuse_kernels`]).
    pub kernels: u64,
    /// IR nodes per operator kind (`conv`, `group_conv`, `batch_norm`, `relu`,
    /// `avg_pool`, `add`, …); free nodes (input, identity) are counted too.
    pub op_kinds: BTreeMap<String, u64>,
    /// Fused kernels per signature (kinds, parameters, input shape), the
    /// lookup-table keys an operator-level latency predictor sums over.
    pub kernel_counts: BTreeMap<String, u64>,
}

impl CostFeatures {
    /// MACs in millions (NAS-Bench-201's `flops` unit).
    pub fn mflops(&self) -> f64 {
        self.macs as f64 / 1e6
    }

    /// Parameters in millions (NAS-Bench-201's `params` unit, "MB").
    pub fn mparams(&self) -> f64 {
        self.params as f64 / 1e6
    }
}

/// Per-node costs, summed into [`CostFeatures`].
#[derive(Default)]
struct NodeCost {
    macs: u64,
    params: u64,
    buffers: u64,
    elements_read: u64,
    elements_written: u64,
}

fn node_cost(node: &Node, inputs: &[Shape]) -> NodeCost {
    let out = node.shape.elements();
    let read: u64 = inputs.iter().map(Shape::elements).sum();
    let mut cost = NodeCost {
        elements_read: read,
        elements_written: out,
        ..NodeCost::default()
    };
    match node.op {
        Op::Input | Op::Identity => return NodeCost::default(),
        Op::Conv2d {
            out_channels,
            kernel,
            groups,
            bias,
            ..
        } => {
            let per_output = (inputs[0].channels / groups * kernel * kernel) as u64;
            cost.macs = out * per_output;
            cost.params =
                out_channels as u64 * per_output + if bias { out_channels as u64 } else { 0 };
        }
        Op::BatchNorm => {
            cost.params = 2 * node.shape.channels as u64;
            cost.buffers = 2 * node.shape.channels as u64;
        }
        Op::Linear { out_features, bias } => {
            let in_features = inputs[0].elements();
            cost.macs = in_features * out_features as u64;
            cost.params = cost.macs + if bias { out_features as u64 } else { 0 };
        }
        // Zeros depend only on the input's shape; nothing is read.
        Op::Zero => cost.elements_read = 0,
        Op::Activation { .. }
        | Op::AvgPool { .. }
        | Op::MaxPool { .. }
        | Op::GlobalAvgPool
        | Op::Add
        | Op::ChannelShuffle { .. } => {}
    }
    cost
}

/// Computes the cost features of a network.
pub fn cost_features(net: &Network) -> CostFeatures {
    let kernels = fuse_kernels(net);
    let mut kernel_counts: BTreeMap<String, u64> = BTreeMap::new();
    for k in &kernels {
        *kernel_counts.entry(k.signature.clone()).or_default() += 1;
    }
    CostFeatures {
        kernel_counts,
        ..cost_features_without_signatures(net)
    }
}

/// [`cost_features`] with `kernel_counts` left empty: every other field is
/// the same. Several times cheaper, because building the kernel signature
/// strings dominates the cost; `features-v1` and the browser's encoding of a
/// whole search space need only the totals.
pub fn cost_features_without_signatures(net: &Network) -> CostFeatures {
    let mut total = NodeCost::default();
    // Static keys while counting: one String per kind at the end, not per node.
    let mut kinds: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut max_activation = 0;
    let mut inputs: Vec<Shape> = Vec::with_capacity(4);
    for (id, node) in net.nodes.iter().enumerate() {
        inputs.clear();
        inputs.extend(net.input_shapes(id));
        let c = node_cost(node, &inputs);
        total.macs += c.macs;
        total.params += c.params;
        total.buffers += c.buffers;
        total.elements_read += c.elements_read;
        total.elements_written += c.elements_written;
        max_activation = max_activation.max(node.shape.elements());
        *kinds.entry(node.op.kind()).or_default() += 1;
    }
    CostFeatures {
        macs: total.macs,
        params: total.params,
        weight_bytes: (total.params + total.buffers) * F32_BYTES,
        activation_bytes_read: total.elements_read * F32_BYTES,
        activation_bytes_written: total.elements_written * F32_BYTES,
        max_activation_bytes: max_activation * F32_BYTES,
        kernels: fuse_groups(net).len() as u64,
        op_kinds: kinds.into_iter().map(|(k, n)| (k.to_string(), n)).collect(),
        kernel_counts: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests;
