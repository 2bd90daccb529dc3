//! Appending measurements to a long file as they are made, so that a long
//! campaign interrupted at any point keeps every row it finished and can
//! resume where it stopped.

use super::float::format_latency;
use super::gz;
use super::long::{read_long_path, OPTIONAL_COLUMNS, REQUIRED_COLUMNS};
use super::record::LatencyRecord;
use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// An open long file that rows are appended to, one flushed line each.
#[derive(Debug)]
pub struct LongAppender {
    path: PathBuf,
    file: File,
    /// The file's columns, in its own order.
    columns: Vec<String>,
}

impl LongAppender {
    /// Opens `path` for appending and returns the rows it already holds
    /// (validated like any long file). A new file gets the full header (all
    /// required and optional columns). An existing file must have a header
    /// with every column; its order is kept. Gzip files cannot be appended.
    pub fn open(path: impl AsRef<Path>) -> Result<(Self, Vec<LatencyRecord>)> {
        let path = path.as_ref();
        let name = gz::display_name(path);
        let err = |reason: String| Error::Dataset {
            file: name.clone(),
            line: 1,
            reason,
        };
        if gz::is_gz_path(path) {
            return Err(err(
                "cannot append to a gzip file; write a .csv and compress it when done".into(),
            ));
        }
        let io = |source| Error::Io {
            path: name.clone(),
            source,
        };
        let all: Vec<String> = REQUIRED_COLUMNS
            .iter()
            .chain(OPTIONAL_COLUMNS.iter())
            .map(|c| c.to_string())
            .collect();
        let existing_header = match File::open(path) {
            Ok(f) => {
                let mut line = String::new();
                BufReader::new(f).read_line(&mut line).map_err(io)?;
                Some(line)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        let (columns, existing) = match existing_header.filter(|h| !h.trim().is_empty()) {
            Some(header) => {
                let columns: Vec<String> = header
                    .trim_start_matches('\u{feff}')
                    .trim_end()
                    .split(',')
                    .map(|c| c.trim().trim_matches('"').to_string())
                    .collect();
                if let Some(missing) = all.iter().find(|c| !columns.contains(c)) {
                    return Err(err(format!(
                        "cannot append measurements: the file has no {missing:?} column \
                         (its columns: {}); write to a new file instead",
                        columns.join(",")
                    )));
                }
                let records = read_long_path(path)?;
                (columns, records)
            }
            None => (all, Vec::new()),
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        if existing.is_empty() && file.metadata().map_err(io)?.len() == 0 {
            writeln!(file, "{}", columns.join(",")).map_err(io)?;
        } else {
            ensure_trailing_newline(path, &mut file).map_err(io)?;
        }
        Ok((
            LongAppender {
                path: path.to_path_buf(),
                file,
                columns,
            },
            existing,
        ))
    }

    /// Appends one row and flushes it to the OS.
    pub fn append(&mut self, r: &LatencyRecord) -> Result<()> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let fields: Vec<String> = self
            .columns
            .iter()
            .map(|c| match c.as_str() {
                "space" => r.space.name().to_string(),
                "arch" => r.arch.clone(),
                "device" => r.device.clone(),
                "latency_ms" => format_latency(r.latency_ms),
                "p10_ms" => r.p10_ms.map(format_latency).unwrap_or_default(),
                "p90_ms" => r.p90_ms.map(format_latency).unwrap_or_default(),
                "runs" => r.runs.map(|n| n.to_string()).unwrap_or_default(),
                "batch" => r.batch.map(|n| n.to_string()).unwrap_or_default(),
                "precision" => r.precision.clone().unwrap_or_default(),
                "source" => r.source.clone().unwrap_or_default(),
                _ => String::new(),
            })
            .collect();
        let io = |source| Error::Io {
            path: self.path.display().to_string(),
            source,
        };
        w.write_record(&fields)
            .map_err(|e| io(std::io::Error::other(e)))?;
        let line = w.into_inner().map_err(|e| io(e.into_error()))?;
        self.file.write_all(&line).map_err(io)?;
        self.file.flush().map_err(io)
    }
}

/// A file cut off mid-line (an interrupted writer) must not glue the next
/// row onto its last one.
fn ensure_trailing_newline(path: &Path, file: &mut File) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    if bytes.last().is_some_and(|&b| b != b'\n') {
        file.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::SpaceId;

    fn record(arch: &str, ms: f64) -> LatencyRecord {
        let arch = SpaceId::Nb201.parse_arch(arch).unwrap();
        let mut r = LatencyRecord::new(&arch, "cpu_b1", ms);
        r.p10_ms = Some(ms * 0.9);
        r.runs = Some(30);
        r.source = Some("latscope-cpu".into());
        r
    }

    const A: &str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
    const B: &str = "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|";

    #[test]
    fn appends_resume_and_keep_earlier_rows() {
        let dir = std::env::temp_dir().join(format!("latscope-append-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.csv");
        let _ = std::fs::remove_file(&path);
        let (mut w, existing) = LongAppender::open(&path).unwrap();
        assert!(existing.is_empty());
        w.append(&record(A, 1.25)).unwrap();
        drop(w);
        let (mut w, existing) = LongAppender::open(&path).unwrap();
        assert_eq!(existing, vec![record(A, 1.25)]);
        w.append(&record(B, 2.5)).unwrap();
        drop(w);
        let all = read_long_path(&path).unwrap();
        assert_eq!(all, vec![record(A, 1.25), record(B, 2.5)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_without_every_column_are_left_alone() {
        let dir = std::env::temp_dir().join(format!("latscope-append2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("short.csv");
        let text = format!("space,arch,device,latency_ms\nnb201,{A},x,1.0\n");
        std::fs::write(&path, &text).unwrap();
        let err = LongAppender::open(&path).unwrap_err().to_string();
        assert!(err.contains("short.csv") && err.contains("p10_ms"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let err = LongAppender::open(dir.join("x.csv.gz"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("gzip"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
