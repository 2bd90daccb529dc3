//! One proxy device for many targets (One Proxy Device Is Enough,
//! SIGMETRICS'22): which single device's latency ranking best stands in for
//! a set of target devices, by worst-case and mean Spearman ρ, and how
//! often that choice is still right when each target has only K measured
//! architectures to judge by.

use crate::error::{Error, Result};
use crate::methods::{LutAdaptConfig, OpLut};
use crate::sampler::random_subset;
use latscope_shared::metrics::spearman;
use latscope_shared::metrics::{front_recovery, FrontRecovery};
use ndarray::{ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Latencies of several devices over the same architectures.
pub struct DeviceColumns<'a> {
    /// Device names, one per column and in the same order.
    pub devices: &'a [String],
    /// One column per device, all the same length.
    pub columns: &'a [Vec<f64>],
}

/// How well one proxy ranks the targets like they rank themselves.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyScore {
    /// Index (into the device columns) of the candidate proxy scored.
    pub proxy: usize,
    /// Lowest ρ over the targets, and which target it is.
    pub worst: f64,
    /// Index of the target on which the proxy's ρ is [`Self::worst`].
    pub worst_target: usize,
    /// Mean Spearman ρ over the targets.
    pub mean: f64,
}

/// The proxy chosen from K measured architectures per target.
#[derive(Clone, Debug, PartialEq)]
pub struct FewShotChoice {
    /// Architectures measured per target to choose by.
    pub k: usize,
    /// Draws of the K architectures made (seeds `0..seeds`).
    pub seeds: usize,
    /// Seeds on which the K-sample choice equals the choice from all data.
    pub agrees_with_full_data: usize,
    /// True (all-data) worst-case and mean ρ of the chosen proxy, averaged
    /// over seeds.
    pub worst: f64,
    /// True (all-data) mean ρ over the targets of the chosen proxy, averaged over seeds.
    pub mean: f64,
}

fn rho(a: &[f64], b: &[f64]) -> Result<f64> {
    spearman(a, b).map_err(|error| Error::Metric {
        context: "Spearman ρ between devices".into(),
        error,
    })
}

/// Checks targets and candidates against `n` devices.
fn check(n: usize, targets: &[usize], candidates: &[usize]) -> Result<()> {
    if targets.is_empty() || candidates.is_empty() {
        return Err(Error::Empty {
            context: "proxy choice".into(),
            what: "target and one candidate device",
        });
    }
    if let Some(&bad) = targets.iter().chain(candidates).find(|&&i| i >= n) {
        return Err(Error::IndexOutOfRange {
            context: "proxy choice".into(),
            what: "device index",
            index: bad,
            len: n,
        });
    }
    Ok(())
}

/// Scores every candidate on all the architectures, best first (highest
/// worst-case ρ, then highest mean).
pub fn score_proxies(
    data: &DeviceColumns<'_>,
    targets: &[usize],
    candidates: &[usize],
) -> Result<Vec<ProxyScore>> {
    check(data.columns.len(), targets, candidates)?;
    let mut scores = candidates
        .iter()
        .map(|&p| score_one(p, targets, |t| rho(&data.columns[p], &data.columns[t])))
        .collect::<Result<Vec<_>>>()?;
    sort_best_first(&mut scores);
    Ok(scores)
}

/// [`score_proxies`] from an already computed row-major `n × n` ρ matrix
/// of all devices (e.g. `spearman_matrix`), best first.
pub fn score_proxies_from_matrix(
    rho: &[f64],
    n: usize,
    targets: &[usize],
    candidates: &[usize],
) -> Result<Vec<ProxyScore>> {
    if rho.len() != n * n {
        return Err(Error::CountMismatch {
            context: format!("proxy choice among {n} devices"),
            got: rho.len(),
            got_what: "ρ values",
            expected: n * n,
            expected_what: "entries of an n × n matrix",
        });
    }
    check(n, targets, candidates)?;
    let mut scores = candidates
        .iter()
        .map(|&p| score_one(p, targets, |t| Ok(rho[p * n + t])))
        .collect::<Result<Vec<_>>>()?;
    sort_best_first(&mut scores);
    Ok(scores)
}

