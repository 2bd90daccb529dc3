//! The FBNet space (Wu et al., CVPR 2019) as used by HW-NAS-Bench and HELP:
//! 22 searchable layers, each one of 9 blocks, in a fixed 7-stage skeleton.
//!
//! Architecture strings are the 22 block names joined by `-`, e.g.
//! `k3_e1-skip-k5_e6-...`.

use super::{onehot_of, ArchSpec, Dataset, OpGraph, SpaceId};
use crate::error::{Error, Result};
use crate::ir::{Network, NetworkBuilder, NodeId, Op, Shape};
use std::fmt;

/// Number of searchable layers.
pub const LAYERS: usize = 22;
/// Searchable layers per stage.
pub const STAGE_LAYERS: [usize; 7] = [1, 4, 4, 4, 4, 4, 1];
/// Output channels per stage.
pub const STAGE_CHANNELS: [usize; 7] = [16, 24, 32, 64, 112, 184, 352];
/// Stride of each stage's first layer on 32×32 CIFAR inputs.
pub const CIFAR_STAGE_STRIDES: [usize; 7] = [1, 1, 2, 2, 1, 2, 1];
/// Stride of each stage's first layer on 224×224 ImageNet inputs.
pub const IMAGENET_STAGE_STRIDES: [usize; 7] = [1, 2, 2, 2, 1, 2, 1];
/// Stem output channels.
pub const STEM_CHANNELS: usize = 16;
/// Channels of the 1×1 head convolution before pooling.
pub const HEAD_CHANNELS: usize = 1504;

const DATASETS: [Dataset; 3] = [Dataset::Cifar100, Dataset::Cifar10, Dataset::ImageNet];

/// One layer's block choice, in the vocabulary order of the published data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FbnetOp {
    /// Inverted-residual block: 3×3 depthwise kernel, expansion 1 (`k3_e1`).
    K3E1,
    /// 3×3 kernel, expansion 1, its 1×1 convolutions in 2 groups with a
    /// channel shuffle between them (`k3_e1_g2`).
    K3E1G2,
    /// 3×3 kernel, expansion 3 (`k3_e3`).
    K3E3,
    /// 3×3 kernel, expansion 6 (`k3_e6`).
    K3E6,
    /// 5×5 kernel, expansion 1 (`k5_e1`).
    K5E1,
    /// 5×5 kernel, expansion 1, 2-group 1×1 convolutions with a channel
    /// shuffle (`k5_e1_g2`).
    K5E1G2,
    /// 5×5 kernel, expansion 3 (`k5_e3`).
    K5E3,
    /// 5×5 kernel, expansion 6 (`k5_e6`).
    K5E6,
    /// No block (`skip`): the identity where the layer keeps its shape, else
    /// a 1×1 convolution → batch-norm → ReLU projecting to the new channels
    /// and stride.
    Skip,
}

/// The shape of an inverted-residual block choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockSpec {
    /// Side of the depthwise convolution's square kernel (3 or 5).
    pub kernel: usize,
    /// Hidden channels as a multiple of the block's input channels.
    pub expansion: usize,
    /// Groups of the two 1×1 (pointwise) convolutions; above 1 a channel
    /// shuffle follows the first.
    pub groups: usize,
}

impl FbnetOp {
    /// Every block choice, in vocabulary order (the one-hot and graph
    /// encodings' order).
    pub const ALL: [FbnetOp; 9] = [
        FbnetOp::K3E1,
        FbnetOp::K3E1G2,
        FbnetOp::K3E3,
        FbnetOp::K3E6,
        FbnetOp::K5E1,
        FbnetOp::K5E1G2,
        FbnetOp::K5E3,
        FbnetOp::K5E6,
        FbnetOp::Skip,
    ];

    /// The block's name in architecture strings, e.g. `k3_e1_g2`.
    pub const fn name(&self) -> &'static str {
        match self {
            FbnetOp::K3E1 => "k3_e1",
            FbnetOp::K3E1G2 => "k3_e1_g2",
            FbnetOp::K3E3 => "k3_e3",
            FbnetOp::K3E6 => "k3_e6",
            FbnetOp::K5E1 => "k5_e1",
            FbnetOp::K5E1G2 => "k5_e1_g2",
            FbnetOp::K5E3 => "k5_e3",
            FbnetOp::K5E6 => "k5_e6",
            FbnetOp::Skip => "skip",
        }
    }

    /// Position in [`FbnetOp::ALL`].
    pub const fn index(&self) -> usize {
        *self as usize
    }

    /// The block called `name` (exact, case-sensitive match), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The block's kernel, expansion and groups; `None` for `skip`.
    pub const fn block(&self) -> Option<BlockSpec> {
        let (kernel, expansion, groups) = match self {
            FbnetOp::K3E1 => (3, 1, 1),
            FbnetOp::K3E1G2 => (3, 1, 2),
            FbnetOp::K3E3 => (3, 3, 1),
            FbnetOp::K3E6 => (3, 6, 1),
            FbnetOp::K5E1 => (5, 1, 1),
            FbnetOp::K5E1G2 => (5, 1, 2),
            FbnetOp::K5E3 => (5, 3, 1),
            FbnetOp::K5E6 => (5, 6, 1),
            FbnetOp::Skip => return None,
        };
        Some(BlockSpec {
            kernel,
            expansion,
            groups,
        })
    }
}

