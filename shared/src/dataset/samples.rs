//! Samples files: a new device's measured latencies for few-shot adaptation
//! (`profiler adapt --samples`), a CSV with (at least) the columns `arch`
//! and `latency_ms`, one measured architecture per row.

use super::validate::{self, Source};
use crate::error::Result;
use crate::space::{Arch, SpaceId};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// Reads `(arch, ms)` rows of `space`. Errors name the file, the line and
/// the bad value: a missing column, an architecture that does not parse, a
/// latency that is not a positive number, an architecture measured twice,
/// or fewer than 2 rows (adaptation needs at least 2).
pub fn read_samples(reader: impl Read, name: &str, space: SpaceId) -> Result<Vec<(Arch, f64)>> {
    let mut src = Source::new(name);
    let mut csv = src.csv_reader(reader)?;
    let (header_line, columns) = src.header(&mut csv, "arch,latency_ms")?;
    let column = |wanted: &str| {
        columns.iter().position(|c| c == wanted).ok_or_else(|| {
            src.error(
                header_line,
                format!(
                    "no {wanted:?} column (the header is {columns:?}; expected arch,latency_ms)"
                ),
            )
        })
    };
    let (arch_col, ms_col) = (column("arch")?, column("latency_ms")?);
    let mut first_line: HashMap<Arch, u64> = HashMap::new();
    let mut rows = Vec::new();
    for record in csv.records() {
        let record = record.map_err(|e| src.csv_error(e))?;
        let line = src.line_of(&record);
        src.check_width(line, &record, columns.len())?;
        let text = &record[arch_col];
        let arch = space
            .parse_arch(text)
            .map_err(|e| src.error(line, format!("arch {text:?}: {e}")))?;
        let ms = validate::latency(&record[ms_col]).map_err(|reason| src.error(line, reason))?;
        if let Some(first) = first_line.insert(arch.clone(), line) {
            return Err(src.error(
                line,
                format!("{arch} is measured twice (first on line {first})"),
            ));
        }
        rows.push((arch, ms));
    }
    if rows.len() < 2 {
        return Err(src.error(
            header_line,
            format!(
                "{} measured architecture(s); adaptation needs at least 2 (5–20 is typical)",
                rows.len()
            ),
        ));
    }
    Ok(rows)
}

/// [`read_samples`] from a file (`.csv` or `.csv.gz`).
pub fn read_samples_path(path: impl AsRef<Path>, space: SpaceId) -> Result<Vec<(Arch, f64)>> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| crate::error::Error::Io {
        path: name.clone(),
        source,
    })?;
    read_samples(file, &name, space)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
    const B: &str = "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|";

    fn read(text: &str) -> Result<Vec<(Arch, f64)>> {
        read_samples(text.as_bytes(), "s.csv", SpaceId::Nb201)
    }

    #[test]
    fn samples_read_and_bad_rows_are_named() {
        let rows = read(&format!("arch,latency_ms\n{A},1.5\n\"{B}\", 2\n")).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].1, 2.0);
        for (text, want) in [
            (
                format!("arch,ms\n{A},1\n"),
                "s.csv:1: no \"latency_ms\" column",
            ),
            (
                format!("arch,latency_ms\n{A},1\nbogus,2\n"),
                "s.csv:3: arch \"bogus\"",
            ),
            (
                format!("arch,latency_ms\n{A},1\n{B},-2\n"),
                "s.csv:3: latency \"-2\"",
            ),
            (
                format!("arch,latency_ms\n{A},1\n{A},2\n"),
                "s.csv:3: |none~0|",
            ),
            (
                format!("arch,latency_ms\n{A},1\n{B}\n"),
                "s.csv:3: expected 2 fields",
            ),
            (format!("arch,latency_ms\n{A},1\n"), "s.csv:1: 1 measured"),
        ] {
            let err = read(&text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{err}");
        }
    }
}