fn score_one(
    proxy: usize,
    targets: &[usize],
    mut rho_with: impl FnMut(usize) -> Result<f64>,
) -> Result<ProxyScore> {
    let mut worst = (f64::INFINITY, targets[0]);
    let mut sum = 0.0;
    for &t in targets {
        let r = rho_with(t)?;
        sum += r;
        if r < worst.0 {
            worst = (r, t);
        }
    }
    Ok(ProxyScore {
        proxy,
        worst: worst.0,
        worst_target: worst.1,
        mean: sum / targets.len() as f64,
    })
}

fn sort_best_first(scores: &mut [ProxyScore]) {
    scores.sort_by(|a, b| {
        b.worst
            .total_cmp(&a.worst)
            .then(b.mean.total_cmp(&a.mean))
            .then(a.proxy.cmp(&b.proxy))
    });
}

/// Chooses the proxy from `k` random architectures measured on every
/// target (the same `k` on each, as one would measure them), `seeds`
/// times, and reports how good the choices really are.
pub fn choose_with_k(
    data: &DeviceColumns<'_>,
    targets: &[usize],
    candidates: &[usize],
    k: usize,
    seeds: usize,
) -> Result<FewShotChoice> {
    check(data.columns.len(), targets, candidates)?;
    let n = data.columns[0].len();
    if k < 3 || k > n {
        return Err(Error::KOutOfRange { k, min: 3, max: n });
    }
    let full = score_proxies(data, targets, candidates)?;
    let truth = |p: usize| {
        full.iter()
            .find(|s| s.proxy == p)
            .expect("scored every candidate")
    };
    let mut result = FewShotChoice {
        k,
        seeds,
        agrees_with_full_data: 0,
        worst: 0.0,
        mean: 0.0,
    };
    for seed in 0..seeds as u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let all: Vec<usize> = (0..n).collect();
        let rows = random_subset(&all, k, &mut rng);
        let pick = |c: &[f64]| -> Vec<f64> { rows.iter().map(|&i| c[i]).collect() };
        let mut estimates = Vec::with_capacity(candidates.len());
        for &p in candidates {
            let proxy = pick(&data.columns[p]);
            // A K-sample of a target can tie completely (e.g. identical
            // latencies); such a target says nothing and counts as ρ = 0.
            estimates.push(score_one(p, targets, |t| {
                Ok(rho(&proxy, &pick(&data.columns[t])).unwrap_or(0.0))
            })?);
        }
        sort_best_first(&mut estimates);
        let chosen = truth(estimates[0].proxy);
        if chosen.proxy == full[0].proxy {
            result.agrees_with_full_data += 1;
        }
        result.worst += chosen.worst / seeds as f64;
        result.mean += chosen.mean / seeds as f64;
    }
    Ok(result)
}

/// K target samples drawn `seeds` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draws {
    /// Architectures measured on each target per draw.
    pub k: usize,
    /// Number of independent draws (seeds `0..seeds`) averaged over.
    pub seeds: usize,
}

/// Pareto reuse from a proxy to one target, before and after adapting the
/// proxy's operator lookup table to the target from K samples.
#[derive(Clone, Debug, PartialEq)]
pub struct ParetoReuse {
    /// Index (into the device columns) of the target device.
    pub target: usize,
    /// ρ between the proxy's and the target's latencies (all architectures).
    pub rho_before: f64,
    /// ρ between the adapted table's predictions and the target's
    /// latencies on the architectures that were not sampled (mean over
    /// seeds).
    pub rho_after: f64,
    /// The proxy's own front judged on the target.
    pub before: FrontRecovery,
    /// Hypervolume ratio and overlap of the front found on the adapted
    /// predictions (means over seeds).
    pub hypervolume_after: f64,
    /// Architectures on both the adapted predictions' front and the target's true front (a
    /// count, mean over seeds).
    pub overlap_after: f64,
}

