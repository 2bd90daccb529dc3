//! Latency monotonicity between devices (One Proxy Device Is Enough,
//! SIGMETRICS'22): how alike devices rank the same architectures, as the
//! Spearman ρ of every pair over their common architectures, with the
//! devices in a clustered order so groups are visible.

use crate::dataset::LatencyTable;
use crate::error::{Error, Result};
use crate::metrics::{cluster_order, spearman_matrix};

/// The rank-correlation matrix of a set of devices.
#[derive(Clone, Debug, PartialEq)]
pub struct Monotonicity {
    /// The device names, in the order given (the order of `rho`'s rows and
    /// columns, which `order` indexes).
    pub devices: Vec<String>,
    /// Architectures every device was measured (or predicted) on.
    pub archs: usize,
    /// Row-major `devices × devices` Spearman ρ.
    pub rho: Vec<f64>,
    /// Device indices with devices that rank alike next to each other.
    pub order: Vec<usize>,
}

impl Monotonicity {
    /// From latency columns over the same architectures.
    pub fn of_columns(devices: Vec<String>, columns: &[Vec<f64>]) -> Result<Self> {
        if devices.len() != columns.len() || devices.len() < 2 {
            return Err(Error::Table(format!(
                "monotonicity needs at least 2 devices with one column each ({} devices, {} columns)",
                devices.len(),
                columns.len()
            )));
        }
        let rho = spearman_matrix(columns).map_err(|e| Error::Table(e.to_string()))?;
        let order = cluster_order(&rho, devices.len());
        Ok(Monotonicity {
            archs: columns[0].len(),
            devices,
            rho,
            order,
        })
    }

    /// From a dataset: every device over the architectures all of them
    /// were measured on.
    pub fn of_table(table: &LatencyTable) -> Result<Self> {
        let (complete, columns) = table.complete_columns()?;
        if complete.n_archs() < 2 {
            return Err(Error::Table(format!(
                "only {} architectures were measured on all {} devices; monotonicity needs at least 2",
                complete.n_archs(),
                table.n_devices()
            )));
        }
        Self::of_columns(table.devices().to_vec(), &columns)
    }

    /// ρ between devices `a` and `b` (indices).
    pub fn rho(&self, a: usize, b: usize) -> f64 {
        self.rho[a * self.devices.len() + b]
    }

    /// Pairs `(a, b, ρ)` with `a < b` and ρ below `threshold`, lowest first.
    pub fn pairs_below(&self, threshold: f64) -> Vec<(usize, usize, f64)> {
        let n = self.devices.len();
        let mut pairs: Vec<(usize, usize, f64)> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .map(|(a, b)| (a, b, self.rho(a, b)))
            .filter(|&(_, _, r)| r < threshold)
            .collect();
        pairs.sort_by(|x, y| x.2.total_cmp(&y.2));
        pairs
    }

    /// Number of device pairs (`a < b`).
    pub fn pairs(&self) -> usize {
        let n = self.devices.len();
        n * (n - 1) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::read_tables;

    #[test]
    fn help_nb201_devices_form_groups() {
        let bytes = include_bytes!("../../static/data/nb201_latency.csv.gz");
        let table = read_tables(&bytes[..], "nb201_latency.csv.gz")
            .unwrap()
            .remove(0);
        let m = Monotonicity::of_table(&table).unwrap();
        assert_eq!(m.devices.len(), 27);
        assert_eq!(m.archs, 15625);
        let at = |name: &str| m.devices.iter().position(|d| d == name).unwrap();
        // Two GPUs at the same batch size rank alike; a GPU and the eyeriss
        // accelerator do not (HELP's Fig. 1 shows the same split).
        assert!(m.rho(at("titan_rtx_32"), at("2080ti_32")) > 0.95);
        assert!(m.rho(at("titan_rtx_32"), at("eyeriss")) < 0.9);
        let low = m.pairs_below(0.9);
        assert!(!low.is_empty() && low.len() < m.pairs());
        assert!(low.windows(2).all(|w| w[0].2 <= w[1].2));
        // Same-batch GPUs sit next to each other in the clustered order.
        let position = |name: &str| m.order.iter().position(|&i| i == at(name)).unwrap() as i64;
        assert!((position("titan_rtx_1") - position("titanx_1")).abs() <= 6);
    }

    #[test]
    fn too_few_devices_or_archs_are_errors() {
        let err = Monotonicity::of_columns(vec!["a".into()], &[vec![1.0, 2.0]]).unwrap_err();
        assert!(err.to_string().contains("at least 2 devices"), "{err}");
        let err = Monotonicity::of_columns(
            vec!["a".into(), "b".into()],
            &[vec![1.0, 2.0], vec![3.0, 3.0]],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("constant") || err.to_string().contains("b"),
            "{err}"
        );
    }
}
