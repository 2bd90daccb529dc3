//! The long layout (the project's contract, `DESIGN.md`): one row per
//! (architecture, device configuration), header
//! `space,arch,device,latency_ms` plus any of the optional measurement
//! columns in any order. Unknown columns are rejected rather than dropped,
//! so a typo such as `p90ms` cannot silently lose data.

use super::convert::tables_from_records;
use super::float::format_latency;
use super::gz;
use super::record::LatencyRecord;
use super::table::LatencyTable;
use super::validate::{self, require_column, Source};
use crate::error::Result;
use crate::space::SpaceId;
use csv::StringRecord;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

/// Columns every long file has.
pub const REQUIRED_COLUMNS: [&str; 4] = ["space", "arch", "device", "latency_ms"];
/// Columns a long file may add.
pub const OPTIONAL_COLUMNS: [&str; 6] =
    ["p10_ms", "p90_ms", "runs", "batch", "precision", "source"];

// Positions of the known columns in `Columns::known()`.
const SPACE: usize = 0;
const ARCH: usize = 1;
const DEVICE: usize = 2;
const LATENCY_MS: usize = 3;
const P10_MS: usize = 4;
const P90_MS: usize = 5;
const RUNS: usize = 6;
const BATCH: usize = 7;
const PRECISION: usize = 8;
const SOURCE: usize = 9;

/// Where each known column sits in the file (`None`: absent).
struct Columns([Option<usize>; 10]);

impl Columns {
    fn known() -> impl Iterator<Item = &'static str> {
        REQUIRED_COLUMNS.into_iter().chain(OPTIONAL_COLUMNS)
    }

    fn locate(src: &Source, line: u64, names: &[String]) -> Result<Columns> {
        let mut at = [None; 10];
        let wide_hint = if names.iter().any(|n| n == "arch") && !names.iter().any(|n| n == "device")
        {
            "; one column per device is the wide layout: read it with read_wide"
        } else {
            ""
        };
        for (k, column) in REQUIRED_COLUMNS.into_iter().enumerate() {
            at[k] = Some(require_column(src, line, names, column, wide_hint)?);
        }
        for (c, name) in names.iter().enumerate() {
            match Self::known().position(|k| k == name) {
                Some(k) => at[k] = Some(c),
                None => {
                    return Err(src.error(
                        line,
                        format!(
                            "unknown column {name:?} (allowed: {})",
                            Self::known().collect::<Vec<_>>().join(", ")
                        ),
                    ))
                }
            }
        }
        Ok(Columns(at))
    }

    /// The field of `column` (an index into [`Columns::known`]); empty when
    /// the file has no such column.
    fn get<'r>(&self, record: &'r StringRecord, column: usize) -> &'r str {
        self.0[column].map_or("", |c| &record[c])
    }
}

