//! NAS-Bench-201 (Dong & Yang, ICLR 2020): a cell of 4 nodes and 6 edges, each
//! edge one of 5 operations, stacked in a fixed ResNet-like skeleton.
//!
//! Two orders of the 15625 cells exist and are kept apart by name:
//! * [`Cell::code`]: latscope's canonical enumeration, the 6 operation
//!   indices read as a base-5 number, first edge most significant;
//! * [`Cell::benchmark_index`]: the benchmark's own architecture index (the
//!   one the NAS-Bench-201 API, HELP and HW-NAS-Bench use), looked up in a
//!   table taken from the published data.

use super::nb201_index;
use super::{onehot_of, ArchSpec, Dataset, OpGraph, SpaceId};
use crate::error::{Error, Result};
use crate::ir::{Network, NetworkBuilder, NodeId, Op, Shape};
use std::fmt;

/// Number of cells in the space (5^6).
pub const SPACE_SIZE: usize = 15625;

/// The cell's edges as (to, from) node pairs, in the order of the canonical
/// string `|e0|+|e1|e2|+|e3|e4|e5|`.
pub const EDGES: [(usize, usize); 6] = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)];

/// Channels of the three stages of the CIFAR / ImageNet16-120 skeleton.
pub const STAGE_CHANNELS: [usize; 3] = [16, 32, 64];
/// Cells per stage.
pub const CELLS_PER_STAGE: usize = 5;

const DATASETS: [Dataset; 3] = [Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120];

/// One edge's operation, in the benchmark's own order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nb201Op {
    /// No connection (`none`): the edge adds nothing to its target node (a
    /// node whose edges are all `none` is zero).
    None,
    /// The identity (`skip_connect`).
    SkipConnect,
    /// ReLU → 1×1 convolution → batch-norm (`nor_conv_1x1`).
    NorConv1x1,
    /// ReLU → 3×3 convolution → batch-norm (`nor_conv_3x3`).
    NorConv3x3,
    /// 3×3 average pooling, stride 1 (`avg_pool_3x3`).
    AvgPool3x3,
}

impl Nb201Op {
    /// Every operation, in the benchmark's order (the one-hot and graph
    /// encodings' order, and the base-5 digits of [`Cell::code`]).
    pub const ALL: [Nb201Op; 5] = [
        Nb201Op::None,
        Nb201Op::SkipConnect,
        Nb201Op::NorConv1x1,
        Nb201Op::NorConv3x3,
        Nb201Op::AvgPool3x3,
    ];

    /// The operation's name in architecture strings, e.g. `nor_conv_3x3`.
    pub const fn name(&self) -> &'static str {
        match self {
            Nb201Op::None => "none",
            Nb201Op::SkipConnect => "skip_connect",
            Nb201Op::NorConv1x1 => "nor_conv_1x1",
            Nb201Op::NorConv3x3 => "nor_conv_3x3",
            Nb201Op::AvgPool3x3 => "avg_pool_3x3",
        }
    }

    /// Position in [`Nb201Op::ALL`].
    pub const fn index(&self) -> usize {
        *self as usize
    }

    /// The operation called `name` (exact, case-sensitive match), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// A NAS-Bench-201 cell: the operation on each of the 6 [`EDGES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    /// The operation on each edge, in [`EDGES`] order.
    pub ops: [Nb201Op; 6],
}

impl Cell {
    /// The cell with `ops[e]` on edge `EDGES[e]`.
    pub const fn new(ops: [Nb201Op; 6]) -> Self {
        Cell { ops }
    }

    /// The cell with every edge set to `op`.
    pub const fn uniform(op: Nb201Op) -> Self {
        Cell { ops: [op; 6] }
    }

    /// Canonical code in `0..15625`: the operation indices as base-5 digits,
    /// edge 0 most significant.
    pub fn code(&self) -> usize {
        self.ops.iter().fold(0, |acc, op| acc * 5 + op.index())
    }

