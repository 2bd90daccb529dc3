//! Line numbers for CSV records.
//!
//! The `csv` crate's `Position::line()` is off by one whenever the input
//! uses CRLF line ends (HELP's files do) or has blank lines: a record's
//! position is taken before the previous line's `\n` is consumed. Its byte
//! offset has the same quirk but is exact about where that run of line ends
//! begins, so [`LineCounter`] watches the bytes as the CSV reader pulls
//! them and remembers where each non-blank line starts; a record is on the
//! first non-blank line starting at or after its byte offset.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

/// What [`LineCounter`] has seen so far.
#[derive(Default)]
struct Seen {
    /// Bytes read.
    offset: u64,
    /// 1-based number of the line being read.
    line: u64,
    /// Offset where that line starts.
    line_start: u64,
    /// Whether that line has had a byte other than `\r`.
    has_content: bool,
    /// (start offset, line number) of non-blank lines not yet asked about.
    starts: VecDeque<(u64, u64)>,
}

/// Maps the byte offsets the CSV reader reports to 1-based line numbers.
#[derive(Clone)]
pub(crate) struct Lines(Rc<RefCell<Seen>>);

impl Lines {
    /// The line of the first content at or after byte `offset`. Offsets
    /// must be asked in non-decreasing order (records come in file order),
    /// which lets the counter forget lines already passed.
    pub fn at_byte(&self, offset: u64) -> u64 {
        let mut seen = self.0.borrow_mut();
        while seen
            .starts
            .front()
            .is_some_and(|&(start, _)| start < offset)
        {
            seen.starts.pop_front();
        }
        match seen.starts.front() {
            Some(&(_, line)) => line,
            None => seen.line,
        }
    }
}

/// A reader that counts lines in what passes through it.
pub(crate) struct LineCounter<R> {
    inner: R,
    seen: Lines,
}

impl<R: Read> LineCounter<R> {
    pub fn new(inner: R) -> (Self, Lines) {
        let seen = Lines(Rc::new(RefCell::new(Seen {
            line: 1,
            ..Seen::default()
        })));
        (
            LineCounter {
                inner,
                seen: seen.clone(),
            },
            seen,
        )
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut seen = self.seen.0.borrow_mut();
        for &byte in &buf[..n] {
            match byte {
                b'\n' => {
                    seen.line += 1;
                    seen.line_start = seen.offset + 1;
                    seen.has_content = false;
                }
                b'\r' => {}
                _ if !seen.has_content => {
                    seen.has_content = true;
                    let entry = (seen.line_start, seen.line);
                    seen.starts.push_back(entry);
                }
                _ => {}
            }
            seen.offset += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line of each record as the `csv` crate splits `text`.
    fn record_lines(text: &str) -> Vec<u64> {
        let (counter, lines) = LineCounter::new(text.as_bytes());
        let mut csv = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(counter);
        let header = csv.headers().unwrap().position().unwrap().byte();
        let mut out = vec![lines.at_byte(header)];
        for record in csv.records() {
            out.push(lines.at_byte(record.unwrap().position().unwrap().byte()));
        }
        out
    }

    #[test]
    fn counts_lines_like_an_editor() {
        assert_eq!(record_lines("a,b\nx,1\ny,2\n"), [1, 2, 3]);
        assert_eq!(record_lines("a,b\r\nx,1\r\ny,2\r\nz,3"), [1, 2, 3, 4]);
        assert_eq!(record_lines("a,b\n\nx,1\n\n\ny,2\n"), [1, 3, 6]);
        assert_eq!(record_lines("\r\n\r\na,b\r\n\r\nx,1\r\n"), [3, 5]);
        assert_eq!(record_lines("a,b\n\"x\ny\",1\nz,2\n"), [1, 2, 4]);
    }
}
