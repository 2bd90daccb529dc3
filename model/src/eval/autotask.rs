//! Generated tasks in the manner of NASFLAT's task suite: devices form a
//! complete graph whose edges weigh −ρ (ρ: Spearman correlation of two
//! devices' latencies over the architectures both measured); a seeded
//! Kernighan–Lin bisection splits it into two halves with the most negative
//! cut, i.e. the smallest summed correlation between the halves; then the
//! split is pruned so that no test device has a training device it could
//! simply copy the ranking of (ρ ≥ [`AutoTaskOptions::threshold`]).
//!
//! The larger half trains (ties: the half holding the table's first device).
//! Pruning repeatedly takes the most correlated (test, training) pair above
//! the threshold and drops its test device while more than
//! [`AutoTaskOptions::min_test`] remain, else its training device while more
//! than [`AutoTaskOptions::min_train`] remain, else stops (and says so in the
//! task's notes).

use crate::error::{Error, Result};
use latscope_shared::dataset::LatencyTable;
use latscope_shared::metrics::{average_ranks, pearson, spearman};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How generated tasks are pruned.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoTaskOptions {
    /// A test device whose ρ with some training device reaches this is too
    /// easy (One Proxy Device Is Enough calls ρ ≥ 0.9 strong monotonicity).
    pub threshold: f64,
    /// Pruning keeps at least this many training devices.
    pub min_train: usize,
    /// Pruning keeps at least this many test devices.
    pub min_test: usize,
}

impl Default for AutoTaskOptions {
    fn default() -> Self {
        AutoTaskOptions {
            threshold: 0.9,
            min_train: 3,
            min_test: 2,
        }
    }
}

/// Spearman correlations between every pair of devices of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceCorrelations {
    /// Device names, in the table's order; they index the matrix.
    pub devices: Vec<String>,
    /// Row-major n × n, 1 on the diagonal.
    pub rho: Vec<f64>,
}

impl DeviceCorrelations {
    /// The correlation of devices `a` and `b` (indices into [`Self::devices`]); symmetric.
    pub fn get(&self, a: usize, b: usize) -> f64 {
        self.rho[a * self.devices.len() + b]
    }
}

fn metric_error(context: String) -> impl FnOnce(latscope_shared::metrics::MetricError) -> Error {
    move |error| Error::Metric { context, error }
}

/// Spearman's ρ of every pair of devices over the architectures both have
/// measured.
pub fn device_correlations(table: &LatencyTable) -> Result<DeviceCorrelations> {
    let n = table.n_devices();
    let columns: Vec<Vec<Option<f64>>> = (0..n).map(|d| table.device_column(d)).collect();
    let complete: Vec<Option<Vec<f64>>> = columns
        .iter()
        .map(|c| {
            c.iter()
                .copied()
                .collect::<Option<Vec<f64>>>()
                .map(|v| average_ranks(&v))
        })
        .collect();
    let mut rho = vec![1.0; n * n];
    for a in 0..n {
        for b in a + 1..n {
            let what = || {
                format!(
                    "correlation of {} and {}",
                    table.devices()[a],
                    table.devices()[b]
                )
            };
            let r = match (&complete[a], &complete[b]) {
                // Pearson of average ranks is Spearman's rho.
                (Some(ra), Some(rb)) => pearson(ra, rb).map_err(metric_error(what()))?,
                _ => {
                    let (x, y): (Vec<f64>, Vec<f64>) = columns[a]
                        .iter()
                        .zip(&columns[b])
                        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
                        .unzip();
                    spearman(&x, &y).map_err(metric_error(what()))?
                }
            };
            rho[a * n + b] = r;
            rho[b * n + a] = r;
        }
    }
    Ok(DeviceCorrelations {
        devices: table.devices().to_vec(),
        rho,
    })
}

