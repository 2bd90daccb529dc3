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

mod resolve;
mod slots;

use crate::network::Param;
use anyhow::{bail, Context, Result};
use latscope_shared::ir::{Activation, Network, Node, NodeId, Op, Shape};
use resolve::{consumers, live_nodes, resolve, Resolved};
use slots::assign_slots;
use std::collections::HashMap;

/// BatchNormalization's epsilon in the ONNX export (PyTorch's default).
const BN_EPSILON: f32 = 1e-5;

/// A convolution's geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvGeometry {
    /// Per-sample shape of the input.
    pub input: Shape,
    /// Per-sample shape of the output.
    pub output: Shape,
    /// Side of the square kernel, in pixels.
    pub kernel: usize,
    /// Step between window positions, the same along height and width.
    pub stride: usize,
    /// Zeros added on each side of both spatial dimensions.
    pub padding: usize,
    /// Number of channel groups, dividing the input and output channels:
    /// 1 for a dense convolution, the input channels for a depthwise one.
    pub groups: usize,
}

/// Pooling window kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoolKind {
    /// The largest value in the window.
    Max,
    /// The mean of the window.
    Avg {
        /// Whether padded positions count (as zeros) in the divisor, as in
        /// the IR's `AvgPool`; if not, the divisor is the number of real
        /// positions in the window.
        count_include_pad: bool,
    },
}

