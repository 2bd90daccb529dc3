//! Does the confidence a method states from its K samples track the score
//! it then gets on the architectures it did not see?
//!
//! A method that states one (the automatic adaptation: the chosen fit's
//! leave-one-out ρ and ln-ms error on the samples) is checked across every
//! trial of one (method, K), that is across devices and seeds: the rank
//! correlation of stated with measured ρ and of stated with measured error,
//! and the measured ρ within bands of stated ρ, which is what a user reads
//! the statement as ("leave-one-out ρ ≥ .95: measured ρ is then at least …").

use super::trial::TrialRecord;
use latscope_shared::metrics::quantile;
use serde::Serialize;

/// Bands of stated leave-one-out ρ, as (low, high]; the first is closed.
pub const BANDS: [(f64, f64); 5] = [
    (-1.0, 0.5),
    (0.5, 0.8),
    (0.8, 0.9),
    (0.9, 0.95),
    (0.95, 1.0),
];

/// Measured ρ of the trials whose stated ρ falls in one band.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfidenceBand {
    /// Lower bound of the band's stated ρ (exclusive, except for the first band).
    pub low: f64,
    /// Upper bound of the band's stated ρ (inclusive).
    pub high: f64,
    /// Trials whose stated ρ falls in the band.
    pub trials: usize,
    /// Mean and 10th percentile of the measured ρ (None without trials).
    pub measured_mean: Option<f64>,
    /// 10th percentile of the measured ρ: what a user can count on from such a statement (None
    /// without trials).
    pub measured_p10: Option<f64>,
}

/// The check for one (method, K).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfidenceCheck {
    /// Label of the method, as in [`TrialRecord::method`].
    pub method: String,
    /// Number of samples given per device.
    pub k: usize,
    /// Trials with a stated confidence.
    pub trials: usize,
    /// Spearman ρ across trials of stated leave-one-out ρ with measured ρ.
    pub rho_tracks_rho: Option<f64>,
    /// Spearman ρ across trials of stated with measured ln-ms error.
    pub error_tracks_error: Option<f64>,
    /// Median of measured / stated ln-ms error (1 = the statement is right
    /// on average; above 1 it is optimistic).
    pub error_ratio_median: Option<f64>,
    /// Measured ρ per band of stated ρ, one per [`BANDS`] entry in that order.
    pub bands: Vec<ConfidenceBand>,
}

/// One check per (method, K) whose trials state a confidence, in the order
/// given.
pub fn check_confidence(
    trials: &[TrialRecord],
    methods: &[String],
    ks: &[usize],
) -> Vec<ConfidenceCheck> {
    let mut checks = Vec::new();
    for method in methods {
        for &k in ks {
            let stated: Vec<(&TrialRecord, f64, Option<f64>)> = trials
                .iter()
                .filter(|t| &t.method == method && t.k == k)
                .filter_map(|t| {
                    let s = t.stated.as_ref()?;
                    Some((t, s.loo.log_rmse, s.loo.spearman))
                })
                .collect();
            if stated.is_empty() {
                continue;
            }
            let with_rho: Vec<(f64, f64)> = stated
                .iter()
                .filter_map(|(t, _, r)| r.map(|r| (r, t.score.spearman)))
                .collect();
            let with_error: Vec<(f64, f64)> = stated
                .iter()
                .filter_map(|(t, e, _)| t.score.log_rmse.map(|m| (*e, m)))
                .filter(|(e, _)| e.is_finite() && *e > 0.0)
                .collect();
            let mut ratios: Vec<f64> = with_error.iter().map(|(e, m)| m / e).collect();
            ratios.sort_by(f64::total_cmp);
            let bands = BANDS
                .iter()
                .enumerate()
                .map(|(i, &(low, high))| {
                    let mut measured: Vec<f64> = with_rho
                        .iter()
                        .filter(|(r, _)| (*r > low || (i == 0 && *r >= low)) && *r <= high)
                        .map(|(_, m)| *m)
                        .collect();
                    measured.sort_by(f64::total_cmp);
                    ConfidenceBand {
                        low,
                        high,
                        trials: measured.len(),
                        measured_mean: (!measured.is_empty())
                            .then(|| measured.iter().sum::<f64>() / measured.len() as f64),
                        measured_p10: (!measured.is_empty()).then(|| quantile(&measured, 0.1)),
                    }
                })
                .collect();
            checks.push(ConfidenceCheck {
                method: method.clone(),
                k,
                trials: stated.len(),
                rho_tracks_rho: rank_correlation(&with_rho),
                error_tracks_error: rank_correlation(&with_error),
                error_ratio_median: (!ratios.is_empty()).then(|| quantile(&ratios, 0.5)),
                bands,
            });
        }
    }
    checks
}

fn rank_correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    let (a, b): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    latscope_shared::metrics::spearman(&a, &b).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapt::LooSummary;
    use crate::eval::split::Score;
    use crate::fewshot::StatedConfidence;

    fn trial(stated_rho: f64, stated_err: f64, rho: f64, err: f64) -> TrialRecord {
        TrialRecord {
            method: "m".into(),
            seed: 0,
            k: 10,
            device: "d".into(),
            sampled: vec![],
            score: Score {
                n: 100,
                spearman: rho,
                kendall: rho,
                mape: err,
                acc10: 0.5,
                log_rmse: Some(err),
                constant: false,
            },
            stated: Some(StatedConfidence {
                fit: "blend".into(),
                loo: LooSummary {
                    log_rmse: stated_err,
                    spearman: Some(stated_rho),
                },
            }),
        }
    }

    #[test]
    fn tracking_and_bands_by_hand() {
        // Stated ρ .4 → .6, .85 → .8, .97 → .95, .99 → .97; errors: measured
        // is twice the stated one in every trial.
        let trials = vec![
            trial(0.4, 0.3, 0.6, 0.6),
            trial(0.85, 0.2, 0.8, 0.4),
            trial(0.97, 0.1, 0.95, 0.2),
            trial(0.99, 0.05, 0.97, 0.1),
        ];
        let checks = check_confidence(&trials, &["m".into()], &[10, 20]);
        assert_eq!(checks.len(), 1, "K = 20 has no trials");
        let c = &checks[0];
        assert_eq!(c.trials, 4);
        assert_eq!(c.rho_tracks_rho, Some(1.0));
        assert_eq!(c.error_tracks_error, Some(1.0));
        assert!((c.error_ratio_median.unwrap() - 2.0).abs() < 1e-12);
        let counts: Vec<usize> = c.bands.iter().map(|b| b.trials).collect();
        assert_eq!(counts, [1, 0, 1, 0, 2]);
        assert!((c.bands[4].measured_mean.unwrap() - 0.96).abs() < 1e-12);
        assert_eq!(c.bands[1].measured_mean, None);
    }

    #[test]
    fn methods_without_a_statement_are_left_out() {
        let mut t = trial(0.9, 0.1, 0.9, 0.1);
        t.stated = None;
        assert!(check_confidence(&[t], &["m".into()], &[10]).is_empty());
    }
}
