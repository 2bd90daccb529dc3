//! NAS-Bench-201's test accuracies (`static/data/nb201_accuracy.csv.gz`):
//! one row per cell, `index,arch,cifar10_test_acc,cifar100_test_acc,
//! imagenet16_120_test_acc`, accuracy in percent. Only NB201 has such data;
//! FBNet's benchmark (HELP's sample) carries latencies alone.
//!
//! The table must hold every one of the 15625 cells exactly once: a front
//! of latency against accuracy over a table with holes would silently drop
//! architectures. Rows may come in any order (they are stored by benchmark
//! index); the `index` column, when present, must be the arch's benchmark
//! index. Columns other than the five are ignored.

use super::gz;
use super::validate::{self, require_column, Source};
use crate::error::{Error, Result};
use crate::space::{nb201, Arch, Dataset, SpaceId};
use csv::StringRecord;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

/// A dataset NAS-Bench-201 reports test accuracy on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccuracyDataset {
    /// CIFAR-10.
    Cifar10,
    /// CIFAR-100.
    Cifar100,
    /// ImageNet16-120 (ImageNet downsampled to 16×16, 120 classes).
    ImageNet16_120,
}

impl AccuracyDataset {
    /// Every dataset, in the file's column order.
    pub const ALL: [AccuracyDataset; 3] = [
        AccuracyDataset::Cifar10,
        AccuracyDataset::Cifar100,
        AccuracyDataset::ImageNet16_120,
    ];

    /// The name used on the command line: `cifar10`, `cifar100`,
    /// `imagenet16-120` (the same as [`Dataset::name`]).
    pub const fn name(&self) -> &'static str {
        self.dataset().name()
    }

    /// How a score of this dataset's accuracy is labelled in tables, plots
    /// and files: `cifar10 test accuracy %`.
    pub fn score_label(&self) -> String {
        format!("{} test accuracy %", self.name())
    }

    /// The file's column of this dataset's test accuracy.
    pub const fn column(&self) -> &'static str {
        match self {
            AccuracyDataset::Cifar10 => "cifar10_test_acc",
            AccuracyDataset::Cifar100 => "cifar100_test_acc",
            AccuracyDataset::ImageNet16_120 => "imagenet16_120_test_acc",
        }
    }

    /// The network skeleton the benchmark trained for this dataset.
    pub const fn dataset(&self) -> Dataset {
        match self {
            AccuracyDataset::Cifar10 => Dataset::Cifar10,
            AccuracyDataset::Cifar100 => Dataset::Cifar100,
            AccuracyDataset::ImageNet16_120 => Dataset::ImageNet16_120,
        }
    }

    /// Position in [`AccuracyDataset::ALL`].
    const fn slot(&self) -> usize {
        match self {
            AccuracyDataset::Cifar10 => 0,
            AccuracyDataset::Cifar100 => 1,
            AccuracyDataset::ImageNet16_120 => 2,
        }
    }
}

impl fmt::Display for AccuracyDataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AccuracyDataset {
    type Err = Error;
    /// Parses `cifar10`, `cifar100` or `imagenet16-120` (any case); the
    /// error lists the known names.
    fn from_str(s: &str) -> Result<Self> {
        let unsupported = || Error::Unsupported {
            space: SpaceId::Nb201.name(),
            what: "accuracy dataset",
            value: s.to_string(),
            supported: Self::ALL.map(|d| d.name()).join(", "),
        };
        // The names are the skeletons' names: parse one, then keep it only
        // if the benchmark reports accuracy on it.
        let dataset: Dataset = s.parse().map_err(|_| unsupported())?;
        Self::ALL
            .into_iter()
            .find(|d| d.dataset() == dataset)
            .ok_or_else(unsupported)
    }
}

/// Test accuracy (percent) of every NAS-Bench-201 cell on the three
/// datasets, in benchmark-index order.
#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyTable {
    /// `accuracy[i][d]`: cell with benchmark index `i` on
    /// `AccuracyDataset::ALL[d]`.
    accuracy: Vec<[f64; 3]>,
}

impl AccuracyTable {
    /// The only space with accuracy data: NAS-Bench-201.
    pub const SPACE: SpaceId = SpaceId::Nb201;

    /// The space the table covers ([`AccuracyTable::SPACE`]).
    pub const fn space(&self) -> SpaceId {
        Self::SPACE
    }

    /// Number of cells (15625).
    pub fn len(&self) -> usize {
        self.accuracy.len()
    }

    /// Whether the table has no cells (never, for a table that was read).
    pub fn is_empty(&self) -> bool {
        self.accuracy.is_empty()
    }

    /// Accuracy of the cell with benchmark index `index`; `None` past the end.
    pub fn at_index(&self, index: usize, dataset: AccuracyDataset) -> Option<f64> {
        self.accuracy.get(index).map(|row| row[dataset.slot()])
    }

    /// Accuracy of `arch` (looked up by [`Arch::benchmark_index`]); `None`
    /// for an architecture of a space without accuracy data (FBNet).
    pub fn get(&self, arch: &Arch, dataset: AccuracyDataset) -> Option<f64> {
        match arch.space() {
            SpaceId::Nb201 => self.at_index(arch.benchmark_index()?, dataset),
            _ => None,
        }
    }

    /// Every cell's accuracy on `dataset`, in benchmark-index order.
    pub fn column(&self, dataset: AccuracyDataset) -> Vec<f64> {
        self.accuracy
            .iter()
            .map(|row| row[dataset.slot()])
            .collect()
    }

