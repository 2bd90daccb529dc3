//! Lowering IR nodes to ONNX nodes and seeded initializers.

use super::error::{Error, Result};
use super::weights::WeightGen;
use super::Param;
use super::{INPUT_NAME, OUTPUT_NAME};
use latscope_model::onnx_pb::{attr_float, attr_int, attr_ints, node, tensor_f32, tensor_i64};
use latscope_shared::ir::{Activation, Network, Node, NodeId, Op, Shape};
use std::collections::{BTreeSet, HashMap};
use tract_onnx::pb::{AttributeProto, NodeProto, TensorProto};

/// Scalar 0 every `Zero` node multiplies by.
const ZERO: &str = "latscope.zero";
/// Scalar bounds of ReLU6's `Clip`.
const RELU6_MIN: &str = "latscope.relu6.min";
const RELU6_MAX: &str = "latscope.relu6.max";
/// `[2, 3]`: the axes `Unsqueeze` adds to turn `[N, C]` back into `[N, C, 1, 1]`.
const UNSQUEEZE_AXES: &str = "latscope.unsqueeze_axes";

/// BatchNormalization's epsilon (PyTorch's default).
pub(crate) const BN_EPSILON: f32 = 1e-5;

/// How a node's tensor is laid out in the exported graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Layout {
    /// `[N, C, H, W]`: everything but linear layers.
    Nchw,
    /// `[N, C]`: what `Gemm` produces; the IR shape is `C×1×1`.
    Flat,
}

struct Produced {
    tensor: String,
    layout: Layout,
}

/// The ONNX nodes and initializers of a network, in topological order.
pub(crate) struct Lowered {
    pub nodes: Vec<NodeProto>,
    pub initializers: Vec<TensorProto>,
}

pub(crate) struct Lowerer<'a> {
    net: &'a Network,
    gen: WeightGen,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    produced: Vec<Produced>,
    /// A node's tensor in the other layout, made once on first use.
    converted: HashMap<(NodeId, Layout), String>,
    /// Shared constants already added.
    shared: BTreeSet<&'static str>,
}

impl<'a> Lowerer<'a> {
    pub(crate) fn new(net: &'a Network, seed: u64) -> Self {
        Lowerer {
            net,
            gen: WeightGen::new(seed),
            nodes: Vec::new(),
            initializers: Vec::new(),
            produced: Vec::with_capacity(net.nodes.len()),
            converted: HashMap::new(),
            shared: BTreeSet::new(),
        }
    }

    fn fail(&self, reason: String) -> Error {
        Error::Export {
            network: self.net.name.clone(),
            reason,
        }
    }

    /// Lowers every node, then makes sure the graph ends in a `[N, classes]`
    /// tensor named `output`.
    pub(crate) fn lower(mut self) -> Result<Lowered> {
        for (id, n) in self.net.nodes.iter().enumerate() {
            if id == 0 {
                if n.op != Op::Input {
                    return Err(self.fail(format!("node 0 ({}) is not the input", n.name)));
                }
                self.produced.push(Produced {
                    tensor: INPUT_NAME.to_string(),
                    layout: Layout::Nchw,
                });
                continue;
            }
            self.lower_node(id)?;
        }
        let out = self.net.output;
        if self.produced[out].tensor != OUTPUT_NAME {
            // An NCHW result (a hand-built network ending in a pool, say):
            // flatten it to [N, C·H·W].
            let x = self.produced[out].tensor.clone();
            let flatten = node(
                "Flatten",
                OUTPUT_NAME,
                &[&x],
                OUTPUT_NAME,
                vec![attr_int("axis", 1)],
            );
            self.nodes.push(flatten);
        }
        self.check_unique_names()?;
        Ok(Lowered {
            nodes: self.nodes,
            initializers: self.initializers,
        })
    }

    /// Tensor names must be unique across the input, initializers and node outputs.
    fn check_unique_names(&self) -> Result<()> {
        let mut seen = BTreeSet::new();
        let names = std::iter::once(INPUT_NAME)
            .chain(self.initializers.iter().map(|t| t.name.as_str()))
            .chain(
                self.nodes
                    .iter()
                    .flat_map(|n| n.output.iter().map(String::as_str)),
            );
        for name in names {
            if !seen.insert(name) {
                return Err(self.fail(format!(
                    "two tensors would be named {name:?}; rename the IR node it comes from"
                )));
            }
        }
        Ok(())
    }

