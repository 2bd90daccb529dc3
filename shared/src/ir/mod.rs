//! The layer-level network IR that every search space lowers to.
//!
//! A [`Network`] is a list of [`Node`]s in topological order: every node's
//! inputs come earlier in the list, node 0 is the input image, and every node
//! carries the shape of the tensor it produces. Shapes are per sample
//! (channels × height × width); the batch size is chosen when the network is
//! run or exported, so cost features scale linearly with it.
//!
//! The IR is what the rest of latscope agrees on: cost features are counted
//! from it, the CPU and CUDA backends execute it, and [`crate::ir`] networks
//! are exported to ONNX by `latscope-model`.

mod builder;
mod summary;
pub use builder::infer_shape;
pub use summary::describe;

pub use builder::NetworkBuilder;

use serde::{Deserialize, Serialize};

/// Position of a node in [`Network::nodes`].
pub type NodeId = usize;

/// Per-sample tensor shape. Vectors (after global pooling, linear layers) are
/// `channels × 1 × 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shape {
    /// Number of channels (feature maps), or the length of a vector.
    pub channels: usize,
    /// Height of each feature map, in pixels; 1 for vectors.
    pub height: usize,
    /// Width of each feature map, in pixels; 1 for vectors.
    pub width: usize,
}

impl Shape {
    /// A `channels × height × width` shape.
    pub const fn new(channels: usize, height: usize, width: usize) -> Self {
        Shape {
            channels,
            height,
            width,
        }
    }

    /// Number of elements of one sample.
    pub const fn elements(&self) -> u64 {
        (self.channels * self.height * self.width) as u64
    }

    /// Spatial positions (height × width).
    pub const fn positions(&self) -> u64 {
        (self.height * self.width) as u64
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.channels, self.height, self.width)
    }
}

/// Pointwise non-linearities the spaces use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// min(max(0, x), 6) (MobileNet-V2).
    Relu6,
    /// x · ReLU6(x + 3) / 6 (MobileNet-V3).
    HSwish,
}

impl Activation {
    /// Short lower-case name, used as the operator kind in summaries and
    /// per-operator counts (see [`Op::kind`]).
    pub const fn name(&self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
            Activation::HSwish => "hswish",
        }
    }
}

/// One operation of the IR. Convolutions use symmetric zero padding and no
/// dilation, which is all the supported spaces need.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// The network input (always node 0).
    Input,
    /// 2-D convolution with a square kernel.
    Conv2d {
        /// Number of output channels.
        out_channels: usize,
        /// Side of the square kernel, in pixels.
        kernel: usize,
        /// Step between window positions, the same along height and width.
        stride: usize,
        /// Zeros added on each side of both spatial dimensions.
        padding: usize,
        /// Number of channel groups; must divide both the input and the
        /// output channels. 1 is a dense convolution, as many groups as
        /// input channels a depthwise one.
        groups: usize,
        /// Whether a per-output-channel bias is added.
        bias: bool,
    },
    /// Inference batch-norm with an affine scale and shift per channel.
    BatchNorm,
    /// A pointwise non-linearity; the shape is unchanged.
    Activation {
        /// Which non-linearity.
        kind: Activation,
    },
    /// Average pooling over square windows, channel by channel.
    AvgPool {
        /// Side of the square window, in pixels.
        kernel: usize,
        /// Step between window positions, the same along height and width.
        stride: usize,
        /// Zeros added on each side of both spatial dimensions.
        padding: usize,
        /// PyTorch's `count_include_pad`: whether padded zeros count in the mean.
        count_include_pad: bool,
    },
    /// Max pooling over square windows, channel by channel.
    MaxPool {
        /// Side of the square window, in pixels.
        kernel: usize,
        /// Step between window positions, the same along height and width.
        stride: usize,
        /// Padding added on each side of both spatial dimensions; as in
        /// PyTorch, padded positions never win the maximum.
        padding: usize,
    },
    /// Mean over height and width: C×H×W → C×1×1.
    GlobalAvgPool,
    /// Element-wise sum of two or more inputs of the same shape.
    Add,
    /// Fully connected layer on a C×1×1 vector (flattening is implied).
    Linear {
        /// Length of the output vector (the number of classes for the classifier).
        out_features: usize,
        /// Whether a bias vector is added.
        bias: bool,
    },
    /// ShuffleNet channel shuffle: reshape to (groups, C/groups), transpose, flatten.
    ChannelShuffle {
        /// Number of channel groups; must divide the channels.
        groups: usize,
    },
    /// Passes its input through (a `skip_connect` edge).
    Identity,
    /// Zeros shaped like its single input: a cell node all of whose incoming
    /// edges are `none`. The input is kept only to give the zeros their
    /// shape (and batch size); nothing is read from it.
    Zero,
}

impl Op {
    /// Short operator-kind name used in summaries and per-operator counts.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Input => "input",
            Op::Conv2d { groups, .. } if *groups > 1 => "group_conv",
            Op::Conv2d { .. } => "conv",
            Op::BatchNorm => "batch_norm",
            Op::Activation { kind } => kind.name(),
            Op::AvgPool { .. } => "avg_pool",
            Op::MaxPool { .. } => "max_pool",
            Op::GlobalAvgPool => "global_avg_pool",
            Op::Add => "add",
            Op::Linear { .. } => "linear",
            Op::ChannelShuffle { .. } => "channel_shuffle",
            Op::Identity => "identity",
            Op::Zero => "zero",
        }
    }

    /// True for depthwise convolutions (one group per input channel).
    pub fn is_depthwise(&self, input: &Shape) -> bool {
        matches!(self, Op::Conv2d { groups, .. } if *groups > 1 && *groups == input.channels)
    }
}

/// A node: an operation, the nodes it reads, and the shape it produces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Hierarchical name, e.g. `stage1.cell2.edge3<-1.conv`; unique in the network.
    pub name: String,
    /// The operation the node performs.
    pub op: Op,
    /// The nodes whose outputs it reads, in order; all come earlier in
    /// [`Network::nodes`]. Empty only for the input node.
    pub inputs: Vec<NodeId>,
    /// Per-sample shape of the tensor it produces.
    pub shape: Shape,
}

/// A whole network, ready to be costed, executed or exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Human-readable identity, e.g. `nb201/cifar10 |nor_conv_3x3~0|+...`.
    pub name: String,
    /// All nodes in topological order; node 0 is the input image.
    pub nodes: Vec<Node>,
    /// The node whose tensor is the network's output (class logits).
    pub output: NodeId,
}

impl Network {
    /// Shape of the input image.
    pub fn input_shape(&self) -> Shape {
        self.nodes[0].shape
    }

    /// Shape of the output (class logits as C×1×1).
    pub fn output_shape(&self) -> Shape {
        self.nodes[self.output].shape
    }

    /// Shapes of a node's inputs, in order.
    pub fn input_shapes(&self, id: NodeId) -> impl Iterator<Item = Shape> + '_ {
        self.nodes[id].inputs.iter().map(|&i| self.nodes[i].shape)
    }

    /// Number of nodes that read each node's output.
    pub fn consumer_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.nodes.len()];
        for node in &self.nodes {
            for &i in &node.inputs {
                counts[i] += 1;
            }
        }
        if let Some(c) = counts.get_mut(self.output) {
            // The network output is read by the caller.
            *c += 1;
        }
        counts
    }
}
