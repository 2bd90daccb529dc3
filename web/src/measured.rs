//! Measured latencies from a dataset file (the shipped HELP tables or one
//! the user picks), to show beside the predictions: reading one space's
//! table out of a file, and looking an architecture string up in it.

use crate::error::{Error, Result};
use latscope_shared::dataset::{read_tables, LatencyTable};

/// Reads `space`'s table from a wide or long CSV, plain or gzip. `name`
/// (e.g. the file name or URL) appears in errors: a file that does not
/// read is [`Error::DatasetFile`], one without `space`'s architectures
/// [`Error::SpaceNotInDataset`].
pub fn read_measured(bytes: &[u8], name: &str, space: &str) -> Result<LatencyTable> {
    let tables = read_tables(bytes, name).map_err(Error::DatasetFile)?;
    let found: Vec<String> = tables.iter().map(|t| t.space().to_string()).collect();
    tables
        .into_iter()
        .find(|t| t.space().name() == space)
        .ok_or_else(|| Error::SpaceNotInDataset {
            file: name.to_string(),
            space: space.to_string(),
            found,
        })
}

/// Measured latency (ms) of `arch` on each of `devices` (None where the
/// table has no measurement or no such device). An architecture string
/// that does not parse is an error; one not in the table gives all None.
pub fn lookup_measured(
    table: &LatencyTable,
    arch: &str,
    devices: &[String],
) -> Result<Vec<Option<f64>>> {
    let parsed = table.space().parse_arch(arch)?;
    let Some(row) = table.position_of(&parsed) else {
        return Ok(vec![None; devices.len()]);
    };
    Ok(devices
        .iter()
        .map(|d| table.device_position(d).and_then(|j| table.value(row, j)))
        .collect())
}
