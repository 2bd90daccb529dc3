//! Search spaces: parsing and printing architecture strings, enumerating the
//! space, and lowering an architecture to the layer-level [`Network`] IR.
//!
//! Each space is one module implementing [`ArchSpec`]. Adding a third space
//! (say a MobileNet-V3 / OFA-style one) means writing that module, then adding
//! one variant to [`SpaceId`] and one to [`Arch`]: every `match` that needs the
//! new arm is a compile error until it has one.

pub mod fbnet;
mod layout;
pub mod nb201;
mod nb201_index;

pub use layout::SpaceLayout;

use crate::error::{Error, Result};
use crate::ir::Network;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a search space's architecture type must offer.
pub trait ArchSpec: Sized + Clone + PartialEq + fmt::Display {
    /// The space this architecture belongs to.
    const SPACE: SpaceId;
    /// Parses the space's canonical architecture string.
    fn parse(s: &str) -> Result<Self>;
    /// Lowers the architecture to a network for the given dataset skeleton.
    fn lower(&self, dataset: Dataset) -> Result<Network>;
    /// One-hot encoding of the choices, `SpaceId::onehot_len()` values.
    fn onehot(&self) -> Vec<f32>;
    /// The operation graph used by graph encodings (see [`OpGraph`]).
    fn op_graph(&self) -> OpGraph;
}

/// The registered search spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceId {
    /// NAS-Bench-201: a cell of 6 edges × 5 operations, 15625 architectures.
    Nb201,
    /// FBNet: 22 searchable layers × 9 block choices.
    Fbnet,
}

impl SpaceId {
    /// Every registered space, in declaration (and sort) order.
    pub const ALL: [SpaceId; 2] = [SpaceId::Nb201, SpaceId::Fbnet];

