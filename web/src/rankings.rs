//! Ranking latency columns: each device's order of the architectures
//! (fastest first) and the devices' Spearman ρ matrix computed from those
//! orders. [`crate::SpaceTable`] ranks with these, and so does a
//! [`crate::SpaceScan`] before any table exists (the page's worker ranks
//! the space off the main thread).

use crate::error::Result;
use latscope_shared::metrics::spearman_matrix_in_order;

/// One column per device of row-major latencies (`devices` values per
/// architecture), as scans produce them and tables keep them.
pub fn columns_of(row_major: &[f32], devices: usize) -> Vec<Vec<f32>> {
    let n = row_major.len() / devices.max(1);
    (0..devices)
        .map(|j| (0..n).map(|i| row_major[i * devices + j]).collect())
        .collect()
}

/// Rows from fastest to slowest (ties keep row order).
pub fn order_of(latency: &[f32]) -> Vec<u32> {
    // A stable radix sort (radsort) of (latency, row) pairs: ranking all
    // devices is on the page's critical path, and a comparison sort of the
    // 27 columns of 15625 took most of it in wasm.
    let mut pairs: Vec<(f32, u32)> = latency.iter().copied().zip(0..).collect();
    radsort::sort_by_key(&mut pairs, |p| p.0);
    pairs.into_iter().map(|(_, row)| row).collect()
}

/// Spearman ρ between every pair of `columns` (row-major, `d × d`), each
/// column ranked from its order in `orders` (as [`order_of`] gives them).
pub fn correlation(columns: &[&[f32]], orders: &[&[u32]]) -> Result<Vec<f64>> {
    let wide: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| c.iter().map(|&v| f64::from(v)).collect())
        .collect();
    let orders: Vec<Vec<usize>> = orders
        .iter()
        .map(|o| o.iter().map(|&r| r as usize).collect())
        .collect();
    Ok(spearman_matrix_in_order(&wide, &orders)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use latscope_shared::metrics::spearman_matrix;

    #[test]
    fn orders_are_stable_and_correlation_matches_sorting_anew() {
        let a = [3.0, 1.0, 2.0, 1.0, 5.0];
        let b = [1.0, 2.0, 3.0, 4.0, 4.0];
        assert_eq!(order_of(&a), vec![1, 3, 2, 0, 4]);
        let (oa, ob) = (order_of(&a), order_of(&b));
        let rho = correlation(&[&a, &b], &[&oa, &ob]).unwrap();
        let wide: Vec<Vec<f64>> = [a, b]
            .iter()
            .map(|c| c.iter().map(|&v| f64::from(v)).collect())
            .collect();
        assert_eq!(rho, spearman_matrix(&wide).unwrap());
    }
}