    /// Inverse of [`Cell::code`].
    pub fn from_code(code: usize) -> Result<Self> {
        if code >= SPACE_SIZE {
            return Err(Error::IndexOutOfRange {
                space: "nb201 canonical code",
                index: code,
                len: SPACE_SIZE,
            });
        }
        let mut ops = [Nb201Op::None; 6];
        let mut rest = code;
        for slot in ops.iter_mut().rev() {
            *slot = Nb201Op::ALL[rest % 5];
            rest /= 5;
        }
        Ok(Cell { ops })
    }

    /// All 15625 cells in canonical-code order.
    pub fn all() -> impl Iterator<Item = Cell> {
        (0..SPACE_SIZE).filter_map(|code| Cell::from_code(code).ok())
    }

    /// The benchmark's own index of this cell.
    pub fn benchmark_index(&self) -> usize {
        nb201_index::benchmark_index_of_code(self.code())
    }

    /// The cell at the benchmark's index `index`.
    pub fn from_benchmark_index(index: usize) -> Result<Self> {
        let code = nb201_index::code_of_benchmark_index(index).ok_or(Error::IndexOutOfRange {
            space: "nb201 benchmark index",
            index,
            len: SPACE_SIZE,
        })?;
        Cell::from_code(code)
    }

    /// Whether the cell's output (node 3) is reached from its input (node 0) through edges that
    /// are not `none`. When it is not, the cell outputs zeros whatever its input, so the whole
    /// network computes a constant: a runtime may fold it away and time nothing (tract does),
    /// while a device that runs every layer still pays for the stem and the reductions.
    pub fn output_depends_on_input(&self) -> bool {
        let mut reached = [true, false, false, false];
        // EDGES are ordered by destination node, so one pass sees every source settled.
        for (&(to, from), op) in EDGES.iter().zip(self.ops) {
            reached[to] |= reached[from] && op != Nb201Op::None;
        }
        reached[3]
    }

    /// Which cell nodes are computed: node 0 always; node j when at least
    /// one incoming edge is not `none`. A node that is not computed is zero.
    pub fn computed_nodes(&self) -> [bool; 4] {
        let mut computed = [true, false, false, false];
        for (&(to, _), op) in EDGES.iter().zip(self.ops) {
            computed[to] |= op != Nb201Op::None;
        }
        computed
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (e, (&(to, from), op)) in EDGES.iter().zip(self.ops).enumerate() {
            if e > 0 && from == 0 {
                f.write_str("+")?;
            }
            write!(f, "|{}~{from}", op.name())?;
            if from + 1 == to {
                f.write_str("|")?;
            }
        }
        Ok(())
    }
}

impl ArchSpec for Cell {
    const SPACE: SpaceId = SpaceId::Nb201;

    /// Parses `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` (whitespace around it ignored).
    fn parse(s: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidArch {
            space: "nb201",
            arch: s.to_string(),
            reason,
        };
        let groups: Vec<&str> = s.trim().split('+').collect();
        if groups.len() != 3 {
            return Err(invalid(format!(
                "expected 3 node groups separated by '+', found {}",
                groups.len()
            )));
        }
        let mut ops = [Nb201Op::None; 6];
        let mut edge = 0;
        for (g, group) in groups.iter().enumerate() {
            let to = g + 1;
            let inner = group
                .strip_prefix('|')
                .and_then(|x| x.strip_suffix('|'))
                .ok_or_else(|| {
                    invalid(format!(
                        "node {to}'s group {group:?} must start and end with '|'"
                    ))
                })?;
            let entries: Vec<&str> = inner.split('|').collect();
            if entries.len() != to {
                return Err(invalid(format!(
                    "node {to} needs {to} incoming edge(s), found {} in {group:?}",
                    entries.len()
                )));
            }
            for (from, entry) in entries.iter().enumerate() {
                let (name, src) = entry
                    .split_once('~')
                    .ok_or_else(|| invalid(format!("edge {entry:?} is not 'op~source'")))?;
                let op = Nb201Op::from_name(name).ok_or_else(|| {
                    invalid(format!(
                        "unknown operation {name:?} (known: {})",
                        Nb201Op::ALL.map(|o| o.name()).join(", ")
                    ))
                })?;
                if src != from.to_string() {
                    return Err(invalid(format!(
                        "edge {entry:?} into node {to} must come from node {from}, not {src:?}"
                    )));
                }
                ops[edge] = op;
                edge += 1;
            }
        }
        Ok(Cell { ops })
    }

