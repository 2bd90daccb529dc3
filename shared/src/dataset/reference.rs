//! Reference-architecture lists (`nb201_reference_archs.txt`, ...): the
//! architectures whose latencies on a device serve as that device's
//! hardware embedding (HELP) and which a new device must measure first for
//! few-shot adaptation. One `index<whitespace>arch` per line; blank lines
//! and `#` comments are skipped.

use super::gz;
use super::validate::{self, Source};
use crate::error::Result;
use crate::space::{Arch, SpaceId};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Reads `(index, arch)` pairs in file order. `space` fixes the search
/// space; `None` detects it from the first entry. For NB201 the index must
/// be the arch's benchmark index.
pub fn read_reference_archs(
    reader: impl Read,
    name: &str,
    space: Option<SpaceId>,
) -> Result<Vec<(usize, Arch)>> {
    let src = Source::new(name);
    let input = BufReader::new(gz::decompressing_reader(reader).map_err(|e| src.io_error(e))?);
    let mut space = space;
    let mut entries = Vec::new();
    let mut index_lines: HashMap<usize, u64> = HashMap::new();
    let mut arch_lines: HashMap<Arch, u64> = HashMap::new();
    for (n, text) in input.lines().enumerate() {
        let line = n as u64 + 1;
        let text = text.map_err(|e| src.io_error(e))?;
        let content = text.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = content.split_whitespace().collect();
        let [index, arch] = fields[..] else {
            return Err(src.error(
                line,
                format!(
                    "expected `index arch`, found {} fields in {content:?}",
                    fields.len()
                ),
            ));
        };
        let index = validate::index(index).map_err(|e| src.error(line, e))?;
        let space = *space.get_or_insert_with(|| validate::detect_space(arch));
        let arch = validate::arch(space, arch).map_err(|e| src.error(line, e))?;
        validate::benchmark_index(&arch, index).map_err(|e| src.error(line, e))?;
        if let Some(first) = index_lines.insert(index, line) {
            return Err(src.error(
                line,
                format!("duplicate index {index} (first on line {first})"),
            ));
        }
        if let Some(first) = arch_lines.insert(arch.clone(), line) {
            return Err(src.error(
                line,
                format!("duplicate arch {arch} (first on line {first})"),
            ));
        }
        entries.push((index, arch));
    }
    if entries.is_empty() {
        return Err(src.error(1, "empty file: expected lines of `index arch`"));
    }
    Ok(entries)
}

/// [`read_reference_archs`] on a file (plain or gzip).
pub fn read_reference_archs_path(
    path: impl AsRef<Path>,
    space: Option<SpaceId>,
) -> Result<Vec<(usize, Arch)>> {
    let path = path.as_ref();
    read_reference_archs(gz::open_path(path)?, &gz::display_name(path), space)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NB: &str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";

    #[test]
    fn reads_and_checks() {
        let text = format!("# comment\n\n1462\t{NB}\n");
        let refs = read_reference_archs(text.as_bytes(), "r.txt", None).unwrap();
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].0, 1462);
        assert_eq!(refs[0].1.to_string(), NB);

        let wrong = format!("7 {NB}\n");
        let e = read_reference_archs(wrong.as_bytes(), "r.txt", None)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("r.txt:1: index 7 does not match") && e.contains("1462"),
            "{e}"
        );

        let twice = format!("1462 {NB}\n1462 {NB}\n");
        let e = read_reference_archs(twice.as_bytes(), "r.txt", None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.txt:2:") && e.contains("first on line 1"),
            "{e}"
        );

        let e = read_reference_archs(&b"1 2 3\n"[..], "r.txt", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("r.txt:1:") && e.contains("\"1 2 3\""), "{e}");
        assert!(read_reference_archs(&b""[..], "r.txt", None).is_err());
    }
}
