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
/// While it is open, `<file>.lock` is locked, so a second process
/// appending to the same file is refused rather than interleaving rows.
#[derive(Debug)]
pub struct LongAppender {
    path: PathBuf,
    file: File,
    /// The file's columns, in its own order.
    columns: Vec<String>,
    /// Held (locked) for as long as the appender lives; the OS releases the
    /// lock when the process ends, even when it is killed.
    _lock: File,
    torn: Option<TornLine>,
}

/// The last line of a file opened for appending, left incomplete by a
/// writer that was killed mid-row: it lacks its newline or is short of
/// fields. [`LongAppender::open`] moves it to `<file>.torn` (appended
/// there, never dropped) and leaves it out of the rows already measured, so
/// its architecture is measured again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornLine {
    /// Its 1-based line number in the file (the header is line 1).
    pub line: usize,
    /// Its text, as it was cut off.
    pub text: String,
    /// The file it was moved to.
    pub moved_to: PathBuf,
}

impl LongAppender {
    /// Opens `path` for appending and returns the rows it already holds
    /// (validated like any long file). A new file gets the full header (all
    /// required and optional columns). An existing file must have a header
    /// with every column; its order is kept. A torn last line (a crash
    /// leftover, see [`TornLine`]) is set aside first; [`Self::torn`] says
    /// so. Gzip files cannot be appended, and a file another process is
    /// appending to gives [`Error::InUse`].
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
        let lock = lock_for_writing(path)?;
        let all: Vec<String> = REQUIRED_COLUMNS
            .iter()
            .chain(OPTIONAL_COLUMNS.iter())
            .map(|c| c.to_string())
            .collect();
        let torn = set_aside_torn_line(path).map_err(io)?;
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
                let columns = header_columns(&header);
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
        }
        Ok((
            LongAppender {
                path: path.to_path_buf(),
                file,
                columns,
                _lock: lock,
                torn,
            },
            existing,
        ))
    }

    /// The torn last line [`Self::open`] found and set aside, if any.
    pub fn torn(&self) -> Option<&TornLine> {
        self.torn.as_ref()
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

/// The column names of a header line.
fn header_columns(header: &str) -> Vec<String> {
    header
        .trim_start_matches('\u{feff}')
        .trim_end()
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect()
}

/// `<path>.lock`, locked exclusively (the OS's advisory file lock, released
/// when the process ends however it ends, so a killed run leaves no stale
/// lock behind); [`Error::InUse`] when another process holds it. The lock
/// file itself stays: it is empty, and deleting it while a run holds it
/// would let a second run lock a new one.
fn lock_for_writing(path: &Path) -> Result<File> {
    let lock_path = with_suffix(path, "lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| Error::Io {
            path: lock_path.display().to_string(),
            source,
        })?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InUse {
            path: path.display().to_string(),
            lock: lock_path.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Io {
            path: lock_path.display().to_string(),
            source,
        }),
    }
}

/// `path` with `.suffix` added to its file name (`m.csv` → `m.csv.lock`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Moves a torn last line (see [`TornLine`]) to `<path>.torn` and cuts it
/// from `path`. Every row is written with its newline in one write, so a
/// last line without one, or with fewer fields than the header, can only be
/// a row a killed writer did not finish. Other malformed lines are left for
/// the reader to report: they are not crash leftovers.
fn set_aside_torn_line(path: &Path) -> std::io::Result<Option<TornLine>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(start) = torn_line_start(&bytes) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes[start..])
        .trim_end_matches(['\n', '\r'])
        .to_string();
    let line = bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
    let moved_to = with_suffix(path, "torn");
    let mut torn = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&moved_to)?;
    writeln!(torn, "{text}")?;
    torn.sync_all()?;
    OpenOptions::new()
        .write(true)
        .open(path)?
        .set_len(start as u64)?;
    Ok(Some(TornLine {
        line,
        text,
        moved_to,
    }))
}