/// Reads a long file into records, checking every row (see the module
/// docs of [`super`] for the error format). Arch strings are stored in
/// canonical form. A header-only file is a valid empty dataset.
pub fn read_long(reader: impl Read, name: &str) -> Result<Vec<LatencyRecord>> {
    let mut src = Source::new(name);
    let mut csv = src.csv_reader(reader)?;
    let (header_line, names) = src.header(&mut csv, "space,arch,device,latency_ms")?;
    let columns = Columns::locate(&src, header_line, &names)?;

    // Canonical arch strings, interned: the same arch repeats once per device.
    let mut arch_ids: HashMap<SpaceId, HashMap<String, usize>> = HashMap::new();
    let mut canonical: Vec<String> = Vec::new();
    let mut canonical_ids: HashMap<String, usize> = HashMap::new();
    let mut device_ids: HashMap<String, usize> = HashMap::new();
    let mut first_line: HashMap<(usize, usize), u64> = HashMap::new();
    let mut records = Vec::new();
    let mut record = StringRecord::new();
    while csv.read_record(&mut record).map_err(|e| src.csv_error(e))? {
        let line = src.line_of(&record);
        let err = |reason: String| src.error(line, reason);
        src.check_width(line, &record, names.len())?;
        let field = |column| columns.get(&record, column);

        let space: SpaceId = field(SPACE)
            .parse()
            .map_err(|e: crate::Error| err(e.to_string()))?;
        let text = field(ARCH);
        let ids = arch_ids.entry(space).or_default();
        let arch_id = match ids.get(text) {
            Some(&id) => id,
            None => {
                // Two spellings of one arch must share an id, or a duplicate
                // row could hide behind the second spelling.
                let arch = validate::arch(space, text).map_err(&err)?.to_string();
                let next_id = canonical_ids.len();
                let id = *canonical_ids.entry(arch.clone()).or_insert(next_id);
                if id == next_id {
                    canonical.push(arch);
                }
                ids.insert(text.to_string(), id);
                id
            }
        };
        let device = field(DEVICE);
        if device.is_empty() {
            return Err(err("empty device name".to_string()));
        }
        let next_id = device_ids.len();
        let device_id = *device_ids.entry(device.to_string()).or_insert(next_id);
        if let Some(first) = first_line.insert((arch_id, device_id), line) {
            return Err(err(format!(
                "duplicate row for {space} arch {text:?} on device {device:?} (first on line {first})"
            )));
        }

        let latency = |column: usize| -> Result<Option<f64>> {
            match field(column) {
                "" => Ok(None),
                text => validate::latency(text)
                    .map(Some)
                    .map_err(|e| err(format!("column {}: {e}", names_of(column)))),
            }
        };
        let count = |column: usize| -> Result<Option<u32>> {
            match field(column) {
                "" => Ok(None),
                text => validate::positive_count(text, names_of(column))
                    .map(Some)
                    .map_err(&err),
            }
        };
        let latency_ms =
            latency(LATENCY_MS)?.ok_or_else(|| err("latency_ms is empty".to_string()))?;
        let (p10_ms, p90_ms) = (latency(P10_MS)?, latency(P90_MS)?);
        if let (Some(p10), Some(p90)) = (p10_ms, p90_ms) {
            if p10 > p90 {
                return Err(err(format!("p10_ms {p10} is above p90_ms {p90}")));
            }
        }
        let text_or_none = |column| Some(field(column).to_string()).filter(|s| !s.is_empty());
        records.push(LatencyRecord {
            space,
            arch: canonical[arch_id].clone(),
            device: device.to_string(),
            latency_ms,
            p10_ms,
            p90_ms,
            runs: count(RUNS)?,
            batch: count(BATCH)?,
            precision: text_or_none(PRECISION),
            source: text_or_none(SOURCE),
        });
    }
    Ok(records)
}

/// Name of a known column by its index in [`Columns::known`].
fn names_of(column: usize) -> &'static str {
    Columns::known().nth(column).expect("a known column")
}

/// Reads a long file and builds one table per space it holds.
pub fn read_long_tables(reader: impl Read, name: &str) -> Result<Vec<LatencyTable>> {
    tables_from_records(read_long(reader, name)?)
}

/// Writes records in the long layout: the required columns, then each
/// optional column that at least one record fills, in the contract's order.
pub fn write_long(records: &[LatencyRecord], writer: impl Write, name: &str) -> Result<()> {
    let src = Source::new(name);
    let present: [bool; 6] = [
        records.iter().any(|r| r.p10_ms.is_some()),
        records.iter().any(|r| r.p90_ms.is_some()),
        records.iter().any(|r| r.runs.is_some()),
        records.iter().any(|r| r.batch.is_some()),
        records.iter().any(|r| r.precision.is_some()),
        records.iter().any(|r| r.source.is_some()),
    ];
    let mut csv = csv::Writer::from_writer(writer);
    let mut header: Vec<&str> = REQUIRED_COLUMNS.to_vec();
    header.extend(
        OPTIONAL_COLUMNS
            .iter()
            .zip(present)
            .filter(|(_, p)| *p)
            .map(|(c, _)| *c),
    );
    csv.write_record(&header).map_err(|e| src.csv_error(e))?;
    let mut fields: Vec<String> = Vec::with_capacity(header.len());
    for r in records {
        fields.clear();
        fields.push(r.space.name().to_string());
        fields.push(r.arch.clone());
        fields.push(r.device.clone());
        fields.push(format_latency(r.latency_ms));
        let optional = [
            r.p10_ms.map(format_latency),
            r.p90_ms.map(format_latency),
            r.runs.map(|n| n.to_string()),
            r.batch.map(|n| n.to_string()),
            r.precision.clone(),
            r.source.clone(),
        ];
        fields.extend(
            optional
                .into_iter()
                .zip(present)
                .filter(|(_, p)| *p)
                .map(|(v, _)| v.unwrap_or_default()),
        );
        csv.write_record(&fields).map_err(|e| src.csv_error(e))?;
    }
    csv.flush().map_err(|e| src.io_error(e))
}

/// [`read_long`] on a file (plain or gzip).
pub fn read_long_path(path: impl AsRef<Path>) -> Result<Vec<LatencyRecord>> {
    let path = path.as_ref();
    read_long(gz::open_path(path)?, &gz::display_name(path))
}

/// [`write_long`] to a file, gzip-compressed when the name ends in `.gz`.
pub fn write_long_path(records: &[LatencyRecord], path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let name = gz::display_name(path);
    gz::write_path(path, |w| write_long(records, w, &name))
}