    /// The name of the tensor node `id` produces in `layout`.
    fn output_tensor(&self, id: NodeId, layout: Layout) -> String {
        let name = &self.net.nodes[id].name;
        if id == self.net.output && layout == Layout::Flat {
            OUTPUT_NAME.to_string()
        } else if name == INPUT_NAME || name == OUTPUT_NAME {
            format!("{name}.out")
        } else {
            name.clone()
        }
    }

    /// Node `id`'s tensor in `layout`, converting (once) if it was produced
    /// in the other one.
    fn tensor_as(&mut self, id: NodeId, layout: Layout) -> String {
        let produced = &self.produced[id];
        if produced.layout == layout {
            return produced.tensor.clone();
        }
        if let Some(name) = self.converted.get(&(id, layout)) {
            return name.clone();
        }
        let source = produced.tensor.clone();
        let base = &self.net.nodes[id].name;
        let (onnx_node, tensor) = match layout {
            Layout::Flat => {
                let tensor = format!("{source}.flat");
                let n = node(
                    "Flatten",
                    &format!("{base}.flatten"),
                    &[&source],
                    &tensor,
                    vec![attr_int("axis", 1)],
                );
                (n, tensor)
            }
            Layout::Nchw => {
                // Only linear layers (and element-wise ops on their output)
                // produce flat tensors, and their IR shape is C×1×1.
                self.shared_i64(UNSQUEEZE_AXES, &[2], &[2, 3]);
                let tensor = format!("{source}.nchw");
                let n = node(
                    "Unsqueeze",
                    &format!("{base}.unsqueeze"),
                    &[&source, UNSQUEEZE_AXES],
                    &tensor,
                    vec![],
                );
                (n, tensor)
            }
        };
        self.nodes.push(onnx_node);
        self.converted.insert((id, layout), tensor.clone());
        tensor
    }

    fn shared_f32(&mut self, name: &'static str, value: f32) {
        if self.shared.insert(name) {
            self.initializers.push(tensor_f32(name, &[], &[value]));
        }
    }

    fn shared_i64(&mut self, name: &'static str, dims: &[usize], values: &[i64]) {
        if self.shared.insert(name) {
            self.initializers.push(tensor_i64(name, dims, values));
        }
    }

    fn push_init(&mut self, tensor: TensorProto) -> String {
        let name = tensor.name.clone();
        self.initializers.push(tensor);
        name
    }

    /// Adds the ONNX node that produces IR node `id`'s tensor.
    fn finish(
        &mut self,
        id: NodeId,
        op_type: &str,
        inputs: &[&str],
        attributes: Vec<AttributeProto>,
        layout: Layout,
    ) {
        let tensor = self.output_tensor(id, layout);
        let name = self.net.nodes[id].name.clone();
        self.nodes
            .push(node(op_type, &name, inputs, &tensor, attributes));
        self.produced.push(Produced { tensor, layout });
    }

    fn lower_node(&mut self, id: NodeId) -> Result<()> {
        let n = &self.net.nodes[id];
        match &n.op {
            Op::Input => {
                return Err(self.fail(format!(
                    "{}: only node 0 may be an input (found one at position {id})",
                    n.name
                )))
            }
            Op::Conv2d { .. } => self.lower_conv(id, n)?,
            Op::BatchNorm => self.lower_batch_norm(id, n)?,
            Op::Activation { kind } => {
                let (x, _) = self.single_input(n)?;
                let layout = self.produced[x].layout;
                let x = self.tensor_as(x, layout);
                match kind {
                    Activation::Relu => self.finish(id, "Relu", &[&x], vec![], layout),
                    Activation::Relu6 => {
                        self.shared_f32(RELU6_MIN, 0.0);
                        self.shared_f32(RELU6_MAX, 6.0);
                        self.finish(id, "Clip", &[&x, RELU6_MIN, RELU6_MAX], vec![], layout);
                    }
                    Activation::HSwish => self.finish(id, "HardSwish", &[&x], vec![], layout),
                }
            }
            &Op::AvgPool {
                kernel,
                stride,
                padding,
                count_include_pad,
            } => {
                let (x, _) = self.single_input(n)?;
                let x = self.tensor_as(x, Layout::Nchw);
                let mut attrs = window_attrs(kernel, stride, padding);
                attrs.push(attr_int("count_include_pad", count_include_pad as i64));
                self.finish(id, "AveragePool", &[&x], attrs, Layout::Nchw);
            }
            &Op::MaxPool {
                kernel,
                stride,
                padding,
            } => {
                let (x, _) = self.single_input(n)?;
                let x = self.tensor_as(x, Layout::Nchw);
                let attrs = window_attrs(kernel, stride, padding);
                self.finish(id, "MaxPool", &[&x], attrs, Layout::Nchw);
            }
            Op::GlobalAvgPool => {
                let (x, _) = self.single_input(n)?;
                let x = self.tensor_as(x, Layout::Nchw);
                self.finish(id, "GlobalAveragePool", &[&x], vec![], Layout::Nchw);
            }
            Op::Add => self.lower_add(id, n)?,
            Op::Linear { .. } => self.lower_linear(id, n)?,
            Op::ChannelShuffle { .. } => self.lower_channel_shuffle(id, n)?,
            Op::Identity => {
                let (x, _) = self.single_input(n)?;
                let layout = self.produced[x].layout;
                let x = self.tensor_as(x, layout);
                self.finish(id, "Identity", &[&x], vec![], layout);
            }
            Op::Zero => {
                let (x, _) = self.single_input(n)?;
                let layout = self.produced[x].layout;
                let x = self.tensor_as(x, layout);
                self.shared_f32(ZERO, 0.0);
                self.finish(id, "Mul", &[&x, ZERO], vec![], layout);
            }
        }
        Ok(())
    }