/// Where the torn last line of `bytes` starts, if it has one: a last line
/// without its newline, or a row (not the header) with fewer fields than
/// the header.
fn torn_line_start(bytes: &[u8]) -> Option<usize> {
    if bytes.is_empty() {
        return None;
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if !bytes.ends_with(b"\n") {
        return Some(start);
    }
    if start == 0 || body[start..].trim_ascii().is_empty() {
        return None;
    }
    let header_end = bytes.iter().position(|&b| b == b'\n')?;
    let fields = |line: &[u8]| {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line)
            .records()
            .next()
            .and_then(|r| r.ok())
            .map_or(0, |r| r.len())
    };
    (fields(&body[start..]) < fields(&bytes[..header_end])).then_some(start)
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

    /// A fresh directory for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("latscope-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_torn_last_row_is_set_aside_and_measured_again() {
        let dir = scratch("torn");
        let path = dir.join("m.csv");
        let (mut w, _) = LongAppender::open(&path).unwrap();
        w.append(&record(A, 1.25)).unwrap();
        drop(w);
        let whole = std::fs::read_to_string(&path).unwrap();
        // Cut mid-row (no newline), then short of fields (with a newline):
        // both are crash leftovers.
        for torn in [
            format!("nb201,{B},cpu_b1,2."),
            format!("nb201,{B},cpu_b1\n"),
        ] {
            std::fs::write(&path, format!("{whole}{torn}")).unwrap();
            let (mut w, existing) = LongAppender::open(&path).unwrap();
            assert_eq!(existing, vec![record(A, 1.25)]);
            let found = w.torn().unwrap().clone();
            assert_eq!((found.line, found.text.as_str()), (3, torn.trim_end()));
            assert_eq!(found.moved_to, dir.join("m.csv.torn"));
            w.append(&record(B, 2.5)).unwrap();
            drop(w);
            assert_eq!(
                read_long_path(&path).unwrap(),
                vec![record(A, 1.25), record(B, 2.5)]
            );
            std::fs::write(&path, &whole).unwrap();
        }
        // Nothing is lost: both leftovers are in the .torn file, in order.
        let kept = std::fs::read_to_string(dir.join("m.csv.torn")).unwrap();
        assert_eq!(kept, format!("nb201,{B},cpu_b1,2.\nnb201,{B},cpu_b1\n"));
        // A whole file keeps every line and sets nothing aside.
        let (w, existing) = LongAppender::open(&path).unwrap();
        assert_eq!((existing.len(), w.torn()), (1, None));
        drop(w);
        // A header cut off before its newline: the file starts again.
        std::fs::write(&path, "space,arch,dev").unwrap();
        let (w, existing) = LongAppender::open(&path).unwrap();
        assert!(existing.is_empty() && w.torn().unwrap().line == 1);
        drop(w);
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("space,arch,device,"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_malformed_row_before_the_last_is_an_error_not_a_leftover() {
        let dir = scratch("midbad");
        let path = dir.join("m.csv");
        let (mut w, _) = LongAppender::open(&path).unwrap();
        w.append(&record(A, 1.25)).unwrap();
        drop(w);
        let text = format!(
            "{}nb201,{B},cpu_b1\nnb201,{B},cpu_b1,2.5,,,,,,\n",
            std::fs::read_to_string(&path).unwrap()
        );
        std::fs::write(&path, &text).unwrap();
        let err = LongAppender::open(&path).unwrap_err().to_string();
        assert!(err.contains("m.csv:3"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        assert!(!dir.join("m.csv.torn").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_writer_of_the_same_file_is_refused() {
        let dir = scratch("lock");
        let path = dir.join("m.csv");
        let (w, _) = LongAppender::open(&path).unwrap();
        let err = LongAppender::open(&path).unwrap_err();
        assert!(matches!(err, Error::InUse { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("m.csv.lock") && message.contains("another process"),
            "{message}"
        );
        drop(w);
        // The lock goes with the writer.
        assert!(LongAppender::open(&path).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