/// One step of the forward pass. Values are named by the IR node that
/// produces them; `Plan::slot_of` maps them to buffers.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `output = act(conv(input, weight) + bias)`, weight in OIHW order with
    /// any following batch-norm folded in.
    Conv {
        /// The value convolved.
        input: NodeId,
        /// The value written: the last node folded in (the convolution,
        /// its batch-norm or its activation).
        output: NodeId,
        /// Shapes, kernel, stride, padding and groups.
        geometry: ConvGeometry,
        /// `out × in/groups × kernel × kernel` floats, OIHW, each output
        /// channel's filter scaled by the folded batch-norm.
        weight: Vec<f32>,
        /// One float per output channel: the convolution's own bias (zeros
        /// when it has none), scaled and shifted by the folded batch-norm.
        bias: Vec<f32>,
        /// The activation fused after the bias, if one follows.
        act: Option<Activation>,
    },
    /// `output = act(input · scale[c] + shift[c])`: a batch-norm that does
    /// not follow a convolution, or a bare activation (no scale, no shift).
    ChannelAffine {
        /// The value transformed.
        input: NodeId,
        /// The value written: the node's own, or, for a batch-norm with
        /// an activation fused after it, the activation's.
        output: NodeId,
        /// Per-channel factor γ / √(var + ε) of a batch-norm; `None` for
        /// a bare activation.
        scale: Option<Vec<f32>>,
        /// Per-channel term β − mean · scale of a batch-norm; `None` for a
        /// bare activation.
        shift: Option<Vec<f32>>,
        /// The activation applied last, if any.
        act: Option<Activation>,
    },
    /// A max or average pool over square windows.
    Pool {
        /// The value pooled.
        input: NodeId,
        /// The value written.
        output: NodeId,
        /// Maximum or mean, and how padding counts in the mean.
        kind: PoolKind,
        /// Side of the square window, in pixels.
        kernel: usize,
        /// Step between window positions, the same along height and width.
        stride: usize,
        /// Positions added on each side of both spatial dimensions.
        padding: usize,
    },
    /// Each sample's channels averaged over all positions: `C × H × W` in,
    /// `C × 1 × 1` out.
    GlobalAvgPool {
        /// The value pooled.
        input: NodeId,
        /// The value written.
        output: NodeId,
    },
    /// `output = act(sum of inputs)`, at least two inputs.
    Add {
        /// The terms that are not zeros (the same value may appear twice).
        inputs: Vec<NodeId>,
        /// The value written: the add's node, or the activation fused
        /// after it.
        output: NodeId,
        /// The activation applied to the sum, if any.
        act: Option<Activation>,
    },
    /// `output = input · weightᵀ + bias`, weight `[out, in]` row-major.
    Linear {
        /// The value multiplied, read as `in_features` floats per sample.
        input: NodeId,
        /// The value written, `out_features` floats per sample.
        output: NodeId,
        /// Elements of the input per sample.
        in_features: usize,
        /// Elements of the output per sample.
        out_features: usize,
        /// `out_features × in_features` floats, row-major.
        weight: Vec<f32>,
        /// `out_features` floats, or `None` for a layer without bias.
        bias: Option<Vec<f32>>,
    },
    /// ShuffleNet's channel shuffle: output channel `j · groups + g` is
    /// input channel `g · (C / groups) + j`.
    ChannelShuffle {
        /// The value shuffled.
        input: NodeId,
        /// The value written.
        output: NodeId,
        /// Number of channel groups; divides the channel count.
        groups: usize,
    },
    /// Fills `output` with zeros.
    Zero {
        /// A value that folded to zeros but is read by an op that does not
        /// map zeros to zeros (conv, batch-norm, linear).
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
    /// The steps in the order they run: every step reads the network
    /// input or values written by earlier steps.
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

/// Plans `net`; `weight(name)` returns the float32 tensor the ONNX export
/// wrote under that name (the same seeded weights the CPU backend runs).
pub fn plan(net: &Network, weight: &dyn Fn(&str) -> Option<Vec<f32>>) -> Result<Plan> {
    let mut planner = Planner::new(net, weight);
    for (id, node) in net.nodes.iter().enumerate().skip(1) {
        if planner.computes(id) {
            planner.add_node(id, node)?;
        }
    }
    let output = planner.input_of(net.output);
    if output == 0 {
        bail!("the network output is its input: nothing to run");
    }
    let steps = planner.steps;
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

/// The state of planning one network: what each node resolved to, which
/// nodes are needed and who reads them, and the steps so far.
struct Planner<'a> {
    net: &'a Network,
    weight: &'a dyn Fn(&str) -> Option<Vec<f32>>,
    resolved: Vec<Resolved>,
    needed: Vec<bool>,
    consumers: Vec<Vec<NodeId>>,
    /// Nodes folded or fused into an earlier step.
    absorbed: Vec<bool>,
    /// A value that resolved to zeros but is read by an op that does not map
    /// zeros to zeros (conv, batch-norm, linear) is materialised once, in a
    /// buffer named by that zero node (which computes nothing itself).
    zeros_written: Vec<NodeId>,
    steps: Vec<Step>,
}

impl<'a> Planner<'a> {
    fn new(net: &'a Network, weight: &'a dyn Fn(&str) -> Option<Vec<f32>>) -> Self {
        let resolved = resolve(net);
        let needed = live_nodes(net, &resolved);
        let consumers = consumers(net, &resolved, &needed);
        Planner {
            net,
            weight,
            resolved,
            needed,
            consumers,
            absorbed: vec![false; net.nodes.len()],
            zeros_written: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Whether node `id` gets a step of its own: needed, not absorbed, and
    /// not an alias or a zero.
    fn computes(&self, id: NodeId) -> bool {
        self.needed[id] && !self.absorbed[id] && self.resolved[id] == Resolved::Node(id)
    }

    /// The only node reading `id`, unless `id` is the output.
    fn sole_reader(&self, id: NodeId) -> Option<NodeId> {
        match self.consumers[id].as_slice() {
            [only] if id != self.net.output => Some(*only),
            _ => None,
        }
    }

    /// A parameter tensor of `node` from the export.
    fn take(&self, node: &str, param: Param) -> Result<Vec<f32>> {
        let name = param.of(node);
        (self.weight)(&name)
            .with_context(|| format!("the ONNX export has no float tensor `{name}`"))
    }

    /// The value a step reads for input `id`, writing zeros first if `id`
    /// resolved to zeros.
    fn input_of(&mut self, id: NodeId) -> NodeId {
        match self.resolved[id] {
            Resolved::Node(n) => n,
            Resolved::Zero => {
                if !self.zeros_written.contains(&id) {
                    self.zeros_written.push(id);
                    self.steps.push(Step::Zero { output: id });
                }
                id
            }
        }
    }

    /// Absorbs an activation that is the sole reader of `*end` and moves
    /// `*end` to it.
    fn fuse_act(&mut self, end: &mut NodeId) -> Option<Activation> {
        let next = self.sole_reader(*end)?;
        match self.net.nodes[next].op {
            Op::Activation { kind } => {
                self.absorbed[next] = true;
                *end = next;
                Some(kind)
            }
            _ => None,
        }
    }

    /// The step (or none: aliases were resolved) of node `id`, with the
    /// batch-norm and activation that follow it folded in.
    fn add_node(&mut self, id: NodeId, node: &Node) -> Result<()> {
        let first = node
            .inputs
            .first()
            .copied()
            .with_context(|| format!("{}: {} has no input", node.name, node.op.kind()))?;
        // An add reads only its non-zero terms (below).
        let input = if matches!(node.op, Op::Add) {
            first
        } else {
            self.input_of(first)
        };
        let step = match &node.op {
            Op::Input => bail!("{}: only node 0 may be an input", node.name),
            Op::Conv2d { .. } => self.conv(id, node, input, first)?,
            Op::BatchNorm => {
                let (scale, shift) = self.batch_norm_affine(&node.name)?;
                let mut end = id;
                let act = self.fuse_act(&mut end);
                Step::ChannelAffine {
                    input,
                    output: end,
                    scale: Some(scale),
                    shift: Some(shift),
                    act,
                }
            }
            &Op::Activation { kind } => Step::ChannelAffine {
                input,
                output: id,
                scale: None,
                shift: None,
                act: Some(kind),
            },
            &Op::AvgPool {
                kernel,
                stride,
                padding,
                count_include_pad,
            } => Step::Pool {
                input,
                output: id,
                kind: PoolKind::Avg { count_include_pad },
                kernel,
                stride,
                padding,
            },
            &Op::MaxPool {
                kernel,
                stride,
                padding,
            } => Step::Pool {
                input,
                output: id,
                kind: PoolKind::Max,
                kernel,
                stride,
                padding,
            },
            Op::GlobalAvgPool => Step::GlobalAvgPool { input, output: id },
            Op::Add => {
                // Zero inputs were dropped by `resolve`; what is left has at
                // least two distinct-or-equal terms (one term became an alias).
                let inputs: Vec<NodeId> = node
                    .inputs
                    .iter()
                    .filter_map(|&i| self.resolved[i].node())
                    .collect();
                let mut end = id;
                let act = self.fuse_act(&mut end);
                Step::Add {
                    inputs,
                    output: end,
                    act,
                }
            }
            &Op::Linear { out_features, bias } => {
                self.linear(id, node, input, first, out_features, bias)?
            }
            &Op::ChannelShuffle { groups } => Step::ChannelShuffle {
                input,
                output: id,
                groups,
            },
            Op::Identity | Op::Zero => unreachable!("resolved to another value"),
        };
        self.steps.push(step);
        Ok(())
    }

    /// A convolution with the batch-norm and activation that follow it (as
    /// sole readers) folded in.
    fn conv(&mut self, id: NodeId, node: &Node, input: NodeId, first: NodeId) -> Result<Step> {
        let Op::Conv2d {
            out_channels,
            kernel,
            stride,
            padding,
            groups,
            bias,
        } = node.op
        else {
            unreachable!("called for convolutions only")
        };
        let input_shape = self.net.nodes[first].shape;
        let fan_in = input_shape.channels / groups.max(1) * kernel * kernel;
        let mut w = self.take(&node.name, Param::Weight)?;
        let mut b = if bias {
            self.take(&node.name, Param::Bias)?
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
        let mut end = id;
        if let Some(bn) = self
            .sole_reader(end)
            .filter(|&n| matches!(self.net.nodes[n].op, Op::BatchNorm))
        {
            let (scale, shift) = self.batch_norm_affine(&self.net.nodes[bn].name)?;
            fold_affine(&mut w, &mut b, &scale, &shift);
            self.absorbed[bn] = true;
            end = bn;
        }
        let act = self.fuse_act(&mut end);
        Ok(Step::Conv {
            input,
            output: end,
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
        })
    }

    /// A linear layer, its weight checked against its input's size.
    fn linear(
        &mut self,
        id: NodeId,
        node: &Node,
        input: NodeId,
        first: NodeId,
        out_features: usize,
        bias: bool,
    ) -> Result<Step> {
        let in_features = self.net.nodes[first].shape.elements() as usize;
        let w = self.take(&node.name, Param::Weight)?;
        if w.len() != in_features * out_features {
            bail!(
                "{}: the exported weight has {} values, expected {}",
                node.name,
                w.len(),
                in_features * out_features
            );
        }
        let b = if bias {
            Some(self.take(&node.name, Param::Bias)?)
        } else {
            None
        };
        Ok(Step::Linear {
            input,
            output: id,
            in_features,
            out_features,
            weight: w,
            bias: b,
        })
    }

    /// Per-channel (scale, shift) of the inference batch-norm `name`.
    fn batch_norm_affine(&self, name: &str) -> Result<(Vec<f32>, Vec<f32>)> {
        let gamma = self.take(name, Param::Weight)?;
        let beta = self.take(name, Param::Bias)?;
        let mean = self.take(name, Param::RunningMean)?;
        let var = self.take(name, Param::RunningVar)?;
        Ok(batch_norm_to_affine(&gamma, &beta, &mean, &var))
    }
}

/// Per-channel (scale, shift) of an inference batch-norm from its
/// parameters: scale = γ / √(var + ε), shift = β − mean · scale.
fn batch_norm_to_affine(
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    var: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let scale: Vec<f32> = gamma
        .iter()
        .zip(var)
        .map(|(g, v)| g / (v + BN_EPSILON).sqrt())
        .collect();
    let shift = beta
        .iter()
        .zip(mean)
        .zip(&scale)
        .map(|((b, m), s)| b - m * s)
        .collect();
    (scale, shift)
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

#[cfg(test)]
mod tests;