    /// The best cell on `dataset`: its benchmark index (the lowest of ties)
    /// and accuracy; `None` for an empty table.
    pub fn best(&self, dataset: AccuracyDataset) -> Option<(usize, f64)> {
        self.column(dataset)
            .into_iter()
            .enumerate()
            .fold(None, |best, (i, v)| match best {
                Some((_, b)) if b >= v => best,
                _ => Some((i, v)),
            })
    }
}

/// Parses an accuracy in percent: finite and within [0, 100].
fn accuracy(text: &str) -> std::result::Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("accuracy {text:?} is not a number"))?;
    if !value.is_finite() {
        return Err(format!("accuracy {text:?} is not finite"));
    }
    if !(0.0..=100.0).contains(&value) {
        return Err(format!(
            "accuracy {text:?} is outside [0, 100] (percent expected)"
        ));
    }
    Ok(value)
}

/// At most this many missing cells are named in the error.
const MISSING_SHOWN: usize = 5;

/// Reads the NB201 accuracy table from plain or gzip bytes; `name` labels
/// errors (`name:line: ...`, quoting the column and value).
pub fn read_accuracy(reader: impl Read, name: &str) -> Result<AccuracyTable> {
    let mut src = Source::new(name);
    let mut csv = src.csv_reader(reader)?;
    let example = "index,arch,cifar10_test_acc,cifar100_test_acc,imagenet16_120_test_acc";
    let (header_line, names) = src.header(&mut csv, example)?;
    let arch_col = require_column(&src, header_line, &names, "arch", "")?;
    let index_col = names.iter().position(|n| n == "index");
    let mut acc_cols = [0; 3];
    for (slot, dataset) in acc_cols.iter_mut().zip(AccuracyDataset::ALL) {
        *slot = require_column(&src, header_line, &names, dataset.column(), "")?;
    }

    let n = nb201::SPACE_SIZE;
    let mut rows = vec![[f64::NAN; 3]; n];
    // Line each cell was read on; 0 = not yet.
    let mut seen_on = vec![0u64; n];
    let mut record = StringRecord::new();
    while csv.read_record(&mut record).map_err(|e| src.csv_error(e))? {
        let line = src.line_of(&record);
        src.check_width(line, &record, names.len())?;
        let text = &record[arch_col];
        let arch = validate::arch(SpaceId::Nb201, text).map_err(|e| src.error(line, e))?;
        let own = arch
            .benchmark_index()
            .expect("an NB201 cell has a benchmark index");
        if let Some(c) = index_col {
            let i = validate::index(&record[c]).map_err(|e| src.error(line, e))?;
            validate::benchmark_index(&arch, i).map_err(|e| src.error(line, e))?;
        }
        if seen_on[own] != 0 {
            return Err(src.error(
                line,
                format!(
                    "duplicate arch {text:?} (benchmark index {own}; first on line {})",
                    seen_on[own]
                ),
            ));
        }
        for ((value, &c), dataset) in rows[own]
            .iter_mut()
            .zip(&acc_cols)
            .zip(AccuracyDataset::ALL)
        {
            *value = accuracy(&record[c])
                .map_err(|e| src.error(line, format!("column {:?}: {e}", dataset.column())))?;
        }
        seen_on[own] = line;
    }
    let missing: Vec<usize> = (0..n).filter(|&i| seen_on[i] == 0).collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing
            .iter()
            .take(MISSING_SHOWN)
            .map(|&i| match SpaceId::Nb201.arch_at_benchmark_index(i) {
                Ok(arch) => format!("index {i} ({arch})"),
                Err(_) => format!("index {i}"),
            })
            .collect();
        let more = if missing.len() > MISSING_SHOWN {
            ", ..."
        } else {
            ""
        };
        return Err(src.error(
            header_line,
            format!(
                "{} of the {n} nb201 cells are missing (every cell must appear once): {}{more}",
                missing.len(),
                shown.join(", ")
            ),
        ));
    }
    Ok(AccuracyTable { accuracy: rows })
}

/// [`read_accuracy`] on a file (plain or gzip).
pub fn read_accuracy_path(path: impl AsRef<Path>) -> Result<AccuracyTable> {
    let path = path.as_ref();
    read_accuracy(gz::open_path(path)?, &gz::display_name(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_values() {
        assert_eq!(accuracy("94.37"), Ok(94.37));
        assert_eq!(accuracy("0"), Ok(0.0));
        assert_eq!(accuracy("100"), Ok(100.0));
        for bad in ["", "abc", "nan", "inf", "-0.5", "100.01"] {
            let reason = accuracy(bad).unwrap_err();
            assert!(reason.contains(&format!("{bad:?}")), "{reason}");
        }
    }

    #[test]
    fn dataset_names() {
        for d in AccuracyDataset::ALL {
            assert_eq!(d.name().parse::<AccuracyDataset>().unwrap(), d);
            assert_eq!(d.to_string(), d.name());
        }
        assert_eq!(
            "ImageNet16-120".parse::<AccuracyDataset>().unwrap(),
            AccuracyDataset::ImageNet16_120
        );
        let e = "imagenet"
            .parse::<AccuracyDataset>()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"imagenet\"") && e.contains("cifar10, cifar100, imagenet16-120"),
            "{e}"
        );
    }
}
