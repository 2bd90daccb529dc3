//! The wide layout, HELP's: `[index,]arch,<device>,<device>,...`, one row
//! per architecture, latency in ms, an empty cell for "not measured".
//!
//! `index` is the source's own numbering: for NB201 the benchmark index,
//! checked against the arch (a mismatch means the file's two columns
//! disagree, and any result keyed by index would silently be wrong); for
//! FBNet HELP's sample number, which the reference-architecture list uses.

use super::float::format_latency;
use super::gz;
use super::table::LatencyTable;
use super::validate::{self, require_column, Source};
use crate::error::Result;
use crate::space::{Arch, SpaceId};
use csv::StringRecord;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

/// Reads a wide table. `space` fixes the search space; `None` detects it
/// from the first row's arch string (then every row must be of that space).
pub fn read_wide(reader: impl Read, name: &str, space: Option<SpaceId>) -> Result<LatencyTable> {
    let mut src = Source::new(name);
    let mut csv = src.csv_reader(reader)?;
    let (header_line, names) = src.header(&mut csv, "index,arch,<device>,<device>,...")?;
    if names.iter().any(|n| n == "device") && names.iter().any(|n| n == "latency_ms") {
        return Err(src.error(
            header_line,
            format!(
                "header {:?} is the long layout (space,arch,device,latency_ms); read it with read_long",
                names.join(",")
            ),
        ));
    }
    let arch_col = require_column(&src, header_line, &names, "arch", "")?;
    let index_col = names.iter().position(|n| n == "index");
    let device_cols: Vec<usize> = (0..names.len())
        .filter(|&c| c != arch_col && Some(c) != index_col)
        .collect();
    let devices: Vec<String> = device_cols.iter().map(|&c| names[c].clone()).collect();

    let given_space = space;
    let mut space = space;
    let mut first_line = 0;
    let mut archs = Vec::new();
    let mut index = Vec::new();
    let mut latency = Vec::new();
    let mut arch_lines: HashMap<Arch, u64> = HashMap::new();
    let mut index_lines: HashMap<usize, u64> = HashMap::new();
    let mut record = StringRecord::new();
    while csv.read_record(&mut record).map_err(|e| src.csv_error(e))? {
        let line = src.line_of(&record);
        src.check_width(line, &record, names.len())?;
        let text = &record[arch_col];
        let space = *space.get_or_insert_with(|| {
            first_line = line;
            validate::detect_space(text)
        });
        let arch = validate::arch(space, text).map_err(|e| {
            if given_space.is_none() && line != first_line {
                src.error(
                    line,
                    format!("{e} (the file's space, from line {first_line})"),
                )
            } else {
                src.error(line, e)
            }
        })?;
        if let Some(c) = index_col {
            let i = validate::index(&record[c]).map_err(|e| src.error(line, e))?;
            validate::benchmark_index(&arch, i).map_err(|e| src.error(line, e))?;
            if !arch.space().has_benchmark_index() {
                if let Some(first) = index_lines.insert(i, line) {
                    return Err(
                        src.error(line, format!("duplicate index {i} (first on line {first})"))
                    );
                }
            }
            index.push(i);
        }
        for (&c, device) in device_cols.iter().zip(&devices) {
            let cell = &record[c];
            latency.push(if cell.is_empty() {
                None
            } else {
                Some(
                    validate::latency(cell)
                        .map_err(|e| src.error(line, format!("device {device:?}: {e}")))?,
                )
            });
        }
        if let Some(first) = arch_lines.insert(arch.clone(), line) {
            return Err(src.error(
                line,
                format!("duplicate arch {text:?} (first on line {first})"),
            ));
        }
        archs.push(arch);
    }
    let space = space.ok_or_else(|| {
        src.error(
            header_line,
            "no data rows, so the search space cannot be detected (pass it explicitly)",
        )
    })?;
    Ok(LatencyTable::from_checked_parts(
        space,
        archs,
        index_col.map(|_| index),
        devices,
        latency,
    ))
}

/// Writes `table` in the wide layout (`index` first when the table has
/// source indices), numbers as [`format_latency`] prints them, `\n` line
/// ends. `name` labels I/O errors.
pub fn write_wide(table: &LatencyTable, writer: impl Write, name: &str) -> Result<()> {
    let src = Source::new(name);
    let mut csv = csv::Writer::from_writer(writer);
    let index = table.bench_index();
    let mut fields: Vec<String> = Vec::with_capacity(table.n_devices() + 2);
    if index.is_some() {
        fields.push("index".to_string());
    }
    fields.push("arch".to_string());
    fields.extend(table.devices().iter().cloned());
    csv.write_record(&fields).map_err(|e| src.csv_error(e))?;
    for (a, arch) in table.archs().iter().enumerate() {
        fields.clear();
        if let Some(index) = index {
            fields.push(index[a].to_string());
        }
        fields.push(arch.to_string());
        fields.extend(
            table
                .row(a)
                .iter()
                .map(|v| v.map(format_latency).unwrap_or_default()),
        );
        csv.write_record(&fields).map_err(|e| src.csv_error(e))?;
    }
    csv.flush().map_err(|e| src.io_error(e))
}

/// [`read_wide`] on a file (plain or gzip).
pub fn read_wide_path(path: impl AsRef<Path>, space: Option<SpaceId>) -> Result<LatencyTable> {
    let path = path.as_ref();
    read_wide(gz::open_path(path)?, &gz::display_name(path), space)
}

/// [`write_wide`] to a file, gzip-compressed when the name ends in `.gz`.
pub fn write_wide_path(table: &LatencyTable, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let name = gz::display_name(path);
    gz::write_path(path, |w| write_wide(table, w, &name))
}
