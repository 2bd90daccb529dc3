//! [`LatencyTable`]: architectures × devices in memory, the shape predictors
//! train on. Fields are private so the invariants below always hold; a
//! table from a reader or from [`LatencyTable::new`] is known to be sound.

use crate::error::{Error, Result};
use crate::space::{Arch, SpaceId};
use std::collections::{HashMap, HashSet};

/// Latencies (ms) of architectures of one search space on several devices.
///
/// Invariants: every arch belongs to `space` and appears once; device names
/// are non-empty and unique; `latency` has `archs × devices` cells,
/// row-major (all devices of arch 0, then arch 1, ...), each `None` (not
/// measured) or a finite positive number; `bench_index`, when present, has
/// one entry per arch.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyTable {
    space: SpaceId,
    archs: Vec<Arch>,
    /// The source's own architecture numbering: NAS-Bench-201's benchmark
    /// index for NB201 (always present, derivable from the arch), HELP's
    /// sample number for FBNet (present when read from HELP's wide file).
    bench_index: Option<Vec<usize>>,
    devices: Vec<String>,
    latency: Vec<Option<f64>>,
}

impl LatencyTable {
    /// Builds a table from its parts, checking every invariant. NB201 tables
    /// given no `bench_index` get the benchmark indices of their cells.
    pub fn new(
        space: SpaceId,
        archs: Vec<Arch>,
        bench_index: Option<Vec<usize>>,
        devices: Vec<String>,
        latency: Vec<Option<f64>>,
    ) -> Result<Self> {
        let bad = |reason: String| Err(Error::Table(reason));
        if latency.len() != archs.len() * devices.len() {
            return bad(format!(
                "{} latency cells for {} archs × {} devices",
                latency.len(),
                archs.len(),
                devices.len()
            ));
        }
        let mut seen = HashSet::with_capacity(archs.len());
        for arch in &archs {
            if arch.space() != space {
                return bad(format!(
                    "arch {arch} is {}, the table is {space}",
                    arch.space()
                ));
            }
            if !seen.insert(arch) {
                return bad(format!("arch {arch} appears twice"));
            }
        }
        let mut names = HashSet::new();
        for device in &devices {
            if device.is_empty() || !names.insert(device.as_str()) {
                return bad(format!("device name {device:?} is empty or repeated"));
            }
        }
        if let Some(index) = &bench_index {
            if index.len() != archs.len() {
                return bad(format!(
                    "{} bench indices for {} archs",
                    index.len(),
                    archs.len()
                ));
            }
            for (arch, &i) in archs.iter().zip(index) {
                super::validate::benchmark_index(arch, i).map_err(Error::Table)?;
            }
        }
        if let Some((cell, v)) = latency
            .iter()
            .enumerate()
            .find_map(|(i, v)| v.filter(|x| !(x.is_finite() && *x > 0.0)).map(|x| (i, x)))
        {
            let (a, d) = (cell / devices.len(), cell % devices.len());
            return bad(format!(
                "latency {v} of arch {} on {} is not a positive finite number",
                archs[a], devices[d]
            ));
        }
        Ok(Self::from_checked_parts(
            space,
            archs,
            bench_index,
            devices,
            latency,
        ))
    }

    /// Assembles a table whose invariants the caller (a reader) has checked;
    /// fills in NB201 benchmark indices.
    pub(crate) fn from_checked_parts(
        space: SpaceId,
        archs: Vec<Arch>,
        bench_index: Option<Vec<usize>>,
        devices: Vec<String>,
        latency: Vec<Option<f64>>,
    ) -> Self {
        let bench_index = bench_index.or_else(|| {
            // A table holds archs of its own space only, so either every
            // arch has a benchmark index or none has.
            space
                .has_benchmark_index()
                .then(|| archs.iter().filter_map(Arch::benchmark_index).collect())
        });
        LatencyTable {
            space,
            archs,
            bench_index,
            devices,
            latency,
        }
    }

    /// Replaces the source numbering, e.g. to re-attach FBNet's HELP sample
    /// numbers after a trip through the long format (which does not carry
    /// them). `None` keeps NB201's derived indices.
    pub fn with_bench_index(self, bench_index: Option<Vec<usize>>) -> Result<Self> {
        let LatencyTable {
            space,
            archs,
            devices,
            latency,
            ..
        } = self;
        Self::new(space, archs, bench_index, devices, latency)
    }

    /// The search space every arch of the table belongs to.
    pub fn space(&self) -> SpaceId {
        self.space
    }

    /// The architectures (rows), each once, in table order.
    pub fn archs(&self) -> &[Arch] {
        &self.archs
    }

