//! The NAS-Bench-201 benchmark index ⇄ canonical code table.
//!
//! `nb201_index.bin` holds 15625 little-endian u16: entry `i` is the
//! canonical code (`nb201::Cell::code`) of the architecture the
//! benchmark numbers `i`. It was extracted from the `index` and `arch`
//! columns of HELP's published NAS-Bench-201 latency table (MIT, see
//! `static/data/LICENSE-HELP.md`); a test in `tests/` rebuilds it from the
//! shipped CSV and compares. Embedding it (31 KB) keeps the crate free of file
//! access, so the browser module has the benchmark order too.

use std::sync::OnceLock;

const TABLE_BYTES: &[u8] = include_bytes!("nb201_index.bin");
/// Entries in the table: every cell of the space (the test checks it
/// against `nb201::SPACE_SIZE`; the space module depends on this one, not
/// the other way round).
const LEN: usize = TABLE_BYTES.len() / 2;

/// Canonical code of the architecture with benchmark index `index`.
pub(crate) fn code_of_benchmark_index(index: usize) -> Option<usize> {
    let bytes = TABLE_BYTES.get(2 * index..2 * index + 2)?;
    Some(u16::from_le_bytes([bytes[0], bytes[1]]) as usize)
}

/// Benchmark index of the architecture with canonical code `code` (< 15625).
pub(crate) fn benchmark_index_of_code(code: usize) -> usize {
    static INVERSE: OnceLock<Vec<u16>> = OnceLock::new();
    let inverse = INVERSE.get_or_init(|| {
        let mut inverse = vec![0u16; LEN];
        for index in 0..LEN {
            if let Some(c) = code_of_benchmark_index(index) {
                inverse[c] = index as u16;
            }
        }
        inverse
    });
    inverse[code] as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_a_permutation_of_all_codes() {
        assert_eq!(LEN, crate::space::nb201::SPACE_SIZE);
        let mut seen = vec![false; LEN];
        for index in 0..LEN {
            let code = code_of_benchmark_index(index).unwrap();
            assert!(
                code < LEN && !seen[code],
                "code {code} repeated or out of range"
            );
            seen[code] = true;
            assert_eq!(benchmark_index_of_code(code), index);
        }
        assert_eq!(code_of_benchmark_index(LEN), None);
    }
}