/// An FBNet architecture: one block choice per searchable layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FbnetArch {
    /// The block of each searchable layer, input side first.
    pub layers: [FbnetOp; LAYERS],
}

impl FbnetArch {
    /// The architecture with every layer set to `op`.
    pub const fn uniform(op: FbnetOp) -> Self {
        FbnetArch {
            layers: [op; LAYERS],
        }
    }
}

impl fmt::Display for FbnetArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, op) in self.layers.iter().enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(op.name())?;
        }
        Ok(())
    }
}

impl ArchSpec for FbnetArch {
    const SPACE: SpaceId = SpaceId::Fbnet;

    fn parse(s: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidArch {
            space: "fbnet",
            arch: s.to_string(),
            reason,
        };
        let tokens: Vec<&str> = s.trim().split('-').collect();
        if tokens.len() != LAYERS {
            return Err(invalid(format!(
                "expected {LAYERS} layers joined by '-', found {}",
                tokens.len()
            )));
        }
        let mut layers = [FbnetOp::Skip; LAYERS];
        for (i, (slot, token)) in layers.iter_mut().zip(&tokens).enumerate() {
            *slot = FbnetOp::from_name(token).ok_or_else(|| {
                invalid(format!(
                    "layer {} has unknown block {token:?} (known: {})",
                    i + 1,
                    FbnetOp::ALL.map(|o| o.name()).join(", ")
                ))
            })?;
        }
        Ok(FbnetArch { layers })
    }

    fn lower(&self, dataset: Dataset) -> Result<Network> {
        if !DATASETS.contains(&dataset) {
            return Err(dataset.unsupported(SpaceId::Fbnet, &DATASETS));
        }
        let (stem_stride, strides) = match dataset {
            Dataset::ImageNet => (2, IMAGENET_STAGE_STRIDES),
            _ => (1, CIFAR_STAGE_STRIDES),
        };
        let side = dataset.input_size();
        let (mut b, input) =
            NetworkBuilder::new(format!("fbnet/{dataset} {self}"), Shape::new(3, side, side));
        let mut x = conv_bn(
            &mut b,
            "stem",
            input,
            STEM_CHANNELS,
            3,
            stem_stride,
            1,
            true,
        );
        let mut layer = 0;
        for stage in 0..STAGE_LAYERS.len() {
            for i in 0..STAGE_LAYERS[stage] {
                let stride = if i == 0 { strides[stage] } else { 1 };
                let prefix = format!("stage{stage}.layer{layer}");
                x = add_layer(
                    &mut b,
                    &prefix,
                    x,
                    self.layers[layer],
                    STAGE_CHANNELS[stage],
                    stride,
                );
                layer += 1;
            }
        }
        let x = conv_bn(&mut b, "head", x, HEAD_CHANNELS, 1, 1, 1, true);
        b.finish_with_classifier(x, dataset.num_classes())
    }

    fn onehot(&self) -> Vec<f32> {
        onehot_of(FbnetOp::ALL.len(), self.layers.iter().map(|op| op.index()))
    }

    fn op_graph(&self) -> OpGraph {
        OpGraph::chain(self.layers.iter().map(|op| op.index()))
    }
}

/// Conv → batch-norm, with a ReLU when `relu` is set.
#[allow(clippy::too_many_arguments)]
fn conv_bn(
    b: &mut NetworkBuilder,
    prefix: &str,
    x: NodeId,
    out_channels: usize,
    kernel: usize,
    stride: usize,
    groups: usize,
    relu: bool,
) -> NodeId {
    let x = b.conv(
        format!("{prefix}.conv"),
        x,
        out_channels,
        kernel,
        stride,
        groups,
    );
    let x = b.batch_norm(format!("{prefix}.bn"), x);
    if relu {
        b.relu(format!("{prefix}.relu"), x)
    } else {
        x
    }
}

/// One searchable layer: an inverted-residual block or a skip.
fn add_layer(
    b: &mut NetworkBuilder,
    prefix: &str,
    x: NodeId,
    op: FbnetOp,
    out_channels: usize,
    stride: usize,
) -> NodeId {
    let in_channels = b.shape(x).channels;
    let same_shape = in_channels == out_channels && stride == 1;
    let Some(spec) = op.block() else {
        // `skip` is the identity where shapes allow, else a 1×1 projection.
        return if same_shape {
            b.push(format!("{prefix}.skip.identity"), Op::Identity, &[x])
        } else {
            conv_bn(
                b,
                &format!("{prefix}.skip"),
                x,
                out_channels,
                1,
                stride,
                1,
                true,
            )
        };
    };
    let mid = in_channels * spec.expansion;
    let mut y = conv_bn(b, &format!("{prefix}.pw1"), x, mid, 1, 1, spec.groups, true);
    if spec.groups > 1 {
        y = b.push(
            format!("{prefix}.shuffle"),
            Op::ChannelShuffle {
                groups: spec.groups,
            },
            &[y],
        );
    }
    y = conv_bn(
        b,
        &format!("{prefix}.dw"),
        y,
        mid,
        spec.kernel,
        stride,
        mid,
        true,
    );
    y = conv_bn(
        b,
        &format!("{prefix}.pw2"),
        y,
        out_channels,
        1,
        1,
        spec.groups,
        false,
    );
    if same_shape {
        b.sum(format!("{prefix}.residual"), &[x, y])
    } else {
        y
    }
}