    /// The name used in files and on the command line.
    pub const fn name(&self) -> &'static str {
        match self {
            SpaceId::Nb201 => "nb201",
            SpaceId::Fbnet => "fbnet",
        }
    }

    /// The [`name`](SpaceId::name) of every registered space, in [`SpaceId::ALL`] order.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|s| s.name()).collect()
    }

    /// Parses an architecture string of this space.
    pub fn parse_arch(&self, s: &str) -> Result<Arch> {
        Ok(match self {
            SpaceId::Nb201 => Arch::Nb201(nb201::Cell::parse(s)?),
            SpaceId::Fbnet => Arch::Fbnet(fbnet::FbnetArch::parse(s)?),
        })
    }

    /// Parses an architecture string, or `#index` for the architecture at a
    /// benchmark index (NB201's `#0` … `#15624`).
    pub fn parse_arch_or_index(&self, s: &str) -> Result<Arch> {
        let Some(index) = s.strip_prefix('#') else {
            return self.parse_arch(s);
        };
        let index: usize = index.trim().parse().map_err(|_| Error::InvalidArch {
            space: self.name(),
            arch: s.to_string(),
            reason: format!(
                "{index:?} after '#' is not a benchmark index (a non-negative integer)"
            ),
        })?;
        self.arch_at_benchmark_index(index)
    }

    /// The dataset skeleton the public latency data was measured with.
    pub const fn default_dataset(&self) -> Dataset {
        match self {
            SpaceId::Nb201 => Dataset::Cifar10,
            SpaceId::Fbnet => Dataset::Cifar100,
        }
    }

    /// Length of the one-hot encoding.
    pub const fn onehot_len(&self) -> usize {
        match self {
            SpaceId::Nb201 => nb201::EDGES.len() * nb201::Nb201Op::ALL.len(),
            SpaceId::Fbnet => fbnet::LAYERS * fbnet::FbnetOp::ALL.len(),
        }
    }

    /// Names of the node types of [`OpGraph`]s of this space, by index.
    pub fn graph_vocabulary(&self) -> Vec<&'static str> {
        let ops: Vec<&'static str> = match self {
            SpaceId::Nb201 => nb201::Nb201Op::ALL.iter().map(|o| o.name()).collect(),
            SpaceId::Fbnet => fbnet::FbnetOp::ALL.iter().map(|o| o.name()).collect(),
        };
        [OpGraph::INPUT, OpGraph::OUTPUT]
            .into_iter()
            .chain(ops)
            .collect()
    }

    /// Every architecture of the space, in benchmark-index order; an error
    /// for a space too large to list (FBNet's 9^22).
    pub fn enumerate(&self) -> Result<Vec<Arch>> {
        match self {
            SpaceId::Nb201 => (0..nb201::SPACE_SIZE)
                .map(|i| nb201::Cell::from_benchmark_index(i).map(Arch::Nb201))
                .collect(),
            SpaceId::Fbnet => Err(Error::TooManyToList {
                space: self.name(),
                size: format!("{}^{}", fbnet::FbnetOp::ALL.len(), fbnet::LAYERS),
            }),
        }
    }

    /// Number of nodes in this space's [`OpGraph`]s: the input, one per
    /// choice, the output.
    pub const fn op_graph_nodes(&self) -> usize {
        match self {
            SpaceId::Nb201 => nb201::EDGES.len() + 2,
            SpaceId::Fbnet => fbnet::LAYERS + 2,
        }
    }

    /// Whether the space's benchmark numbers its architectures (NB201's
    /// `#N` indices); see [`SpaceId::arch_at_benchmark_index`].
    pub const fn has_benchmark_index(&self) -> bool {
        matches!(self, SpaceId::Nb201)
    }

    /// The architecture at the benchmark's index `index`; an error for a
    /// space without benchmark indices or an index out of range.
    pub fn arch_at_benchmark_index(&self, index: usize) -> Result<Arch> {
        match self {
            SpaceId::Nb201 => Ok(Arch::Nb201(nb201::Cell::from_benchmark_index(index)?)),
            SpaceId::Fbnet => Err(Error::NoBenchmarkIndex {
                space: self.name(),
                with: Self::ALL
                    .iter()
                    .filter(|s| s.has_benchmark_index())
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The shipped reference architectures of the space (HELP's
    /// hardware-embedding set), as `(file name, file text)` of
    /// `static/data/<space>_reference_archs.txt`: one `index<TAB>arch` per line.
    pub const fn reference_archs_file(&self) -> (&'static str, &'static str) {
        match self {
            SpaceId::Nb201 => (
                "nb201_reference_archs.txt",
                include_str!("../../../static/data/nb201_reference_archs.txt"),
            ),
            SpaceId::Fbnet => (
                "fbnet_reference_archs.txt",
                include_str!("../../../static/data/fbnet_reference_archs.txt"),
            ),
        }
    }

    /// Number of architectures in the space (FBNet's 9^22 does not fit in u64
    /// comfortably for arithmetic elsewhere, so this is an f64).
    pub fn size(&self) -> f64 {
        match self {
            SpaceId::Nb201 => nb201::SPACE_SIZE as f64,
            SpaceId::Fbnet => (fbnet::FbnetOp::ALL.len() as f64).powi(fbnet::LAYERS as i32),
        }
    }
}

impl fmt::Display for SpaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SpaceId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|id| id.name() == wanted || (wanted == "nasbench201" && *id == SpaceId::Nb201))
            .ok_or_else(|| Error::UnknownSpace {
                name: s.to_string(),
                known: Self::names().join(", "),
            })
    }
}

/// An architecture of any registered space.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    /// A NAS-Bench-201 cell.
    Nb201(nb201::Cell),
    /// An FBNet architecture.
    Fbnet(fbnet::FbnetArch),
}

/// Calls the same [`ArchSpec`] method on whichever space's architecture this is.
macro_rules! each_space {
    ($arch:expr, $a:ident => $body:expr) => {
        match $arch {
            Arch::Nb201($a) => $body,
            Arch::Fbnet($a) => $body,
        }
    };
}

impl Arch {
    /// Whether the network's output depends on its input at all. An NB201 cell with no path
    /// of non-`none` edges from its input to its output makes the network compute a constant
    /// ([`nb201::Cell::output_depends_on_input`]; 341 of the 15625 cells); every FBNet network
    /// depends on its input (each layer is a block or a skip).
    pub fn output_depends_on_input(&self) -> bool {
        match self {
            Arch::Nb201(cell) => cell.output_depends_on_input(),
            Arch::Fbnet(_) => true,
        }
    }

