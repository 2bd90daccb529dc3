//! Measured latencies from a dataset file (the shipped HELP tables or one
//! the user picks), to show beside the predictions.

use latscope_shared::dataset::{read_tables, LatencyTable};

/// One space's measured latencies.
pub struct MeasuredLatencies {
    table: LatencyTable,
}

impl MeasuredLatencies {
    /// Reads a wide or long CSV, plain or gzip. `name` is used in errors
    /// (e.g. the file name). A file holding several spaces keeps `space`'s.
    pub fn from_bytes(bytes: &[u8], name: &str, space: &str) -> Result<Self, String> {
        let tables = read_tables(bytes, name).map_err(|e| e.to_string())?;
        let found: Vec<String> = tables.iter().map(|t| t.space().to_string()).collect();
        tables
            .into_iter()
            .find(|t| t.space().name() == space)
            .map(|table| MeasuredLatencies { table })
            .ok_or_else(|| {
                format!(
                    "{name} has no {space} architectures (it has: {})",
                    if found.is_empty() {
                        "none".to_string()
                    } else {
                        found.join(", ")
                    }
                )
            })
    }

    pub fn space(&self) -> &'static str {
        self.table.space().name()
    }

    pub fn devices(&self) -> &[String] {
        self.table.devices()
    }

    /// The measured architectures, canonical strings in file order.
    pub fn archs(&self) -> Vec<String> {
        self.table.archs().iter().map(|a| a.to_string()).collect()
    }

    /// Measured latency (ms) of `arch` on each of `devices` (None where the
    /// file has no measurement or no such device). An architecture string
    /// that does not parse is an error; one not in the file gives all None.
    pub fn lookup(&self, arch: &str, devices: &[String]) -> Result<Vec<Option<f64>>, String> {
        let parsed = self
            .table
            .space()
            .parse_arch(arch)
            .map_err(|e| e.to_string())?;
        let Some(row) = self.table.position_of(&parsed) else {
            return Ok(vec![None; devices.len()]);
        };
        Ok(devices
            .iter()
            .map(|d| {
                self.table
                    .device_position(d)
                    .and_then(|j| self.table.value(row, j))
            })
            .collect())
    }
}
