//! Summaries of repeated timings.

use latscope_shared::metrics::quantile;

/// Median and spread of one architecture's timed runs, in ms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimingSummary {
    /// Median of the kept runs, in milliseconds: the latency a dataset row
    /// records.
    pub median_ms: f64,
    /// 10th percentile of the kept runs, in milliseconds.
    pub p10_ms: f64,
    /// 90th percentile of the kept runs, in milliseconds.
    pub p90_ms: f64,
    /// Runs kept after outlier removal.
    pub runs: usize,
    /// The runtime computed a constant: two different inputs gave the same output, so what
    /// was timed is not the network's work (a network whose output cannot depend on its
    /// input, folded away by the runtime). Recorded in the row's `source`.
    pub constant_output: bool,
}

/// Times `run_once` (which returns one run's latency, ms) until both
/// `runs` samples and `min_time_ms` of timed work are collected, at most
/// 100 × `runs` samples: fast networks get enough runs for a stable median.
pub fn timed_runs(
    runs: usize,
    min_time_ms: f64,
    mut run_once: impl FnMut() -> anyhow::Result<f64>,
) -> anyhow::Result<Vec<f64>> {
    let mut samples = Vec::with_capacity(runs);
    let mut total = 0.0;
    while samples.len() < runs || (total < min_time_ms && samples.len() < runs * 100) {
        let ms = run_once()?;
        total += ms;
        samples.push(ms);
    }
    Ok(samples)
}

/// Summarises timings: runs slower than median + 5 × MAD (scheduler
/// preemption, page faults; never faster ones, which are real) are dropped,
/// then median, p10 and p90 of the rest. `None` for no timings.
pub fn summarise(timings_ms: &[f64]) -> Option<TimingSummary> {
    if timings_ms.is_empty() {
        return None;
    }
    let mut sorted = timings_ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = quantile(&sorted, 0.5);
    let mut deviations: Vec<f64> = sorted.iter().map(|t| (t - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    let mad = quantile(&deviations, 0.5);
    if mad > 0.0 {
        let limit = median + 5.0 * mad;
        sorted.retain(|&t| t <= limit);
    }
    Some(TimingSummary {
        median_ms: quantile(&sorted, 0.5),
        p10_ms: quantile(&sorted, 0.1),
        p90_ms: quantile(&sorted, 0.9),
        runs: sorted.len(),
        constant_output: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_hand() {
        // 1..=11: median 6, p10 at position 1 → 2, p90 at position 9 → 10.
        let t: Vec<f64> = (1..=11).map(f64::from).collect();
        let s = summarise(&t).unwrap();
        assert_eq!(
            (s.median_ms, s.p10_ms, s.p90_ms, s.runs),
            (6.0, 2.0, 10.0, 11)
        );
    }

    #[test]
    fn timed_runs_go_on_until_both_count_and_time_are_reached() {
        // 1 ms runs: 5 runs asked, 12 ms minimum → 12 runs.
        assert_eq!(timed_runs(5, 12.0, || Ok(1.0)).unwrap().len(), 12);
        // Slow runs: the count decides.
        assert_eq!(timed_runs(5, 12.0, || Ok(10.0)).unwrap().len(), 5);
        // Never more than 100 × runs, however fast.
        assert_eq!(timed_runs(2, 1e9, || Ok(0.0)).unwrap().len(), 200);
        assert!(timed_runs(0, 0.0, || Ok(1.0)).unwrap().is_empty());
    }

    #[test]
    fn a_preempted_run_is_dropped() {
        // Median 1.0, MAD 0.1: the limit is 1.5, so 9.0 goes.
        let t = [0.9, 1.0, 1.1, 1.0, 0.9, 1.1, 9.0];
        let s = summarise(&t).unwrap();
        assert_eq!(s.runs, 6);
        assert!((s.p90_ms - 1.1).abs() < 1e-12);
        assert!(summarise(&[]).is_none());
    }
}
