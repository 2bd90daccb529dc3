//! Long ⇄ wide in memory: [`LatencyTable::from_records`] and
//! [`LatencyTable::to_records`]. No number is reformatted on the way, so
//! the conversion is exact; the long files' optional measurement columns
//! (`p10_ms`, `runs`, ...) have no place in a table and are left behind.

use super::record::{group_by_space, LatencyRecord};
use super::table::LatencyTable;
use super::validate;
use crate::error::{Error, Result};
use crate::space::Arch;
use std::collections::HashMap;

impl LatencyTable {
    /// Builds the table of records that all belong to one space. Archs and
    /// devices keep the order of their first appearance; pairs without a
    /// record are missing cells. Errors on mixed spaces, unparsable arch
    /// strings, bad latencies and repeated (arch, device) pairs, naming the
    /// records by their position (0-based) in `records`.
    pub fn from_records(records: &[LatencyRecord]) -> Result<LatencyTable> {
        let space = records
            .first()
            .map(|r| r.space)
            .ok_or_else(|| Error::Table("no records to build a table from".to_string()))?;
        if let Some(other) = records.iter().find(|r| r.space != space) {
            return Err(Error::Table(format!(
                "records mix spaces {space} and {}; split them with group_by_space first",
                other.space
            )));
        }
        let at = |i: usize, reason: String| Error::Table(format!("record {i}: {reason}"));

        // Arch strings repeat once per device: parse each distinct one once.
        let mut row_of_text: HashMap<&str, usize> = HashMap::new();
        let mut row_of_arch: HashMap<Arch, usize> = HashMap::new();
        let mut archs: Vec<Arch> = Vec::new();
        let mut column_of: HashMap<&str, usize> = HashMap::new();
        let mut devices: Vec<String> = Vec::new();
        let mut cells: Vec<(usize, usize, f64, usize)> = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let row = match row_of_text.get(r.arch.as_str()) {
                Some(&row) => row,
                None => {
                    let arch = validate::arch(space, &r.arch).map_err(|e| at(i, e))?;
                    let row = *row_of_arch.entry(arch.clone()).or_insert_with(|| {
                        archs.push(arch);
                        archs.len() - 1
                    });
                    row_of_text.insert(&r.arch, row);
                    row
                }
            };
            if r.device.is_empty() {
                return Err(at(i, "empty device name".to_string()));
            }
            let column = *column_of.entry(&r.device).or_insert_with(|| {
                devices.push(r.device.clone());
                devices.len() - 1
            });
            if !(r.latency_ms.is_finite() && r.latency_ms > 0.0) {
                return Err(at(
                    i,
                    format!(
                        "latency {} on {} is not a positive finite number",
                        r.latency_ms, r.device
                    ),
                ));
            }
            cells.push((row, column, r.latency_ms, i));
        }

        let mut latency = vec![None; archs.len() * devices.len()];
        let mut first_record = vec![usize::MAX; latency.len()];
        for (row, column, value, i) in cells {
            let cell = row * devices.len() + column;
            if latency[cell].is_some() {
                return Err(Error::Table(format!(
                    "records {} and {i} both give {} on {}",
                    first_record[cell], archs[row], devices[column]
                )));
            }
            latency[cell] = Some(value);
            first_record[cell] = i;
        }
        Ok(LatencyTable::from_checked_parts(
            space, archs, None, devices, latency,
        ))
    }

    /// One record per measured cell, arch-major (all devices of the first
    /// arch, then the next), with only the required fields.
    pub fn to_records(&self) -> Vec<LatencyRecord> {
        let mut records = Vec::with_capacity(self.latency().len() - self.missing());
        for (a, arch) in self.archs().iter().enumerate() {
            let text = arch.to_string();
            for (device, value) in self.devices().iter().zip(self.row(a)) {
                if let Some(latency_ms) = *value {
                    records.push(LatencyRecord::required(
                        self.space(),
                        text.clone(),
                        device.clone(),
                        latency_ms,
                    ));
                }
            }
        }
        records
    }
}

/// One table per space present in `records`, in [`crate::space::SpaceId`] order.
pub fn tables_from_records(records: Vec<LatencyRecord>) -> Result<Vec<LatencyTable>> {
    group_by_space(records)
        .into_values()
        .map(|group| LatencyTable::from_records(&group))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::fbnet::{FbnetArch, FbnetOp};
    use crate::space::nb201::{Cell, Nb201Op};
    use crate::space::SpaceId;

    fn nb(op: Nb201Op) -> Arch {
        Arch::Nb201(Cell::uniform(op))
    }

    #[test]
    fn records_round_trip() {
        let records = vec![
            LatencyRecord::new(&nb(Nb201Op::None), "a", 1.0),
            LatencyRecord::new(&nb(Nb201Op::None), "b", 2.0),
            LatencyRecord::new(&nb(Nb201Op::SkipConnect), "b", 3.0),
        ];
        let t = LatencyTable::from_records(&records).unwrap();
        assert_eq!(t.devices(), ["a", "b"]);
        assert_eq!(t.latency(), &[Some(1.0), Some(2.0), None, Some(3.0)]);
        assert_eq!(t.to_records(), records);
    }

    #[test]
    fn rejects_duplicates_and_mixed_spaces() {
        let a = nb(Nb201Op::None);
        let dup = vec![
            LatencyRecord::new(&a, "x", 1.0),
            LatencyRecord::new(&nb(Nb201Op::SkipConnect), "x", 1.0),
            LatencyRecord::new(&a, "x", 2.0),
        ];
        let e = LatencyTable::from_records(&dup).unwrap_err().to_string();
        assert!(e.contains("records 0 and 2"), "{e}");

        let fb = Arch::Fbnet(FbnetArch::uniform(FbnetOp::Skip));
        let mixed = vec![
            LatencyRecord::new(&a, "x", 1.0),
            LatencyRecord::new(&fb, "x", 1.0),
        ];
        assert!(LatencyTable::from_records(&mixed)
            .unwrap_err()
            .to_string()
            .contains("mix spaces"));
        let tables = tables_from_records(mixed).unwrap();
        assert_eq!(
            tables.iter().map(|t| t.space()).collect::<Vec<_>>(),
            SpaceId::ALL
        );
        assert!(LatencyTable::from_records(&[]).is_err());
    }
}