    /// The source's own numbering of the archs (see the field's docs).
    pub fn bench_index(&self) -> Option<&[usize]> {
        self.bench_index.as_deref()
    }

    /// The device configuration names (columns): non-empty and unique.
    pub fn devices(&self) -> &[String] {
        &self.devices
    }

    /// All cells, row-major (arch × device).
    pub fn latency(&self) -> &[Option<f64>] {
        &self.latency
    }

    /// Number of architectures (rows).
    pub fn n_archs(&self) -> usize {
        self.archs.len()
    }

    /// Number of device configurations (columns).
    pub fn n_devices(&self) -> usize {
        self.devices.len()
    }

    /// Number of cells with no measurement.
    pub fn missing(&self) -> usize {
        self.latency.iter().filter(|v| v.is_none()).count()
    }

    /// Latency of arch `arch` on device `device` (positions, not names).
    /// Panics when either is out of range, like slice indexing.
    pub fn value(&self, arch: usize, device: usize) -> Option<f64> {
        assert!(
            arch < self.n_archs() && device < self.n_devices(),
            "cell ({arch}, {device}) outside a {}×{} table",
            self.n_archs(),
            self.n_devices()
        );
        self.latency[arch * self.n_devices() + device]
    }

    /// All devices' latencies of one arch, in [`devices`](Self::devices) order.
    pub fn row(&self, arch: usize) -> &[Option<f64>] {
        let n = self.n_devices();
        &self.latency[arch * n..(arch + 1) * n]
    }

    /// One device's latencies, in [`archs`](Self::archs) order.
    pub fn device_column(&self, device: usize) -> Vec<Option<f64>> {
        assert!(
            device < self.n_devices(),
            "device {device} of {}",
            self.n_devices()
        );
        self.latency
            .iter()
            .skip(device)
            .step_by(self.n_devices())
            .copied()
            .collect()
    }

    /// One device's measured cells as (arch position, latency).
    pub fn measured(&self, device: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.device_column(device)
            .into_iter()
            .enumerate()
            .filter_map(|(a, v)| v.map(|v| (a, v)))
    }

    /// Position of the device called `name`.
    pub fn device_position(&self, name: &str) -> Option<usize> {
        self.devices.iter().position(|d| d == name)
    }

    /// Like [`device_position`](Self::device_position), with an error that
    /// lists the devices the table does have.
    pub fn require_device(&self, name: &str) -> Result<usize> {
        self.device_position(name).ok_or_else(|| {
            Error::Table(format!(
                "unknown device {name:?} (known: {})",
                self.devices.join(", ")
            ))
        })
    }

    /// Position of `arch`.
    pub fn position_of(&self, arch: &Arch) -> Option<usize> {
        self.archs.iter().position(|a| a == arch)
    }

    /// Position of the arch written `text` (any spelling the space's parser
    /// accepts); `None` when it does not parse or is not in the table.
    pub fn arch_position(&self, text: &str) -> Option<usize> {
        let arch = self.space.parse_arch(text).ok()?;
        self.position_of(&arch)
    }