    fn lower(&self, dataset: Dataset) -> Result<Network> {
        if !DATASETS.contains(&dataset) {
            return Err(dataset.unsupported(SpaceId::Nb201, &DATASETS));
        }
        let side = dataset.input_size();
        let (mut b, input) =
            NetworkBuilder::new(format!("nb201/{dataset} {self}"), Shape::new(3, side, side));
        let stem = b.conv("stem.conv", input, STAGE_CHANNELS[0], 3, 1, 1);
        let mut x = b.batch_norm("stem.bn", stem);
        for (stage, &channels) in STAGE_CHANNELS.iter().enumerate() {
            if stage > 0 {
                x = reduction_block(&mut b, &format!("stage{stage}.reduce"), x, channels);
            }
            for c in 0..CELLS_PER_STAGE {
                x = self.add_cell(&mut b, &format!("stage{stage}.cell{c}"), x);
            }
        }
        let x = b.batch_norm("head.bn", x);
        let x = b.relu("head.relu", x);
        b.finish_with_classifier(x, dataset.num_classes())
    }

    fn onehot(&self) -> Vec<f32> {
        onehot_of(Nb201Op::ALL.len(), self.ops.iter().map(|op| op.index()))
    }

    /// The HELP / BRP-NAS graph: input, one node per edge operation (`none`
    /// included, as an operation type), output. An edge-op node reads every
    /// edge-op node that ends where it starts.
    fn op_graph(&self) -> OpGraph {
        let n = EDGES.len() + 2;
        let output = n - 1;
        let mut adjacency = vec![vec![false; n]; n];
        for (e, &(to, from)) in EDGES.iter().enumerate() {
            let me = e + 1;
            if from == 0 {
                adjacency[0][me] = true;
            }
            for (p, &(p_to, _)) in EDGES.iter().enumerate() {
                if p_to == from {
                    adjacency[p + 1][me] = true;
                }
            }
            if to == 3 {
                adjacency[me][output] = true;
            }
        }
        let mut node_types = vec![0];
        node_types.extend(self.ops.iter().map(|op| op.index() + 2));
        node_types.push(1);
        OpGraph {
            node_types,
            adjacency,
        }
    }
}

impl Cell {
    /// Adds one cell reading `x`; returns the cell's output node. `none`
    /// edges add nothing; a node whose incoming edges are all `none` is a
    /// [`Op::Zero`] shaped like the cell input, and edges leaving it are kept
    /// (a convolution of zeros still runs and, through batch-norm, yields a
    /// constant), which is what the benchmark's PyTorch code executes.
    fn add_cell(&self, b: &mut NetworkBuilder, prefix: &str, x: NodeId) -> NodeId {
        let channels = b.shape(x).channels;
        let mut nodes: [NodeId; 4] = [x; 4];
        for to in 1..4 {
            let mut terms = Vec::new();
            for (e, (&(edge_to, from), op)) in EDGES.iter().zip(self.ops).enumerate() {
                if edge_to != to {
                    continue;
                }
                let name = format!("{prefix}.edge{e}({to}<-{from})");
                if let Some(out) = add_edge_op(b, &name, op, nodes[from], channels) {
                    terms.push(out);
                }
            }
            nodes[to] = if terms.is_empty() {
                b.push(format!("{prefix}.node{to}.zero"), Op::Zero, &[x])
            } else {
                b.sum(format!("{prefix}.node{to}.sum"), &terms)
            };
        }
        nodes[3]
    }
}

