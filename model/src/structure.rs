//! Structural descriptions of architectures for few-shot adaptation in
//! milliseconds.
//!
//! Latencies of operators run one after another add up, so on devices that
//! run every operator of the network (accelerators, large-batch GPUs,
//! CPUs) a linear model in **milliseconds** over how often each operation
//! occurs is nearly exact, while the multi-device network's log-space
//! adaptation is not additive. This module is the one home of those
//! additive descriptions:
//!
//! * [`onehot_matrix`]: `onehot-v1` as a matrix, [`ops_per_position`]
//!   columns per searchable position;
//! * [`op_counts`]: how many times each operation occurs in the
//!   architecture (summed over the searchable positions of `onehot-v1`);
//! * [`StandardizedDesign`]: columns standardised over every architecture of
//!   the task (architectures are public knowledge), the design the
//!   structured adaptation fits its ridge on.

use crate::error::{Error, Result};
use latscope_shared::encoding::Encoding;
use latscope_shared::space::{Arch, SpaceId};
use ndarray::{concatenate, Array1, Array2, ArrayView2, Axis};

/// Operation choices per searchable position of `space` (`onehot-v1` is
/// positions × this, position-major).
pub fn ops_per_position(space: SpaceId) -> usize {
    space.graph_vocabulary().len() - 2
}

/// `onehot-v1` of `archs` as a matrix (rows in `archs` order).
pub fn onehot_matrix(archs: &[Arch]) -> Result<Array2<f64>> {
    let d = archs
        .first()
        .map_or(0, |a| Encoding::OneHotV1.dim(a.space()));
    let flat = Encoding::OneHotV1.encode_all(archs)?;
    Ok(Array2::from_shape_vec((archs.len(), d), flat)
        .expect("encode_all shape")
        .mapv(f64::from))
}

/// Occurrences of each operation (columns in the space's operation order) in
/// each architecture (rows), from `onehot-v1`.
pub fn op_counts(archs: &[Arch]) -> Result<Array2<f64>> {
    let Some(space) = archs.first().map(Arch::space) else {
        return Ok(Array2::zeros((0, 0)));
    };
    let onehot = onehot_matrix(archs)?;
    counts_from_onehot(onehot.view(), ops_per_position(space))
}

/// [`op_counts`] from a `onehot-v1` matrix whose positions hold `ops`
/// columns each.
pub fn counts_from_onehot(onehot: ArrayView2<'_, f64>, ops: usize) -> Result<Array2<f64>> {
    if ops == 0 || !onehot.ncols().is_multiple_of(ops) {
        return Err(Error::OneHotWidth {
            context: "op counts",
            columns: onehot.ncols(),
            ops,
        });
    }
    let positions = onehot.ncols() / ops;
    Ok(Array2::from_shape_fn((onehot.nrows(), ops), |(r, o)| {
        (0..positions).map(|p| onehot[[r, p * ops + o]]).sum()
    }))
}

/// Columns standardised to mean 0 and standard deviation 1 over all rows,
/// so that one ridge penalty treats every column alike. A constant column
/// becomes zeros (multiplier 0): it carries nothing the ridge's intercept
/// does not, and keeping it keeps the column positions fixed.
#[derive(Clone, Debug)]
pub struct StandardizedDesign {
    /// Rows: architectures; columns: the standardised input columns.
    pub values: Array2<f64>,
    /// `values = (raw − mean) · multiplier`, per column.
    pub mean: Array1<f64>,
    /// Per-column multiplier applied after subtracting [`Self::mean`]: the reciprocal of the
    /// column's (population) standard deviation, or 0 for a constant column.
    pub multiplier: Array1<f64>,
}

impl StandardizedDesign {
    /// Standardises the columns of the blocks, side by side.
    pub fn new(blocks: &[ArrayView2<'_, f64>]) -> Result<Self> {
        let raw = concatenate(Axis(1), blocks).map_err(|error| Error::Shape {
            context: "structured design: blocks side by side",
            error,
        })?;
        let n = raw.nrows().max(1) as f64;
        let mean = raw.sum_axis(Axis(0)) / n;
        let multiplier = Array1::from_iter(raw.axis_iter(Axis(1)).zip(&mean).map(|(c, m)| {
            let sd = (c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
            if sd > 1e-12 * (1.0 + m.abs()) {
                1.0 / sd
            } else {
                0.0
            }
        }));
        let mut values = raw;
        for (mut col, (m, k)) in values
            .axis_iter_mut(Axis(1))
            .zip(mean.iter().zip(&multiplier))
        {
            col.mapv_inplace(|v| (v - m) * k);
        }
        Ok(StandardizedDesign {
            values,
            mean,
            multiplier,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latscope_shared::space::SpaceId;

    #[test]
    fn counts_add_up_to_the_positions_and_match_the_string() {
        let arch = SpaceId::Nb201
            .parse_arch(
                "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|",
            )
            .unwrap();
        let c = op_counts(&[arch]).unwrap();
        // none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3
        assert_eq!(c.row(0).to_vec(), vec![2.0, 1.0, 0.0, 2.0, 1.0]);
    }

    #[test]
    fn constant_columns_become_zeros_and_the_rest_is_standardised() {
        let a =
            Array2::from_shape_vec((4, 2), vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 4.0, 5.0]).unwrap();
        let d = StandardizedDesign::new(&[a.view()]).unwrap();
        assert_eq!(d.multiplier[1], 0.0);
        assert!(d.values.column(1).iter().all(|v| *v == 0.0));
        let col = d.values.column(0);
        assert!(col.sum().abs() < 1e-12);
        assert!((col.iter().map(|v| v * v).sum::<f64>() / 4.0 - 1.0).abs() < 1e-12);
        assert!(counts_from_onehot(a.view(), 3).is_err());
    }
}