    /// The space the architecture belongs to.
    pub fn space(&self) -> SpaceId {
        match self {
            Arch::Nb201(_) => SpaceId::Nb201,
            Arch::Fbnet(_) => SpaceId::Fbnet,
        }
    }

    /// Lowers to a network on `dataset`'s skeleton.
    pub fn lower(&self, dataset: Dataset) -> Result<Network> {
        each_space!(self, a => a.lower(dataset))
    }

    /// Lowers to a network on the space's default skeleton.
    pub fn lower_default(&self) -> Result<Network> {
        self.lower(self.space().default_dataset())
    }

    /// The benchmark's own index of the architecture, for a space whose
    /// benchmark numbers them (NB201); `None` otherwise.
    pub fn benchmark_index(&self) -> Option<usize> {
        match self {
            Arch::Nb201(cell) => Some(cell.benchmark_index()),
            Arch::Fbnet(_) => None,
        }
    }

    /// The space's canonical numeric code of the architecture where it has
    /// one (NB201's base-5 operation digits, [`nb201::Cell::code`]).
    pub fn canonical_code(&self) -> Option<usize> {
        match self {
            Arch::Nb201(cell) => Some(cell.code()),
            Arch::Fbnet(_) => None,
        }
    }

    /// One-hot encoding of the choices, [`SpaceId::onehot_len`] values
    /// (see [`ArchSpec::onehot`]).
    pub fn onehot(&self) -> Vec<f32> {
        each_space!(self, a => a.onehot())
    }

    /// The operation graph used by graph encodings (see [`OpGraph`]).
    pub fn op_graph(&self) -> OpGraph {
        each_space!(self, a => a.op_graph())
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each_space!(self, a => a.fmt(f))
    }
}

/// The dataset a network is built for: it fixes the input resolution and the
/// number of classes (and, for FBNet, the stem and stage strides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dataset {
    /// CIFAR-10: 32×32 images, 10 classes.
    #[serde(rename = "cifar10")]
    Cifar10,
    /// CIFAR-100: 32×32 images, 100 classes.
    #[serde(rename = "cifar100")]
    Cifar100,
    /// NAS-Bench-201's ImageNet16-120: ImageNet downsampled to 16×16,
    /// 120 classes (NB201 only).
    #[serde(rename = "imagenet16-120")]
    ImageNet16_120,
    /// ImageNet: 224×224 images, 1000 classes (FBNet only).
    #[serde(rename = "imagenet")]
    ImageNet,
}

impl Dataset {
    /// Every dataset skeleton, in declaration order.
    pub const ALL: [Dataset; 4] = [
        Dataset::Cifar10,
        Dataset::Cifar100,
        Dataset::ImageNet16_120,
        Dataset::ImageNet,
    ];

    /// The name used in files and on the command line (the serde name too).
    pub const fn name(&self) -> &'static str {
        match self {
            Dataset::Cifar10 => "cifar10",
            Dataset::Cifar100 => "cifar100",
            Dataset::ImageNet16_120 => "imagenet16-120",
            Dataset::ImageNet => "imagenet",
        }
    }

    /// Input image side in pixels (images are square, 3 channels).
    pub const fn input_size(&self) -> usize {
        match self {
            Dataset::Cifar10 | Dataset::Cifar100 => 32,
            Dataset::ImageNet16_120 => 16,
            Dataset::ImageNet => 224,
        }
    }

    /// Number of classes: the length of the classifier's output.
    pub const fn num_classes(&self) -> usize {
        match self {
            Dataset::Cifar10 => 10,
            Dataset::Cifar100 => 100,
            Dataset::ImageNet16_120 => 120,
            Dataset::ImageNet => 1000,
        }
    }

    /// The error for a space that has no skeleton for this dataset.
    pub(crate) fn unsupported(&self, space: SpaceId, supported: &[Dataset]) -> Error {
        Error::Unsupported {
            space: space.name(),
            what: "dataset",
            value: self.name().to_string(),
            supported: supported
                .iter()
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dataset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|d| d.name() == wanted)
            .ok_or_else(|| Error::Unsupported {
                space: "latscope",
                what: "dataset",
                value: s.to_string(),
                supported: Self::ALL.map(|d| d.name()).join(", "),
            })
    }
}