/// For each target: the proxy's latency/score Pareto front re-evaluated on
/// the target, then the front of the proxy's operator lookup table adapted
/// to the target from `draws.k` random samples ([`OpLut::adapt`], the
/// paper's per-operator scale and bias), `draws.seeds` times. `score` is per
/// architecture (e.g. MFLOPs; higher is better); `onehot` the
/// architectures' `onehot-v1` rows. Every column must be complete.
pub fn pareto_reuse(
    data: &DeviceColumns<'_>,
    onehot: ArrayView2<'_, f64>,
    score: &[f64],
    proxy: usize,
    targets: &[usize],
    draws: Draws,
    ops: usize,
) -> Result<Vec<ParetoReuse>> {
    let Draws { k, seeds } = draws;
    check(data.columns.len(), targets, &[proxy])?;
    let n = data.columns[proxy].len();
    for (got, got_what) in [(onehot.nrows(), "one-hot rows"), (score.len(), "scores")] {
        if got != n {
            return Err(Error::CountMismatch {
                context: "Pareto front reuse".into(),
                got,
                got_what,
                expected: n,
                expected_what: "latencies",
            });
        }
    }
    if k < 3 || k >= n {
        return Err(Error::KOutOfRange {
            k,
            min: 3,
            max: n.saturating_sub(1),
        });
    }
    let metric = |error| Error::Metric {
        context: "Pareto front recovery".into(),
        error,
    };
    let lut = OpLut::fit(
        onehot,
        &data.columns[proxy],
        ops,
        &crate::ridge::default_relative_lambdas(),
        crate::ridge::LooCriterion::Mse,
    )?;
    let all: Vec<usize> = (0..n).collect();
    let mut rows = Vec::with_capacity(targets.len());
    for &t in targets {
        let truth = &data.columns[t];
        let before = front_recovery(&data.columns[proxy], truth, score).map_err(metric)?;
        let mut row = ParetoReuse {
            target: t,
            rho_before: rho(&data.columns[proxy], truth)?,
            rho_after: 0.0,
            before,
            hypervolume_after: 0.0,
            overlap_after: 0.0,
        };
        for seed in 0..seeds as u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let sampled = random_subset(&all, k, &mut rng);
            let sample_rows = onehot.select(Axis(0), &sampled);
            let ms: Vec<f64> = sampled.iter().map(|&i| truth[i]).collect();
            let adapted = lut.adapt(sample_rows.view(), &ms, &LutAdaptConfig::default())?;
            let predicted = adapted.predict(onehot);
            let rest: Vec<usize> = all
                .iter()
                .copied()
                .filter(|i| !sampled.contains(i))
                .collect();
            let pick = |c: &[f64]| -> Vec<f64> { rest.iter().map(|&i| c[i]).collect() };
            row.rho_after += rho(&pick(&predicted), &pick(truth))? / seeds as f64;
            let after = front_recovery(&predicted, truth, score).map_err(metric)?;
            row.hypervolume_after += after.hypervolume_ratio / seeds as f64;
            row.overlap_after += after.overlap as f64 / seeds as f64;
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<String>, Vec<Vec<f64>>) {
        // Device 0 ranks like targets 2 and 3; device 1 reverses them.
        let up: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let down: Vec<f64> = up.iter().rev().copied().collect();
        let noisy: Vec<f64> = up
            .iter()
            .map(|v| {
                v + if (*v as usize).is_multiple_of(2) {
                    1.5
                } else {
                    0.0
                }
            })
            .collect();
        let devices = ["a", "b", "t1", "t2"].map(String::from).to_vec();
        (devices, vec![up.clone(), down, noisy, up])
    }

    #[test]
    fn the_monotone_device_is_the_proxy() {
        let (devices, columns) = toy();
        let data = DeviceColumns {
            devices: &devices,
            columns: &columns,
        };
        let scores = score_proxies(&data, &[2, 3], &[0, 1]).unwrap();
        assert_eq!(scores[0].proxy, 0);
        assert_eq!(scores[0].worst_target, 2);
        assert!(scores[1].worst < -0.9);
        let few = choose_with_k(&data, &[2, 3], &[0, 1], 5, 10).unwrap();
        assert_eq!(few.agrees_with_full_data, 10);
        assert!((few.worst - scores[0].worst).abs() < 1e-12);
        assert!(choose_with_k(&data, &[2], &[0], 2, 1).is_err());
        // The same scores from a precomputed matrix.
        let rho: Vec<f64> = (0..16)
            .map(|k| spearman(&columns[k / 4], &columns[k % 4]).unwrap())
            .collect();
        assert_eq!(
            score_proxies_from_matrix(&rho, 4, &[2, 3], &[0, 1]).unwrap(),
            scores
        );
        assert!(score_proxies_from_matrix(&rho, 3, &[2], &[0]).is_err());
        assert!(score_proxies(&data, &[], &[0]).is_err());
    }
}
