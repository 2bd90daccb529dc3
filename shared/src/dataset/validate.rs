//! Checks shared by every reader: the CSV plumbing, headers, latency values
//! and architecture strings. Value checks return only the *reason*; the
//! reader adds file and line through [`Source`], so every format reports
//! problems the same way: `file:line: what was wrong, quoting the value`.

use super::gz;
use super::lines::{LineCounter, Lines};
use crate::error::{Error, Result};
use crate::space::{Arch, SpaceId};
use csv::StringRecord;
use std::collections::HashMap;
use std::io::Read;

/// The input being read, by the name errors should call it, with the line
/// counter of its CSV reader once one exists.
pub(crate) struct Source<'a> {
    pub name: &'a str,
    lines: Option<Lines>,
}

impl<'a> Source<'a> {
    pub fn new(name: &'a str) -> Self {
        Source { name, lines: None }
    }

    /// The 1-based line of a CSV position (see [`super::lines`] for why the
    /// `csv` crate's own line number is not used).
    fn line_at(&self, position: Option<&csv::Position>) -> u64 {
        match (position, &self.lines) {
            (Some(p), Some(lines)) => lines.at_byte(p.byte()),
            (Some(p), None) => p.line(),
            (None, _) => 0,
        }
    }

    /// The line a CSV record starts on (header = line 1).
    pub fn line_of(&self, record: &StringRecord) -> u64 {
        self.line_at(record.position())
    }

    /// A [`Error::Dataset`] at `line` (1-based, header = line 1).
    pub fn error(&self, line: u64, reason: impl Into<String>) -> Error {
        Error::Dataset {
            file: self.name.to_string(),
            line,
            reason: reason.into(),
        }
    }

    pub fn io_error(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.name.to_string(),
            source,
        }
    }

    /// Converts a CSV-layer error, keeping its line; I/O failures (including
    /// a corrupt gzip stream) stay I/O errors.
    pub fn csv_error(&self, e: csv::Error) -> Error {
        let line = self.line_at(e.position());
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(source) => self.io_error(source),
            csv::ErrorKind::Utf8 { .. } => self.error(line, "not valid UTF-8 text"),
            _ => self.error(line, text),
        }
    }

    /// A CSV reader over `reader`, gunzipping when needed. Rows may have any
    /// width (checked by [`Source::check_width`] with a better message) and
    /// fields are trimmed, so `a, b` reads like `a,b`.
    pub fn csv_reader<'r>(
        &mut self,
        reader: impl Read + 'r,
    ) -> Result<csv::Reader<impl Read + 'r>> {
        let input = gz::decompressing_reader(reader).map_err(|e| self.io_error(e))?;
        let (counter, lines) = LineCounter::new(input);
        self.lines = Some(lines);
        Ok(csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(counter))
    }

    /// Reads the header: rejects an empty file, empty column names and
    /// repeated ones. Returns the header's line and the column names.
    pub fn header<R: Read>(
        &self,
        csv: &mut csv::Reader<R>,
        example: &str,
    ) -> Result<(u64, Vec<String>)> {
        let header = csv.headers().map_err(|e| self.csv_error(e))?.clone();
        if header.iter().all(str::is_empty) {
            return Err(self.error(
                1,
                format!("empty file: expected a header line like {example:?}"),
            ));
        }
        let line = self.line_at(header.position()).max(1);
        // A UTF-8 byte-order mark (spreadsheet exports) is not part of the name.
        let mut names: Vec<String> = header.iter().map(str::to_string).collect();
        names[0] = names[0].trim_start_matches('\u{feff}').trim().to_string();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(self.error(line, format!("header column {} has an empty name", i + 1)));
            }
            if let Some(first) = seen.insert(name, i) {
                return Err(self.error(
                    line,
                    format!(
                        "duplicate column {name:?} (columns {} and {})",
                        first + 1,
                        i + 1
                    ),
                ));
            }
        }
        Ok((line, names))
    }

    /// Rejects a row whose field count differs from the header's.
    pub fn check_width(&self, line: u64, record: &StringRecord, header_len: usize) -> Result<()> {
        if record.len() == header_len {
            Ok(())
        } else {
            Err(self.error(
                line,
                format!(
                    "expected {header_len} fields as in the header, found {}: {:?}",
                    record.len(),
                    record.iter().collect::<Vec<_>>().join(",")
                ),
            ))
        }
    }
}