/// Kernighan–Lin bisection of the complete graph on `n` nodes with symmetric
/// edge weights `w` (row-major n × n; the diagonal is ignored): returns
/// `side[i]` (false: the first half, ⌊n/2⌋ nodes) after passes of pair swaps
/// that lower the cut weight `Σ_{i∈A, j∈B} w[i][j]`, from a random balanced
/// start drawn with `seed`. Deterministic for a given seed.
pub fn kernighan_lin(w: &[f64], n: usize, seed: u64) -> Vec<bool> {
    assert_eq!(w.len(), n * n, "weights of a {n}-node graph");
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in (1..n).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let mut side = vec![true; n];
    for &v in &order[..n / 2] {
        side[v] = false;
    }
    let c = |i: usize, j: usize| w[i * n + j];
    for _pass in 0..(4 * n).max(8) {
        // D(v): external minus internal cost.
        let mut d: Vec<f64> = (0..n)
            .map(|v| {
                (0..n)
                    .filter(|&u| u != v)
                    .map(|u| {
                        if side[u] != side[v] {
                            c(v, u)
                        } else {
                            -c(v, u)
                        }
                    })
                    .sum()
            })
            .collect();
        let mut locked = vec![false; n];
        let mut swaps = Vec::new();
        let mut gains = Vec::new();
        loop {
            let mut best: Option<(f64, usize, usize)> = None;
            for a in (0..n).filter(|&a| !side[a] && !locked[a]) {
                for b in (0..n).filter(|&b| side[b] && !locked[b]) {
                    let g = d[a] + d[b] - 2.0 * c(a, b);
                    if best.is_none_or(|(bg, _, _)| g > bg) {
                        best = Some((g, a, b));
                    }
                }
            }
            let Some((g, a, b)) = best else { break };
            locked[a] = true;
            locked[b] = true;
            swaps.push((a, b));
            gains.push(g);
            // As if a moved to B and b to A.
            for x in (0..n).filter(|&x| !locked[x]) {
                if side[x] {
                    d[x] += 2.0 * c(x, b) - 2.0 * c(x, a);
                } else {
                    d[x] += 2.0 * c(x, a) - 2.0 * c(x, b);
                }
            }
        }
        let mut best_k = 0;
        let mut best_sum = 0.0;
        let mut sum = 0.0;
        for (k, g) in gains.iter().enumerate() {
            sum += g;
            if sum > best_sum + 1e-12 {
                best_sum = sum;
                best_k = k + 1;
            }
        }
        if best_k == 0 {
            break;
        }
        for &(a, b) in &swaps[..best_k] {
            side[a] = true;
            side[b] = false;
        }
    }
    side
}

/// Sum of `w` over the pairs that `side` separates.
pub fn cut_weight(w: &[f64], side: &[bool]) -> f64 {
    let n = side.len();
    let mut cut = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            if side[i] != side[j] {
                cut += w[i * n + j];
            }
        }
    }
    cut
}

/// A split of a table's devices into training and test devices, with how it
/// was made.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceSplit {
    /// Devices the method pretrains on.
    pub train_devices: Vec<String>,
    /// Devices held out for few-shot transfer.
    pub test_devices: Vec<String>,
    /// How the split was made (seed, mean ρ across the cut, devices dropped for correlating
    /// above the threshold across it), for the task's notes.
    pub notes: Vec<String>,
}