    /// The first input of `n` and its shape: every node but `Input` and
    /// `Add` reads exactly one tensor.
    fn single_input(&self, n: &Node) -> Result<(NodeId, Shape)> {
        match n.inputs.first() {
            Some(&i) => Ok((i, self.net.nodes[i].shape)),
            None => Err(self.fail(format!("{}: {} has no input", n.name, n.op.kind()))),
        }
    }

    /// An error for a lowering helper handed the wrong kind of node.
    fn not_a(&self, n: &Node, what: &str) -> Error {
        self.fail(format!(
            "{}: a {} was lowered as a {what}",
            n.name,
            n.op.kind()
        ))
    }

    /// `Conv` with He-normal weights (std √(2 / fan_in)).
    fn lower_conv(&mut self, id: NodeId, n: &Node) -> Result<()> {
        let &Op::Conv2d {
            out_channels,
            kernel,
            stride,
            padding,
            groups,
            bias,
        } = &n.op
        else {
            return Err(self.not_a(n, "convolution"));
        };
        let (x, s) = self.single_input(n)?;
        let x = self.tensor_as(x, Layout::Nchw);
        let in_per_group = s.channels / groups.max(1);
        let fan_in = in_per_group * kernel * kernel;
        let std = (2.0 / fan_in.max(1) as f32).sqrt();
        let w_name = Param::Weight.of(&n.name);
        let w = self.gen.normal(&w_name, out_channels * fan_in, std);
        let w_name = self.push_init(tensor_f32(
            &w_name,
            &[out_channels, in_per_group, kernel, kernel],
            &w,
        ));
        let mut inputs = vec![x, w_name];
        if bias {
            inputs.push(self.bias(&n.name, out_channels, fan_in));
        }
        let (k, st, p) = (kernel as i64, stride as i64, padding as i64);
        let attrs = vec![
            attr_int("group", groups as i64),
            attr_ints("kernel_shape", &[k, k]),
            attr_ints("strides", &[st, st]),
            attr_ints("pads", &[p, p, p, p]),
            attr_ints("dilations", &[1, 1]),
        ];
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.finish(id, "Conv", &inputs, attrs, Layout::Nchw);
        Ok(())
    }

    /// `BatchNormalization` with seeded statistics (see the module docs).
    fn lower_batch_norm(&mut self, id: NodeId, n: &Node) -> Result<()> {
        let (x, s) = self.single_input(n)?;
        let x = self.tensor_as(x, Layout::Nchw);
        let c = s.channels;
        let gen = self.gen;
        let stat = |param: Param, low: f32, high: f32| {
            let name = param.of(&n.name);
            let values = gen.uniform(&name, c, low, high);
            tensor_f32(&name, &[c], &values)
        };
        let gamma = self.push_init(stat(Param::Weight, 0.5, 1.5));
        let beta = self.push_init(stat(Param::Bias, -0.1, 0.1));
        let mean = self.push_init(stat(Param::RunningMean, -0.1, 0.1));
        let var = self.push_init(stat(Param::RunningVar, 0.5, 1.5));
        self.finish(
            id,
            "BatchNormalization",
            &[&x, &gamma, &beta, &mean, &var],
            vec![attr_float("epsilon", BN_EPSILON)],
            Layout::Nchw,
        );
        Ok(())
    }

