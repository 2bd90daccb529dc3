//! From a [`Network`] to the list of GPU steps that compute it.
//!
//! This is the part of the CUDA backend that needs no GPU, so it is tested
//! on every machine. It does what an inference engine does before it runs
//! anything:
//!
//! * `Identity` nodes become aliases of their input;
//! * zeros are folded: a `Zero` input of an `Add` is dropped, and ops that
//!   map zeros to zeros (activations, pooling, shuffles) of a zero are zero;
//! * weightless ops with the same inputs are computed once (NB201 applies
//!   the same ReLU to a node on every edge leaving it);
//! * nodes the output does not depend on are not computed;
//! * batch-norm that follows a convolution is folded into its weights and
//!   bias, and an activation that follows a convolution, a batch-norm or an
//!   add is fused into it;
//! * every value gets a buffer, and buffers are reused once their last
//!   reader has run.

use anyhow::{bail, Context, Result};
use latscope_shared::ir::{Activation, Network, NodeId, Op, Shape};
use std::collections::HashMap;

/// BatchNormalization's epsilon in the ONNX export (PyTorch's default).
const BN_EPSILON: f32 = 1e-5;

/// A convolution's geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvGeometry {
    pub input: Shape,
    pub output: Shape,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    pub groups: usize,
}

/// Pooling window kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoolKind {
    Max,
    Avg { count_include_pad: bool },
}

/// One step of the forward pass. Values are named by the IR node that
/// produces them; `Plan::slot_of` maps them to buffers.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `output = act(conv(input, weight) + bias)`, weight in OIHW order with
    /// any following batch-norm folded in.
    Conv {
        input: NodeId,
        output: NodeId,
        geometry: ConvGeometry,
        weight: Vec<f32>,
        bias: Vec<f32>,
        act: Option<Activation>,
    },
    /// `output = act(input · scale[c] + shift[c])`: a batch-norm that does
    /// not follow a convolution, or a bare activation (no scale, no shift).
    ChannelAffine {
        input: NodeId,
        output: NodeId,
        scale: Option<Vec<f32>>,
        shift: Option<Vec<f32>>,
        act: Option<Activation>,
    },
    Pool {
        input: NodeId,
        output: NodeId,
        kind: PoolKind,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    GlobalAvgPool {
        input: NodeId,
        output: NodeId,
    },
    /// `output = act(sum of inputs)`, at least two inputs.
    Add {
        inputs: Vec<NodeId>,
        output: NodeId,
        act: Option<Activation>,
    },
    /// `output = input · weightᵀ + bias`, weight `[out, in]` row-major.
    Linear {
        input: NodeId,
        output: NodeId,
        in_features: usize,
        out_features: usize,
        weight: Vec<f32>,
        bias: Option<Vec<f32>>,
    },
    ChannelShuffle {
        input: NodeId,
        output: NodeId,
        groups: usize,
    },
    /// Fills `output` with zeros.
    Zero {
        output: NodeId,
    },
}

impl Step {
    /// The value the step writes.
    pub fn output(&self) -> NodeId {
        match self {
            Step::Conv { output, .. }
            | Step::ChannelAffine { output, .. }
            | Step::Pool { output, .. }
            | Step::GlobalAvgPool { output, .. }
            | Step::Add { output, .. }
            | Step::Linear { output, .. }
            | Step::ChannelShuffle { output, .. }
            | Step::Zero { output } => *output,
        }
    }

    /// The values the step reads.
    pub fn inputs(&self) -> Vec<NodeId> {
        match self {
            Step::Conv { input, .. }
            | Step::ChannelAffine { input, .. }
            | Step::Pool { input, .. }
            | Step::GlobalAvgPool { input, .. }
            | Step::Linear { input, .. }
            | Step::ChannelShuffle { input, .. } => vec![*input],
            Step::Add { inputs, .. } => inputs.clone(),
            Step::Zero { .. } => Vec::new(),
        }
    }

    /// Short name for error messages and counts.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Conv { .. } => "conv",
            Step::ChannelAffine { .. } => "channel_affine",
            Step::Pool { .. } => "pool",
            Step::GlobalAvgPool { .. } => "global_avg_pool",
            Step::Add { .. } => "add",
            Step::Linear { .. } => "linear",
            Step::ChannelShuffle { .. } => "channel_shuffle",
            Step::Zero { .. } => "zero",
        }
    }
}

