//! Encodings as look-ups in tables indexed by the operation choices
//! ([`Arch::choices`]): the form in which a predictor file's graph encodes
//! its raw `arch_ops` input with Gather, ReduceSum, ReduceMax and Log, so a
//! user of the file in any ONNX runtime needs no latscope code to encode an
//! architecture.
//!
//! Each table is built from [`Encoding::encode`] itself and [`ChoiceTables::encode`]
//! does what the graph does, so the two are compared in the tests.

use super::Encoding;
use crate::error::{Error, Result};
use crate::features::{cost_features_without_signatures, CostFeatures};
use crate::space::fbnet::{FbnetArch, FbnetOp};
use crate::space::nb201::{self, Cell};
use crate::space::{Arch, SpaceId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Cost quantities of `features-v1` that are summed over the network and
/// then log-scaled, in the feature vector's order.
pub const LOG_SUMS: usize = 5;
/// Cost quantities of `features-v1` that are summed and kept as they are:
/// the kernel count, then the operator counts.
pub const PLAIN_SUMS: usize = 14;

/// How one encoding is computed from the choice indices.
#[derive(Clone, Debug, PartialEq)]
pub enum ChoiceTables {
    /// `onehot-v1`: per position, row `c` of the `choices × choices`
    /// identity.
    OneHot {
        /// Operations to choose from at each position.
        choices: usize,
    },
    /// Any encoding of NB201, whose 15625 cells can all be listed: every
    /// cell's row of distinct encoded rows, by [`Cell::code`] (the choices
    /// as base-5 digits, position 0 most significant; see
    /// [`ChoiceTables::code_weights`]). Few rows are distinct (677 of
    /// `features-v1`: cells with dead edges or the same operations
    /// elsewhere cost the same), so the table is a tenth of every cell's
    /// rows.
    PerCell {
        /// Values per row.
        width: usize,
        /// The index in `rows` of each cell's encoding, by code.
        row_of_cell: Vec<i32>,
        /// `distinct rows × width`, row-major, in order of first use.
        rows: Vec<f32>,
    },
    /// `features-v1` of FBNet, whose positions add up: each (position,
    /// choice) contributes its costs to sums over the positions, and its
    /// largest activation to a maximum over them. Index a table's rows with
    /// `position · choices + choice`.
    PositionCosts(PositionCosts),
}

/// Per-(position, choice) contributions to FBNet's `features-v1` (see
/// [`ChoiceTables::PositionCosts`]). Values are whole numbers in f64, so
/// the sums are exact.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionCosts {
    /// Operations to choose from at each position.
    pub choices: usize,
    /// `rows × LOG_SUMS`: MACs, parameters, weight bytes, activation bytes
    /// read and written. Summed, then `ln(1 + x)`.
    pub log_sums: Vec<f64>,
    /// `rows`: the largest activation in bytes. The maximum over the
    /// positions, then `ln(1 + x)`.
    pub max_activation: Vec<f64>,
    /// `rows × PLAIN_SUMS`: kernels, then the operator counts. Summed.
    pub plain_sums: Vec<f64>,
}

impl ChoiceTables {
    /// The tables of `encoding` on `space`, built once per process (the
    /// NB201 ones encode all 15625 cells) and shared.
    pub fn of(space: SpaceId, encoding: Encoding) -> Result<Arc<Self>> {
        type Built = Vec<((SpaceId, Encoding), Arc<ChoiceTables>)>;
        static BUILT: OnceLock<Mutex<Built>> = OnceLock::new();
        let built = BUILT.get_or_init(Default::default);
        let key = (space, encoding);
        if let Some((_, t)) = built.lock().unwrap().iter().find(|(k, _)| *k == key) {
            return Ok(t.clone());
        }
        let tables = Arc::new(Self::build(space, encoding)?);
        built.lock().unwrap().push((key, tables.clone()));
        Ok(tables)
    }

    /// Builds the tables of `encoding` on `space`; an error for the one
    /// pair that has no such form (FBNet's `graph-v1`).
    pub fn build(space: SpaceId, encoding: Encoding) -> Result<Self> {
        let choices = space.layout().choices.len();
        match (space, encoding) {
            (_, Encoding::OneHotV1) => Ok(ChoiceTables::OneHot { choices }),
            (SpaceId::Nb201, _) => {
                // Rows keyed by their bits: equal encodings are equal floats.
                let mut index: HashMap<Vec<u32>, i32> = HashMap::new();
                let (mut rows, mut row_of_cell) = (vec![], Vec::with_capacity(nb201::SPACE_SIZE));
                for cell in Cell::all() {
                    let row = encoding.encode(&Arch::Nb201(cell))?;
                    let key = row.iter().map(|v| v.to_bits()).collect();
                    let next = index.len() as i32;
                    let at = *index.entry(key).or_insert_with(|| {
                        rows.extend(&row);
                        next
                    });
                    row_of_cell.push(at);
                }
                Ok(ChoiceTables::PerCell {
                    width: encoding.dim(space),
                    row_of_cell,
                    rows,
                })
            }
            (SpaceId::Fbnet, Encoding::FeaturesV1) => {
                Ok(ChoiceTables::PositionCosts(PositionCosts::build()?))
            }
            (SpaceId::Fbnet, Encoding::GraphV1) => Err(Error::Unsupported {
                space: space.name(),
                what: "encoding computed from choice indices",
                value: encoding.name().into(),
                supported: "onehot-v1, features-v1".into(),
            }),
        }
    }

