//! `profiler measure --check K`: how much the same architecture's median
//! moves between repeated campaigns.
//!
//! The selection is measured K times, round by round (all architectures,
//! then all again, ...), so slow drifts (clocks, temperature) show up as
//! spread instead of hiding inside one architecture's runs. For each
//! architecture the spread is p90/p10 − 1 of its K medians.

use super::Backend;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use latscope_shared::metrics::quantile;
use latscope_shared::space::Arch;
use std::io::Write;
use std::path::Path;

/// Every architecture's medians over the rounds.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    /// The architectures, as their codes, in the order measured.
    pub archs: Vec<String>,
    /// `medians[a][r]`: architecture a's median in round r, ms.
    pub medians: Vec<Vec<f64>>,
}

/// Spread statistics over architectures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpreadSummary {
    /// Number of architectures measured.
    pub archs: usize,
    /// Number of rounds, K (medians per architecture).
    pub rounds: usize,
    /// Median over architectures of their spread, p90/p10 − 1 of their
    /// medians (a fraction: 0.02 is 2 %).
    pub median: f64,
    /// 90th percentile over architectures of their spread, a fraction.
    pub p90: f64,
    /// Largest spread of any architecture, a fraction (NaN for none).
    pub max: f64,
    /// Share of architectures whose spread is at most 3 %, in 0..=1.
    pub within_3pct: f64,
}

impl CheckResult {
    /// p90/p10 − 1 of each architecture's medians.
    pub fn spreads(&self) -> Vec<f64> {
        self.medians
            .iter()
            .map(|m| {
                let mut sorted = m.clone();
                sorted.sort_by(f64::total_cmp);
                quantile(&sorted, 0.9) / quantile(&sorted, 0.1) - 1.0
            })
            .collect()
    }

    /// The spreads of [`CheckResult::spreads`] summarised over the
    /// architectures.
    pub fn summary(&self) -> SpreadSummary {
        let mut spreads = self.spreads();
        spreads.sort_by(f64::total_cmp);
        SpreadSummary {
            archs: spreads.len(),
            rounds: self.medians.first().map_or(0, Vec::len),
            median: quantile(&spreads, 0.5),
            p90: quantile(&spreads, 0.9),
            max: *spreads.last().unwrap_or(&f64::NAN),
            within_3pct: spreads.iter().filter(|&&s| s <= 0.03).count() as f64
                / spreads.len().max(1) as f64,
        }
    }

    /// Long CSV: arch, round, median_ms.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        writeln!(out, "arch,round,median_ms")?;
        for (arch, medians) in self.archs.iter().zip(&self.medians) {
            for (r, m) in medians.iter().enumerate() {
                writeln!(out, "{arch},{r},{m:.6}")?;
            }
        }
        out.flush()?;
        Ok(())
    }
}

/// Measures `archs` `rounds` times on `backend`.
pub fn run(
    backend: &mut dyn Backend,
    archs: &[Arch],
    rounds: usize,
    show_progress: bool,
) -> Result<CheckResult> {
    if rounds < 2 {
        bail!("--check needs at least 2 rounds to show a spread");
    }
    let bar = if show_progress {
        ProgressBar::new((archs.len() * rounds) as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} runs, ETA {eta} {msg}",
        )
        .expect("the template is valid"),
    );
    let mut medians = vec![Vec::with_capacity(rounds); archs.len()];
    for round in 0..rounds {
        bar.set_message(format!("round {}/{rounds}", round + 1));
        for (a, arch) in archs.iter().enumerate() {
            let t = backend
                .measure(arch)
                .with_context(|| format!("{arch} (round {})", round + 1))?;
            medians[a].push(t.median_ms);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok(CheckResult {
        archs: archs.iter().map(ToString::to_string).collect(),
        medians,
    })
}

/// The printed report.
pub fn report(device: &str, source: &str, s: &SpreadSummary) -> String {
    format!(
        "run-to-run spread of the median ({device}, {source})\n\
         {} architectures × {} rounds; spread = p90/p10 − 1 of each architecture's medians\n\
         | statistic over architectures | spread |\n\
         |---|---|\n\
         | median | {:.2} % |\n\
         | p90 | {:.2} % |\n\
         | max | {:.2} % |\n\
         | share ≤ 3 % | {:.1} % |\n",
        s.archs,
        s.rounds,
        s.median * 100.0,
        s.p90 * 100.0,
        s.max * 100.0,
        s.within_3pct * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_are_p90_over_p10_of_the_rounds() {
        let r = CheckResult {
            archs: vec!["a".into(), "b".into()],
            // a: 1..=11 → p10 2, p90 10 → 400 %; b: constant → 0 %.
            medians: vec![(1..=11).map(f64::from).collect(), vec![2.0; 11]],
        };
        let s = r.spreads();
        assert!((s[0] - 4.0).abs() < 1e-12);
        assert_eq!(s[1], 0.0);
        let sum = r.summary();
        assert_eq!((sum.archs, sum.rounds), (2, 11));
        assert_eq!(sum.within_3pct, 0.5);
        assert!((sum.max - 4.0).abs() < 1e-12);
    }
}