/// The steps of a forward pass and the buffers they use.
#[derive(Clone, Debug)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Per-sample shape of every IR node (the value it would produce).
    pub shapes: Vec<Shape>,
    /// Value → buffer slot (only for values some step reads or writes).
    pub slot_of: HashMap<NodeId, usize>,
    /// Per-sample element capacity of every slot.
    pub slot_elements: Vec<u64>,
    /// The value holding the network output.
    pub output: NodeId,
}

impl Plan {
    /// Elements of all buffers for `batch` samples.
    pub fn activation_elements(&self, batch: usize) -> u64 {
        self.slot_elements.iter().sum::<u64>() * batch as u64
    }
}

/// What a node's value turned out to be after aliasing and folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resolved {
    /// The value of this (representative) node.
    Node(NodeId),
    /// All zeros.
    Zero,
}

impl Resolved {
    /// The representative node, unless the value is all zeros.
    fn node(self) -> Option<NodeId> {
        match self {
            Resolved::Node(n) => Some(n),
            Resolved::Zero => None,
        }
    }
}

/// Plans `net`; `weight(name)` returns the float32 tensor the ONNX export
/// wrote under that name (the same seeded weights the CPU backend runs).
pub fn plan(net: &Network, weight: &dyn Fn(&str) -> Option<Vec<f32>>) -> Result<Plan> {
    let resolved = resolve(net);
    let needed = live_nodes(net, &resolved);
    let consumers = consumers(net, &resolved, &needed);
    let sole_reader = |id: NodeId| -> Option<NodeId> {
        match consumers[id].as_slice() {
            [only] if id != net.output => Some(*only),
            _ => None,
        }
    };
    let take = |name: &str| -> Result<Vec<f32>> {
        weight(name).with_context(|| format!("the ONNX export has no float tensor `{name}`"))
    };

    let mut steps = Vec::new();
    let mut absorbed = vec![false; net.nodes.len()];
    // A value that resolved to zeros but is read by an op that does not map
    // zeros to zeros (conv, batch-norm, linear) is materialised once, in a
    // buffer named by that zero node (which computes nothing itself).
    let mut zeros_written: Vec<NodeId> = Vec::new();
    let mut input_of = |id: NodeId, steps: &mut Vec<Step>| -> NodeId {
        match resolved[id] {
            Resolved::Node(n) => n,
            Resolved::Zero => {
                if !zeros_written.contains(&id) {
                    zeros_written.push(id);
                    steps.push(Step::Zero { output: id });
                }
                id
            }
        }
    };

    for (id, node) in net.nodes.iter().enumerate().skip(1) {
        if !needed[id] || absorbed[id] || resolved[id] != Resolved::Node(id) {
            continue;
        }
        let first = node
            .inputs
            .first()
            .copied()
            .with_context(|| format!("{}: {} has no input", node.name, node.op.kind()))?;
        // An add reads only its non-zero terms (below).
        let input = if matches!(node.op, Op::Add) {
            first
        } else {
            input_of(first, &mut steps)
        };
        // Follows a chain conv → batch-norm → activation of sole readers.
        let mut chain_end = id;
        let fuse_act = |end: &mut NodeId, absorbed: &mut Vec<bool>| -> Option<Activation> {
            let next = sole_reader(*end)?;
            match net.nodes[next].op {
                Op::Activation { kind } => {
                    absorbed[next] = true;
                    *end = next;
                    Some(kind)
                }
                _ => None,
            }
        };
        match &node.op {
            Op::Input => bail!("{}: only node 0 may be an input", node.name),
            &Op::Conv2d {
                out_channels,
                kernel,
                stride,
                padding,
                groups,
                bias,
            } => {
                let input_shape = net.nodes[first].shape;
                let fan_in = input_shape.channels / groups.max(1) * kernel * kernel;
                let mut w = take(&format!("{}.weight", node.name))?;
                let mut b = if bias {
                    take(&format!("{}.bias", node.name))?
                } else {
                    vec![0.0; out_channels]
                };
                if w.len() != out_channels * fan_in || b.len() != out_channels {
                    bail!(
                        "{}: the exported weight has {} values and bias {}, expected {} and {}",
                        node.name,
                        w.len(),
                        b.len(),
                        out_channels * fan_in,
                        out_channels
                    );
                }
                if let Some(bn) =
                    sole_reader(chain_end).filter(|&n| matches!(net.nodes[n].op, Op::BatchNorm))
                {
                    let (scale, shift) = batch_norm_affine(&net.nodes[bn].name, &take)?;
                    fold_affine(&mut w, &mut b, &scale, &shift);
                    absorbed[bn] = true;
                    chain_end = bn;
                }
                let act = fuse_act(&mut chain_end, &mut absorbed);
                steps.push(Step::Conv {
                    input,
                    output: chain_end,
                    geometry: ConvGeometry {
                        input: input_shape,
                        output: node.shape,
                        kernel,
                        stride,
                        padding,
                        groups,
                    },
                    weight: w,
                    bias: b,
                    act,
                });
            }
            Op::BatchNorm => {
                let (scale, shift) = batch_norm_affine(&node.name, &take)?;
                let act = fuse_act(&mut chain_end, &mut absorbed);
                steps.push(Step::ChannelAffine {
                    input,
                    output: chain_end,
                    scale: Some(scale),
                    shift: Some(shift),
                    act,
                });
            }
            &Op::Activation { kind } => {
                steps.push(Step::ChannelAffine {
                    input,
                    output: id,
                    scale: None,
                    shift: None,
                    act: Some(kind),
                });
            }
            &Op::AvgPool {
                kernel,
                stride,
                padding,
                count_include_pad,
            } => steps.push(Step::Pool {
                input,
                output: id,
                kind: PoolKind::Avg { count_include_pad },
                kernel,
                stride,
                padding,
            }),
            &Op::MaxPool {
                kernel,
                stride,
                padding,
            } => steps.push(Step::Pool {
                input,
                output: id,
                kind: PoolKind::Max,
                kernel,
                stride,
                padding,
            }),
            Op::GlobalAvgPool => steps.push(Step::GlobalAvgPool { input, output: id }),
            Op::Add => {
                // Zero inputs were dropped by `resolve`; what is left has at
                // least two distinct-or-equal terms (one term became an alias).
                let inputs: Vec<NodeId> = node
                    .inputs
                    .iter()
                    .filter_map(|&i| resolved[i].node())
                    .collect();
                let act = fuse_act(&mut chain_end, &mut absorbed);
                steps.push(Step::Add {
                    inputs,
                    output: chain_end,
                    act,
                });
            }
            &Op::Linear { out_features, bias } => {
                let in_features = net.nodes[first].shape.elements() as usize;
                let w = take(&format!("{}.weight", node.name))?;
                if w.len() != in_features * out_features {
                    bail!(
                        "{}: the exported weight has {} values, expected {}",
                        node.name,
                        w.len(),
                        in_features * out_features
                    );
                }
                let b = if bias {
                    Some(take(&format!("{}.bias", node.name))?)
                } else {
                    None
                };
                steps.push(Step::Linear {
                    input,
                    output: id,
                    in_features,
                    out_features,
                    weight: w,
                    bias: b,
                });
            }
            &Op::ChannelShuffle { groups } => steps.push(Step::ChannelShuffle {
                input,
                output: id,
                groups,
            }),
            Op::Identity | Op::Zero => unreachable!("resolved to another value"),
        }
    }
    let output = input_of(net.output, &mut steps);
    if output == 0 {
        bail!("the network output is its input: nothing to run");
    }
    let shapes: Vec<Shape> = net.nodes.iter().map(|n| n.shape).collect();
    let (slot_of, slot_elements) = assign_slots(&steps, &shapes, output);
    Ok(Plan {
        steps,
        shapes,
        slot_of,
        slot_elements,
        output,
    })
}