/// One-hot encoding of a sequence of choices, each among `per_choice`
/// options: slot `i` holds a 1 at `i * per_choice + choices[i]`.
pub(crate) fn onehot_of(
    per_choice: usize,
    choices: impl ExactSizeIterator<Item = usize>,
) -> Vec<f32> {
    let mut v = vec![0.0; choices.len() * per_choice];
    for (i, choice) in choices.enumerate() {
        v[i * per_choice + choice] = 1.0;
    }
    v
}

/// An architecture as a directed acyclic graph of operations, the input to
/// graph encodings (GCN/GNN predictors). Node 0 is the input, the last node
/// the output; every other node is one searchable choice, typed by its index
/// in [`SpaceId::graph_vocabulary`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpGraph {
    /// Vocabulary index of each node's type.
    pub node_types: Vec<usize>,
    /// `adjacency[i][j]` is true when node i feeds node j.
    pub adjacency: Vec<Vec<bool>>,
}

impl OpGraph {
    /// Type name of the input node: vocabulary index 0.
    pub const INPUT: &'static str = "input";
    /// Type name of the output node: vocabulary index 1 (the space's
    /// operations follow from index 2).
    pub const OUTPUT: &'static str = "output";

    /// A chain input → choices… → output (FBNet-like spaces).
    pub fn chain(choice_types: impl IntoIterator<Item = usize>) -> Self {
        let mut node_types = vec![0];
        node_types.extend(choice_types.into_iter().map(|t| t + 2));
        node_types.push(1);
        let n = node_types.len();
        let mut adjacency = vec![vec![false; n]; n];
        for (i, row) in adjacency.iter_mut().enumerate().take(n - 1) {
            row[i + 1] = true;
        }
        OpGraph {
            node_types,
            adjacency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmark_indices_round_trip_where_the_space_has_them() {
        for index in [0, 6111, nb201::SPACE_SIZE - 1] {
            let arch = SpaceId::Nb201.arch_at_benchmark_index(index).unwrap();
            assert_eq!(arch.benchmark_index(), Some(index));
            assert_eq!(
                arch.canonical_code(),
                Some(nb201::Cell::parse(&arch.to_string()).unwrap().code())
            );
        }
        assert!(SpaceId::Nb201
            .arch_at_benchmark_index(nb201::SPACE_SIZE)
            .is_err());
        let err = SpaceId::Fbnet
            .arch_at_benchmark_index(3)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "fbnet has no benchmark indices (spaces with them: nb201)"
        );
        let fb = SpaceId::Fbnet
            .parse_arch(&["skip"; fbnet::LAYERS].join("-"))
            .unwrap();
        assert_eq!((fb.benchmark_index(), fb.canonical_code()), (None, None));
    }

    #[test]
    fn every_space_states_its_op_graph_size_and_reference_file() {
        for space in SpaceId::ALL {
            let arch = space.enumerate().map_or_else(
                |_| {
                    space
                        .parse_arch(&["skip"; fbnet::LAYERS].join("-"))
                        .unwrap()
                },
                |all| all[0].clone(),
            );
            assert_eq!(arch.op_graph().node_types.len(), space.op_graph_nodes());
            let (name, text) = space.reference_archs_file();
            assert!(name.starts_with(space.name()), "{name}");
            let first = text.lines().next().unwrap().split('\t').nth(1).unwrap();
            assert!(space.parse_arch(first).is_ok(), "{name}: {first}");
        }
    }

    #[test]
    fn nb201_lists_every_cell_in_benchmark_order_and_fbnet_refuses() {
        let all = SpaceId::Nb201.enumerate().unwrap();
        assert_eq!(all.len() as f64, SpaceId::Nb201.size());
        for index in [0, 1, 6111, nb201::SPACE_SIZE - 1] {
            assert_eq!(
                all[index],
                Arch::Nb201(nb201::Cell::from_benchmark_index(index).unwrap())
            );
        }
        let err = SpaceId::Fbnet.enumerate().unwrap_err().to_string();
        assert_eq!(err, "fbnet has 9^22 architectures, too many to list");
    }
}