/// The devices of the generated task `auto-<space>-<seed>` on `table` (see
/// the module docs; [`super::task`] names it).
pub fn auto_split(table: &LatencyTable, seed: u64, opts: &AutoTaskOptions) -> Result<DeviceSplit> {
    let n = table.n_devices();
    if n < opts.min_train + opts.min_test || n < 2 {
        return Err(Error::TooFewDevices {
            devices: n,
            min_train: opts.min_train,
            min_test: opts.min_test,
        });
    }
    let corr = device_correlations(table)?;
    // Minimising the summed ρ across the cut = maximising the cut of the
    // graph weighted by −ρ.
    let side = kernighan_lin(&corr.rho, n, seed);
    let count_b = side.iter().filter(|&&s| s).count();
    let train_side = if count_b > n - count_b {
        true
    } else if count_b < n - count_b {
        false
    } else {
        side[0]
    };
    let mut train: Vec<usize> = (0..n).filter(|&i| side[i] == train_side).collect();
    let mut test: Vec<usize> = (0..n).filter(|&i| side[i] != train_side).collect();
    let cut = cut_weight(&corr.rho, &side) / (train.len() * test.len()) as f64;
    let mut notes = vec![format!(
        "Kernighan–Lin bisection (seed {seed}) of {n} devices; mean ρ across the cut {cut:.3}"
    )];
    let mut dropped = Vec::new();
    loop {
        let worst = test
            .iter()
            .flat_map(|&t| train.iter().map(move |&r| (t, r)))
            .map(|(t, r)| (corr.get(t, r), t, r))
            .max_by(|x, y| x.0.total_cmp(&y.0));
        let Some((rho, t, r)) = worst else { break };
        if rho < opts.threshold {
            break;
        }
        if test.len() > opts.min_test {
            test.retain(|&x| x != t);
            dropped.push(format!(
                "{} (ρ {rho:.3} with {})",
                corr.devices[t], corr.devices[r]
            ));
        } else if train.len() > opts.min_train {
            train.retain(|&x| x != r);
            dropped.push(format!(
                "{} (ρ {rho:.3} with {})",
                corr.devices[r], corr.devices[t]
            ));
        } else {
            notes.push(format!(
                "pruning stopped at the minimum sizes: {} and {} still correlate at ρ {rho:.3}",
                corr.devices[t], corr.devices[r]
            ));
            break;
        }
    }
    if !dropped.is_empty() {
        notes.push(format!(
            "pruned (ρ ≥ {} across the split): {}",
            opts.threshold,
            dropped.join(", ")
        ));
    }
    let corr_ref = &corr;
    let max_cross = test
        .iter()
        .flat_map(|&t| train.iter().map(move |&r| corr_ref.get(t, r)))
        .fold(f64::NEG_INFINITY, f64::max);
    notes.push(format!(
        "largest ρ between a test and a training device: {max_cross:.3}"
    ));
    let name_of = |v: &[usize]| v.iter().map(|&i| corr.devices[i].clone()).collect();
    Ok(DeviceSplit {
        train_devices: name_of(&train),
        test_devices: name_of(&test),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_separates_two_cliques() {
        // Nodes 0..4 and 4..8 form two tightly correlated groups; across the
        // groups the weight is low. Every seed must find the group split.
        let n = 8;
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                w[i * n + j] = if (i < 4) == (j < 4) { 0.95 } else { 0.1 };
            }
        }
        for seed in 0..10 {
            let side = kernighan_lin(&w, n, seed);
            assert_eq!(side.iter().filter(|&&s| s).count(), 4);
            assert!(side[..4].iter().all(|&s| s == side[0]), "{side:?}");
            assert!(side[4..].iter().all(|&s| s != side[0]), "{side:?}");
            assert!((cut_weight(&w, &side) - 16.0 * 0.1).abs() < 1e-9);
        }
        assert_eq!(kernighan_lin(&w, n, 3), kernighan_lin(&w, n, 3));
    }

    #[test]
    fn kl_never_increases_the_cut_of_its_start() {
        // Arbitrary weights: the result is balanced and no single swap of
        // one node from each side lowers the cut further (KL's local optimum).
        let n = 9;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in i + 1..n {
                let x: f64 = rng.random_range(-1.0..1.0);
                w[i * n + j] = x;
                w[j * n + i] = x;
            }
        }
        for seed in 0..5 {
            let side = kernighan_lin(&w, n, seed);
            assert_eq!(side.iter().filter(|&&s| !s).count(), n / 2);
            let cut = cut_weight(&w, &side);
            for a in (0..n).filter(|&a| !side[a]) {
                for b in (0..n).filter(|&b| side[b]) {
                    let mut s = side.clone();
                    s[a] = true;
                    s[b] = false;
                    assert!(cut_weight(&w, &s) >= cut - 1e-9);
                }
            }
        }
    }
}
