//! A table's summary, for `profiler info`, the page and the ONNX metadata's
//! training-data summary: per device count/min/median/mean/max, and the
//! table's shape with its missing cells. Serializable for machines,
//! `Display` as an aligned text table for people.

use super::table::LatencyTable;
use crate::space::SpaceId;
use serde::Serialize;
use std::fmt;

/// One device's latency distribution (ms); the numbers are `None` when the
/// device has no measurement at all.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceStats {
    /// The device configuration's name, as in the table's header.
    pub device: String,
    /// Measured cells.
    pub count: usize,
    /// Cells without a measurement.
    pub missing: usize,
    /// Fastest measured latency, ms.
    pub min: Option<f64>,
    /// Median of the measured latencies (mean of the middle two for an even
    /// count), ms.
    pub median: Option<f64>,
    /// Arithmetic mean of the measured latencies, ms.
    pub mean: Option<f64>,
    /// Slowest measured latency, ms.
    pub max: Option<f64>,
}

/// A table's shape and per-device summaries.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableStats {
    /// The search space of the table's architectures.
    pub space: SpaceId,
    /// Number of architectures (rows).
    pub archs: usize,
    /// Number of device configurations (columns).
    pub devices: usize,
    /// Missing cells over the whole table.
    pub missing: usize,
    /// One summary per device, in the table's device order.
    pub per_device: Vec<DeviceStats>,
}

impl DeviceStats {
    fn of(device: &str, column: &[Option<f64>]) -> Self {
        let mut values: Vec<f64> = column.iter().flatten().copied().collect();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = match n {
            0 => None,
            _ if n % 2 == 1 => Some(values[n / 2]),
            _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
        };
        DeviceStats {
            device: device.to_string(),
            count: n,
            missing: column.len() - n,
            min: values.first().copied(),
            median,
            mean: (n > 0).then(|| values.iter().sum::<f64>() / n as f64),
            max: values.last().copied(),
        }
    }
}

impl LatencyTable {
    /// Summarises the table (sorts each device column once).
    pub fn stats(&self) -> TableStats {
        TableStats {
            space: self.space(),
            archs: self.n_archs(),
            devices: self.n_devices(),
            missing: self.missing(),
            per_device: (0..self.n_devices())
                .map(|d| DeviceStats::of(&self.devices()[d], &self.device_column(d)))
                .collect(),
        }
    }
}

impl fmt::Display for TableStats {
    /// ```text
    /// nb201: 2 archs × 2 devices, 1 of 4 cells missing
    /// device  count  missing    min  median   mean    max
    /// a           2        0  1.000   1.500  1.500  2.000
    /// b           1        1  3.000   3.000  3.000  3.000
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} archs × {} devices, {} of {} cells missing",
            self.space,
            self.archs,
            self.devices,
            self.missing,
            self.archs * self.devices
        )?;
        let number = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
        let header = ["device", "count", "missing", "min", "median", "mean", "max"];
        let rows: Vec<[String; 7]> = self
            .per_device
            .iter()
            .map(|d| {
                [
                    d.device.clone(),
                    d.count.to_string(),
                    d.missing.to_string(),
                    number(d.min),
                    number(d.median),
                    number(d.mean),
                    number(d.max),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut line = |cells: [&str; 7]| {
            let mut out = format!("{:<w$}", cells[0], w = widths[0]);
            for (cell, w) in cells.iter().zip(widths).skip(1) {
                out.push_str(&format!("  {cell:>w$}"));
            }
            writeln!(f, "{}", out.trim_end())
        };
        line(header)?;
        for row in &rows {
            line(row.each_ref().map(String::as_str))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::nb201::{Cell, Nb201Op};
    use crate::space::Arch;

    #[test]
    fn summarises_and_prints() {
        let archs = vec![
            Arch::Nb201(Cell::uniform(Nb201Op::None)),
            Arch::Nb201(Cell::uniform(Nb201Op::SkipConnect)),
        ];
        let t = LatencyTable::new(
            SpaceId::Nb201,
            archs,
            None,
            vec!["a".into(), "b".into(), "never".into()],
            vec![Some(1.0), None, None, Some(2.0), Some(3.0), None],
        )
        .unwrap();
        let s = t.stats();
        assert_eq!((s.archs, s.devices, s.missing), (2, 3, 3));
        let a = &s.per_device[0];
        assert_eq!(
            (a.count, a.min, a.median, a.mean, a.max),
            (2, Some(1.0), Some(1.5), Some(1.5), Some(2.0))
        );
        assert_eq!(s.per_device[2].median, None);
        let text = s.to_string();
        let expected = "\
nb201: 2 archs × 3 devices, 3 of 6 cells missing
device  count  missing    min  median   mean    max
a           2        0  1.000   1.500  1.500  2.000
b           1        1  3.000   3.000  3.000  3.000
never       0        2      -       -      -      -
";
        assert_eq!(text, expected);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["per_device"][0]["median"], 1.5);
        assert_eq!(json["space"], "nb201");
    }
}
