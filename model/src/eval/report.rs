//! Results of an evaluation: every trial, their aggregates over seeds, and
//! the text table / CSV they print as.

use super::anchors::{published_devices, published_task};
use super::confidence::{ConfidenceCheck, BANDS};
use super::split::Score;
use super::stats::MeanSd;
use super::task::Task;
use super::trial::TrialRecord;
use serde::Serialize;
use std::fmt::Write;

/// Mean ± sd over seeds of one (method, K, device).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceSummary {
    /// Label of the method, as in [`TrialRecord::method`].
    pub method: String,
    /// Number of samples given per device.
    pub k: usize,
    /// The test device.
    pub device: String,
    /// Spearman rank correlation of predicted and measured latency, over seeds.
    pub spearman: MeanSd,
    /// Kendall rank correlation (τ) of predicted and measured latency, over seeds.
    pub kendall: MeanSd,
    /// Mean absolute percentage error as a fraction (0.1 = 10 %), over seeds.
    pub mape: MeanSd,
    /// Fraction of architectures predicted within ±10 % of the measurement, over seeds.
    pub acc10: MeanSd,
    /// Seeds in which the method predicted a constant (ρ, τ counted as 0).
    pub constant: usize,
}

/// The task mean of one (method, K): per seed the mean over test devices,
/// then mean ± sd of those over seeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskSummary {
    /// Label of the method, as in [`TrialRecord::method`].
    pub method: String,
    /// Number of samples given per test device.
    pub k: usize,
    /// Spearman rank correlation, per seed averaged over test devices.
    pub spearman: MeanSd,
    /// Kendall rank correlation (τ), per seed averaged over test devices.
    pub kendall: MeanSd,
    /// Mean absolute percentage error as a fraction, per seed averaged over test devices.
    pub mape: MeanSd,
    /// Fraction within ±10 % of the measurement, per seed averaged over test devices.
    pub acc10: MeanSd,
}

/// Everything an evaluation produced.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    /// The transfer task evaluated: space, training and test devices.
    pub task: Task,
    /// Name of the sampler (or samplers, comma-separated) that chose the measured
    /// architectures.
    pub sampler: String,
    /// The numbers of samples per test device evaluated, in the order run.
    pub ks: Vec<usize>,
    /// Seeds run, each a separate pretraining and draw of samples.
    pub seeds: Vec<u64>,
    /// Labels of the methods evaluated, in the order of the tables.
    pub methods: Vec<String>,
    /// Architectures in the task's table.
    pub n_archs: usize,
    /// Latencies handed out per test device over the whole run (every
    /// method, seed and K).
    pub measured: Vec<(String, usize)>,
    /// Every (method, seed, K, device) adaptation, in the order run.
    pub trials: Vec<TrialRecord>,
    /// Mean ± sd over seeds per (method, K, device), in method × K × device order.
    pub devices: Vec<DeviceSummary>,
    /// Task means per (method, K), in method × K order: the headline numbers.
    pub summary: Vec<TaskSummary>,
    /// Stated confidence against measured scores, per (method, K) that
    /// states one.
    pub confidence: Vec<ConfidenceCheck>,
}

type Metric = fn(&Score) -> f64;
const METRICS: [Metric; 4] = [|s| s.spearman, |s| s.kendall, |s| s.mape, |s| s.acc10];

/// Aggregates trials into per-device and per-task summaries, in the order
/// method × K (× device) given.
pub fn aggregate(
    trials: &[TrialRecord],
    methods: &[String],
    ks: &[usize],
    devices: &[String],
) -> (Vec<DeviceSummary>, Vec<TaskSummary>) {
    let mut per_device = Vec::new();
    let mut per_task = Vec::new();
    for method in methods {
        for &k in ks {
            let of = |device: &str| -> Vec<&TrialRecord> {
                trials
                    .iter()
                    .filter(|t| &t.method == method && t.k == k && t.device == device)
                    .collect()
            };
            for device in devices {
                let ts = of(device);
                if ts.is_empty() {
                    continue;
                }
                let m = METRICS
                    .map(|f| MeanSd::of(&ts.iter().map(|t| f(&t.score)).collect::<Vec<_>>()));
                per_device.push(DeviceSummary {
                    method: method.clone(),
                    k,
                    device: device.clone(),
                    spearman: m[0],
                    kendall: m[1],
                    mape: m[2],
                    acc10: m[3],
                    constant: ts.iter().filter(|t| t.score.constant).count(),
                });
            }
            // Seeds in first-seen order.
            let mut seeds: Vec<u64> = Vec::new();
            for t in trials.iter().filter(|t| &t.method == method && t.k == k) {
                if !seeds.contains(&t.seed) {
                    seeds.push(t.seed);
                }
            }
            if seeds.is_empty() {
                continue;
            }
            let seed_means = |f: Metric| -> Vec<f64> {
                seeds
                    .iter()
                    .map(|&s| {
                        let v: Vec<f64> = trials
                            .iter()
                            .filter(|t| &t.method == method && t.k == k && t.seed == s)
                            .map(|t| f(&t.score))
                            .collect();
                        v.iter().sum::<f64>() / v.len() as f64
                    })
                    .collect()
            };
            let m = METRICS.map(|f| MeanSd::of(&seed_means(f)));
            per_task.push(TaskSummary {
                method: method.clone(),
                k,
                spearman: m[0],
                kendall: m[1],
                mape: m[2],
                acc10: m[3],
            });
        }
    }
    (per_device, per_task)
}