    /// `Add` of two inputs, `Sum` of more; flat only when every input is.
    fn lower_add(&mut self, id: NodeId, n: &Node) -> Result<()> {
        if n.inputs.len() < 2 {
            return Err(self.fail(format!("{}: add needs at least 2 inputs", n.name)));
        }
        let all_flat = n
            .inputs
            .iter()
            .all(|&i| self.produced[i].layout == Layout::Flat);
        let layout = if all_flat { Layout::Flat } else { Layout::Nchw };
        let inputs: Vec<String> = n
            .inputs
            .iter()
            .map(|&i| self.tensor_as(i, layout))
            .collect();
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let op_type = if inputs.len() == 2 { "Add" } else { "Sum" };
        self.finish(id, op_type, &inputs, vec![], layout);
        Ok(())
    }

    /// `Gemm` (weights `[out, in]`, transB) with normal weights, std
    /// 1/√fan_in.
    fn lower_linear(&mut self, id: NodeId, n: &Node) -> Result<()> {
        let &Op::Linear { out_features, bias } = &n.op else {
            return Err(self.not_a(n, "linear layer"));
        };
        let (x, s) = self.single_input(n)?;
        let x = self.tensor_as(x, Layout::Flat);
        let fan_in = s.elements() as usize;
        let std = 1.0 / (fan_in.max(1) as f32).sqrt();
        let w_name = Param::Weight.of(&n.name);
        let w = self.gen.normal(&w_name, out_features * fan_in, std);
        let w_name = self.push_init(tensor_f32(&w_name, &[out_features, fan_in], &w));
        let mut inputs = vec![x, w_name];
        if bias {
            inputs.push(self.bias(&n.name, out_features, fan_in));
        }
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.finish(
            id,
            "Gemm",
            &inputs,
            vec![attr_int("transB", 1)],
            Layout::Flat,
        );
        Ok(())
    }

    /// Channel shuffle as ONNX has no such operator: reshape to
    /// `[N, g, C/g, H, W]`, swap the group axes, reshape back.
    fn lower_channel_shuffle(&mut self, id: NodeId, n: &Node) -> Result<()> {
        let &Op::ChannelShuffle { groups } = &n.op else {
            return Err(self.not_a(n, "channel shuffle"));
        };
        let (x, s) = self.single_input(n)?;
        let x = self.tensor_as(x, Layout::Nchw);
        let (c, h, w) = (s.channels as i64, s.height as i64, s.width as i64);
        let g = groups as i64;
        // 0 copies the (possibly symbolic) batch dimension.
        let split_shape = self.push_init(tensor_i64(
            &format!("{}.split_shape", n.name),
            &[5],
            &[0, g, c / g, h, w],
        ));
        let merge_shape = self.push_init(tensor_i64(
            &format!("{}.merge_shape", n.name),
            &[4],
            &[0, c, h, w],
        ));
        let split = format!("{}.split", n.name);
        self.nodes
            .push(node("Reshape", &split, &[&x, &split_shape], &split, vec![]));
        let transposed = format!("{}.transpose", n.name);
        self.nodes.push(node(
            "Transpose",
            &transposed,
            &[&split],
            &transposed,
            vec![attr_ints("perm", &[0, 2, 1, 3, 4])],
        ));
        self.finish(
            id,
            "Reshape",
            &[&transposed, &merge_shape],
            vec![],
            Layout::Nchw,
        );
        Ok(())
    }

    /// A bias vector uniform in ±1/√fan_in (PyTorch's default range).
    fn bias(&mut self, layer: &str, len: usize, fan_in: usize) -> String {
        let name = Param::Bias.of(layer);
        let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
        let values = self.gen.uniform(&name, len, -bound, bound);
        self.push_init(tensor_f32(&name, &[len], &values))
    }
}

/// kernel_shape, strides and symmetric pads of a square pooling window.
fn window_attrs(kernel: usize, stride: usize, padding: usize) -> Vec<AttributeProto> {
    let (k, s, p) = (kernel as i64, stride as i64, padding as i64);
    vec![
        attr_ints("kernel_shape", &[k, k]),
        attr_ints("strides", &[s, s]),
        attr_ints("pads", &[p, p, p, p]),
    ]
}
