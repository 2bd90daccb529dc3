//! A search space's `features-v1` computed ahead of time. Lowering all
//! 15625 NB201 cells to the IR and costing them takes about a second
//! natively and more in a browser, and the result depends only on the
//! (versioned) encoding, never on a predictor, so the explorer ships it.
//!
//! File layout: one ASCII header line
//! `latscope-encoding-cache 1 <space> <encoding> <rows> <width>\n`, then
//! `rows × width` little-endian f32, rows in the space's benchmark index
//! order. Written gzip-compressed when the name ends in `.gz`; read either
//! way.

use super::Encoding;
use crate::dataset::gz;
use crate::error::{Error, Result};
use crate::space::{Arch, SpaceId};
use std::io::Read;
use std::path::Path;

const MAGIC: &str = "latscope-encoding-cache";
const VERSION: u32 = 1;

/// One encoding of every architecture of an enumerable space.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodingCache {
    /// The space whose architectures the rows encode.
    pub space: SpaceId,
    /// The encoding the rows were computed with.
    pub encoding: Encoding,
    /// Length of one row: [`Encoding::dim`] of `encoding` for `space`.
    pub width: usize,
    /// Row-major, rows in benchmark index order.
    pub rows: Vec<f32>,
}

impl EncodingCache {
    /// Encodes every architecture of `space` (only NB201 can be listed:
    /// [`SpaceId::enumerate`]).
    pub fn compute(space: SpaceId, encoding: Encoding) -> Result<Self> {
        let archs = space.enumerate()?;
        let width = encoding.dim(space);
        let mut rows = Vec::with_capacity(archs.len() * width);
        for arch in &archs {
            rows.extend(encoding.encode(arch)?);
        }
        Ok(EncodingCache {
            space,
            encoding,
            width,
            rows,
        })
    }

    /// The cached row of `arch`, if the cache covers it.
    pub fn row(&self, arch: &Arch) -> Option<&[f32]> {
        if arch.space() != self.space {
            return None;
        }
        let index = arch.benchmark_index()?;
        self.rows.get(index * self.width..(index + 1) * self.width)
    }

    /// The file's bytes (uncompressed).
    pub fn to_bytes(&self) -> Vec<u8> {
        let rows = self.rows.len() / self.width.max(1);
        let mut out = format!(
            "{MAGIC} {VERSION} {} {} {rows} {}\n",
            self.space, self.encoding, self.width
        )
        .into_bytes();
        for v in &self.rows {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Writes the file, gzip-compressed when `path` ends in `.gz`.
    pub fn write_path(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes();
        gz::write_path(path, |w| {
            w.write_all(&bytes).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })
        })
    }

    /// Reads a cache file (plain or gzip); `name` is used in errors.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Self> {
        let fail = |reason: String| Error::Dataset {
            file: name.to_string(),
            line: 1,
            reason,
        };
        let mut data = Vec::new();
        gz::decompressing_reader(bytes)
            .and_then(|mut r| r.read_to_end(&mut data))
            .map_err(|source| Error::Io {
                path: name.to_string(),
                source,
            })?;
        let end = data
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| fail("no header line: not a latscope encoding cache".into()))?;
        let header = String::from_utf8_lossy(&data[..end]).to_string();
        let fields: Vec<&str> = header.split(' ').collect();
        let [magic, version, space, encoding, rows, width] = fields[..] else {
            return Err(fail(format!(
                "header {header:?} is not a latscope encoding cache"
            )));
        };
        if magic != MAGIC {
            return Err(fail(format!(
                "header {header:?} is not a latscope encoding cache"
            )));
        }
        if version != VERSION.to_string() {
            return Err(fail(format!(
                "cache format version {version}; this build reads {VERSION}"
            )));
        }
        let space: SpaceId = space.parse()?;
        let encoding: Encoding = encoding.parse()?;
        let number = |what: &str, v: &str| {
            v.parse::<usize>()
                .map_err(|_| fail(format!("{what} {v:?} is not a number")))
        };
        let (rows, width) = (number("rows", rows)?, number("width", width)?);
        if width != encoding.dim(space) {
            return Err(fail(format!(
                "width {width}, but {encoding} of {space} has {}",
                encoding.dim(space)
            )));
        }
        let body = &data[end + 1..];
        if body.len() != rows * width * 4 {
            return Err(fail(format!(
                "{} bytes of values for {rows} × {width} f32 (expected {})",
                body.len(),
                rows * width * 4
            )));
        }
        let values = body
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(EncodingCache {
            space,
            encoding,
            width,
            rows: values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::nb201::{Cell, SPACE_SIZE};

    /// The shipped cache must equal what this build computes, bit for bit
    /// (checked on every 13th cell to keep debug test builds quick).
    #[test]
    fn the_shipped_nb201_cache_is_current() {
        let bytes = include_bytes!("../../../static/data/nb201_features-v1.bin.gz");
        let cache = EncodingCache::from_bytes(bytes, "nb201_features-v1.bin.gz").unwrap();
        assert_eq!(
            (cache.space, cache.encoding),
            (SpaceId::Nb201, Encoding::FeaturesV1)
        );
        assert_eq!(cache.rows.len(), SPACE_SIZE * cache.width);
        for index in (0..SPACE_SIZE).step_by(13) {
            let arch = Arch::Nb201(Cell::from_benchmark_index(index).unwrap());
            let want = Encoding::FeaturesV1.encode(&arch).unwrap();
            assert_eq!(cache.row(&arch).unwrap(), want.as_slice(), "{arch}");
        }
    }

    #[test]
    fn bad_files_are_named() {
        let err = EncodingCache::from_bytes(b"hello\n", "x.bin")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.bin") && err.contains("not a latscope encoding cache"),
            "{err}"
        );
        let mut bytes = b"latscope-encoding-cache 1 nb201 features-v1 2 20\n".to_vec();
        bytes.extend([0u8; 8]);
        let err = EncodingCache::from_bytes(&bytes, "y.bin")
            .unwrap_err()
            .to_string();
        assert!(err.contains("8 bytes of values for 2 × 20"), "{err}");
        let err = EncodingCache::compute(SpaceId::Fbnet, Encoding::FeaturesV1).unwrap_err();
        assert!(err.to_string().contains("fbnet"), "{err}");
    }
}