/// One edge operation on `x`; `None` for the `none` operation.
fn add_edge_op(
    b: &mut NetworkBuilder,
    name: &str,
    op: Nb201Op,
    x: NodeId,
    channels: usize,
) -> Option<NodeId> {
    match op {
        Nb201Op::None => None,
        Nb201Op::SkipConnect => Some(b.push(format!("{name}.identity"), Op::Identity, &[x])),
        Nb201Op::NorConv1x1 => Some(relu_conv_bn(b, name, x, channels, 1, 1)),
        Nb201Op::NorConv3x3 => Some(relu_conv_bn(b, name, x, channels, 3, 1)),
        Nb201Op::AvgPool3x3 => Some(b.push(
            format!("{name}.avg_pool"),
            Op::AvgPool {
                kernel: 3,
                stride: 1,
                padding: 1,
                count_include_pad: false,
            },
            &[x],
        )),
    }
}

/// NAS-Bench-201's ReLUConvBN: ReLU → K×K conv (no bias) → batch-norm.
fn relu_conv_bn(
    b: &mut NetworkBuilder,
    name: &str,
    x: NodeId,
    out_channels: usize,
    kernel: usize,
    stride: usize,
) -> NodeId {
    let x = b.relu(format!("{name}.relu"), x);
    let x = b.conv(format!("{name}.conv"), x, out_channels, kernel, stride, 1);
    b.batch_norm(format!("{name}.bn"), x)
}

/// The residual reduction block between stages (NAS-Bench-201's
/// ResNetBasicblock with stride 2): two ReLUConvBN 3×3 on the main path, a
/// 2×2 average pool then a 1×1 conv on the shortcut, summed.
fn reduction_block(b: &mut NetworkBuilder, prefix: &str, x: NodeId, out_channels: usize) -> NodeId {
    let a = relu_conv_bn(b, &format!("{prefix}.conv_a"), x, out_channels, 3, 2);
    let main = relu_conv_bn(b, &format!("{prefix}.conv_b"), a, out_channels, 3, 1);
    let pooled = b.push(
        format!("{prefix}.shortcut.avg_pool"),
        Op::AvgPool {
            kernel: 2,
            stride: 2,
            padding: 0,
            count_include_pad: true,
        },
        &[x],
    );
    let shortcut = b.conv(
        format!("{prefix}.shortcut.conv"),
        pooled,
        out_channels,
        1,
        1,
        1,
    );
    b.sum(format!("{prefix}.sum"), &[main, shortcut])
}

#[cfg(test)]
mod constant_output_tests {
    use super::*;

    /// 341 cells have no path from input to output (the count issue 26 reports from the space);
    /// the all-`none` cell and a cell whose only path ends in `none` are among them, a skip
    /// straight to the output is not.
    #[test]
    fn cells_without_an_input_to_output_path() {
        let constant: Vec<Cell> = Cell::all()
            .filter(|c| !c.output_depends_on_input())
            .collect();
        assert_eq!(constant.len(), 341);
        assert!(constant.contains(&Cell::uniform(Nb201Op::None)));
        let skip_only = Cell::new([
            Nb201Op::None,
            Nb201Op::None,
            Nb201Op::None,
            Nb201Op::SkipConnect,
            Nb201Op::None,
            Nb201Op::None,
        ]);
        assert!(skip_only.output_depends_on_input());
        // Node 1 is fed, but nothing leaves it towards node 3 except through a `none` edge.
        let dead_end = Cell::new([
            Nb201Op::NorConv3x3,
            Nb201Op::None,
            Nb201Op::None,
            Nb201Op::None,
            Nb201Op::None,
            Nb201Op::None,
        ]);
        assert!(!dead_end.output_depends_on_input());
    }
}
