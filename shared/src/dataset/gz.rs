//! Transparent gzip. The shipped tables are `.csv.gz` (the NB201 table is
//! 8 MB as text, 3 MB compressed) but people hand over plain CSV just as
//! often. Reading sniffs the two gzip magic bytes rather than trusting a
//! name, so a renamed file or bytes from a browser upload behave the same;
//! writing goes by the `.gz` extension, as there is nothing to sniff yet.

use crate::error::{Error, Result};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// The first two bytes of every gzip member.
pub const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Wraps `reader` so that gzip input comes out decompressed and anything
/// else comes out unchanged. Reads (at most) two bytes up front to decide.
pub fn decompressing_reader<'a>(mut reader: impl Read + 'a) -> io::Result<Box<dyn Read + 'a>> {
    let mut head = [0u8; 2];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let is_gzip = head[..filled] == MAGIC;
    let rejoined = io::Cursor::new(head[..filled].to_vec()).chain(reader);
    Ok(if is_gzip {
        // Multi-member: `cat a.gz b.gz` is valid gzip and some tools write it.
        Box::new(MultiGzDecoder::new(rejoined))
    } else {
        Box::new(rejoined)
    })
}

/// Whether a path names a gzip file (its extension is `gz`, any case).
pub fn is_gz_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// The name used for `path` in error messages.
pub(crate) fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Opens `path` for reading, buffered (decompression is the reader's job).
pub(crate) fn open_path(path: &Path) -> Result<BufReader<File>> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|source| Error::Io {
            path: display_name(path),
            source,
        })
}

/// Creates `path` and hands `write` a writer for it, gzip-compressing when
/// the name ends in `.gz`. The gzip trailer is written and the file flushed
/// before returning, so a failure there is reported rather than lost in a
/// `Drop`.
pub(crate) fn write_path(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let io_error = |source| Error::Io {
        path: display_name(path),
        source,
    };
    let mut out = BufWriter::new(File::create(path).map_err(io_error)?);
    if is_gz_path(path) {
        let mut encoder = GzEncoder::new(out, Compression::default());
        write(&mut encoder)?;
        out = encoder.finish().map_err(io_error)?;
    } else {
        write(&mut out)?;
    }
    out.flush().map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        decompressing_reader(bytes)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn plain_and_gzip_read_the_same() {
        let text = b"arch,a\nx,1\n";
        assert_eq!(read_all(text), text);
        assert_eq!(read_all(&gzip(text)), text);
        let mut two = gzip(b"ab");
        two.extend(gzip(b"cd"));
        assert_eq!(read_all(&two), b"abcd");
    }

    #[test]
    fn short_inputs_pass_through() {
        assert_eq!(read_all(b""), b"");
        assert_eq!(read_all(b"a"), b"a");
        assert_eq!(read_all(&[0x1f]), [0x1f]);
    }

    #[test]
    fn gz_extension() {
        assert!(is_gz_path(Path::new("a/b.csv.gz")));
        assert!(is_gz_path(Path::new("B.GZ")));
        assert!(!is_gz_path(Path::new("b.csv")));
        assert!(!is_gz_path(Path::new("gz")));
    }
}