/// Parses a latency in milliseconds. Must be finite and strictly positive:
/// a zero, negative or NaN time is a placeholder or a bug, never a
/// measurement, and would poison ratio metrics (MAPE) downstream; a missing
/// measurement is an empty cell, not a sentinel number. (HELP's whole-ms
/// devices never report 0; their smallest values are 3 to 5 ms.)
pub(crate) fn latency(text: &str) -> std::result::Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("latency {text:?} is not a number"))?;
    if !value.is_finite() {
        return Err(format!(
            "latency {text:?} is not finite (leave the cell empty for a missing measurement)"
        ));
    }
    if value <= 0.0 {
        return Err(format!(
            "latency {text:?} must be positive milliseconds (leave the cell empty for a missing measurement)"
        ));
    }
    Ok(value)
}

/// Parses a count such as `runs` or `batch`: a positive integer.
pub(crate) fn positive_count(text: &str, what: &str) -> std::result::Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{what} {text:?} is not a positive integer")),
    }
}

/// Parses a row index such as the benchmark's `index` column.
pub(crate) fn index(text: &str) -> std::result::Result<usize, String> {
    text.parse()
        .map_err(|_| format!("index {text:?} is not a non-negative integer"))
}

/// An error unless `index` is `arch`'s benchmark index. Architectures of a
/// space without benchmark indices accept any index (it is the file's own
/// numbering then).
pub(crate) fn benchmark_index(arch: &Arch, index: usize) -> std::result::Result<(), String> {
    match arch.benchmark_index() {
        Some(own) if own != index => Err(format!(
            "index {index} does not match arch {arch}, whose {} benchmark index is {own}",
            arch.space()
        )),
        _ => Ok(()),
    }
}

/// The space an architecture string belongs to: the first registered space
/// that parses it, else the one it most resembles (so that the parse error
/// that follows explains the most plausible mistake).
pub(crate) fn detect_space(arch: &str) -> SpaceId {
    SpaceId::ALL
        .into_iter()
        .find(|space| space.parse_arch(arch).is_ok())
        .unwrap_or(if arch.contains('|') || arch.contains('~') {
            SpaceId::Nb201
        } else {
            SpaceId::Fbnet
        })
}

/// Parses `text` as an architecture of `space`. When it is a valid
/// architecture of another space, says so instead of listing parse details.
pub(crate) fn arch(space: SpaceId, text: &str) -> std::result::Result<Arch, String> {
    space.parse_arch(text).map_err(|e| {
        match SpaceId::ALL
            .into_iter()
            .find(|other| *other != space && other.parse_arch(text).is_ok())
        {
            Some(other) => format!("arch {text:?} is a {other} architecture, expected {space}"),
            None => e.to_string(),
        }
    })
}

/// Finds a required column or explains which one is missing.
pub(crate) fn require_column(
    src: &Source,
    line: u64,
    names: &[String],
    column: &str,
    hint: &str,
) -> Result<usize> {
    names.iter().position(|n| n == column).ok_or_else(|| {
        src.error(
            line,
            format!(
                "missing required column {column:?} (header: {}){hint}",
                names.join(",")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_values() {
        assert_eq!(latency("1.5"), Ok(1.5));
        assert_eq!(latency("9.0"), Ok(9.0));
        assert_eq!(latency("1e-05"), Ok(1e-5));
        for bad in [
            "", "abc", "nan", "NaN", "inf", "-inf", "0", "0.0", "-0.0", "-1.2",
        ] {
            let reason = latency(bad).unwrap_err();
            assert!(reason.contains(&format!("{bad:?}")), "{reason}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(positive_count("3", "runs"), Ok(3));
        assert!(positive_count("0", "runs").is_err());
        assert!(positive_count("-1", "runs").is_err());
        assert!(positive_count("1.5", "batch")
            .unwrap_err()
            .contains("batch \"1.5\""));
    }

    #[test]
    fn detects_spaces() {
        let nb = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
        let fb = ["k3_e1"; 22].join("-");
        assert_eq!(detect_space(nb), SpaceId::Nb201);
        assert_eq!(detect_space(&fb), SpaceId::Fbnet);
        assert_eq!(detect_space("|bogus~0|"), SpaceId::Nb201);
        assert_eq!(detect_space("k3_e1-k3_e1"), SpaceId::Fbnet);
        assert!(arch(SpaceId::Nb201, &fb)
            .unwrap_err()
            .contains("is a fbnet architecture"));
        assert!(arch(SpaceId::Fbnet, nb)
            .unwrap_err()
            .contains("is a nb201 architecture"));
    }
}
