//! Building networks with shapes inferred as layers are added.

use super::{Activation, Network, Node, NodeId, Op, Shape};
use crate::error::{Error, Result};

/// Output shape of `op` applied to inputs of the given shapes, or why it does
/// not fit. The single source of shape rules: the builder and
/// [`Network::validate`] both use it.
pub fn infer_shape(op: &Op, inputs: &[Shape]) -> std::result::Result<Shape, String> {
    let single = || match inputs {
        [s] => Ok(*s),
        _ => Err(format!("{} takes 1 input, got {}", op.kind(), inputs.len())),
    };
    match op {
        Op::Input => match inputs {
            [] => Err("the input node has no shape of its own".into()),
            _ => Err("the input node takes no inputs".into()),
        },
        Op::Conv2d {
            out_channels,
            kernel,
            stride,
            padding,
            groups,
            ..
        } => {
            let s = single()?;
            if *groups == 0 || s.channels % groups != 0 || out_channels % groups != 0 {
                return Err(format!(
                    "conv groups {groups} must divide input channels {} and output channels {out_channels}",
                    s.channels
                ));
            }
            let (h, w) = window_output(s, *kernel, *stride, *padding)?;
            Ok(Shape::new(*out_channels, h, w))
        }
        Op::AvgPool {
            kernel,
            stride,
            padding,
            ..
        }
        | Op::MaxPool {
            kernel,
            stride,
            padding,
        } => {
            let s = single()?;
            let (h, w) = window_output(s, *kernel, *stride, *padding)?;
            Ok(Shape::new(s.channels, h, w))
        }
        Op::BatchNorm | Op::Activation { .. } | Op::Identity | Op::Zero => single(),
        Op::ChannelShuffle { groups } => {
            let s = single()?;
            if *groups == 0 || s.channels % groups != 0 {
                return Err(format!(
                    "shuffle groups {groups} must divide channels {}",
                    s.channels
                ));
            }
            Ok(s)
        }
        Op::GlobalAvgPool => Ok(Shape::new(single()?.channels, 1, 1)),
        Op::Linear { out_features, .. } => {
            let s = single()?;
            if s.positions() != 1 {
                return Err(format!("linear layer needs a C×1×1 vector, got {s}"));
            }
            Ok(Shape::new(*out_features, 1, 1))
        }
        Op::Add => {
            let Some(first) = inputs.first() else {
                return Err("add needs at least 2 inputs, got 0".into());
            };
            if inputs.len() < 2 {
                return Err(format!("add needs at least 2 inputs, got {}", inputs.len()));
            }
            match inputs.iter().find(|s| *s != first) {
                Some(other) => Err(format!("add of mismatched shapes {first} and {other}")),
                None => Ok(*first),
            }
        }
    }
}

