//! A space as an architecture builder sees it: the searchable positions and
//! the operation choices at each, and the architecture a choice per
//! position makes.

use super::{fbnet, nb201, Arch, SpaceId};
use crate::error::{Error, Result};
use serde::Serialize;

/// The searchable positions of a space and the operations to choose from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpaceLayout {
    /// The space's name, as [`SpaceId::name`] gives it.
    pub space: &'static str,
    /// A label per searchable position (NB201: cell edges; FBNet: layers).
    pub positions: Vec<String>,
    /// NB201 only: each edge's (from, to) cell nodes, for drawing the cell.
    pub edges: Vec<(usize, usize)>,
    /// Operation names, the same at every position.
    pub choices: Vec<String>,
}

impl SpaceId {
    /// The builder layout of the space.
    pub fn layout(&self) -> SpaceLayout {
        match self {
            SpaceId::Nb201 => SpaceLayout {
                space: self.name(),
                positions: nb201::EDGES
                    .iter()
                    .map(|(to, from)| format!("node {from} → node {to}"))
                    .collect(),
                edges: nb201::EDGES.iter().map(|&(to, from)| (from, to)).collect(),
                choices: nb201::Nb201Op::ALL
                    .iter()
                    .map(|o| o.name().to_string())
                    .collect(),
            },
            SpaceId::Fbnet => {
                let mut positions = Vec::with_capacity(fbnet::LAYERS);
                for (stage, &n) in fbnet::STAGE_LAYERS.iter().enumerate() {
                    for _ in 0..n {
                        positions.push(format!(
                            "layer {} (stage {}, {} ch)",
                            positions.len() + 1,
                            stage + 1,
                            fbnet::STAGE_CHANNELS[stage]
                        ));
                    }
                }
                SpaceLayout {
                    space: self.name(),
                    positions,
                    edges: vec![],
                    choices: fbnet::FbnetOp::ALL
                        .iter()
                        .map(|o| o.name().to_string())
                        .collect(),
                }
            }
        }
    }

    /// Where the positions' operations stand in the space's architecture
    /// strings, for readers who parse them without latscope.
    pub const fn choice_notation(&self) -> &'static str {
        match self {
            SpaceId::Nb201 => {
                "the operation before each '~' of |op~0|+|op~0|op~1|+|op~0|op~1|op~2|, \
                 left to right, is the next position's"
            }
            SpaceId::Fbnet => "the 22 operations between the '-'s, left to right",
        }
    }

    /// The architecture with choice `choices[p]` at each position `p`
    /// (indices into [`SpaceLayout::choices`]).
    pub fn compose(&self, choices: &[usize]) -> Result<Arch> {
        let layout = self.layout();
        let invalid = |reason: String| Error::InvalidArch {
            space: self.name(),
            arch: format!("{choices:?}"),
            reason,
        };
        if choices.len() != layout.positions.len() {
            return Err(invalid(format!(
                "takes {} choices, got {}",
                layout.positions.len(),
                choices.len()
            )));
        }
        let k = layout.choices.len();
        if let Some((p, c)) = choices.iter().enumerate().find(|(_, &c)| c >= k) {
            return Err(invalid(format!(
                "choice {c} at position {p} is not below {k}"
            )));
        }
        let names: Vec<&str> = choices
            .iter()
            .map(|&c| layout.choices[c].as_str())
            .collect();
        let text = match self {
            SpaceId::Nb201 => {
                let edge = |e: usize| format!("{}~{}", names[e], nb201::EDGES[e].1);
                format!(
                    "|{}|+|{}|{}|+|{}|{}|{}|",
                    edge(0),
                    edge(1),
                    edge(2),
                    edge(3),
                    edge(4),
                    edge(5)
                )
            }
            SpaceId::Fbnet => names.join("-"),
        };
        self.parse_arch(&text)
    }
}

impl Arch {
    /// The choice index at each position: the inverse of
    /// [`SpaceId::compose`].
    pub fn choices(&self) -> Vec<usize> {
        let k = self.space().layout().choices.len();
        self.onehot()
            .chunks(k)
            .map(|one| one.iter().position(|&v| v == 1.0).unwrap_or(0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_and_choices_are_inverse_in_both_spaces() {
        for space in SpaceId::ALL {
            let layout = space.layout();
            let k = layout.choices.len();
            let choices: Vec<usize> = (0..layout.positions.len())
                .map(|p| (p * 5 + 2) % k)
                .collect();
            let arch = space.compose(&choices).unwrap();
            assert_eq!(arch.choices(), choices, "{space}");
            assert_eq!(space.parse_arch(&arch.to_string()).unwrap(), arch);
        }
        assert_eq!(SpaceId::Nb201.layout().positions.len(), 6);
        assert_eq!(SpaceId::Fbnet.layout().positions.len(), fbnet::LAYERS);
    }

    #[test]
    fn compose_names_what_is_wrong() {
        let err = SpaceId::Nb201.compose(&[0, 1]).unwrap_err().to_string();
        assert!(err.contains("takes 6 choices, got 2"), "{err}");
        let err = SpaceId::Nb201
            .compose(&[0, 0, 0, 0, 0, 9])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("choice 9 at position 5 is not below 5"),
            "{err}"
        );
    }
}