    /// Arch → position, for many look-ups (each [`position_of`](Self::position_of)
    /// is a linear scan).
    pub fn arch_positions(&self) -> HashMap<Arch, usize> {
        self.archs
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, a)| (a, i))
            .collect()
    }

    /// A table with only the named devices, in the order given.
    pub fn select_devices<S: AsRef<str>>(&self, names: &[S]) -> Result<LatencyTable> {
        let positions = names
            .iter()
            .map(|n| self.require_device(n.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let mut seen = HashSet::new();
        if let Some(&d) = positions.iter().find(|&&d| !seen.insert(d)) {
            return Err(Error::Table(format!(
                "device {:?} selected twice",
                self.devices[d]
            )));
        }
        let latency = (0..self.n_archs())
            .flat_map(|a| positions.iter().map(move |&d| (a, d)))
            .map(|(a, d)| self.value(a, d))
            .collect();
        let devices = positions.iter().map(|&d| self.devices[d].clone()).collect();
        Ok(LatencyTable {
            devices,
            latency,
            ..self.clone_without_cells()
        })
    }

    /// The architectures measured on every device, as a table of their own,
    /// and their latency columns (one per device): what comparisons between
    /// devices (monotonicity, proxy choice, Pareto reuse) run on.
    pub fn complete_columns(&self) -> Result<(LatencyTable, Vec<Vec<f64>>)> {
        let complete: Vec<usize> = (0..self.n_archs())
            .filter(|&i| self.row(i).iter().all(Option::is_some))
            .collect();
        let table = self.select_archs(&complete)?;
        let columns = (0..table.n_devices())
            .map(|j| table.device_column(j).into_iter().flatten().collect())
            .collect();
        Ok((table, columns))
    }

    /// A table with only the archs at `positions`, in that order.
    pub fn select_archs(&self, positions: &[usize]) -> Result<LatencyTable> {
        let mut seen = HashSet::new();
        for &p in positions {
            if p >= self.n_archs() {
                return Err(Error::Table(format!(
                    "arch position {p} outside a table of {} archs",
                    self.n_archs()
                )));
            }
            if !seen.insert(p) {
                return Err(Error::Table(format!("arch position {p} selected twice")));
            }
        }
        Ok(LatencyTable {
            space: self.space,
            archs: positions.iter().map(|&p| self.archs[p].clone()).collect(),
            bench_index: self
                .bench_index
                .as_ref()
                .map(|index| positions.iter().map(|&p| index[p]).collect()),
            devices: self.devices.clone(),
            latency: positions
                .iter()
                .flat_map(|&p| self.row(p))
                .copied()
                .collect(),
        })
    }

    fn clone_without_cells(&self) -> LatencyTable {
        LatencyTable {
            space: self.space,
            archs: self.archs.clone(),
            bench_index: self.bench_index.clone(),
            devices: Vec::new(),
            latency: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::nb201::{Cell, Nb201Op};

    fn table() -> LatencyTable {
        let archs = vec![
            Arch::Nb201(Cell::uniform(Nb201Op::None)),
            Arch::Nb201(Cell::uniform(Nb201Op::NorConv3x3)),
        ];
        let devices = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let latency = vec![Some(1.0), None, Some(3.0), Some(4.0), Some(5.0), Some(6.0)];
        LatencyTable::new(SpaceId::Nb201, archs, None, devices, latency).unwrap()
    }

    #[test]
    fn accessors() {
        let t = table();
        assert_eq!((t.n_archs(), t.n_devices(), t.missing()), (2, 3, 1));
        assert_eq!(t.value(1, 2), Some(6.0));
        assert_eq!(t.row(0), &[Some(1.0), None, Some(3.0)]);
        assert_eq!(t.device_column(1), vec![None, Some(5.0)]);
        assert_eq!(t.measured(1).collect::<Vec<_>>(), vec![(1, 5.0)]);
        assert_eq!(t.device_position("c"), Some(2));
        assert!(t
            .require_device("zz")
            .unwrap_err()
            .to_string()
            .contains("\"zz\" (known: a, b, c)"));
        let s = Cell::uniform(Nb201Op::NorConv3x3).to_string();
        assert_eq!(t.arch_position(&s), Some(1));
        assert_eq!(t.arch_position("nonsense"), None);
        let index = t.bench_index().unwrap();
        assert_eq!(
            Cell::from_benchmark_index(index[1]).unwrap(),
            Cell::uniform(Nb201Op::NorConv3x3)
        );
    }

    #[test]
    fn selections() {
        let t = table();
        let s = t.select_devices(&["c", "a"]).unwrap();
        assert_eq!(s.devices(), ["c", "a"]);
        assert_eq!(s.latency(), &[Some(3.0), Some(1.0), Some(6.0), Some(4.0)]);
        assert!(t.select_devices(&["a", "a"]).is_err());
        assert!(t.select_devices(&["x"]).is_err());
        let r = t.select_archs(&[1]).unwrap();
        assert_eq!(r.archs(), &t.archs()[1..]);
        assert_eq!(r.bench_index().unwrap(), &t.bench_index().unwrap()[1..]);
        assert_eq!(r.row(0), t.row(1));
        assert!(t.select_archs(&[2]).is_err());
    }

    #[test]
    fn new_checks_invariants() {
        let a = Arch::Nb201(Cell::uniform(Nb201Op::None));
        let d = vec!["x".to_string()];
        let new = |archs: Vec<Arch>, devices: Vec<String>, latency| {
            LatencyTable::new(SpaceId::Nb201, archs, None, devices, latency)
        };
        assert!(new(vec![a.clone()], d.clone(), vec![]).is_err());
        assert!(new(vec![a.clone(), a.clone()], d.clone(), vec![None, None]).is_err());
        assert!(new(
            vec![a.clone()],
            vec!["x".into(), "x".into()],
            vec![None, None]
        )
        .is_err());
        assert!(new(vec![a.clone()], d.clone(), vec![Some(f64::NAN)]).is_err());
        assert!(new(vec![a.clone()], d.clone(), vec![Some(0.0)]).is_err());
        assert!(
            LatencyTable::new(SpaceId::Fbnet, vec![a.clone()], None, d.clone(), vec![None])
                .is_err()
        );
        assert!(new(vec![a], d, vec![Some(2.0)]).is_ok());
    }
}
