//! Predictor input encodings of an architecture.
//!
//! Every encoding is deterministic and has a versioned name (`onehot-v1`,
//! `graph-v1`, `features-v1`) that predictor files record, so a file trained
//! on one version is never fed another. Changing what an encoding produces
//! means adding a new version, never editing an old one.

mod cache;
mod choice_tables;
mod features;
mod graph;

pub use cache::EncodingCache;
pub use choice_tables::{ChoiceTables, PositionCosts, LOG_SUMS, PLAIN_SUMS};
pub use features::{feature_names, features_v1, features_v1_from_costs};
pub use graph::{graph_v1, GraphEncoding};

use crate::error::{Error, Result};
use crate::space::{Arch, SpaceId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The encodings latscope knows, by versioned name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    /// One-hot operation per searchable position, positions in the space's
    /// canonical order (NB201: 6 edges × 5 ops; FBNet: 22 layers × 9 ops).
    #[serde(rename = "onehot-v1")]
    OneHotV1,
    /// The op graph ([`crate::space::OpGraph`]): row-major adjacency (n×n)
    /// followed by one-hot node types (n×vocabulary), flattened.
    #[serde(rename = "graph-v1")]
    GraphV1,
    /// Cost features of the network lowered on the space's default dataset
    /// (see [`feature_names`]).
    #[serde(rename = "features-v1")]
    FeaturesV1,
}

impl Encoding {
    /// Every encoding, in the order an unknown name's error message lists them.
    pub const ALL: [Encoding; 3] = [Encoding::OneHotV1, Encoding::GraphV1, Encoding::FeaturesV1];

    /// The versioned name predictor files record, e.g. `onehot-v1`; the
    /// same as the serde name, and what [`FromStr`] parses.
    pub const fn name(&self) -> &'static str {
        match self {
            Encoding::OneHotV1 => "onehot-v1",
            Encoding::GraphV1 => "graph-v1",
            Encoding::FeaturesV1 => "features-v1",
        }
    }

    /// Length of the encoded vector for architectures of `space`.
    pub fn dim(&self, space: SpaceId) -> usize {
        match self {
            Encoding::OneHotV1 => space.onehot_len(),
            Encoding::GraphV1 => {
                let n = space.op_graph_nodes();
                n * n + n * space.graph_vocabulary().len()
            }
            Encoding::FeaturesV1 => feature_names().len(),
        }
    }

    /// Encodes one architecture.
    pub fn encode(&self, arch: &Arch) -> Result<Vec<f32>> {
        match self {
            Encoding::OneHotV1 => Ok(arch.onehot()),
            Encoding::GraphV1 => Ok(graph_v1(arch).flatten()),
            Encoding::FeaturesV1 => features_v1(arch),
        }
    }

    /// Encodes many architectures of one space into a row-major matrix
    /// (`archs.len()` × [`Encoding::dim`]).
    pub fn encode_all(&self, archs: &[Arch]) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        for arch in archs {
            out.extend(self.encode(arch)?);
        }
        Ok(out)
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Encoding {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| Error::Unsupported {
                space: "latscope",
                what: "encoding",
                value: s.to_string(),
                supported: Self::ALL.map(|e| e.name()).join(", "),
            })
    }
}

#[cfg(test)]
mod tests;