/// Aliases, zero folding and common weightless ops, in one forward pass.
fn resolve(net: &Network) -> Vec<Resolved> {
    let mut resolved = Vec::with_capacity(net.nodes.len());
    let mut seen: HashMap<(Op, Vec<NodeId>), NodeId> = HashMap::new();
    for (id, node) in net.nodes.iter().enumerate() {
        let ins: Vec<Resolved> = node.inputs.iter().map(|&i| resolved[i]).collect();
        let r = match &node.op {
            Op::Identity => ins[0],
            Op::Zero => Resolved::Zero,
            Op::Add => {
                let mut terms: Vec<NodeId> = ins.iter().filter_map(|r| r.node()).collect();
                match terms.len() {
                    0 => Resolved::Zero,
                    1 => Resolved::Node(terms[0]),
                    _ => {
                        terms.sort_unstable();
                        Resolved::Node(*seen.entry((Op::Add, terms)).or_insert(id))
                    }
                }
            }
            // Single-input ops with f(0) = 0: relu, relu6 and hswish of 0 are
            // 0; the pools of zeros (zero-padded) are 0; a shuffle moves zeros.
            Op::Activation { .. }
            | Op::AvgPool { .. }
            | Op::MaxPool { .. }
            | Op::GlobalAvgPool
            | Op::ChannelShuffle { .. } => match ins[0].node() {
                None => Resolved::Zero,
                Some(n) => Resolved::Node(*seen.entry((node.op.clone(), vec![n])).or_insert(id)),
            },
            // Ops with weights (each node has its own) and the input.
            _ => Resolved::Node(id),
        };
        resolved.push(r);
    }
    resolved
}

