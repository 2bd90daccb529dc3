//! Groups IR nodes into the kernels an inference engine would launch.
//!
//! Inference engines (cuDNN, TensorRT, tract, PyTorch's `torch.jit.freeze`)
//! fold a batch-norm into the convolution before it and apply the activation
//! that follows in the same kernel. Latency follows kernels more closely than
//! IR nodes, so operator-level predictors count fused kernels.

use crate::ir::{describe, Network, NodeId, Op};

/// One launched kernel: its IR nodes (first = the anchor op) and a
/// signature that identifies kernels of identical cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kernel {
    /// Node ids in execution order: e.g. conv, batch_norm, relu.
    pub nodes: Vec<NodeId>,
    /// e.g. `conv+bn+relu k3 s1 g1 ->16 @16x32x32`: fused kinds, the anchor's
    /// parameters and its input shape. Equal signatures mean equal work.
    pub signature: String,
}

/// Whether a node launches nothing at run time: the input placeholder and
/// identities (a skip edge is a pointer copy).
fn is_free(op: &Op) -> bool {
    matches!(op, Op::Input | Op::Identity)
}

/// Partitions the network's nodes into kernels, in node order, with their
/// signatures (see [`fuse_groups`] for the rule).
pub fn fuse_kernels(net: &Network) -> Vec<Kernel> {
    fuse_groups(net)
        .into_iter()
        .map(|nodes| Kernel {
            signature: signature(net, &nodes),
            nodes,
        })
        .collect()
}

/// The node ids of each kernel, in node order: [`fuse_kernels`] without the
/// signatures.
///
/// Fusion rule: a `BatchNorm` whose only input is a convolution read by
/// nothing else joins that convolution's kernel; an activation whose only
/// input is the last node of a convolution kernel (conv or conv+bn) read by
/// nothing else joins it too. Everything else is a kernel of its own, except
/// free nodes ([`Op::Input`], [`Op::Identity`]) which launch nothing.
pub fn fuse_groups(net: &Network) -> Vec<Vec<NodeId>> {
    let consumers = net.consumer_counts();
    // kernel_of[node] = index into `groups` of the kernel holding node.
    let mut kernel_of: Vec<Option<usize>> = vec![None; net.nodes.len()];
    let mut groups: Vec<Vec<NodeId>> = Vec::new();
    for (id, node) in net.nodes.iter().enumerate() {
        if is_free(&node.op) {
            continue;
        }
        let fuse_into = match (&node.op, node.inputs.as_slice()) {
            (Op::BatchNorm | Op::Activation { .. }, &[src]) if consumers[src] == 1 => {
                kernel_of[src].filter(|&k| can_absorb(net, &groups[k], &node.op))
            }
            _ => None,
        };
        match fuse_into {
            Some(k) => {
                groups[k].push(id);
                kernel_of[id] = Some(k);
            }
            None => {
                kernel_of[id] = Some(groups.len());
                groups.push(vec![id]);
            }
        }
    }
    groups
}

/// Whether a kernel ending in `group` can take `next` as its epilogue.
fn can_absorb(net: &Network, group: &[NodeId], next: &Op) -> bool {
    let ops: Vec<&Op> = group.iter().map(|&i| &net.nodes[i].op).collect();
    matches!(
        (ops.as_slice(), next),
        ([Op::Conv2d { .. }], Op::BatchNorm | Op::Activation { .. })
            | ([Op::Conv2d { .. }, Op::BatchNorm], Op::Activation { .. })
    )
}

fn short_kind(op: &Op) -> &'static str {
    match op {
        Op::BatchNorm => "bn",
        other => other.kind(),
    }
}

fn signature(net: &Network, nodes: &[NodeId]) -> String {
    let anchor = &net.nodes[nodes[0]];
    let kinds: Vec<&str> = nodes
        .iter()
        .map(|&i| short_kind(&net.nodes[i].op))
        .collect();
    let described = describe(&anchor.op);
    // `describe` starts with a kind word (`conv k3 s1 ...`); keep the rest.
    let params = described.split_once(' ').map_or("", |(_, rest)| rest);
    let inputs: Vec<String> = net.input_shapes(nodes[0]).map(|s| s.to_string()).collect();
    let mut sig = kinds.join("+");
    if !params.is_empty() {
        sig.push(' ');
        sig.push_str(params);
    }
    sig.push_str(" @");
    sig.push_str(&inputs.join(","));
    sig
}