    /// The weight of each position's choice in NB201's [`Cell::code`], the
    /// row of [`ChoiceTables::PerCell`]: `5^(positions − 1 − p)`.
    pub fn code_weights() -> Vec<i64> {
        let k = nb201::Nb201Op::ALL.len() as i64;
        let n = nb201::EDGES.len() as u32;
        (0..n).map(|p| k.pow(n - 1 - p)).collect()
    }

    /// Values per architecture.
    pub fn width(&self, positions: usize) -> usize {
        match self {
            ChoiceTables::OneHot { choices } => positions * choices,
            ChoiceTables::PerCell { width, .. } => *width,
            ChoiceTables::PositionCosts(_) => LOG_SUMS + 1 + PLAIN_SUMS,
        }
    }

    /// The encoding of the architecture with `choices[p]` at position `p`,
    /// computed from the tables as a predictor file's graph computes it.
    /// The choices must be valid ([`SpaceId::compose`] checks them).
    pub fn encode(&self, choices: &[usize]) -> Vec<f32> {
        match self {
            ChoiceTables::OneHot { choices: k } => {
                let mut out = vec![0.0; choices.len() * k];
                for (p, &c) in choices.iter().enumerate() {
                    out[p * k + c] = 1.0;
                }
                out
            }
            ChoiceTables::PerCell {
                width,
                row_of_cell,
                rows,
            } => {
                let code: i64 = choices
                    .iter()
                    .zip(Self::code_weights())
                    .map(|(&c, w)| c as i64 * w)
                    .sum();
                let start = row_of_cell[code as usize] as usize * width;
                rows[start..start + width].to_vec()
            }
            ChoiceTables::PositionCosts(t) => t.encode(choices),
        }
    }
}

impl PositionCosts {
    /// The contributions, measured by changing one position at a time of
    /// the all-`skip` network (whose own costs go into position 0's rows):
    /// a block's costs do not depend on its neighbours' choices in FBNet's
    /// fixed channel plan, which the tests check on random networks.
    fn build() -> Result<Self> {
        let choices = FbnetOp::ALL.len();
        let base_arch = FbnetArch::uniform(FbnetOp::Skip);
        let costs_of = |arch: FbnetArch| -> Result<CostFeatures> {
            Ok(cost_features_without_signatures(
                &Arch::Fbnet(arch).lower_default()?,
            ))
        };
        let base = sums_of(&costs_of(base_arch)?);
        let mut t = PositionCosts {
            choices,
            log_sums: vec![],
            max_activation: vec![],
            plain_sums: vec![],
        };
        for p in 0..base_arch.layers.len() {
            for op in FbnetOp::ALL {
                let mut arch = base_arch;
                arch.layers[p] = op;
                let costs = costs_of(arch)?;
                let sums = sums_of(&costs);
                let own: Vec<f64> = if p == 0 {
                    sums.to_vec()
                } else {
                    sums.iter().zip(&base).map(|(s, b)| s - b).collect()
                };
                t.log_sums.extend(&own[..LOG_SUMS]);
                t.plain_sums.extend(&own[LOG_SUMS..]);
                t.max_activation.push(costs.max_activation_bytes as f64);
            }
        }
        Ok(t)
    }

    fn encode(&self, choices: &[usize]) -> Vec<f32> {
        let rows: Vec<usize> = choices
            .iter()
            .enumerate()
            .map(|(p, &c)| p * self.choices + c)
            .collect();
        let sum = |table: &[f64], width: usize, j: usize| -> f64 {
            rows.iter().map(|r| table[r * width + j]).sum()
        };
        let max = rows
            .iter()
            .map(|&r| self.max_activation[r])
            .fold(0.0, f64::max);
        let ln1p = |x: f64| (1.0 + x).ln() as f32;
        let mut out: Vec<f32> = (0..LOG_SUMS)
            .map(|j| ln1p(sum(&self.log_sums, LOG_SUMS, j)))
            .collect();
        out.push(ln1p(max));
        out.extend((0..PLAIN_SUMS).map(|j| sum(&self.plain_sums, PLAIN_SUMS, j) as f32));
        out
    }
}

/// The summed quantities of `features-v1` in table order: [`LOG_SUMS`]
/// then [`PLAIN_SUMS`].
fn sums_of(c: &CostFeatures) -> [f64; LOG_SUMS + PLAIN_SUMS] {
    let kinds = super::features::counted_kinds(c);
    let mut out = [0.0; LOG_SUMS + PLAIN_SUMS];
    let magnitudes = [
        c.macs,
        c.params,
        c.weight_bytes,
        c.activation_bytes_read,
        c.activation_bytes_written,
        c.kernels,
    ];
    for (slot, v) in out.iter_mut().zip(magnitudes.into_iter().chain(kinds)) {
        *slot = v as f64;
    }
    out
}