/// Spatial output size of a sliding window (conv or pool).
fn window_output(
    s: Shape,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> std::result::Result<(usize, usize), String> {
    let side = |len: usize| {
        let padded = len + 2 * padding;
        if kernel == 0 || stride == 0 || padded < kernel {
            Err(format!(
                "window kernel {kernel} stride {stride} padding {padding} does not fit input {s}"
            ))
        } else {
            Ok((padded - kernel) / stride + 1)
        }
    };
    Ok((side(s.height)?, side(s.width)?))
}

/// Adds layers one at a time, inferring each output shape. The first shape
/// error is remembered and returned by [`NetworkBuilder::finish`], so a
/// space's lowering code reads as a straight list of layers.
pub struct NetworkBuilder {
    name: String,
    nodes: Vec<Node>,
    error: Option<String>,
}

impl NetworkBuilder {
    /// Starts a network whose input image has `input` shape; the input is node 0.
    pub fn new(name: impl Into<String>, input: Shape) -> (Self, NodeId) {
        let builder = NetworkBuilder {
            name: name.into(),
            nodes: vec![Node {
                name: "input".into(),
                op: Op::Input,
                inputs: vec![],
                shape: input,
            }],
            error: None,
        };
        (builder, 0)
    }

    /// Shape of an already added node.
    pub fn shape(&self, id: NodeId) -> Shape {
        self.nodes[id].shape
    }

    /// Adds any op. The typed helpers below are shorthands for this.
    pub fn push(&mut self, name: impl Into<String>, op: Op, inputs: &[NodeId]) -> NodeId {
        let name = name.into();
        let shapes: Vec<Shape> = inputs.iter().map(|&i| self.nodes[i].shape).collect();
        let shape = match infer_shape(&op, &shapes) {
            Ok(shape) => shape,
            Err(reason) => {
                self.error.get_or_insert(format!("{name}: {reason}"));
                // Keep going with a placeholder so callers need no error plumbing;
                // finish() reports the first error.
                shapes.first().copied().unwrap_or(Shape::new(0, 0, 0))
            }
        };
        self.nodes.push(Node {
            name,
            op,
            inputs: inputs.to_vec(),
            shape,
        });
        self.nodes.len() - 1
    }

    /// Convolution without bias, "same" padding for odd kernels.
    pub fn conv(
        &mut self,
        name: impl Into<String>,
        x: NodeId,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        groups: usize,
    ) -> NodeId {
        let op = Op::Conv2d {
            out_channels,
            kernel,
            stride,
            padding: kernel / 2,
            groups,
            bias: false,
        };
        self.push(name, op, &[x])
    }

    /// Inference batch-norm ([`Op::BatchNorm`]) of `x`.
    pub fn batch_norm(&mut self, name: impl Into<String>, x: NodeId) -> NodeId {
        self.push(name, Op::BatchNorm, &[x])
    }

    /// The non-linearity `kind` applied to `x`.
    pub fn activation(&mut self, name: impl Into<String>, x: NodeId, kind: Activation) -> NodeId {
        self.push(name, Op::Activation { kind }, &[x])
    }

    /// ReLU of `x`; shorthand for [`NetworkBuilder::activation`] with [`Activation::Relu`].
    pub fn relu(&mut self, name: impl Into<String>, x: NodeId) -> NodeId {
        self.activation(name, x, Activation::Relu)
    }

    /// Fully connected layer ([`Op::Linear`]) of `x` to `out_features`.
    pub fn linear(
        &mut self,
        name: impl Into<String>,
        x: NodeId,
        out_features: usize,
        bias: bool,
    ) -> NodeId {
        self.push(name, Op::Linear { out_features, bias }, &[x])
    }

    /// Sum of `xs`; a single input is passed through without an add node.
    pub fn sum(&mut self, name: impl Into<String>, xs: &[NodeId]) -> NodeId {
        match xs {
            [only] => *only,
            _ => self.push(name, Op::Add, xs),
        }
    }

    /// The classifier head that ends a search-space network: global average
    /// pooling of `x` (`head.pool`), then a biased linear layer to
    /// `num_classes` outputs (`head.classifier`); finishes the network.
    pub fn finish_with_classifier(mut self, x: NodeId, num_classes: usize) -> Result<Network> {
        let x = self.push("head.pool", Op::GlobalAvgPool, &[x]);
        let out = self.linear("head.classifier", x, num_classes, true);
        self.finish(out)
    }

    /// Finishes the network with `output` as its result.
    pub fn finish(self, output: NodeId) -> Result<Network> {
        if let Some(reason) = self.error {
            return Err(Error::InvalidNetwork {
                network: self.name,
                reason,
            });
        }
        Ok(Network {
            name: self.name,
            nodes: self.nodes,
            output,
        })
    }
}

impl Network {
    /// Checks a network that did not come from a builder (e.g. read from
    /// JSON): topological order, unique names, and every stored shape equal to
    /// the inferred one.
    pub fn validate(&self) -> Result<()> {
        let fail = |reason: String| Error::InvalidNetwork {
            network: self.name.clone(),
            reason,
        };
        let Some(first) = self.nodes.first() else {
            return Err(fail("no nodes".into()));
        };
        if first.op != Op::Input || !first.inputs.is_empty() {
            return Err(fail("node 0 must be the input".into()));
        }
        if self.output >= self.nodes.len() {
            return Err(fail(format!("output node {} does not exist", self.output)));
        }
        let mut names = std::collections::HashSet::new();
        for (id, node) in self.nodes.iter().enumerate() {
            if !names.insert(node.name.as_str()) {
                return Err(fail(format!("duplicate node name {:?}", node.name)));
            }
            if id == 0 {
                continue;
            }
            if let Some(&bad) = node.inputs.iter().find(|&&i| i >= id) {
                return Err(fail(format!(
                    "{}: input {bad} is not an earlier node",
                    node.name
                )));
            }
            let shapes: Vec<Shape> = self.input_shapes(id).collect();
            let inferred =
                infer_shape(&node.op, &shapes).map_err(|r| fail(format!("{}: {r}", node.name)))?;
            if inferred != node.shape {
                return Err(fail(format!(
                    "{}: stored shape {} but the op produces {inferred}",
                    node.name, node.shape
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_and_pool_shapes_follow_pytorch_formula() {
        let (mut b, x) = NetworkBuilder::new("t", Shape::new(3, 32, 32));
        let c = b.conv("c", x, 16, 3, 2, 1); // (32 + 2 - 3) / 2 + 1 = 16
        assert_eq!(b.shape(c), Shape::new(16, 16, 16));
        let p = b.push(
            "p",
            Op::AvgPool {
                kernel: 2,
                stride: 2,
                padding: 0,
                count_include_pad: true,
            },
            &[c],
        );
        assert_eq!(b.shape(p), Shape::new(16, 8, 8));
        let g = b.push("g", Op::GlobalAvgPool, &[p]);
        let l = b.linear("l", g, 10, true);
        let net = b.finish(l).unwrap();
        assert_eq!(net.output_shape(), Shape::new(10, 1, 1));
        net.validate().unwrap();
    }

    #[test]
    fn mismatched_add_is_reported_with_the_node_name() {
        let (mut b, x) = NetworkBuilder::new("t", Shape::new(3, 8, 8));
        let c = b.conv("c", x, 4, 3, 1, 1);
        let a = b.sum("bad_add", &[x, c]);
        let err = b.finish(a).unwrap_err().to_string();
        assert!(
            err.contains("bad_add") && err.contains("3x8x8") && err.contains("4x8x8"),
            "{err}"
        );
    }

    #[test]
    fn groups_must_divide_channels() {
        let (mut b, x) = NetworkBuilder::new("t", Shape::new(3, 8, 8));
        let c = b.conv("c", x, 4, 1, 1, 2);
        assert!(b.finish(c).unwrap_err().to_string().contains("groups 2"));
    }

    #[test]
    fn validate_catches_a_tampered_shape() {
        let (mut b, x) = NetworkBuilder::new("t", Shape::new(3, 8, 8));
        let c = b.conv("c", x, 4, 3, 1, 1);
        let mut net = b.finish(c).unwrap();
        net.nodes[1].shape = Shape::new(5, 8, 8);
        assert!(net
            .validate()
            .unwrap_err()
            .to_string()
            .contains("stored shape 5x8x8"));
    }
}