/// Which representative nodes the output depends on.
fn live_nodes(net: &Network, resolved: &[Resolved]) -> Vec<bool> {
    let mut live = vec![false; net.nodes.len()];
    let mut stack: Vec<NodeId> = resolved[net.output].node().into_iter().collect();
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut live[id], true) {
            continue;
        }
        for &i in &net.nodes[id].inputs {
            stack.extend(resolved[i].node());
        }
    }
    live
}

/// For every representative node, the live representative nodes reading it
/// (one entry per read).
fn consumers(net: &Network, resolved: &[Resolved], live: &[bool]) -> Vec<Vec<NodeId>> {
    let mut readers = vec![Vec::new(); net.nodes.len()];
    for (id, node) in net.nodes.iter().enumerate() {
        if !live[id] || resolved[id] != Resolved::Node(id) {
            continue;
        }
        for &i in &node.inputs {
            if let Some(n) = resolved[i].node() {
                readers[n].push(id);
            }
        }
    }
    readers
}

/// Per-channel (scale, shift) of an inference batch-norm.
fn batch_norm_affine(
    name: &str,
    take: &dyn Fn(&str) -> Result<Vec<f32>>,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let gamma = take(&format!("{name}.weight"))?;
    let beta = take(&format!("{name}.bias"))?;
    let mean = take(&format!("{name}.running_mean"))?;
    let var = take(&format!("{name}.running_var"))?;
    let scale: Vec<f32> = gamma
        .iter()
        .zip(&var)
        .map(|(g, v)| g / (v + BN_EPSILON).sqrt())
        .collect();
    let shift = beta
        .iter()
        .zip(&mean)
        .zip(&scale)
        .map(|((b, m), s)| b - m * s)
        .collect();
    Ok((scale, shift))
}

/// Folds `y = conv(x)·scale + shift` into the conv: each output channel's
/// filter and bias are multiplied by its scale, and its shift is added.
pub fn fold_affine(weight: &mut [f32], bias: &mut [f32], scale: &[f32], shift: &[f32]) {
    let per_out = weight.len() / bias.len();
    for (o, filter) in weight.chunks_mut(per_out).enumerate() {
        filter.iter_mut().for_each(|w| *w *= scale[o]);
        bias[o] = bias[o] * scale[o] + shift[o];
    }
}

/// Gives every value a buffer slot: a step's output takes the smallest free
/// slot that fits it (or a new one), and a slot is freed after the last step
/// that reads its value. The network input and output keep theirs.
fn assign_slots(
    steps: &[Step],
    shapes: &[Shape],
    output: NodeId,
) -> (HashMap<NodeId, usize>, Vec<u64>) {
    let mut last_read: HashMap<NodeId, usize> = HashMap::new();
    for (i, step) in steps.iter().enumerate() {
        for v in step.inputs() {
            last_read.insert(v, i);
        }
    }
    let mut slot_of = HashMap::from([(0, 0)]);
    let mut capacity = vec![shapes[0].elements()];
    let mut free: Vec<usize> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let out = step.output();
        let need = shapes[out].elements();
        let slot = match free
            .iter()
            .enumerate()
            .filter(|(_, &s)| capacity[s] >= need)
            .min_by_key(|(_, &s)| capacity[s])
        {
            Some((pos, _)) => free.swap_remove(pos),
            None => {
                capacity.push(need);
                capacity.len() - 1
            }
        };
        slot_of.insert(out, slot);
        for v in step.inputs() {
            if v != 0
                && v != output
                && last_read.get(&v) == Some(&i)
                && !free.contains(&slot_of[&v])
            {
                free.push(slot_of[&v]);
            }
        }
        // A value nobody reads (only the output, which stays) frees at once.
        if out != output && !last_read.contains_key(&out) {
            free.push(slot);
        }
    }
    (slot_of, capacity)
}

#[cfg(test)]
mod tests;
