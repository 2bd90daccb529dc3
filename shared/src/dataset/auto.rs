//! Reading a latency file without being told its layout, for tools that
//! take "a dataset" (`profiler info`, the page's file picker): the header
//! decides, since a long file is the only one with `device` and
//! `latency_ms` columns.

use super::gz;
use super::long::read_long_tables;
use super::table::LatencyTable;
use super::validate::Source;
use super::wide::read_wide;
use crate::error::Result;
use std::io::Read;
use std::path::Path;

/// The two file layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One row per arch, one column per device (HELP's layout).
    Wide,
    /// One row per (arch, device) (the project's contract).
    Long,
}

/// The layout a header line belongs to.
pub fn detect_format(header: &str) -> Format {
    let columns: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    if columns.contains(&"device") && columns.contains(&"latency_ms") {
        Format::Long
    } else {
        Format::Wide
    }
}

/// Reads a wide or long file (plain or gzip) into one table per space.
/// Holds the decompressed text in memory while deciding.
pub fn read_tables(reader: impl Read, name: &str) -> Result<Vec<LatencyTable>> {
    let src = Source::new(name);
    let mut text = Vec::new();
    gz::decompressing_reader(reader)
        .and_then(|mut r| r.read_to_end(&mut text))
        .map_err(|e| src.io_error(e))?;
    let header = text
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    match detect_format(&header) {
        Format::Wide => Ok(vec![read_wide(&text[..], name, None)?]),
        Format::Long => read_long_tables(&text[..], name),
    }
}

/// [`read_tables`] on a file.
pub fn read_tables_path(path: impl AsRef<Path>) -> Result<Vec<LatencyTable>> {
    let path = path.as_ref();
    read_tables(gz::open_path(path)?, &gz::display_name(path))
}

/// The layout of a file (plain or gzip), read from its first line.
pub fn detect_format_path(path: impl AsRef<Path>) -> Result<Format> {
    use std::io::BufRead;
    let path = path.as_ref();
    let name = gz::display_name(path);
    let src = Source::new(&name);
    let reader = gz::decompressing_reader(gz::open_path(path)?).map_err(|e| src.io_error(e))?;
    let mut header = String::new();
    std::io::BufReader::new(reader)
        .read_line(&mut header)
        .map_err(|e| src.io_error(e))?;
    Ok(detect_format(header.trim_start_matches('\u{feff}')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_layouts() {
        assert_eq!(detect_format("space,arch,device,latency_ms"), Format::Long);
        assert_eq!(
            detect_format("arch, \"device\" ,latency_ms,runs"),
            Format::Long
        );
        assert_eq!(detect_format("index,arch,pixel2,raspi4"), Format::Wide);
    }

    #[test]
    fn reads_either_layout() {
        let nb = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
        let wide = format!("arch,x,y\n{nb},1.5,\n");
        let long = format!("space,arch,device,latency_ms\nnb201,{nb},x,1.5\n");
        let a = read_tables(wide.as_bytes(), "w.csv").unwrap();
        let b = read_tables(long.as_bytes(), "l.csv").unwrap();
        assert_eq!(a[0].value(0, 0), Some(1.5));
        assert_eq!(a[0].select_devices(&["x"]).unwrap(), b[0]);
    }
}