/// Writes `rows` as columns: the first left-aligned, the others right-aligned,
/// a rule under the header row.
fn write_aligned(out: &mut String, rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                let pad = w - cell.chars().count();
                if c == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
        if i == 0 {
            let total = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            let _ = writeln!(out, "{}", "-".repeat(total));
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

impl EvalReport {
    fn device_summary(&self, method: &str, k: usize, device: &str) -> Option<&DeviceSummary> {
        self.devices
            .iter()
            .find(|d| d.method == method && d.k == k && d.device == device)
    }

    /// The results as a text table, with the published numbers for the task
    /// (if any) printed below, marked as such.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        let task = &self.task;
        let train = if task.train_devices.is_empty() {
            "no training device".to_string()
        } else {
            format!(
                "{} training devices ({})",
                task.train_devices.len(),
                task.train_devices.join(", ")
            )
        };
        let _ = writeln!(
            out,
            "task {} ({}): {train} → {} test device{}",
            task.name,
            task.space,
            task.test_devices.len(),
            if task.test_devices.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        for note in &task.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        let _ = writeln!(
            out,
            "sampler {}; {} seed{} ({}); scored on every measured architecture not sampled \
             ({} archs − K); ρ, τ, MAPE, acc10 = mean over test devices, ± sd over seeds",
            self.sampler,
            self.seeds.len(),
            if self.seeds.len() == 1 { "" } else { "s" },
            self.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            self.n_archs
        );
        let devices = &task.test_devices;
        let mut header = vec![
            "method".to_string(),
            "K".into(),
            "ρ mean ± sd".into(),
            "τ".into(),
            "MAPE".into(),
            "acc10".into(),
        ];
        header.extend(devices.iter().map(|d| format!("ρ {d}")));
        let mut rows = vec![header];
        for s in &self.summary {
            let mut row = vec![
                s.method.clone(),
                s.k.to_string(),
                format!("{:.3} ± {:.3}", s.spearman.mean, s.spearman.sd),
                format!("{:.3}", s.kendall.mean),
                pct(s.mape.mean),
                pct(s.acc10.mean),
            ];
            for d in devices {
                row.push(
                    self.device_summary(&s.method, s.k, d)
                        .map_or("-".into(), |x| format!("{:.3}", x.spearman.mean)),
                );
            }
            rows.push(row);
        }
        let published_rows = published_devices(&task.name);
        if let Some(p) = published_task(&task.name) {
            for (who, v) in [
                ("HELP (NASFLAT's table)", p.help),
                ("MultiPredict (NASFLAT's table)", p.multipredict),
                ("NASFLAT", p.nasflat),
            ] {
                let mut row = vec![format!("{who}*"), "".into(), format!("{v:.3}")];
                row.extend(std::iter::repeat_n("".to_string(), 3 + devices.len()));
                rows.push(row);
            }
        }
        for p in &published_rows {
            let mut row = vec![
                format!("{}*", p.source),
                "".into(),
                format!("{:.3}", p.mean),
                "".into(),
                "".into(),
                "".into(),
            ];
            for d in devices {
                row.push(
                    p.devices
                        .iter()
                        .find(|(n, _)| n == d)
                        .map_or("".into(), |(_, v)| format!("{v:.3}")),
                );
            }
            rows.push(row);
        }
        write_aligned(&mut out, &rows);
        if published_task(&task.name).is_some() || !published_rows.is_empty() {
            let _ = writeln!(
                out,
                "* published numbers (NASFLAT MLSys 2024, HELP NeurIPS 2021), \
                 not measured here; NASFLAT's task means likely use 20 target samples"
            );
        }
        self.render_confidence(&mut out);
        let constant: usize = self.devices.iter().map(|d| d.constant).sum();
        if constant > 0 {
            let _ = writeln!(
                out,
                "warning: {constant} adaptation(s) predicted one constant value (ρ, τ counted as 0)"
            );
        }
        out
    }

    /// The confidence check, one row per (method, K) that states one.
    fn render_confidence(&self, out: &mut String) {
        if self.confidence.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\nstated confidence (leave-one-out on the K samples) against the measured score, \
             across devices × seeds:\n  track ρ = Spearman(stated LOO ρ, measured ρ); \
             track err = Spearman(stated, measured ln-ms RMSE); err ratio = median measured / \
             stated error;\n  bands of stated LOO ρ: measured ρ mean / 10th percentile (trials)"
        );
        let opt = |x: Option<f64>, digits: usize| x.map_or("-".into(), |v| format!("{v:.digits$}"));
        let mut header = vec![
            "method".to_string(),
            "K".into(),
            "trials".into(),
            "track ρ".into(),
            "track err".into(),
            "err ratio".into(),
        ];
        header.extend(BANDS.iter().map(|(lo, hi)| format!("LOO ρ ({lo}, {hi}]")));
        let mut rows = vec![header];
        for c in &self.confidence {
            let mut row = vec![
                c.method.clone(),
                c.k.to_string(),
                c.trials.to_string(),
                opt(c.rho_tracks_rho, 3),
                opt(c.error_tracks_error, 3),
                opt(c.error_ratio_median, 2),
            ];
            row.extend(
                c.bands
                    .iter()
                    .map(|b| match (b.measured_mean, b.measured_p10) {
                        (Some(m), Some(p)) => format!("{m:.3} / {p:.3} ({})", b.trials),
                        _ => "-".into(),
                    }),
            );
            rows.push(row);
        }
        write_aligned(out, &rows);
    }

    /// Per (method, K, device) rows, then per (method, K) task means (device
    /// `mean`), as CSV.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "task,space,sampler,method,k,device,seeds,spearman_mean,spearman_sd,kendall_mean,\
             kendall_sd,mape_mean,mape_sd,acc10_mean,acc10_sd\n",
        );
        let mut line = |method: &str, k: usize, device: &str, m: [&MeanSd; 4]| {
            let _ = write!(
                out,
                "{},{},{},{method},{k},{device},{}",
                self.task.name, self.task.space, self.sampler, m[0].n
            );
            for x in m {
                let _ = write!(out, ",{},{}", x.mean, x.sd);
            }
            out.push('\n');
        };
        for d in &self.devices {
            line(
                &d.method,
                d.k,
                &d.device,
                [&d.spearman, &d.kendall, &d.mape, &d.acc10],
            );
        }
        for s in &self.summary {
            line(
                &s.method,
                s.k,
                "mean",
                [&s.spearman, &s.kendall, &s.mape, &s.acc10],
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(seed: u64, device: &str, rho: f64, mape: f64) -> TrialRecord {
        TrialRecord {
            method: "m".into(),
            seed,
            k: 5,
            device: device.into(),
            sampled: vec![],
            score: Score {
                n: 10,
                spearman: rho,
                kendall: rho / 2.0,
                mape,
                acc10: 0.5,
                log_rmse: None,
                constant: false,
            },
            stated: None,
        }
    }

    #[test]
    fn aggregates_by_hand() {
        // Device a: ρ 0.9 (seed 0), 0.7 (seed 1) → mean 0.8, sd sqrt(0.02).
        // Device b: ρ 0.5, 0.3 → mean 0.4, sd sqrt(0.02).
        // Seed means: (0.9+0.5)/2 = 0.7, (0.7+0.3)/2 = 0.5 → task mean 0.6,
        // sd sqrt(0.02). MAPE a: 0.1, 0.3 → 0.2.
        let trials = vec![
            trial(0, "a", 0.9, 0.1),
            trial(0, "b", 0.5, 0.2),
            trial(1, "a", 0.7, 0.3),
            trial(1, "b", 0.3, 0.2),
        ];
        let (dev, task) = aggregate(&trials, &["m".into()], &[5], &["a".into(), "b".into()]);
        assert_eq!(dev.len(), 2);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
        assert!(close(dev[0].spearman.mean, 0.8) && close(dev[0].spearman.sd, 0.02f64.sqrt()));
        assert!(close(dev[1].spearman.mean, 0.4) && close(dev[1].spearman.sd, 0.02f64.sqrt()));
        assert!(close(dev[0].mape.mean, 0.2));
        assert!(close(dev[0].kendall.mean, 0.4));
        assert_eq!(task.len(), 1);
        assert!(close(task[0].spearman.mean, 0.6));
        assert!(close(task[0].spearman.sd, 0.02f64.sqrt()));
        assert_eq!(task[0].spearman.n, 2);
    }
}
